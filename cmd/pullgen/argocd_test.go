package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/argocdtest"
)

// TestDiscoverEveryExample runs pullgen discover in every example, each under its own app
// path in the repository as Argo CD sends it (argocdtest.Send): an example that holds a
// PullAccess (whatever its file names) is discovered, exit 0 and the file on stdout; one
// that holds none is not, exit 1 and nothing on stdout. Every discovered example with a
// kustomization then renders as its expected.yaml says.
func TestDiscoverEveryExample(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(repoRoot, "examples", "*", "README.md"))
	// The repository Argo CD checks out: the examples, without the build's bin/.
	repo := t.TempDir()
	if err := os.CopyFS(filepath.Join(repo, "examples"), os.DirFS(filepath.Join(repoRoot, "examples"))); err != nil {
		t.Fatal(err)
	}
	discovered := 0
	for _, readme := range dirs {
		dir := filepath.Dir(readme)
		app := argocdtest.NewApp(filepath.Join("examples", filepath.Base(dir)))
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cwd := argocdtest.Send(t, repo, app, argocdtest.MatchRepository)
			r := run(t, cwd, app.Environ(), "", pullgen(), "discover")
			if !holdsPullAccess(t, dir) {
				if r.code != 1 || r.stdout != "" {
					t.Errorf("discovered an example without a PullAccess: exit %d, stdout %q", r.code, r.stdout)
				}
				return
			}
			discovered++
			if r.code != 0 || r.stdout == "" {
				t.Fatalf("not discovered: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			b, err := os.ReadFile(filepath.Join(cwd, strings.TrimSpace(r.stdout)))
			if err != nil || !strings.Contains(string(b), "kind: PullAccess") {
				t.Errorf("discover names %q, which holds no PullAccess (%v)", r.stdout, err)
			}
			want, err := os.ReadFile(filepath.Join(dir, "expected.yaml"))
			if err != nil {
				return // a check example: nothing to render
			}
			args := []string{"render"}
			for _, e := range readmeEnv(t, dir) {
				name, _, _ := strings.Cut(e, "=")
				args = append(args, "--allow-env", name)
			}
			cwd = argocdtest.Send(t, repo, app, argocdtest.GenerateManifest)
			got := mustRun(t, cwd, append(app.Environ(), exampleEnv(t, dir)...), pullgen(), args...)
			if g, w := semantic(t, parseObjects(t, got)), semantic(t, parseObjects(t, string(want))); !reflect.DeepEqual(g, w) {
				t.Errorf("render under the app path:\n%s\nwant (expected.yaml):\n%s", got, want)
			}
		})
	}
	if discovered < 8 {
		t.Errorf("%d examples discovered, want every example with a PullAccess", discovered)
	}
}

// TestRenderManifestGeneratePaths renders an overlay over ../../base when the repo server
// sends the generate command only the paths of the manifest-generate-paths annotation: the
// root render gets is then the app's parent, not the repository, and the base is still
// inside it. What Argo CD did not send stays out of reach, even when it is on the disk
// next to the copy. Discovery is sent the whole repository all the same.
func TestRenderManifestGeneratePaths(t *testing.T) {
	repo := t.TempDir()
	spec := strings.Replace(strings.Replace(pullAccess, "%s\n", "", 1), "{file: token.txt}", "{env: ARGOCD_ENV_REGISTRY_TOKEN}", 1)
	files := map[string]string{
		"apps/acme/base/pullaccess.yaml":             spec,
		"apps/acme/base/kustomization.yaml":          "generators: [pullaccess.yaml]\n",
		"apps/acme/overlays/prod/kustomization.yaml": "resources: [../../base]\nnamePrefix: prod-\n",
		"apps/acme/overlays/leak/kustomization.yaml": "resources: [../../base, ../../../../stolen]\n",
		"apps/other/secret.yaml":                     "apiVersion: v1\nkind: Secret\nmetadata: {name: other-tenant}\nstringData: {token: outside-secret-value}\n",
	}
	for name, content := range files {
		writeFile(t, filepath.Join(repo, name), content)
	}
	app := func(path, annotation string) argocdtest.App {
		a := argocdtest.NewApp(path)
		a.ManifestGeneratePaths = annotation
		a.PluginEnv = []argocdtest.EnvEntry{{Name: "REGISTRY_TOKEN", Value: testToken}}
		return a
	}
	discover := func(t *testing.T, a argocdtest.App) result {
		return run(t, argocdtest.Send(t, repo, a, argocdtest.MatchRepository), a.Environ(), "", pullgen(), "discover")
	}

	t.Run("overlay and base sent", func(t *testing.T) {
		a := app("apps/acme/overlays/prod", ".;../../base")
		if r := discover(t, a); r.code != 0 || strings.TrimSpace(r.stdout) != filepath.Join("..", "..", "base", "pullaccess.yaml") {
			t.Errorf("discover: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		cwd := argocdtest.Send(t, repo, a, argocdtest.GenerateManifest)
		if _, err := os.Stat(filepath.Join(cwd, "..", "..", "base", "pullaccess.yaml")); err != nil {
			t.Fatalf("the layout lacks the base: %v", err)
		}
		got := ids(parseObjects(t, mustRun(t, cwd, a.Environ(), pullgen(), "render")))
		for _, want := range []string{"Secret team-a/prod-acme", "Secret team-b/prod-acme"} {
			if !contains(got, want) {
				t.Errorf("render lacks %s: %v", want, got)
			}
		}
	})

	t.Run("overlay alone sent", func(t *testing.T) {
		a := app("apps/acme/overlays/prod", ".")
		// Discovery sees the whole repository, base included: the plugin claims the
		// Application, and render, sent the overlay alone, says what is missing.
		if r := discover(t, a); r.code != 0 || r.stdout == "" {
			t.Errorf("discover: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		// The base is not there: render refuses to look for it above the root.
		r := run(t, argocdtest.Send(t, repo, a, argocdtest.GenerateManifest), a.Environ(), "", pullgen(), "render")
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "outside the repository root") {
			t.Errorf("render without the base: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("a path outside what was sent", func(t *testing.T) {
		a := app("apps/acme/overlays/leak", ".;../../base")
		cwd := argocdtest.Send(t, repo, a, argocdtest.GenerateManifest)
		// Next to the work directory, on the sidecar's disk: another request's files.
		stolen := filepath.Join(cwd, "..", "..", "..", "..", "stolen")
		writeFile(t, filepath.Join(stolen, "kustomization.yaml"), "resources: [secret.yaml]\n")
		writeFile(t, filepath.Join(stolen, "secret.yaml"), files["apps/other/secret.yaml"])
		r := run(t, cwd, a.Environ(), "", pullgen(), "render")
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "outside the repository root") {
			t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, "outside-secret-value") {
			t.Error("a file outside what Argo CD sent reached the output")
		}
	})
}
