package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamples runs every example that holds a PullAccess the way its README says
// (kustomize build with pullgen as an exec function, the README's exports as environment)
// and compares the output with the example's expected.yaml byte for byte. UPDATE_GOLDEN=1
// rewrites expected.yaml.
func TestExamples(t *testing.T) {
	kustomize := tool(t, "kustomize")
	dirs, _ := filepath.Glob(filepath.Join(repoRoot, "examples", "*", "kustomization.yaml"))
	ran := 0
	for _, k := range dirs {
		dir := filepath.Dir(k)
		if !holdsPullAccess(t, dir) {
			continue
		}
		ran++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			r := run(t, dir, readmeEnv(t, dir), "", kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
			if r.code != 0 {
				t.Fatalf("kustomize build: exit %d\n%s", r.code, r.stderr)
			}
			want := filepath.Join(dir, "expected.yaml")
			if os.Getenv("UPDATE_GOLDEN") == "1" {
				writeFile(t, want, r.stdout)
			}
			b, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("reading %s: %v (UPDATE_GOLDEN=1 writes it)", want, err)
			}
			if string(b) != r.stdout {
				t.Errorf("kustomize build output differs from %s:\n%s", want, r.stdout)
			}
			for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
				if line != "" && !strings.Contains(line, "warning: ") {
					t.Errorf("unexpected message on stderr: %s", line)
				}
			}
		})
	}
	if ran < 6 {
		t.Errorf("ran %d examples, want at least 6", ran)
	}
}

// holdsPullAccess tells whether a directory has a PullAccess file.
func holdsPullAccess(t *testing.T, dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "kind: PullAccess") {
			return true
		}
	}
	return false
}
