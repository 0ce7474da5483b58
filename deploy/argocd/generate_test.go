package argocd

// Manifest generation on the real plugin path: the examples, the kit's Application, the
// README's worked example and the layouts of manifest-generate-paths.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"pullgen.dev/pullgen/internal/testsupport/argocdtest"
)

// exportLine is a variable an example's README tells users to export.
var exportLine = regexp.MustCompile(`(?m)^\s*export ([A-Z_][A-Z0-9_]*)=(\S+)\s*$`)

// exampleEnv is the variables the examples' READMEs export, but the key file (the
// sidecar's is mounted).
func exampleEnv(t *testing.T, readmes []string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, r := range readmes {
		for _, m := range exportLine.FindAllStringSubmatch(readFile(t, r), -1) {
			if m[1] != "SOPS_AGE_KEY_FILE" {
				env[m[1]] = m[2]
			}
		}
	}
	return env
}

// TestGenerateEveryExample sends Argo CD every example, each an Application at its
// directory of a repository of the examples, to the kit's sidecar (the DEMO key in its key
// Secret, the variables the READMEs export in its pullgen-sidecar-env Secret and allowed
// with --allow-env in plugin.yaml). An example without a PullAccess is not the plugin's;
// for the others, the repo server's manifests are what `pullgen render` prints in the
// example's directory, and its error is render's, as the Application shows it.
func TestGenerateEveryExample(t *testing.T) {
	readmes, _ := filepath.Glob("../../examples/*/README.md")
	env := exampleEnv(t, readmes)
	generate := []string{"pullgen", "render"}
	for _, name := range sortedKeys(env) {
		generate = append(generate, "--allow-env", name)
	}
	config := withGenerate(t, readFile(t, "cmp/plugin.yaml"), "  generate:\n    command: ["+strings.Join(generate, ", ")+"]\n")
	rs, _ := startKit(t, config, env)
	repo := argocdtest.GitRepo(t, "../../examples")
	demo, _ := filepath.Abs("../../examples/DEMO-age-key.txt")
	renderEnv := []string{"SOPS_AGE_KEY_FILE=" + demo}
	for _, name := range sortedKeys(env) {
		renderEnv = append(renderEnv, name+"="+env[name])
	}

	rendered := 0
	for _, readme := range readmes {
		dir := filepath.Dir(readme)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			res := rs.Generate(t, argocdtest.Request{Repo: repo, Path: filepath.Base(dir), Plugin: "pullgen-v1", App: filepath.Base(dir)})
			if !holdsPullAccess(t, dir) {
				if res.Err == nil || !strings.HasSuffix(res.Err.Error(), namedNotFound) {
					t.Errorf("an example without a PullAccess: want %q:\n%s", namedNotFound, res)
				}
				return
			}
			cmd := exec.Command(pullgenBin(t), generate[1:]...)
			cmd.Dir = dir
			// The variable render finds the repository root with, as Argo CD sets it.
			cmd.Env = append(os.Environ(), append(renderEnv, "ARGOCD_APP_SOURCE_PATH="+filepath.Base(dir))...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				want := fmt.Sprintf("CMP processing failed for application %q: error generating manifests in cmp: rpc error: code = Unknown desc = error generating manifests: `%s` failed %v: %s",
					filepath.Base(dir), strings.Join(generate, " "), err, strings.TrimSpace(stderr.String()))
				if res.Err == nil || res.Err.Error() != want {
					t.Errorf("pullgen render fails here; want Argo CD's error\n%s\ngot:\n%s", want, res)
				}
				return
			}
			rendered++
			if got, want := byID(t, res.Objects(t)), manifests(t, out); !reflect.DeepEqual(got, want) {
				t.Errorf("Argo CD's manifests:\n%s\nwant pullgen render's:\n%s", res.Out, out)
			}
		})
	}
	if rendered < 8 {
		t.Errorf("%d examples rendered, want every example with a PullAccess and a kustomization", rendered)
	}
}

// holdsPullAccess tells whether a YAML file of dir holds a PullAccess.
func holdsPullAccess(t *testing.T, dir string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		if strings.Contains(readFile(t, f), "kind: PullAccess") {
			return true
		}
	}
	return false
}

// byID is objects by kind/namespace/name, as manifests gives them.
func byID(t *testing.T, objs []map[string]any) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, o := range objs {
		meta, _ := o["metadata"].(map[string]any)
		ns, _ := meta["namespace"].(string)
		out[fmt.Sprintf("%s/%s/%v", o["kind"], ns, meta["name"])] = o
	}
	if len(out) != len(objs) {
		t.Errorf("%d objects, %d distinct", len(objs), len(out))
	}
	return out
}

// TestKitApplication sends Argo CD application.yaml's Application: its path holds the
// overlay the `overlay` parameter picks, a copy of examples/docker-config whose files are
// not named after PullAccess. Argo CD's app details give the UI the parameters plugin.yaml
// announces. Without the PullAccess, it is not the plugin's.
func TestKitApplication(t *testing.T) {
	var app application
	unmarshalStrict(t, "application.yaml", &app)
	src := app.Spec.Source
	var overlay string
	for _, prm := range src.Plugin.Parameters {
		if prm.Name == "overlay" {
			overlay = *prm.String
		}
	}
	dir := t.TempDir()
	appDir := filepath.Join(dir, src.Path, overlay)
	if err := os.CopyFS(appDir, os.DirFS("../../examples/docker-config")); err != nil {
		t.Fatal(err)
	}
	// Named as no glob would guess.
	if err := os.Rename(filepath.Join(appDir, "pullaccess.yaml"), filepath.Join(appDir, "registry.yaml")); err != nil {
		t.Fatal(err)
	}
	kust := filepath.Join(appDir, "kustomization.yaml")
	writeFiles(t, appDir, map[string]string{"kustomization.yaml": strings.ReplaceAll(readFile(t, kust), "pullaccess.yaml", "registry.yaml")})
	repo := argocdtest.GitRepo(t, dir)
	rs, _ := startKit(t, readFile(t, "cmp/plugin.yaml"), nil)
	req := argocdtest.Request{
		Repo: repo, Path: src.Path, Plugin: src.Plugin.Name,
		App: app.Metadata.Name, Namespace: app.Spec.Destination.Namespace, Project: app.Spec.Project,
		Env: src.Plugin.Env, Params: src.Plugin.Parameters,
	}

	res := rs.Generate(t, req)
	if got, want := byID(t, res.Objects(t)), manifests(t, []byte(readFile(t, "../../examples/docker-config/expected.yaml"))); !reflect.DeepEqual(got, want) {
		t.Errorf("Argo CD's manifests:\n%s\nwant examples/docker-config/expected.yaml", res)
	}
	details := rs.Details(t, req)
	var got struct {
		Type       string     `json:"type"`
		Parameters []cmpParam `json:"parameters"`
	}
	if err := json.Unmarshal([]byte(details.Out), &got); err != nil || got.Type != "Plugin" {
		t.Fatalf("app details: %v\n%s", err, details)
	}
	var announced, shown []string
	for _, p := range readPlugin(t).Spec.Parameters.Static {
		announced = append(announced, p.Name+" "+p.CollectionType)
	}
	for _, p := range got.Parameters {
		shown = append(shown, p.Name+" "+p.CollectionType)
	}
	if !slices.Equal(shown, announced) {
		t.Errorf("the UI gets parameters %q, plugin.yaml announces %q", shown, announced)
	}

	if err := os.Remove(filepath.Join(repo, src.Path, overlay, "registry.yaml")); err != nil {
		t.Fatal(err)
	}
	argocdtest.Commit(t, repo)
	if res := rs.Generate(t, req); res.Err == nil || !strings.HasSuffix(res.Err.Error(), namedNotFound) {
		t.Errorf("without its PullAccess: want %q:\n%s", namedNotFound, res)
	}
}

// TestEnvCredentialsExample runs README.md's worked example of credentials from the
// sidecar environment: its kustomization (with its plugin.yaml and sidecar patch) built
// over Argo CD's install.yaml, the sidecar of that build started with the plugin.yaml of
// its ConfigMap and the README's Secret, and the README's Application over the README's
// repository files. The Secret carries the Application's user and the sidecar's token;
// with the kit's own plugin.yaml the token is refused.
func TestEnvCredentialsExample(t *testing.T) {
	const token = "worked-example-token-7f3a"
	// The operator's kustomization and its two files.
	p := readPlugin(t)
	var gen struct {
		Generate cmpCommand `json:"generate"`
	}
	stanza := readmeBlock(t, "env example: pullgen-env/plugin.yaml generate")
	if err := sigsyaml.UnmarshalStrict([]byte(stanza), &gen); err != nil {
		t.Fatalf("README.md's generate command: %v", err)
	}
	if c := append(slices.Clone(gen.Generate.Command), gen.Generate.Args...); len(c) != 4 || !slices.Equal(c[:2], append(p.Spec.Generate.Command, p.Spec.Generate.Args...)) || c[2] != "--allow-env" {
		t.Errorf("README.md's generate command %q: want the kit's with --allow-env NAME", c)
	}
	_, stanza, _ = strings.Cut(stanza, "\n")
	plugin := readFile(t, "cmp/plugin.yaml")
	_, res := buildKit(t, "env example: kustomization", installs[0].file, "cmp", "argocd", map[string]string{
		"pullgen-env/kustomization.yaml": readmeBlock(t, "env example file: pullgen-env/kustomization.yaml"),
		"pullgen-env/plugin.yaml":        withGenerate(t, plugin, stanza),
	})
	// What the cluster gets: the ConfigMap's plugin.yaml and the sidecar.
	cm, ok := res["ConfigMap/argocd/pullgen-cmp-plugin"]
	if !ok {
		t.Fatalf("no ConfigMap argocd/pullgen-cmp-plugin in %v", keys(res))
	}
	var d deployment
	decode(t, res["Deployment/argocd/argocd-repo-server"], &d)
	if names := containerNames(d); !slices.Equal(names, []string{"argocd-repo-server", "pullgen"}) {
		t.Errorf("containers %q, want the repo server then the sidecar", names)
	}
	sidecar, _ := findContainer(d.Spec.Template.Spec.Containers, "pullgen")
	checkAgeKey(t, d, sidecar)
	// The Secrets the README creates: the sidecar's variables, and the age key (an empty
	// one does: nothing here is encrypted).
	secrets := map[string]map[string]string{"pullgen-sidecar-env": {"ACME_REGISTRY_TOKEN": token}, "pullgen-age-key": {"keys.txt": ""}}
	rs := argocdtest.NewRepoServer(t)
	rs.StartSidecar(t, kitSidecar(t, d, cm.GetDataMap()["plugin.yaml"], secrets))

	// The repository and the Application.
	files := map[string]string{}
	for _, path := range []string{"apps/acme/base/pullaccess.yaml", "apps/acme/base/kustomization.yaml", "apps/acme/overlays/prod/kustomization.yaml"} {
		files[path] = readmeBlock(t, "env example file: "+path)
	}
	src := t.TempDir()
	writeFiles(t, src, files)
	repo := argocdtest.GitRepo(t, src)
	var app application
	if err := sigsyaml.UnmarshalStrict([]byte(readmeBlock(t, "env example: application")), &app); err != nil {
		t.Fatalf("README.md's Application: %v", err)
	}
	s := app.Spec.Source
	req := argocdtest.Request{Repo: repo, Path: s.Path, Plugin: s.Plugin.Name, App: app.Metadata.Name, Namespace: app.Spec.Destination.Namespace, Env: s.Plugin.Env, Params: s.Plugin.Parameters}

	out := rs.Generate(t, req)
	var secret map[string]any
	for _, o := range out.Objects(t) {
		if o["kind"] == "Secret" {
			secret = o
		}
	}
	if secret == nil || secret["metadata"].(map[string]any)["namespace"] != "acme" || secret["metadata"].(map[string]any)["name"] != "acme-registry" {
		t.Fatalf("no Secret acme/acme-registry in:\n%s", out)
	}
	user, password := dockerConfigAuth(t, secret, "registry.acme.example")
	if user != "robot-ci" || password != token {
		t.Errorf("registry.acme.example: user %q, password from the sidecar %v", user, password == token)
	}

	// The kit's plugin.yaml, without --allow-env, refuses the sidecar's variable.
	rs = argocdtest.NewRepoServer(t)
	rs.StartSidecar(t, kitSidecar(t, d, plugin, secrets))
	out = rs.Generate(t, req)
	if out.Err == nil || out.Out != "" || !strings.Contains(out.Err.Error(), "env ACME_REGISTRY_TOKEN: render reads only ARGOCD_ENV_* variables") || !strings.Contains(out.Err.Error(), "--allow-env") {
		t.Errorf("without --allow-env:\n%s", out)
	}
	if strings.Contains(out.Out+out.Stderr, token) {
		t.Error("the token reached the output")
	}
	// The error as docs/argo-cd.md shows it on the Application.
	if doc := docBlock(t, "../../docs/argo-cd.md", "render error"); out.Err == nil || strings.Join(strings.Fields(doc), " ") != out.Err.Error() {
		t.Errorf("docs/argo-cd.md shows the error as\n%s\nArgo CD's: %v", doc, out.Err)
	}
}

// TestManifestGeneratePaths renders an overlay over ../../base when the repo server runs
// with --plugin-use-manifest-generate-paths and sends generate only the paths of the
// Application's manifest-generate-paths annotation: the root render gets is then the
// app's parent, not the repository, and the base is still inside it. What Argo CD did not
// send stays out of reach, even when it is on the sidecar's disk next to the copy.
// Discovery is sent the whole repository all the same.
func TestManifestGeneratePaths(t *testing.T) {
	const outside = "outside-secret-value"
	other := "apiVersion: v1\nkind: Secret\nmetadata: {name: other-tenant}\nstringData: {token: " + outside + "}\n"
	src := t.TempDir()
	writeFiles(t, src, map[string]string{
		"apps/acme/base/pullaccess.yaml":             readFile(t, "../../examples/docker-config/pullaccess.yaml"),
		"apps/acme/base/config.json":                 readFile(t, "../../examples/docker-config/config.json"),
		"apps/acme/base/kustomization.yaml":          "generators: [pullaccess.yaml]\n",
		"apps/acme/overlays/prod/kustomization.yaml": "resources: [../../base]\nnamePrefix: prod-\n",
		"apps/acme/overlays/leak/kustomization.yaml": "resources: [../../base, ../../../../stolen]\n",
		"apps/other/secret.yaml":                     other,
	})
	repo := argocdtest.GitRepo(t, src)
	rs := argocdtest.NewRepoServer(t)
	s := kitSidecar(t, kitRepoServer(t), readFile(t, "cmp/plugin.yaml"), map[string]map[string]string{"pullgen-age-key": demoKey(t)})
	// On the sidecar's disk, where ../../../../stolen of the leaking overlay lands when
	// Argo CD sends apps/acme: another request's files in the sidecar's /tmp.
	s.Files[argocdtest.TempDir+"/stolen/kustomization.yaml"] = "resources: [secret.yaml]\n"
	s.Files[argocdtest.TempDir+"/stolen/secret.yaml"] = other
	rs.StartSidecar(t, s)
	app := func(path, annotation string) argocdtest.Request {
		return argocdtest.Request{Repo: repo, Path: path, Plugin: "pullgen-v1", ManifestGeneratePaths: annotation}
	}

	t.Run("overlay and base sent", func(t *testing.T) {
		res := rs.Generate(t, app("apps/acme/overlays/prod", ".;../../base"))
		got := byID(t, res.Objects(t))
		if _, ok := got["Secret/team-a/prod-redhat-registry"]; !ok {
			t.Errorf("no Secret team-a/prod-redhat-registry:\n%s", res)
		}
	})

	t.Run("overlay alone sent", func(t *testing.T) {
		// Discovery sees the whole repository, base included: the plugin claims the
		// Application, and render, sent the overlay alone, says what is missing.
		res := rs.Generate(t, app("apps/acme/overlays/prod", "."))
		if res.Err == nil || !strings.Contains(res.Err.Error(), "`pullgen render` failed exit status 2") || !strings.Contains(res.Err.Error(), "outside the repository root") {
			t.Errorf("want render's error, the base outside the repository root:\n%s", res)
		}
	})

	t.Run("a path outside what was sent", func(t *testing.T) {
		res := rs.Generate(t, app("apps/acme/overlays/leak", ".;../../base"))
		if res.Err == nil || !strings.Contains(res.Err.Error(), "outside the repository root") {
			t.Errorf("want render's error, stolen outside the repository root:\n%s", res)
		}
		if strings.Contains(res.Out+res.Stderr, outside) {
			t.Error("a file outside what Argo CD sent reached the output")
		}
	})
}

// dockerConfigAuth is the user and password of server in a dockerconfigjson Secret,
// checking that its auth field is theirs.
func dockerConfigAuth(t *testing.T, secret map[string]any, server string) (user, password string) {
	t.Helper()
	data, _ := secret["data"].(map[string]any)
	s, _ := data[".dockerconfigjson"].(string)
	cfg, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	var auths struct {
		Auths map[string]struct{ Username, Password, Auth string } `json:"auths"`
	}
	if err := json.Unmarshal(cfg, &auths); err != nil {
		t.Fatal(err)
	}
	a := auths.Auths[server]
	if a.Auth != base64.StdEncoding.EncodeToString([]byte(a.Username+":"+a.Password)) {
		t.Errorf("%s: auth is not user:password", server)
	}
	return a.Username, a.Password
}
