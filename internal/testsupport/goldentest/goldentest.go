// Package goldentest runs golden fixtures: every directory under a root that holds a
// config.yaml is a case, run by the caller's function, whose output is compared byte for
// byte with expected.yaml and whose messages with errors.txt. Set UPDATE_GOLDEN=1 to
// rewrite the expectations from what the code produces now, then review the diff. Only
// tests import it.
package goldentest

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// UpdateEnv is the environment variable that rewrites expectations when set to 1.
const UpdateEnv = "UPDATE_GOLDEN"

// Case is one fixture directory.
type Case struct {
	// Dir is the case's directory.
	Dir string
	// Config is config.yaml; Input is input.yaml (empty when absent).
	Config, Input []byte
}

// Outcome is what running a case produced.
type Outcome struct {
	// Output becomes expected.yaml; Messages becomes errors.txt. An empty one means the
	// file must not exist.
	Output, Messages []byte
}

// Run runs fn on every case under root, each as a subtest named after its directory.
func Run(t *testing.T, root string, fn func(t *testing.T, c Case) Outcome) {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "config.yaml" {
			dirs = append(dirs, filepath.Dir(path))
		}
		return err
	})
	if err != nil {
		t.Fatalf("reading %s: %v", root, err)
	}
	if len(dirs) == 0 {
		t.Fatalf("no golden cases under %s", root)
	}
	sort.Strings(dirs)
	update := os.Getenv(UpdateEnv) == "1"
	for _, dir := range dirs {
		rel, _ := filepath.Rel(root, dir)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			c := Case{Dir: dir, Config: read(t, filepath.Join(dir, "config.yaml"))}
			c.Input = read(t, filepath.Join(dir, "input.yaml"))
			got := fn(t, c)
			compare(t, filepath.Join(dir, "expected.yaml"), got.Output, update)
			compare(t, filepath.Join(dir, "errors.txt"), got.Messages, update)
		})
	}
}

func read(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("reading %s: %v", path, err)
	}
	return b
}

// compare checks got against the file at path, or rewrites the file when update is set.
func compare(t *testing.T, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if len(got) == 0 {
			os.Remove(path)
			return
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("writing %s: %v", path, err)
		}
		return
	}
	want := read(t, path)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (rerun with %s=1 to rewrite, then review the diff)\n--- want\n%s\n--- got\n%s", path, UpdateEnv, want, got)
	}
}
