package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestFunctionRefusesMalformedResourceList feeds the KRM function inputs that are not
// ResourceLists, or that no build produces: each is answered as the KRM functions
// specification asks, with a ResourceList carrying an error result, the error on stderr
// and exit 1, within bounds.
func TestFunctionRefusesMalformedResourceList(t *testing.T) {
	var ns []string
	for i := 0; i <= 10_000; i++ {
		ns = append(ns, fmt.Sprintf("n%d", i))
	}
	for _, c := range []struct{ name, stdin, says string }{
		{"items-mapping", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {a: b}\n", "ResourceList.items: not a list of objects"},
		{"items-scalars", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [a, b]\n", "ResourceList.items[0]: not an object"},
		{"items-scalar", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: a\n", "ResourceList.items: not a list of objects"},
		{"item-without-kind", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [{apiVersion: v1}]\n", "ResourceList.items[0].kind: missing"},
		{"config-scalar", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig: x\n", "ResourceList.functionConfig: not an object"},
		{"not-a-resourcelist", "apiVersion: v1\nkind: ConfigMap\n", "not a ResourceList"},
		{"a-list", "- a\n- b\n", "not a ResourceList"},
		{"two-documents", "kind: ResourceList\n---\nkind: ResourceList\n", "more than one YAML document"},
		{"not-yaml", "kind: ResourceList\nitems: [\n", "not YAML"},
		{"alias-bomb", strings.Replace(billionLaughs(), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\n", "kind: ResourceList\n", 1), "aliases expand to more than"},
		{"many-namespaces", "kind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: pullgen.dev/v1alpha1\n  kind: PullAccess\n  metadata: {name: x}\n  spec:\n    namespaces: [" + strings.Join(ns, ", ") + "]\n", "more than the 10000 a PullAccess may have"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runBoundedStdin(t, t.TempDir(), nil, c.stdin, pullgen())
			if r.code != 1 {
				t.Errorf("exit %d, want 1; stderr: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, c.says) {
				t.Errorf("stderr does not say %q: %s", c.says, r.stderr)
			}
			out, err := yaml.Parse(r.stdout)
			if err != nil || out.GetKind() != "ResourceList" {
				t.Fatalf("stdout is not a ResourceList (%v):\n%s", err, r.stdout)
			}
			sev, _ := out.Pipe(yaml.Lookup("results", "0", "severity"))
			msg, _ := out.Pipe(yaml.Lookup("results", "0", "message"))
			if sev == nil || yaml.GetValue(sev) != "error" || msg == nil || !strings.Contains(yaml.GetValue(msg), c.says) {
				t.Errorf("no error result saying %q:\n%s", c.says, r.stdout)
			}
			if r.maxRSS > 1<<30 { // time: the benchmarks; the run is killed after 30 s
				t.Errorf("peaked at %d MiB", r.maxRSS>>20)
			}
		})
	}
}

// TestCheckRoot: `pullgen check DIR` outside any git work tree loads nothing beyond DIR,
// whatever the working directory holds; inside a work tree, bases anywhere in it count.
func TestCheckRoot(t *testing.T) {
	cwd := t.TempDir()
	writeFile(t, filepath.Join(cwd, "shared", "kustomization.yaml"), "resources: [cm.yaml]\n")
	writeFile(t, filepath.Join(cwd, "shared", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\n")
	writeFile(t, filepath.Join(cwd, "apps", "app", "kustomization.yaml"), "resources: [../../shared]\n")
	// What a whole-directory copy would trip on.
	if err := syscall.Mkfifo(filepath.Join(cwd, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink("fifo", filepath.Join(cwd, "fifo.yaml"))
	os.Symlink("self", filepath.Join(cwd, "self"))

	r := runBounded(t, cwd, nil, pullgen(), "check", "apps/app")
	if r.code != 2 || !strings.Contains(r.stderr, "outside the repository root") {
		t.Errorf("outside git: exit %d, stderr %s", r.code, r.stderr)
	}
	// A flag's value that names a directory is no path argument: it neither widens the
	// root nor gets read.
	r = runBounded(t, cwd, nil, pullgen(), "check", "--namespace", ".", "apps/app")
	if r.code != 2 || !strings.Contains(r.stderr, "outside the repository root") {
		t.Errorf("outside git, with --namespace .: exit %d, stderr %s", r.code, r.stderr)
	}

	git := tool(t, "git")
	mustRun(t, cwd, nil, git, "init", "-q")
	r = runBounded(t, cwd, nil, pullgen(), "check", "apps/app")
	if r.code != 0 {
		t.Errorf("inside a git work tree: exit %d, stderr %s", r.code, r.stderr)
	}
}

// TestCheckRefusesHostileInput runs `pullgen check` on manifests and kustomizations that
// try what the hostile repositories try: each ends with exit 2 and a clear error, within
// 10 s and 1 GiB, nothing of the outside in the output.
func TestCheckRefusesHostileInput(t *testing.T) {
	w := newHostileWorld(t)
	// The check reads nesting as deep as the YAML parser allows (10,000) in linear time.
	deep := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: {x: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "}\n"
	for _, c := range []struct {
		name  string
		files map[string]string
		links map[string]string
		fifo  string
		stdin string
		says  string
	}{
		{"alias-bomb-file", map[string]string{"m/bomb.yaml": billionLaughs()}, nil, "", "", "aliases expand to more than"},
		{"deep-stdin", nil, nil, "", deep, "exceeded max depth"}, // (a file of a directory that does not parse is skipped)
		{"fifo-file", map[string]string{"m/ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"}, nil, "m/fifo.yaml", "", "not a regular file"},
		{"link-to-fifo", nil, map[string]string{"m/x.yaml": "fifo"}, "m/fifo", "", "not a regular file"},
		{"link-outside", nil, map[string]string{"m/x.yaml": filepath.Join(w.outside, "stolen.yaml")}, "", "", "outside"},
		{"kustomization-url", map[string]string{"m/kustomization.yaml": "resources: [\"http://" + w.addr + "/x.yaml\"]\n"}, nil, "", "", remoteSays},
		{"kustomization-outside", map[string]string{"m/kustomization.yaml": "resources: [../../" + filepath.Base(w.outside) + "/repo]\n"}, nil, "", "", "outside the repository root"},
		{"kustomization-alias-bomb", map[string]string{"m/kustomization.yaml": "resources: [bomb.yaml]\n", "m/bomb.yaml": billionLaughs()}, nil, "", "", "aliases expand to more than"},
		{"stdin-alias-bomb", nil, nil, "", billionLaughs(), "aliases expand to more than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range c.files {
				writeFile(t, filepath.Join(dir, name), content)
			}
			os.MkdirAll(filepath.Join(dir, "m"), 0o755)
			if c.fifo != "" {
				if err := syscall.Mkfifo(filepath.Join(dir, c.fifo), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for name, target := range c.links {
				if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
					t.Fatal(err)
				}
			}
			args := []string{"check", "m"}
			if c.stdin != "" {
				args = []string{"check", "-"}
			}
			before := w.listener.Hits()
			r := runBoundedStdin(t, dir, w.env, c.stdin, pullgen(), args...)
			if r.code != 2 || !strings.Contains(r.stderr, c.says) {
				t.Errorf("exit %d, stderr %s; want 2 and %q", r.code, r.stderr, c.says)
			}
			if strings.Contains(r.stdout+r.stderr, outsideMarker) || w.listener.Hits() != before {
				t.Errorf("the outside reached the check")
			}
			if r.maxRSS > 1<<30 { // time: the benchmarks; the run is killed after 30 s
				t.Errorf("peaked at %d MiB", r.maxRSS>>20)
			}
		})
	}
}

// TestFunctionBoundsMessages: a function config with a 1 MiB namespace is refused with a
// message that quotes a short excerpt of it, on stderr and in the results.
func TestFunctionBoundsMessages(t *testing.T) {
	long := strings.Repeat("n", 1<<20)
	stdin := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: pullgen.dev/v1alpha1\n  kind: PullAccess\n  metadata: {name: x}\n  spec:\n    namespaces: [" + long + "]\n    registries: [{server: quay.io, username: u, passwordFrom: {env: T}}]\n"
	r := runBoundedStdin(t, t.TempDir(), []string{"T=" + credMarker}, stdin, pullgen())
	if r.code == 0 || !strings.Contains(r.stderr, "spec.namespaces[0]") {
		t.Fatalf("exit %d, stderr %.300s", r.code, r.stderr)
	}
	if len(r.stderr) > 2000 || len(r.stdout) > 4000 {
		t.Errorf("stderr %d bytes, stdout %d bytes: the namespace is echoed", len(r.stderr), len(r.stdout))
	}
	if strings.Contains(r.stdout+r.stderr, credMarker) {
		t.Error("the credential reached the output")
	}
}
