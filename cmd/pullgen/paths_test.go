package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The path rules of every command that reads a repository: diff, generate and check read
// nothing outside the work tree of their path arguments (here a git work tree), render and
// discover nothing outside the repository root Argo CD sent, whatever spec.output.dir, a
// link, a directory argument or a parameter says. Each way out runs twice: once aimed at a
// directory outside the tree (refused: an error naming the file and the field, nothing of
// the outside in any output, nothing written there) and once, as the control, at a copy of
// that directory inside the tree, where the same command reads (and prints, or writes)
// what it was pointed at.

// pathMarker is in every file of the directory a case aims at.
const pathMarker = "PATH-MARKER-KUBE-TOKEN-5d1e"

// pathTarget is what the aimed-at directory holds, outside the tree and, for the control,
// inside it.
var pathTarget = map[string]string{
	"kubeconfig.yaml":    "apiVersion: v1\nkind: Config\nmetadata: {name: kc}\nusers:\n- name: admin\n  user: {token: " + pathMarker + "}\n",
	"cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {token: " + pathMarker + "}\n",
	"kustomization.yaml": "resources: [cm.yaml]\n",
	"pa.yaml":            strings.Replace(pathSpec("out", "username: robot"), "  output: {dir: out, encrypt: false}\n", "", 1),
}

// pathSpec is app/pa.yaml: a PullAccess writing into dir, with user given as in user.
func pathSpec(dir, user string) string {
	return "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: acme}\nspec:\n  namespaces: [team-a]\n  registries:\n" +
		"  - {server: quay.io/acme, " + user + ", passwordFrom: {env: TOKEN}}\n  output: {dir: " + dir + ", encrypt: false}\n"
}

// pathCase is one way out. setup writes the repository's side of it, aimed at target (an
// absolute directory; rel is target relative to app/), and returns the command's
// arguments and extra environment. The command runs in repo for diff, generate and check,
// in repo/app (as Argo CD runs the plugin, ARGOCD_APP_SOURCE_PATH=app) for render and
// discover.
type pathCase struct {
	name  string
	setup func(t *testing.T, repo, target, rel string) (args, env []string)
	// refused is the exit code of the refusal (2, or 0 with nothing on stdout for discover,
	// which finds nothing: argocd-cmp-server's "no match"); says what its error says.
	refused int
	says    string
	// code is the control's exit code; printed tells that its stdout shows the marker, and
	// written the file generate writes into the target's out/.
	code    int
	printed bool
	written bool
}

func (c pathCase) plugin() bool {
	return strings.HasPrefix(c.name, "render/") || strings.HasPrefix(c.name, "discover/")
}

var pathCases = []pathCase{
	{name: "diff/output.dir dotdot", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		writeFile(t, filepath.Join(repo, "app", "pa.yaml"), pathSpec(rel, "username: robot"))
		return []string{"diff"}, nil
	}, refused: 2, says: "app/pa.yaml: PullAccess acme: spec.output.dir: \"../../outside\"", code: 1, printed: true},
	{name: "diff/a credential file, absolute", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		writeFile(t, filepath.Join(repo, "app", "pa.yaml"), pathSpec("gen", "usernameFrom: {file: "+strconv.Quote(target+"/kubeconfig.yaml")+", key: users.0.user.token}"))
		return []string{"diff"}, nil
	}, refused: 2, says: "PullAccess acme: spec.registries[0].usernameFrom", code: 1, printed: true},
	{name: "diff/output.dir a link", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		writeFile(t, filepath.Join(repo, "app", "pa.yaml"), pathSpec("gen", "username: robot"))
		symlink(t, target, filepath.Join(repo, "app", "gen"))
		return []string{"diff", "app"}, nil
	}, refused: 2, says: "spec.output.dir: \"gen\": app/gen is a link to ", code: 1, printed: true},
	{name: "diff/a link inside output.dir", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		writeFile(t, filepath.Join(repo, "app", "pa.yaml"), pathSpec("gen", "username: robot"))
		symlink(t, filepath.Join(target, "kubeconfig.yaml"), filepath.Join(repo, "app", "gen", "kubeconfig.yaml"))
		return []string{"diff"}, nil
	}, refused: 2, says: "app/pa.yaml: PullAccess acme: spec.output.dir: reading app/gen/kubeconfig.yaml: app/gen/kubeconfig.yaml is a link to ", code: 1, printed: true},
	{name: "diff/a credential file, dotdot", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		writeFile(t, filepath.Join(repo, "app", "pa.yaml"), pathSpec("gen", "usernameFrom: {file: "+rel+"/kubeconfig.yaml, key: users.0.user.token}"))
		return []string{"diff"}, nil
	}, refused: 2, says: "PullAccess acme: spec.registries[0].usernameFrom", code: 1, printed: true},

	{name: "generate/output.dir dotdot", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		writeFile(t, filepath.Join(repo, "app", "pa.yaml"), pathSpec(rel+"/out", "username: robot"))
		return []string{"generate", "app/pa.yaml"}, nil
	}, refused: 2, says: "app/pa.yaml: PullAccess acme: spec.output.dir: \"../../outside/out\"", written: true},
	{name: "generate/output.dir a link", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		writeFile(t, filepath.Join(repo, "app", "pa.yaml"), pathSpec("gen", "username: robot"))
		symlink(t, filepath.Join(target, "out"), filepath.Join(repo, "app", "gen"))
		return []string{"generate", "app/pa.yaml"}, nil
	}, refused: 2, says: "spec.output.dir: \"gen\": app/gen is a link to ", written: true},
	{name: "generate/-o a link", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		writeFile(t, filepath.Join(repo, "app", "pa.yaml"), pathSpec("unused", "username: robot"))
		symlink(t, filepath.Join(target, "out"), filepath.Join(repo, "app", "gen"))
		return []string{"generate", "app/pa.yaml", "-o", "app/gen"}, nil
	}, refused: 2, says: "-o app/gen: app/gen is a link to ", written: true},

	{name: "check/a link in a directory", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		symlink(t, filepath.Join(target, "cm.yaml"), filepath.Join(repo, "m", "cm.yaml"))
		return []string{"check", "m"}, nil
	}, refused: 2, says: "m/cm.yaml is a link to "},
	{name: "check/resources dotdot", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		writeFile(t, filepath.Join(repo, "m", "kustomization.yaml"), "resources: ["+rel+"]\n")
		return []string{"check", "m"}, nil
	}, refused: 2, says: "outside the repository root"},
	{name: "check/a linked base", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		writeFile(t, filepath.Join(repo, "m", "kustomization.yaml"), "resources: [base]\n")
		symlink(t, target, filepath.Join(repo, "m", "base"))
		return []string{"check", "m"}, nil
	}, refused: 2, says: "base is a link to "},

	{name: "discover/DIR dotdot", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		return []string{"discover", rel}, nil
	}, refused: 2, says: "the application's directory: ", code: 0},
	{name: "discover/DIR a link", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		symlink(t, target, filepath.Join(repo, "app", "linked"))
		return []string{"discover", "linked"}, nil
	}, refused: 2, says: "app/linked is a link to ", code: 0},
	{name: "discover/a link inside", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		symlink(t, filepath.Join(target, "pa.yaml"), filepath.Join(repo, "app", "pa.yaml"))
		return []string{"discover"}, nil
	}, refused: 0, says: "no PullAccess", code: 0},

	{name: "render/overlay parameter a link", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		symlink(t, target, filepath.Join(repo, "app", "linked"))
		return []string{"render"}, []string{"PARAM_OVERLAY=linked"}
	}, refused: 2, says: "the application's directory: app/linked is a link to ", code: 0, printed: true},
	{name: "render/DIR dotdot", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		return []string{"render", rel}, nil
	}, refused: 2, says: "outside the repository root", code: 0, printed: true},
	{name: "render/DIR absolute", setup: func(t *testing.T, repo, target, rel string) ([]string, []string) {
		return []string{"render", target}, nil
	}, refused: 2, says: "outside the repository root", code: 0, printed: true},
}

func symlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// TestPathsStayInTheWorkTree runs every way out, refused and as its control.
func TestPathsStayInTheWorkTree(t *testing.T) {
	git := tool(t, "git")
	for _, c := range pathCases {
		for _, control := range []bool{false, true} {
			name := c.name + "/refused"
			if control {
				name = c.name + "/control"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				top := t.TempDir()
				repo := filepath.Join(top, "repo")
				target := filepath.Join(top, "outside")
				if control {
					target = filepath.Join(repo, "inside")
				}
				for name, content := range pathTarget {
					writeFile(t, filepath.Join(target, name), content)
				}
				os.MkdirAll(filepath.Join(repo, "app"), 0o755)
				mustRun(t, repo, nil, git, "init", "-q")
				rel, _ := filepath.Rel(filepath.Join(repo, "app"), target)
				args, env := c.setup(t, repo, target, rel)
				dir := repo
				env = append(env, "TOKEN=token", "ARGOCD_ENV_TOKEN=token")
				if c.plugin() {
					dir = filepath.Join(repo, "app")
					env = append(env, "ARGOCD_APP_SOURCE_PATH=app", "PULLGEN_KERNEL_SANDBOX=off")
				}
				r := run(t, dir, env, "", pullgen(), args...)
				_, err := os.Stat(filepath.Join(target, "out", "secret-team-a-acme.yaml"))
				written := err == nil
				if control {
					if r.code != c.code || c.printed != strings.Contains(r.stdout, pathMarker) || c.written != written {
						t.Errorf("control: exit %d (want %d), marker printed %v (want %v), written %v (want %v)\nstdout: %.800s\nstderr: %.800s",
							r.code, c.code, strings.Contains(r.stdout, pathMarker), c.printed, written, c.written, r.stdout, r.stderr)
					}
					return
				}
				if r.code != c.refused || !strings.Contains(r.stderr, c.says) || c.refused == 0 && r.stdout != "" {
					t.Errorf("exit %d (want %d), stderr does not say %q:\n%.800s", r.code, c.refused, c.says, r.stderr)
				}
				if c.refused == 2 && c.says != "" && !strings.Contains(r.stderr, "outside the") {
					t.Errorf("stderr does not say the path is outside: %.800s", r.stderr)
				}
				if strings.Contains(r.stdout+r.stderr, pathMarker) {
					t.Errorf("the outside reached the output:\n%.800s\n%.800s", r.stdout, r.stderr)
				}
				if written {
					t.Error("generate wrote outside the work tree")
				}
			})
		}
	}
}
