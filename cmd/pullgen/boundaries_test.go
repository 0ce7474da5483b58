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
			if r.wall.Seconds() > 10 || r.maxRSS > 1<<30 {
				t.Errorf("took %s and %d MiB", r.wall, r.maxRSS>>20)
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

	git := tool(t, "git")
	mustRun(t, cwd, nil, git, "init", "-q")
	r = runBounded(t, cwd, nil, pullgen(), "check", "apps/app")
	if r.code != 0 {
		t.Errorf("inside a git work tree: exit %d, stderr %s", r.code, r.stderr)
	}
}
