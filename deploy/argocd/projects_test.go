package argocd

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/testsupport/argocdtest"
)

// TestKeysPerProject installs the kit with the keys-per-project Component over Argo CD's
// install.yaml, starts the sidecar it describes (the per-project key Secret mounted, the
// single key's Secret absent) and sends it Applications of two AppProjects through the
// repo server's own code: each project's Application renders its own directory; project
// A's cannot decrypt project B's ciphertext, in B's directory or copied into its own; a
// project without a key is an error. The control is the single-key kit holding both
// identities, where project A's Application renders B's directory: what one shared key
// still allows.
func TestKeysPerProject(t *testing.T) {
	sops, keygen := findTool(t, "sops"), lookTool(t, "age-keygen")
	keys, rcpts := map[string]string{}, map[string]string{}
	for _, p := range []string{"team-a", "team-b"} {
		file := filepath.Join(t.TempDir(), p)
		run(t, "", nil, keygen, "-o", file)
		keys[p] = readFile(t, file)
		rcpts[p] = strings.TrimSpace(string(output(t, "", nil, keygen, "-y", file)))
	}
	repo := t.TempDir()
	for p, rcpt := range rcpts {
		dir := filepath.Join(repo, p)
		writeFiles(t, dir, map[string]string{
			"token.enc.env":      "TOKEN=" + p + "-token\n",
			"pullaccess.yaml":    projectSpec(p),
			"kustomization.yaml": "generators: [pullaccess.yaml]\n",
		})
		keyFile := filepath.Join(t.TempDir(), "key")
		writeFiles(t, filepath.Dir(keyFile), map[string]string{"key": keys[p]})
		env := []string{"SOPS_AGE_KEY_FILE=" + keyFile}
		run(t, dir, env, sops, "-e", "-i", "--age", rcpt, "token.enc.env")
		run(t, dir, env, pullgenBin(t), "scope", "--namespace", p, "token.enc.env")
	}
	writeFiles(t, filepath.Join(repo, "team-a", "copied"), map[string]string{
		"token.enc.env":      readFile(t, filepath.Join(repo, "team-b", "token.enc.env")),
		"pullaccess.yaml":    projectSpec("team-b"),
		"kustomization.yaml": "generators: [pullaccess.yaml]\n",
	})
	git := argocdtest.GitRepo(t, repo)
	plugin := readFile(t, "cmp/plugin.yaml")
	name := argocdtest.PluginName(t, plugin)
	request := func(project, path string) argocdtest.Request {
		return argocdtest.Request{Repo: git, Path: path, Plugin: name, Project: project, Namespace: project,
			Env: []argocdtest.EnvEntry{{Name: "USER", Value: "robot"}}}
	}

	rs := argocdtest.NewRepoServer(t)
	perProject := kitWith(t, "keys-per-project")
	srv := rs.StartSidecar(t, kitSidecar(t, perProject, plugin, map[string]map[string]string{"pullgen-age-keys-per-project": keys}))
	for _, c := range []struct{ name, project, path, says string }{
		{"project A, its own directory", "team-a", "team-a", ""},
		{"project B, its own directory", "team-b", "team-b", ""},
		{"project A on B's directory", "team-a", "team-b", "token.enc.env"},
		{"project A on B's ciphertext copied", "team-a", "team-a/copied", "token.enc.env"},
		{"a project without a key", "team-c", "team-a", "no key for project team-c"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := rs.Generate(t, request(c.project, c.path))
			if c.says == "" {
				if res.Err != nil || !strings.Contains(decodedData(t, res), c.project+"-token") {
					t.Errorf("want %s's credential rendered:\n%s", c.project, res)
				}
				return
			}
			if res.Err == nil || !strings.Contains(res.Err.Error(), c.says) || strings.Contains(decodedData(t, res), "-token") {
				t.Errorf("want an error saying %q and no credential:\n%s", c.says, res)
			}
		})
	}
	srv.Stop(t)

	// The control: the single-key kit, both identities in its key Secret.
	srv = rs.StartSidecar(t, kitSidecar(t, kitRepoServer(t), plugin, map[string]map[string]string{
		"pullgen-age-key": {"keys.txt": keys["team-a"] + keys["team-b"]}}))
	defer srv.Stop(t)
	if res := rs.Generate(t, request("team-a", "team-b")); res.Err != nil || !strings.Contains(decodedData(t, res), "team-b-token") {
		t.Errorf("control (one key): project A's Application should render B's directory:\n%s", res)
	}
}

// projectSpec is a PullAccess for namespace ns whose password is in token.enc.env.
func projectSpec(ns string) string {
	return "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata:\n  name: pull\nspec:\n  namespaces: [" + ns + "]\n" +
		"  registries:\n  - server: registry.example\n    usernameFrom: {env: ARGOCD_ENV_USER}\n    passwordFrom: {file: token.enc.env, key: TOKEN}\n"
}

// kitWith is the repo server Deployment of the kit's cmp Component and another of its
// Components, built by kustomize over Argo CD's install.yaml.
func kitWith(t *testing.T, component string) deployment {
	t.Helper()
	dir := t.TempDir()
	rel := func(c string) string {
		abs, _ := filepath.Abs(c)
		r, err := filepath.Rel(dir, abs)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	writeFiles(t, dir, map[string]string{
		"upstream.yaml":      readFile(t, filepath.Join(argocdtest.Module(t), installs[0].file)),
		"kustomization.yaml": "resources: [upstream.yaml]\ncomponents: [" + rel("cmp") + ", " + rel(component) + "]\n",
	})
	var d deployment
	decode(t, build(t, dir)["Deployment//argocd-repo-server"], &d)
	return d
}

// decodedData is what a generate result's Secrets hold, decoded.
func decodedData(t *testing.T, res argocdtest.Result) string {
	t.Helper()
	if res.Err != nil {
		return res.Out
	}
	var b strings.Builder
	for _, o := range res.Objects(t) {
		data, _ := o["data"].(map[string]any)
		for _, v := range data {
			s, _ := v.(string)
			plain, _ := base64.StdEncoding.DecodeString(s) // a docker config, its password in clear
			b.Write(plain)
		}
	}
	return b.String()
}

// lookTool finds a program of the machine (age-keygen), skipping where it is missing.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not on this machine", name)
	}
	return p
}

// run runs a program in dir with env added to the test's, failing the test on an error.
func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	output(t, dir, env, name, args...)
}

func output(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}
