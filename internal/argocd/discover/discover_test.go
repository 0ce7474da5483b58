package discover

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

const pullAccess = "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata:\n  name: acme\nspec:\n  namespaces: [a]\n"

const deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"

// aliasBomb is a document whose aliases would expand to about 10^9 nodes: discovery must
// not expand them.
var aliasBomb = func() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	return b.String()
}()

func TestFind(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "pa.yaml"), []byte(pullAccess), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(outside, "base"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"base/kustomization.yaml": "generators: [pa.yaml]\n", "base/pa.yaml": pullAccess} {
		if err := os.WriteFile(filepath.Join(outside, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name  string
		files map[string]string
		links map[string]string // name -> target; OUTSIDE is the directory outside the root
		fifos []string
		root  string // the root Argo CD sent, under the repository; "" for all of it
		dir   string // the application directory under the repository
		opts  Options
		want  string // the file found, relative to the root; "" for none
		limit bool   // discovery stops at a bound
	}{
		{name: "any file name", files: map[string]string{"app/access-for-team.yml": pullAccess, "app/kustomization.yaml": "resources: [deploy.yaml]\n", "app/deploy.yaml": deployment}, want: "app/access-for-team.yml"},
		{name: "no extension", files: map[string]string{"app/README": "see pa\n", "app/pull-secrets": pullAccess}, want: "app/pull-secrets"},
		{name: "nested directory", files: map[string]string{"app/clusters/east/kustomization.yaml": "resources: [x.yaml]\n", "app/clusters/east/x.yaml": deployment, "app/clusters/west/spec.yaml": pullAccess}, want: "app/clusters/west/spec.yaml"},
		{name: "second document", files: map[string]string{"app/all.yaml": deployment + "---\n" + pullAccess}, want: "app/all.yaml"},
		{name: "json", files: map[string]string{"app/pa.json": `{"apiVersion":"pullgen.dev/v1alpha1","kind":"PullAccess","metadata":{"name":"a"}}`}, want: "app/pa.json"},
		{name: "after a document that is a list", files: map[string]string{"app/all.yaml": "- a\n- b\n---\n" + pullAccess}, want: "app/all.yaml"},
		{name: "overlay over a base", dir: "apps/acme/overlays/prod", files: map[string]string{
			"apps/acme/overlays/prod/kustomization.yaml": "resources: [../../base]\nnamePrefix: prod-\n",
			"apps/acme/base/kustomization.yaml":          "resources: [deploy.yaml]\ngenerators: [access.yaml]\n",
			"apps/acme/base/deploy.yaml":                 deployment,
			"apps/acme/base/access.yaml":                 pullAccess,
		}, want: "apps/acme/base/access.yaml"},
		{name: "component and transformer file", dir: "apps/acme/prod", files: map[string]string{
			"apps/acme/prod/kustomization.yaml":      "components: [../../../shared/pull]\n",
			"shared/pull/kustomization.yaml":         "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ntransformers: [../links/link.txt]\n",
			"shared/links/link.txt":                  pullAccess,
			"shared/links/unrelated-pullaccess.yaml": deployment,
		}, want: "shared/links/link.txt"},
		{name: "kustomization below the app path", dir: "apps/acme/overlays", files: map[string]string{
			"apps/acme/overlays/prod/kustomization.yaml": "resources: [../../base]\n",
			"apps/acme/base/kustomization.yaml":          "generators: [pa.yaml]\n",
			"apps/acme/base/pa.yaml":                     pullAccess,
		}, want: "apps/acme/base/pa.yaml"},
		{name: "link inside the root", files: map[string]string{"shared/pa.yaml": pullAccess, "app/kustomization.yaml": "resources: []\n"}, links: map[string]string{"app/pa.yaml": "../shared/pa.yaml"}, want: "shared/pa.yaml"},

		{name: "none", files: map[string]string{"app/kustomization.yaml": "resources: [deploy.yaml]\n", "app/deploy.yaml": deployment}},
		{name: "kind in a comment or a value", files: map[string]string{
			"app/a.yaml": "# apiVersion: pullgen.dev/v1alpha1\n# kind: PullAccess\n" + deployment,
			"app/b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  spec: |\n    apiVersion: pullgen.dev/v1alpha1\n    kind: PullAccess\n",
			"app/c.yaml": "apiVersion: example.com/v1\nkind: PullAccess\nmetadata: {name: x}\n# pullgen.dev/v1alpha1\n",
			"app/d.yaml": "items:\n  - apiVersion: pullgen.dev/v1alpha1\n    kind: PullAccess\n",
		}},
		{name: "pullgen output only", files: map[string]string{"app/generated/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: acme\n  annotations: {pullgen.dev/pull-access: acme}\n  labels: {app.kubernetes.io/managed-by: pullgen}\n"}},
		{name: "link out of the root", files: map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n"}, links: map[string]string{"app/pa.yaml": "OUTSIDE/pa.yaml"}},
		{name: "directory link out of the root", files: map[string]string{"app/kustomization.yaml": "resources: [base]\n"}, links: map[string]string{"app/base": "OUTSIDE/base"}},
		{name: "base outside the root", files: map[string]string{"app/kustomization.yaml": "resources: [OUTSIDE/base]\n"}},
		{name: "narrower root than the base", root: "overlays", dir: "overlays/prod", files: map[string]string{
			"overlays/prod/kustomization.yaml": "resources: [../../base]\n",
			"base/kustomization.yaml":          "generators: [pa.yaml]\n",
			"base/pa.yaml":                     pullAccess,
		}},
		{name: "remote base", files: map[string]string{"app/kustomization.yaml": "resources:\n- https://github.com/example/repo//base?ref=v1\n- github.com/example/repo/base?ref=v1\n- git@github.com:example/repo.git//base\n"}},
		{name: "fifo", files: map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n"}, fifos: []string{"app/pa.yaml", "app/z.yaml"}},
		{name: "file over the size bound", files: map[string]string{"app/pa.yaml": pullAccess + "# " + strings.Repeat("x", 300) + "\n"}, opts: Options{MaxFileSize: 200}},
		{name: "git directory", files: map[string]string{"app/.git/pa.yaml": pullAccess}},
		{name: "alias bomb", files: map[string]string{"app/bomb.yaml": aliasBomb + "# pullgen.dev/v1alpha1 PullAccess\n"}},
		{name: "entries bound", files: map[string]string{"app/a.yaml": deployment, "app/b.yaml": deployment, "app/c.yaml": deployment, "app/z.yaml": pullAccess}, opts: Options{MaxEntries: 3}, limit: true},
		{name: "bytes bound", files: map[string]string{"app/a.yaml": deployment, "app/b.yaml": deployment, "app/z.yaml": pullAccess}, opts: Options{MaxTotalSize: int64(2 * len(deployment))}, limit: true},
		{name: "depth bound", files: map[string]string{"app/a/b/c/d/pa.yaml": pullAccess}, opts: Options{MaxDepth: 2}, limit: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			rel, _ := filepath.Rel(filepath.Join(root, "app"), outside)
			for name, content := range c.files {
				write(t, filepath.Join(root, name), strings.ReplaceAll(content, "OUTSIDE", rel))
			}
			for name, target := range c.links {
				p := filepath.Join(root, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(strings.ReplaceAll(target, "OUTSIDE", outside), p); err != nil {
					t.Fatal(err)
				}
			}
			for _, name := range c.fifos {
				if err := syscall.Mkfifo(filepath.Join(root, name), 0o644); err != nil {
					t.Skipf("no FIFO here: %v", err)
				}
			}
			o := c.opts
			o.Root = filepath.Join(root, c.root)
			dir := c.dir
			if dir == "" {
				dir = "app"
			}
			o.Dir = filepath.Join(root, dir)
			got, err := findWithin(t, o)
			if c.limit {
				if !errors.Is(err, ErrLimit) || got != "" {
					t.Fatalf("got %q, %v; want the bound reached", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if c.want != "" {
				want, _ = filepath.EvalSymlinks(filepath.Join(root, c.want))
			}
			if got != want {
				t.Errorf("found %q, want %q", got, want)
			}
		})
	}
}

// findWithin runs Find, failing the test if it takes more than a few seconds (a FIFO
// opened for reading would block, an alias expanded would not end).
func findWithin(t *testing.T, o Options) (string, error) {
	t.Helper()
	type result struct {
		found string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		found, err := Find(o)
		done <- result{found, err}
	}()
	select {
	case r := <-done:
		return r.found, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("discovery did not finish in 10s")
		return "", nil
	}
}

func TestFindRefusesADirectoryOutsideTheRoot(t *testing.T) {
	root, other := t.TempDir(), t.TempDir()
	write(t, filepath.Join(other, "pa.yaml"), pullAccess)
	if got, err := Find(Options{Root: root, Dir: other}); err == nil || got != "" {
		t.Errorf("got %q, %v; want an error", got, err)
	}
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFindReadsDirectoriesWithinTheBound: a directory of more entries than the bound is
// read no further than the bound: discovery stops at it without holding the whole listing
// (millions of entries in a hostile repository would otherwise cost gigabytes).
func TestFindReadsDirectoriesWithinTheBound(t *testing.T) {
	root := t.TempDir()
	many := filepath.Join(root, "app", "many")
	write(t, filepath.Join(many, "0"), "")
	for i := 1; i < 20_000; i++ {
		f, err := os.Create(filepath.Join(many, fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := Find(Options{Root: root, Dir: filepath.Join(root, "app"), MaxEntries: 100})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrLimit) || got != "" {
		t.Fatalf("got %q, %v; want the bound reached", got, err)
	}
	// A listing of the 20,000 entries alone is more than 1 MiB.
	if n := after.TotalAlloc - before.TotalAlloc; n > 256<<10 {
		t.Errorf("discovery allocated %d KiB for a bound of 100 entries", n>>10)
	}
}
