package render

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"pullgen.dev/pullgen/internal/untrusted/bound"
	"pullgen.dev/pullgen/internal/untrusted/rooted"
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

// TestRepoFS reads through the file system render gives kustomize: files under the root,
// links that stay inside, and every way out or into something that is not a file refused
// with an error naming the path, promptly.
func TestRepoFS(t *testing.T) {
	outside := t.TempDir()
	write(t, filepath.Join(outside, "secret.txt"), "outside-secret\n")
	root := t.TempDir()
	key := filepath.Join(root, "keys", "age.txt")
	write(t, key, "AGE-SECRET-KEY-1FAKE\n")
	write(t, filepath.Join(root, "app", "a.yaml"), "a: 1\n")
	write(t, filepath.Join(root, "shared", "b.yaml"), "b: 2\n")
	write(t, filepath.Join(root, "big.yaml"), strings.Repeat("x", 2000))
	link(t, "../shared/b.yaml", filepath.Join(root, "app", "b.yaml"))
	link(t, filepath.Join(root, "shared"), filepath.Join(root, "app", "shared-abs"))
	link(t, "../shared", filepath.Join(root, "app", "shared"))
	link(t, filepath.Join(outside, "secret.txt"), filepath.Join(root, "app", "out.txt"))
	link(t, outside, filepath.Join(root, "app", "outdir"))
	link(t, "../../"+filepath.Base(outside)+"/secret.txt", filepath.Join(root, "app", "dotdot.txt"))
	link(t, "loop", filepath.Join(root, "app", "loop"))
	link(t, "ping", filepath.Join(root, "app", "pong"))
	link(t, "pong", filepath.Join(root, "app", "ping"))
	link(t, "/dev/zero", filepath.Join(root, "app", "zero"))
	if err := syscall.Mkfifo(filepath.Join(root, "app", "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	link(t, "fifo", filepath.Join(root, "app", "to-fifo"))
	sock, err := net.Listen("unix", filepath.Join(root, "app", "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	if err := os.Link(key, filepath.Join(root, "app", "hardlinked-key")); err != nil {
		t.Fatal(err)
	}

	limits := DefaultLimits()
	limits.FileBytes = 1000
	fsys, err := newRepoFS(root, []string{key}, limits)
	if err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(root, "app")
	for _, c := range []struct {
		path, want, err string
	}{
		{"a.yaml", "a: 1\n", ""},
		{"b.yaml", "b: 2\n", ""},
		{"shared/b.yaml", "b: 2\n", ""},
		{"shared-abs/b.yaml", "b: 2\n", ""},
		{"../shared/b.yaml", "b: 2\n", ""},
		{"out.txt", "", "app/out.txt is a link to " + outside},
		{"outdir/secret.txt", "", "outside the repository root"},
		{"dotdot.txt", "", "outside the repository root"},
		{"../../" + filepath.Base(outside) + "/secret.txt", "", "outside the repository root"},
		{filepath.Join(outside, "secret.txt"), "", "outside the repository root"},
		{"/etc/passwd", "", "outside the repository root"},
		{"zero", "", "outside the repository root"},
		{"loop", "", "too many levels of symbolic links"},
		{"ping", "", "too many levels of symbolic links"},
		{"fifo", "", "a FIFO, not a regular file"},
		{"to-fifo", "", "a FIFO, not a regular file"},
		{"sock", "", "a socket, not a regular file"},
		{"../big.yaml", "", "more than the 1000 a file may have"},
		{"../keys/age.txt", "", "the decryption key"},
		{"hardlinked-key", "", "the decryption key"},
		{"missing.yaml", "", "no such file"},
	} {
		t.Run(c.path, func(t *testing.T) {
			done := make(chan struct{})
			var data []byte
			var err error
			p := c.path
			if !filepath.IsAbs(p) {
				p = filepath.Join(app, p)
			}
			go func() {
				data, err = fsys.ReadFile(p)
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("the read blocks")
			}
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.err == "" && string(data) != c.want:
				t.Errorf("read %q, want %q", data, c.want)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Errorf("error %v, want %q", err, c.err)
			}
			if err != nil && strings.Contains(err.Error(), "outside the repository root") && !errors.Is(err, rooted.ErrOutside) {
				t.Errorf("%v is not errOutside", err)
			}
			if strings.Contains(string(data), "outside-secret") || strings.Contains(string(data), "AGE-SECRET-KEY") {
				t.Errorf("read what it must not: %q", data)
			}
		})
	}

	// What kustomize's loader asks: directories and files resolve to real paths under
	// the root.
	d, f, err := fsys.CleanedAbs(filepath.Join(app, "shared", "b.yaml"))
	realRoot, _ := filepath.EvalSymlinks(root)
	if err != nil || string(d) != filepath.Join(realRoot, "shared") || f != "b.yaml" {
		t.Errorf("CleanedAbs: %q %q %v", d, f, err)
	}
	if _, _, err := fsys.CleanedAbs(filepath.Join(app, "outdir")); !errors.Is(err, rooted.ErrOutside) {
		t.Errorf("CleanedAbs of a link outside: %v", err)
	}
	if !fsys.IsDir(filepath.Join(app, "shared")) || fsys.IsDir(filepath.Join(app, "outdir")) || fsys.Exists(filepath.Join(app, "out.txt")) {
		t.Error("IsDir or Exists see through a link that leaves the root")
	}

	// Writes stay in memory.
	if err := fsys.WriteFile(filepath.Join(app, "a.yaml"), []byte("rewritten\n")); err != nil {
		t.Fatal(err)
	}
	if err := fsys.MkdirAll(filepath.Join(app, stateDir)); err != nil {
		t.Fatal(err)
	}
	if err := fsys.WriteFile(filepath.Join(app, stateDir, "x.yaml"), []byte("x: 1\n")); err != nil {
		t.Fatal(err)
	}
	if got, _ := fsys.ReadFile(filepath.Join(app, "a.yaml")); string(got) != "rewritten\n" {
		t.Errorf("overlay read %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(app, "a.yaml")); string(got) != "a: 1\n" {
		t.Errorf("the file on disk changed: %q", got)
	}
	if _, err := os.Stat(filepath.Join(app, stateDir)); !os.IsNotExist(err) {
		t.Errorf("render wrote to disk: %v", err)
	}
	if !fsys.IsDir(filepath.Join(app, stateDir)) || !fsys.Exists(filepath.Join(app, stateDir, "x.yaml")) {
		t.Error("the overlay directory is not seen")
	}
	if err := fsys.WriteFile(filepath.Join(app, "outdir", "x.yaml"), nil); !errors.Is(err, rooted.ErrOutside) {
		t.Errorf("writing through a link outside: %v", err)
	}
}

// TestRepoFSTotals: the caps on the sum of what is read hold across files, and reading a
// file again does not count twice.
func TestRepoFSTotals(t *testing.T) {
	root := t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		write(t, filepath.Join(root, n+".yaml"), "---\nkind: A\n---\nkind: B\n")
	}
	limits := DefaultLimits()
	limits.Documents = 5
	fsys, err := newRepoFS(root, nil, limits)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		for _, n := range []string{"a", "b"} {
			if _, err := fsys.ReadFile(filepath.Join(root, n+".yaml")); err != nil {
				t.Fatalf("reading %s again: %v", n, err)
			}
		}
	}
	if _, err := fsys.ReadFile(filepath.Join(root, "c.yaml")); err == nil || !strings.Contains(err.Error(), "more than 5 YAML documents in all") {
		t.Errorf("the sixth document: %v", err)
	}
	if fsys.Refused() == nil {
		t.Error("the refusal is not recorded")
	}

	limits = DefaultLimits()
	limits.Timeout = time.Nanosecond
	fsys, _ = newRepoFS(root, nil, limits)
	time.Sleep(time.Millisecond)
	if _, err := fsys.ReadFile(filepath.Join(root, "a.yaml")); !errors.Is(err, bound.ErrTimeout) {
		t.Errorf("after the deadline: %v", err)
	}
}

// TestRenderReadsOnlyWhatItBuilds renders an app in a repository full of traps it does
// not reference (a huge file, a FIFO, links that loop, leave the root or dangle, a
// directory of links fanning out): it builds, and it read exactly the files the build
// names.
func TestRenderReadsOnlyWhatItBuilds(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "app", "kustomization.yaml"), "resources: [cm.yaml, ../base]\n")
	write(t, filepath.Join(root, "app", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n")
	write(t, filepath.Join(root, "base", "kustomization.yaml"), "resources: [cm.yaml]\n")
	write(t, filepath.Join(root, "base", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base}\n")
	huge, err := os.Create(filepath.Join(root, "other", "huge.yaml"))
	if os.IsNotExist(err) {
		os.MkdirAll(filepath.Join(root, "other"), 0o755)
		huge, err = os.Create(filepath.Join(root, "other", "huge.yaml"))
	}
	if err != nil {
		t.Fatal(err)
	}
	huge.Truncate(4 << 30) // sparse: costs nothing on disk, 4 GiB to whoever reads it
	huge.Close()
	syscall.Mkfifo(filepath.Join(root, "other", "fifo.yaml"), 0o644)
	link(t, "fifo.yaml", filepath.Join(root, "other", "to-fifo.yaml"))
	link(t, "self", filepath.Join(root, "other", "self"))
	link(t, "/etc", filepath.Join(root, "other", "etc"))
	link(t, "nowhere", filepath.Join(root, "other", "dangling.yaml"))
	for i := 0; i < 12; i++ { // each level links twice to the next: 4096 paths to a walker
		lvl := filepath.Join(root, "fan", strings.Repeat("d/", i))
		os.MkdirAll(filepath.Join(lvl, "d"), 0o755)
		link(t, "d", filepath.Join(lvl, "l1"))
		link(t, "d", filepath.Join(lvl, "l2"))
	}

	fsys, err := newRepoFS(root, nil, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	out, err := newRenderer(Options{}, DefaultLimits(), fsys).run(filepath.Join(root, "app"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "name: app") || !strings.Contains(string(out), "name: base") {
		t.Errorf("build:\n%s", out)
	}
	var read []string
	for p := range fsys.measured {
		read = append(read, fsys.rel(p))
	}
	sort.Strings(read)
	want := []string{"app/cm.yaml", "app/kustomization.yaml", "base/cm.yaml", "base/kustomization.yaml"}
	if strings.Join(read, " ") != strings.Join(want, " ") {
		t.Errorf("read %v, want %v", read, want)
	}
}
