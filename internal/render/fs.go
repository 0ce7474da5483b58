package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// repo is the repository as render sees it: an in-memory copy of the files under the
// root, so that kustomize cannot read anything else, without the decryption keys, and
// with a record of the symbolic links that leave the root.
type repo struct {
	root string
	fs   filesys.FileSystem
	// escapes maps a path under the root to the outside target its link points at.
	escapes map[string]string
	// hidden are files under the root that are never read: the decryption keys.
	hidden map[string]bool
}

// loadRepo copies the regular files under root into memory, following links that stay
// inside it. keyFiles are left out wherever they are.
func loadRepo(root string, keyFiles []string) (*repo, error) {
	r := &repo{root: root, fs: filesys.MakeFsInMemory(), escapes: map[string]string{}, hidden: map[string]bool{}}
	var keys []os.FileInfo
	for _, k := range keyFiles {
		if st, err := os.Stat(k); err == nil {
			keys = append(keys, st)
		}
	}
	isKey := func(st os.FileInfo) bool {
		for _, k := range keys {
			if os.SameFile(k, st) {
				return true
			}
		}
		return false
	}
	var copyTree func(src, dst string, depth int) error
	copyTree = func(src, dst string, depth int) error {
		if depth > 16 {
			return fmt.Errorf("%s: symbolic links nest too deep", dst)
		}
		return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("reading %s: %w", p, err)
			}
			rel, _ := filepath.Rel(src, p)
			target := filepath.Join(dst, rel)
			if d.IsDir() {
				if d.Name() == ".git" && p != src {
					return filepath.SkipDir
				}
				return r.fs.MkdirAll(target)
			}
			if d.Type()&fs.ModeSymlink != 0 {
				resolved, err := filepath.EvalSymlinks(p)
				if err != nil {
					return nil // a dangling link: as good as absent
				}
				if !Within(r.root, resolved) {
					r.escapes[target] = resolved
					return nil
				}
				st, err := os.Stat(resolved)
				if err != nil {
					return nil
				}
				if st.IsDir() {
					return copyTree(resolved, target, depth+1)
				}
				return r.copyFile(resolved, target, st, isKey)
			}
			if !d.Type().IsRegular() {
				return nil
			}
			st, err := d.Info()
			if err != nil {
				return fmt.Errorf("reading %s: %w", p, err)
			}
			return r.copyFile(p, target, st, isKey)
		})
	}
	if err := copyTree(root, root, 0); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *repo) copyFile(src, dst string, st os.FileInfo, isKey func(os.FileInfo) bool) error {
	if isKey(st) {
		r.hidden[dst] = true
		return nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	return r.fs.WriteFile(dst, b)
}

// errOutside is the cause of every refused read.
var errOutside = errors.New("outside the repository root")

// readFile reads a file a spec names, refusing paths and links that leave the root and
// the decryption key.
func (r *repo) readFile(path string) ([]byte, error) {
	path = filepath.Clean(path)
	if !Within(r.root, path) {
		return nil, fmt.Errorf("%w (render reads only the repository)", errOutside)
	}
	for p := path; Within(r.root, p); p = filepath.Dir(p) {
		if target, ok := r.escapes[p]; ok {
			return nil, fmt.Errorf("%w: %s is a link to %s", errOutside, r.rel(p), target)
		}
		if p == r.root {
			break
		}
	}
	if r.hidden[path] {
		return nil, errors.New("is the decryption key, which render never reads as a credential")
	}
	return r.fs.ReadFile(path)
}

// rel is a path relative to the root, for messages.
func (r *repo) rel(p string) string {
	if rel, err := filepath.Rel(r.root, p); err == nil {
		return rel
	}
	return p
}

// Within tells whether path is root or below it.
func Within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
