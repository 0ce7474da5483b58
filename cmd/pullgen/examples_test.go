package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/core/sopsx"
)

// TestExamples runs every example that holds a PullAccess the way its README says
// (kustomize build with pullgen as an exec function, the README's exports as environment)
// and compares the output with the example's expected.yaml byte for byte. UPDATE_GOLDEN=1
// rewrites expected.yaml.
func TestExamples(t *testing.T) {
	kustomize := tool(t, "kustomize")
	dirs := pullAccessExamples(t)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			r := run(t, dir, exampleEnv(t, dir), "", kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
			if r.code != 0 {
				t.Fatalf("kustomize build: exit %d\n%s", r.code, r.stderr)
			}
			for _, o := range parseObjects(t, r.stdout) {
				if o.GetKind() == "Secret" && !sopsx.IsEncrypted(o) {
					t.Errorf("Secret %s/%s is not encrypted", o.GetNamespace(), o.GetName())
				}
			}
			plain := decryptDemo(t, r.stdout)
			want := filepath.Join(dir, "expected.yaml")
			if os.Getenv("UPDATE_GOLDEN") == "1" {
				writeFile(t, want, plain)
			}
			b, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("reading %s: %v (UPDATE_GOLDEN=1 writes it)", want, err)
			}
			// Ciphertext is random: compare the decrypted objects.
			if g, w := semantic(t, parseObjects(t, plain)), semantic(t, parseObjects(t, string(b))); !reflect.DeepEqual(g, w) {
				t.Errorf("kustomize build output, decrypted, differs from %s:\n%s", want, plain)
			}
			// Warnings and notes (such as where a mirror's credential goes) only.
			for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
				if line != "" && !strings.Contains(line, "warning: ") && !strings.Contains(line, "info: ") {
					t.Errorf("unexpected message on stderr: %s", line)
				}
			}
		})
	}
	if len(dirs) < 7 {
		t.Errorf("ran %d examples, want at least 7", len(dirs))
	}
}

// TestExamplesInStep runs pullgen diff over every example: the committed output in
// generated/ is in step with its spec, with the DEMO key at hand (values compared) and
// without it (values not verified, recipients checked).
func TestExamplesInStep(t *testing.T) {
	examples := filepath.Join(repoRoot, "examples")
	env := exampleEnv(t, filepath.Join(examples, "link-vs-workloads"))
	env = append(env, exampleEnv(t, filepath.Join(examples, "private-registry-password"))...)
	r := run(t, repoRoot, env, "", pullgen(), "diff", "examples")
	if r.code != 0 {
		t.Fatalf("pullgen diff examples: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	generated, _ := filepath.Glob(filepath.Join(examples, "*", "generated"))
	if n := strings.Count(r.stderr, "; in step"); n != len(generated) || n < 7 {
		t.Errorf("%d output directories in step, want every example's (%d):\n%s", n, len(generated), r.stderr)
	}
	noKey := append(env, noKeyEnv(t)...)
	r = run(t, repoRoot, noKey, "", pullgen(), "diff", "examples/private-registry-password")
	if r.code != 0 || !strings.Contains(r.stderr, "the encrypted values of 2 Secrets were not verified") {
		t.Errorf("without the key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// exampleEnv is the environment of an example: its README's exports and the DEMO key.
func exampleEnv(t *testing.T, dir string) []string {
	env := readmeEnv(t, dir)
	return append(env, "SOPS_AGE_KEY_FILE="+demoKey())
}

// demoKey is the examples' DEMO age key.
func demoKey() string { return filepath.Join(repoRoot, "examples", "DEMO-age-key.txt") }

// decryptDemo decrypts a YAML stream with the DEMO key.
func decryptDemo(t *testing.T, stream string) string {
	t.Helper()
	t.Setenv("SOPS_AGE_KEY_FILE", demoKey())
	out, err := sopsx.DefaultKeys().DecryptStream([]byte(stream))
	if err != nil {
		t.Fatalf("decrypting with the DEMO key: %v", err)
	}
	return string(out)
}

// pullAccessExamples are the example kustomizations that hold a PullAccess.
func pullAccessExamples(t *testing.T) []string {
	kustomizations, _ := filepath.Glob(filepath.Join(repoRoot, "examples", "*", "kustomization.yaml"))
	var dirs []string
	for _, k := range kustomizations {
		if dir := filepath.Dir(k); holdsPullAccess(t, dir) {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

// holdsPullAccess tells whether a directory has a PullAccess file.
func holdsPullAccess(t *testing.T, dir string) bool { return len(pullAccessFiles(t, dir)) > 0 }

// sealedOutput tells whether a PullAccess of an example directory asks for sealed output.
func sealedOutput(t *testing.T, dir string) bool {
	for _, text := range pullAccessFiles(t, dir) {
		if strings.Contains(text, "\n    sealed:\n") {
			return true
		}
	}
	return false
}

// pullAccessFiles are the contents of the YAML files of a directory that hold a PullAccess.
func pullAccessFiles(t *testing.T, dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "kind: PullAccess") {
			out = append(out, string(b))
		}
	}
	return out
}
