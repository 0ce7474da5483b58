// Package rooted is pullgen's one containment check: it resolves paths beneath a root
// directory as the kernel walks them, one component at a time, following each symbolic
// link and refusing every path that leaves the root, whether through "..", an absolute
// path or a link (anywhere along the path, however many links deep). Render's file
// system, discover, and the commands that read a work tree (generate, diff, check) all
// resolve their paths through it: no other package may check containment itself.
package rooted

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"pullgen.dev/pullgen/internal/untrusted/regularfile"
)

// ErrOutside matches (errors.Is) every path refused for leaving its root.
var ErrOutside = errors.New("outside the root")

// OutsideError is a path refused for leaving its root, directly or through the link Link.
type OutsideError struct {
	// Path is the path asked for, or the link's target when Link is set.
	Path string
	// Link is the link, relative to the root, that leads outside; "" when Path itself does.
	Link string
	// Root names the root in messages ("the repository root", "the work tree /src").
	Root string
}

func (e *OutsideError) Error() string {
	if e.Link != "" {
		return fmt.Sprintf("%s is a link to %s: outside %s", e.Link, e.Path, e.Root)
	}
	return fmt.Sprintf("%s: outside %s", e.Path, e.Root)
}

// Is makes errors.Is(err, ErrOutside) hold.
func (e *OutsideError) Is(target error) bool { return target == ErrOutside }

// ErrLinkLoop matches (errors.Is) a path that goes through more links than the kernel
// follows (a loop).
var ErrLinkLoop = errors.New("too many levels of symbolic links")

// maxLinks bounds the symbolic links one path may go through, as the kernel does.
const maxLinks = 40

// Root is a directory that nothing resolved through it leaves.
type Root struct {
	real    string // absolute, without symbolic links
	logical string // absolute, as given: paths may also be under it
	name    string
	// Virtual, when set, tells whether a real path under the root exists in memory only
	// (render's overlay): Resolve takes it as it is, without looking at the disk.
	Virtual func(path string) bool
}

// New makes the root dir, which must exist; name is what messages call it ("the
// repository root").
func New(dir, name string) (*Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", dir, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("resolving %s %s: %w", name, dir, err)
	}
	return &Root{real: real, logical: abs, name: name}, nil
}

// Dir is the root, absolute and without symbolic links.
func (r *Root) Dir() string { return r.real }

// Rel is p relative to the root ("" for the root itself), by name only: no link is
// followed. p may be relative to the working directory, and be under the root as given
// or as resolved. ok is false when p is outside both.
func (r *Root) Rel(p string) (rel string, ok bool) {
	if !filepath.IsAbs(p) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", false
		}
		p = abs
	}
	p = filepath.Clean(p)
	for _, root := range []string{r.real, r.logical} {
		if Within(root, p) {
			rel, _ := filepath.Rel(root, p)
			if rel == "." {
				rel = ""
			}
			return rel, true
		}
	}
	return "", false
}

// Show is p relative to the root for messages ("." for the root), or p itself when it is
// outside.
func (r *Root) Show(p string) string {
	rel, ok := r.Rel(p)
	switch {
	case !ok:
		return p
	case rel == "":
		return "."
	}
	return rel
}

// Resolve turns p into the real path it names under the root, following symbolic links
// one component at a time and refusing (ErrOutside) any path or link that leads outside.
// A path that does not exist (yet) resolves to where it would be.
func (r *Root) Resolve(p string) (string, error) {
	rel, ok := r.Rel(p)
	if !ok {
		return "", &OutsideError{Path: p, Root: r.name}
	}
	cur := r.real
	rest := split(rel)
	links := 0
	for len(rest) > 0 {
		next := filepath.Join(cur, rest[0])
		rest = rest[1:]
		if r.Virtual != nil && r.Virtual(next) {
			cur = next
			continue
		}
		st, err := os.Lstat(next)
		if err != nil {
			return filepath.Join(append([]string{next}, rest...)...), nil
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("%s: %w", r.Show(next), ErrLinkLoop)
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", fmt.Errorf("reading the link %s: %w", r.Show(next), err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(cur, target)
		}
		trel, ok := r.Rel(target)
		if !ok {
			return "", &OutsideError{Path: target, Link: r.Show(next), Root: r.name}
		}
		cur = r.real
		rest = append(split(trel), rest...)
	}
	return cur, nil
}

// split is the names of a relative path, none for "".
func split(rel string) []string {
	if rel == "" {
		return nil
	}
	return strings.Split(rel, string(filepath.Separator))
}

// Within tells whether path is root or below it, by name only (both absolute and clean,
// or both relative).
func Within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// Read reads the regular file p under the root (package regularfile: no FIFO or device,
// no link in its last component once resolved, at most max bytes).
func (r *Root) Read(p string, max int64) ([]byte, error) {
	real, err := r.Resolve(p)
	if err != nil {
		return nil, err
	}
	return regularfile.Read(real, max)
}
