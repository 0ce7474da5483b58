package argocd

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	sigsyaml "sigs.k8s.io/yaml"

	"pullgen.dev/pullgen/internal/argocdtest"
)

var built struct {
	once     sync.Once
	dir, err string
}

// pullgenBin builds pullgen once, with cgo off as the Dockerfile builds the sidecar
// image's (and as cmd/pullgen's tests do, so that the build cache serves both), and
// returns the directory holding it: the sidecar image's PATH.
func pullgenBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds pullgen")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "pullgen-kit-")
		if err != nil {
			built.err = err.Error()
			return
		}
		built.dir = dir
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "pullgen"), "pullgen.dev/pullgen/cmd/pullgen")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = "building pullgen: " + err.Error() + "\n" + string(out)
		}
	})
	if built.err != "" {
		t.Fatal(built.err)
	}
	return built.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	argocdtest.Cleanup()
	os.Exit(code)
}

// cmpRequest is one request of the repo server to argocd-cmp-server: the Application's
// directory in the files it sent, and the variables it sent with them.
type cmpRequest struct {
	appDir string
	env    []string
}

// newCMPRequest is the request of the repo server for Application meta and spec over
// repo (argocdtest.Send and App.Environ). The Applications here have no
// manifest-generate-paths annotation, so discovery and generate are sent the same files.
func newCMPRequest(t *testing.T, repo string, meta objectMeta, spec appSpec) cmpRequest {
	t.Helper()
	a := argocdtest.NewApp(spec.Source.Path)
	a.Name, a.Namespace, a.Project = meta.Name, meta.Namespace, spec.Project
	a.RepoURL, a.TargetRevision = spec.Source.RepoURL, spec.Source.TargetRevision
	a.PluginEnv, a.Params = spec.Source.Plugin.Env, spec.Source.Plugin.Parameters
	return cmpRequest{appDir: argocdtest.Send(t, repo, a, argocdtest.GenerateManifest), env: a.Environ()}
}

// TestCMPServerFollowsArgoCD holds run and discovers to the code of argocd-cmp-server they
// reproduce.
func TestCMPServerFollowsArgoCD(t *testing.T) {
	argocdtest.CheckUpstream(t, "cmpRequest.run and cmpRequest.discovers",
		argocdtest.Upstream{File: "cmpserver/plugin/plugin.go", Name: "runCommand", SHA256: "7b6e5c9b3569dc0c26a2aa0156aed90cb871f0c74c10bf314634b9ad1bd54dac"},
		argocdtest.Upstream{File: "cmpserver/plugin/plugin.go", Name: "Service.generateManifest", SHA256: "82765eb97cd736b38d83a6254526df69e55c5288bf5aa1cae63a992bf77d9425"},
		argocdtest.Upstream{File: "cmpserver/plugin/plugin.go", Name: "Service.matchRepository", SHA256: "746ddbbb3b15e20f45831752153fc2a008c21732c509b0560cd924b38c17d378"},
	)
}

// run runs a command of plugin.yaml as argocd-cmp-server does: in the Application's
// directory, with the sidecar's environment followed by the request's, stdout kept with
// its last newline trimmed.
func (r cmpRequest) run(t *testing.T, c cmpCommand, sidecarEnv []string) (stdout, stderr string, err error) {
	t.Helper()
	if len(c.Command) == 0 {
		t.Fatal("an empty command")
	}
	// The program is looked up in the sidecar's PATH, not the test's.
	path := c.Command[0]
	for _, e := range sidecarEnv {
		if p, ok := strings.CutPrefix(e, "PATH="); ok {
			if lp, err := lookPath(path, p); err == nil {
				path = lp
			}
		}
	}
	cmd := exec.Command(path, append(slices.Clone(c.Command[1:]), c.Args...)...)
	cmd.Env = append(slices.Clone(sidecarEnv), r.env...)
	cmd.Dir = r.appDir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return strings.TrimSuffix(out.String(), "\n"), errb.String(), err
}

// discovers tells whether the plugin's discover.find.command matches, as argocd-cmp-server
// decides: exit 0 and something on stdout.
func (r cmpRequest) discovers(t *testing.T, p cmpConfig, sidecarEnv []string) bool {
	t.Helper()
	out, _, err := r.run(t, p.Spec.Discover.Find.cmpCommand, sidecarEnv)
	return err == nil && out != ""
}

func lookPath(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// sidecarEnv is the environment of the pullgen sidecar: the image's PATH, uid 999's HOME,
// the variables the container declares and those of the Secrets it takes variables from
// (secrets maps a Secret's name to its NAME=value lines; an optional one may be absent).
func sidecarEnv(t *testing.T, c container, secrets map[string]string) []string {
	t.Helper()
	env := []string{"PATH=" + pullgenBin(t), "HOME=" + t.TempDir()}
	for _, from := range c.EnvFrom {
		data, ok := secrets[from.SecretRef.Name]
		if !ok && !from.SecretRef.Optional {
			t.Fatalf("the sidecar needs Secret %s", from.SecretRef.Name)
		}
		env = append(env, strings.Fields(data)...)
	}
	for _, e := range c.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	return env
}

// TestGenerateLikeArgoCD runs the shipped plugin.yaml's discover and generate commands the
// way argocd-cmp-server does, with the shipped sidecar's environment, for
// application.yaml's Application: its path holds the overlay the `overlay` parameter picks,
// a copy of examples/docker-config whose files are not named after PullAccess.
func TestGenerateLikeArgoCD(t *testing.T) {
	p := readPlugin(t)
	var app application
	unmarshalStrict(t, "application.yaml", &app)
	src := app.Spec.Source
	repo := t.TempDir()
	var overlay string
	for _, prm := range src.Plugin.Parameters {
		if prm.Name == "overlay" {
			overlay = *prm.String
		}
	}
	if err := os.CopyFS(filepath.Join(repo, src.Path, overlay), os.DirFS("../../examples/docker-config")); err != nil {
		t.Fatal(err)
	}
	// Named as no glob would guess.
	if err := os.Rename(filepath.Join(repo, src.Path, overlay, "pullaccess.yaml"), filepath.Join(repo, src.Path, overlay, "registry.yaml")); err != nil {
		t.Fatal(err)
	}
	kust := filepath.Join(repo, src.Path, overlay, "kustomization.yaml")
	b, _ := os.ReadFile(kust)
	if err := os.WriteFile(kust, bytes.ReplaceAll(b, []byte("pullaccess.yaml"), []byte("registry.yaml")), 0o644); err != nil {
		t.Fatal(err)
	}
	req := newCMPRequest(t, repo, app.Metadata, app.Spec)
	sidecar, _ := findContainer(kitRepoServer(t).Spec.Template.Spec.Containers, "pullgen")
	// The DEMO key stands for the one mounted from the Secret.
	env := replaceEnv(sidecarEnv(t, sidecar, nil), "SOPS_AGE_KEY_FILE", mustAbs(t, "../../examples/DEMO-age-key.txt"))

	if !req.discovers(t, p, env) {
		t.Fatalf("discovery %q does not match the Application", p.Spec.Discover.Find.Command)
	}
	out, stderr, err := req.run(t, p.Spec.Generate, env)
	if err != nil {
		t.Fatalf("%q: %v\nstderr: %s", p.Spec.Generate.Command, err, stderr)
	}
	expected, err := os.ReadFile("../../examples/docker-config/expected.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(manifests(t, []byte(out)), manifests(t, expected)) {
		t.Errorf("render of the overlay gave:\n%s\nwant examples/docker-config/expected.yaml:\n%s", out, expected)
	}

	// The same repository without its PullAccess is not the plugin's.
	if err := os.Remove(filepath.Join(req.appDir, overlay, "registry.yaml")); err != nil {
		t.Fatal(err)
	}
	if req.discovers(t, p, env) {
		t.Error("discovery matches an Application without a PullAccess")
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestEnvCredentialsExample runs README.md's worked example of credentials from the
// sidecar environment: its kustomization (with its plugin.yaml and sidecar patch) built
// over Argo CD's install.yaml, then the discover and generate commands of the plugin.yaml
// that build put in the ConfigMap, run as argocd-cmp-server runs them with the environment
// of the sidecar that build produced, for the README's Application over the README's
// repository files. The Secret carries the Application's user and the sidecar's token;
// with the kit's own plugin.yaml the token is refused.
func TestEnvCredentialsExample(t *testing.T) {
	const token = "worked-example-token-7f3a"
	// The operator's kustomization and its two files.
	var p cmpConfig
	unmarshalStrict(t, "cmp/plugin.yaml", &p)
	var gen struct {
		Generate cmpCommand `json:"generate"`
	}
	if err := sigsyaml.UnmarshalStrict([]byte(readmeBlock(t, "env example: pullgen-env/plugin.yaml generate")), &gen); err != nil {
		t.Fatalf("README.md's generate command: %v", err)
	}
	if c := append(slices.Clone(gen.Generate.Command), gen.Generate.Args...); len(c) != 4 || !slices.Equal(c[:2], append(p.Spec.Generate.Command, p.Spec.Generate.Args...)) || c[2] != "--allow-env" {
		t.Errorf("README.md's generate command %q: want the kit's with --allow-env NAME", c)
	}
	plugin, err := os.ReadFile("cmp/plugin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The operator's copy of cmp/plugin.yaml: its generate command replaced by the README's.
	genLine := regexp.MustCompile(`(?m)^  generate:\n    command: .*\n`)
	if !genLine.Match(plugin) {
		t.Fatal("cmp/plugin.yaml: no generate command on one line to replace")
	}
	_, stanza, _ := strings.Cut(readmeBlock(t, "env example: pullgen-env/plugin.yaml generate"), "\n")
	_, res := buildKit(t, "env example: kustomization", installs[0].file, "cmp", "argocd", map[string]string{
		"pullgen-env/kustomization.yaml": readmeBlock(t, "env example file: pullgen-env/kustomization.yaml"),
		"pullgen-env/plugin.yaml":        string(genLine.ReplaceAll(plugin, []byte(stanza))),
	})
	// What the cluster gets: the ConfigMap's plugin.yaml and the sidecar.
	cm, ok := res["ConfigMap/argocd/pullgen-cmp-plugin"]
	if !ok {
		t.Fatalf("no ConfigMap argocd/pullgen-cmp-plugin in %v", keys(res))
	}
	var shipped cmpConfig
	if err := sigsyaml.UnmarshalStrict([]byte(cm.GetDataMap()["plugin.yaml"]), &shipped); err != nil {
		t.Fatalf("the ConfigMap's plugin.yaml: %v", err)
	}
	var d deployment
	decode(t, res["Deployment/argocd/argocd-repo-server"], &d)
	if names := containerNames(d); !slices.Equal(names, []string{"argocd-repo-server", "pullgen"}) {
		t.Errorf("containers %q, want the repo server then the sidecar", names)
	}
	sidecar, _ := findContainer(d.Spec.Template.Spec.Containers, "pullgen")
	checkAgeKey(t, d, sidecar)
	// The Secret the README creates, as the kubelet passes it to the sidecar.
	env := sidecarEnv(t, sidecar, map[string]string{"pullgen-sidecar-env": "ACME_REGISTRY_TOKEN=" + token})
	if !slices.Contains(env, "ACME_REGISTRY_TOKEN="+token) {
		t.Fatalf("the built sidecar does not take its variables from Secret pullgen-sidecar-env: %+v", sidecar.EnvFrom)
	}

	// The repository and the Application.
	repo := t.TempDir()
	for _, path := range []string{"apps/acme/base/pullaccess.yaml", "apps/acme/base/kustomization.yaml", "apps/acme/overlays/prod/kustomization.yaml"} {
		target := filepath.Join(repo, path)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, []byte(readmeBlock(t, "env example file: "+path)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var app application
	if err := sigsyaml.UnmarshalStrict([]byte(readmeBlock(t, "env example: application")), &app); err != nil {
		t.Fatalf("README.md's Application: %v", err)
	}
	if app.Spec.Source.Plugin.Name != shipped.pluginName() {
		t.Errorf("the Application names plugin %q, the ConfigMap's is %q", app.Spec.Source.Plugin.Name, shipped.pluginName())
	}
	req := newCMPRequest(t, repo, app.Metadata, app.Spec)
	// The age key file the sidecar mounts: an empty one does (nothing here is encrypted).
	keyFile, _ := sidecar.env("SOPS_AGE_KEY_FILE")
	env = replaceEnv(env, "SOPS_AGE_KEY_FILE", filepath.Join(t.TempDir(), filepath.Base(keyFile)))

	if !req.discovers(t, shipped, env) {
		t.Fatal("the README's Application is not discovered")
	}
	out, stderr, err := req.run(t, shipped.Spec.Generate, env)
	if err != nil {
		t.Fatalf("%q: %v\nstderr: %s", shipped.Spec.Generate.Command, err, stderr)
	}
	var secret struct {
		Metadata objectMeta        `json:"metadata"`
		Data     map[string]string `json:"data"`
	}
	objs, err := kio.FromBytes([]byte(out))
	if err != nil {
		t.Fatalf("stdout is not manifests: %v\n%s", err, out)
	}
	for _, o := range objs {
		if o.GetKind() == "Secret" {
			decode(t, o, &secret)
		}
	}
	if secret.Metadata.Namespace != "acme" || secret.Metadata.Name != "acme-registry" {
		t.Fatalf("no Secret acme/acme-registry in:\n%s", out)
	}
	cfg, _ := base64.StdEncoding.DecodeString(secret.Data[".dockerconfigjson"])
	var auths struct {
		Auths map[string]struct{ Username, Password, Auth string } `json:"auths"`
	}
	if err := json.Unmarshal(cfg, &auths); err != nil {
		t.Fatal(err)
	}
	a := auths.Auths["registry.acme.example"]
	if a.Username != "robot-ci" || a.Password != token || a.Auth != base64.StdEncoding.EncodeToString([]byte("robot-ci:"+token)) {
		t.Errorf("registry.acme.example: user %q, password from the sidecar %v", a.Username, a.Password == token)
	}

	// The kit's plugin.yaml, without --allow-env, refuses the sidecar's variable.
	out, stderr, err = req.run(t, p.Spec.Generate, env)
	if err == nil || out != "" || !strings.Contains(stderr, "env ACME_REGISTRY_TOKEN: render reads only ARGOCD_ENV_* variables") || !strings.Contains(stderr, "--allow-env") {
		t.Errorf("without --allow-env: err %v, stdout %q, stderr %q", err, out, stderr)
	}
	if strings.Contains(out+stderr, token) {
		t.Error("the token reached the output")
	}
}

func replaceEnv(env []string, name, value string) []string {
	out := slices.DeleteFunc(slices.Clone(env), func(e string) bool { return strings.HasPrefix(e, name+"=") })
	return append(out, name+"="+value)
}
