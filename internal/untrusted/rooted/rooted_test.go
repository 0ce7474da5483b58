package rooted

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// TestResolve: every way out of the root (a ".." chain, an absolute path, a link to a
// directory or a file outside, a link inside a linked directory, a link chain) is refused,
// beside the same way leading to a file inside, which resolves; and Read reads only what
// resolves.
func TestResolve(t *testing.T) {
	outside := t.TempDir()
	write(t, filepath.Join(outside, "secret.yaml"), "outside\n")
	top := t.TempDir()
	root := filepath.Join(top, "repo")
	write(t, filepath.Join(root, "app", "a.yaml"), "a\n")
	write(t, filepath.Join(root, "shared", "b.yaml"), "b\n")
	write(t, filepath.Join(top, "secret.yaml"), "beside\n")
	link(t, "../shared", filepath.Join(root, "app", "shared"))
	link(t, filepath.Join(root, "shared"), filepath.Join(root, "app", "shared-abs"))
	link(t, outside, filepath.Join(root, "app", "outdir"))
	link(t, filepath.Join(outside, "secret.yaml"), filepath.Join(root, "shared", "out.yaml"))
	link(t, "../../shared/b.yaml", filepath.Join(root, "app", "shared", "chain.yaml")) // app/shared is shared: ../../ is above the root
	link(t, "b.yaml", filepath.Join(root, "shared", "to-b.yaml"))
	link(t, "loop", filepath.Join(root, "app", "loop"))
	r, err := New(root, "the work tree")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string
		want       string // relative to the root; "" when refused
		says       string
	}{
		{"a file", "app/a.yaml", "app/a.yaml", ""},
		{"dotdot inside", "app/../shared/b.yaml", "shared/b.yaml", ""},
		{"dotdot out", "app/../../secret.yaml", "", "outside the work tree"},
		{"dotdot chain out", "app/../../../../../" + strings.TrimPrefix(outside, "/") + "/secret.yaml", "", "outside the work tree"},
		{"absolute inside", filepath.Join(root, "shared", "b.yaml"), "shared/b.yaml", ""},
		{"absolute out", filepath.Join(outside, "secret.yaml"), "", "outside the work tree"},
		{"a relative link to a directory inside", "app/shared/b.yaml", "shared/b.yaml", ""},
		{"an absolute link to a directory inside", "app/shared-abs/b.yaml", "shared/b.yaml", ""},
		{"a link to a directory outside", "app/outdir/secret.yaml", "", "app/outdir is a link to " + outside + ": outside the work tree"},
		{"a link inside a linked directory, to a file inside", "app/shared/to-b.yaml", "shared/b.yaml", ""},
		{"a link inside a linked directory, to a file outside", "app/shared/out.yaml", "", "shared/out.yaml is a link to " + filepath.Join(outside, "secret.yaml")},
		{"a link whose .. counts from where it really is", "app/shared/chain.yaml", "", "shared/chain.yaml is a link to " + filepath.Join(top, "shared", "b.yaml")},
		{"a file that does not exist yet", "app/new/x.yaml", "app/new/x.yaml", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := c.path
			if !filepath.IsAbs(p) {
				p = filepath.Join(root, p)
			}
			got, err := r.Resolve(p)
			if c.want != "" {
				if err != nil || got != filepath.Join(r.Dir(), c.want) {
					t.Errorf("Resolve = %q, %v; want %s", got, err, c.want)
				}
				return
			}
			if !errors.Is(err, ErrOutside) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("Resolve = %q, %v; want an error saying %q", got, err, c.says)
			}
			if data, err := r.Read(p, 1<<10); err == nil {
				t.Errorf("Read gave %q", data)
			}
		})
	}
	if _, err := r.Resolve(filepath.Join(root, "app", "loop")); !errors.Is(err, ErrLinkLoop) {
		t.Errorf("a link loop: %v", err)
	}
	if data, err := r.Read(filepath.Join(root, "app", "shared", "to-b.yaml"), 1<<10); err != nil || string(data) != "b\n" {
		t.Errorf("Read through links inside = %q, %v", data, err)
	}
	if _, err := r.Read(filepath.Join(root, "app"), 1<<10); err == nil {
		t.Error("Read of a directory succeeded")
	}
}

// TestVirtual: a path the overlay holds is taken as it is, even where the disk holds a
// link out.
func TestVirtual(t *testing.T) {
	root := t.TempDir()
	link(t, t.TempDir(), filepath.Join(root, "gen"))
	r, err := New(root, "the repository root")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(filepath.Join(root, "gen", "x.yaml")); !errors.Is(err, ErrOutside) {
		t.Fatalf("without the overlay: %v", err)
	}
	r.Virtual = func(p string) bool { return p == filepath.Join(r.Dir(), "gen") }
	if got, err := r.Resolve(filepath.Join(root, "gen", "x.yaml")); err != nil || got != filepath.Join(r.Dir(), "gen", "x.yaml") {
		t.Errorf("with the overlay: %q, %v", got, err)
	}
}
