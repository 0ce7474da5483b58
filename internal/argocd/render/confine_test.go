package render

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/argocd/sandbox"
	"pullgen.dev/pullgen/internal/testsupport/tripwire"
)

// confineChildEnv makes the test binary a child that builds kustomizations with kustomize
// alone (no check of render's), confined as pullgen render confines itself or not.
const confineChildEnv = "PULLGEN_RENDER_CONFINE_CHILD"

// confineChild is what the child does: build each directory of Dirs under Root, after
// confining itself when Confine is set, and print each build's error as JSON.
type confineChild struct {
	Root    string
	Dirs    []string
	Confine bool
}

// TestKustomizeConfined: the confinement render runs under stops what kustomize itself
// would fetch over HTTP or clone with git, whatever field names it and whether or not
// render's field checks (prepare, findRemote) know the field. Kustomize builds each
// kustomization directly over the repository's file system (as buildMap does, without prepare) in
// a child process confined as pullgen render is, with the kernel layer and without it: no
// build succeeds, a loopback listener sees no connection and a git first on PATH never
// runs. The same child unconfined reaches the listener and runs git, so the test can fail.
func TestKustomizeConfined(t *testing.T) {
	if c := os.Getenv(confineChildEnv); c != "" {
		runConfineChild(c)
		return
	}
	srv := tripwire.NewServer(t, "")
	url := srv.URL() + "/latest/meta-data"
	root := t.TempDir()
	kustomizations := map[string]string{
		"resources":             "resources: [" + url + "]\n",
		"configMapGenerator":    "configMapGenerator:\n- name: x\n  files: [creds=" + url + "]\n",
		"secretGenerator":       "secretGenerator:\n- name: x\n  envs: [" + url + "]\n",
		"patches":               "resources: [cm.yaml]\npatches:\n- path: " + url + "\n",
		"patchesStrategicMerge": "resources: [cm.yaml]\npatchesStrategicMerge: [" + url + "]\n",
		"replacements":          "resources: [cm.yaml]\nreplacements:\n- path: " + url + "\n",
		"openapi":               "resources: [cm.yaml]\nopenapi: {path: " + url + "}\n",
		"scp-like-git":          "resources: [evil@127.0.0.1:org/repo]\n",
		"git-over-http":         "resources:\n- " + url + "/org/repo.git?ref=main\n",
		"github-component":      "components: [github.com/org/repo]\n",
	}
	var dirs []string
	for name, k := range kustomizations {
		write(t, filepath.Join(root, name, "kustomization.yaml"), k)
		write(t, filepath.Join(root, name, "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
		dirs = append(dirs, filepath.Join(root, name))
	}
	sort.Strings(dirs)
	git := tripwire.NewPrograms(t, "git")
	path := "PATH=" + git.SearchPath()

	run := func(t *testing.T, confine bool, env ...string) map[string]string {
		t.Helper()
		b, _ := json.Marshal(confineChild{Root: root, Dirs: dirs, Confine: confine})
		cmd := exec.Command(os.Args[0], "-test.run=^TestKustomizeConfined$")
		cmd.Env = append(os.Environ(), append(env, path, confineChildEnv+"="+string(b))...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, stderr.String())
		}
		errs := map[string]string{}
		if err := json.Unmarshal(out, &errs); err != nil {
			t.Fatalf("child output %q: %v", out, err)
		}
		return errs
	}

	t.Run("unconfined", func(t *testing.T) {
		run(t, false)
		if srv.Hits() == 0 {
			t.Error("kustomize reached no listener: the test cannot tell a confined build from another")
		}
		if len(git.Ran()) == 0 {
			t.Error("kustomize ran no git: the test cannot tell a confined build from another")
		}
	})
	freeHits := srv.Hits()
	git.Reset()
	for _, mode := range []struct {
		name string
		env  []string
	}{{"kernel", nil}, {"in-process", []string{sandbox.KernelEnv + "=off"}}} {
		t.Run(mode.name, func(t *testing.T) {
			errs := run(t, true, mode.env...)
			for _, d := range dirs {
				// Refused by the HTTP gate, or git not found on the cleared PATH.
				if e := errs[d]; !strings.Contains(e, "pullgen sandbox: connection to") && !strings.Contains(e, "no 'git' program on path") {
					t.Errorf("%s: %q, want the sandbox's refusal", filepath.Base(d), e)
				}
			}
			if n := srv.Hits() - freeHits; n != 0 {
				t.Errorf("the listener saw %d connections", n)
			}
			if len(git.Ran()) != 0 {
				t.Error("git ran")
			}
		})
	}
}

// runConfineChild is the child of TestKustomizeConfined: it prints, as JSON, each
// directory's build error ("" for a build that succeeded).
func runConfineChild(config string) {
	var c confineChild
	if err := json.Unmarshal([]byte(config), &c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if c.Confine {
		if _, err := sandbox.Confine(sandbox.Policy{ReadDirs: []string{c.Root}, Warn: os.Stderr}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
	}
	errs := map[string]string{}
	for _, d := range c.Dirs {
		fsys, err := newRepoFS(c.Root, nil, DefaultLimits())
		if err == nil {
			_, err = kustomizer().Run(fsys, d)
		}
		errs[d] = ""
		if err != nil {
			errs[d] = err.Error()
		}
	}
	json.NewEncoder(os.Stdout).Encode(errs)
	os.Exit(0)
}
