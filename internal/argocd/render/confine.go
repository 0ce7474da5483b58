package render

import (
	"fmt"
	"path/filepath"

	"pullgen.dev/pullgen/internal/untrusted/rooted"
)

// confine resolves the kustomization to build and the repository root, and returns the
// directory and the repository's file system (fs.go), through which everything of the
// repository is read from then on.
func confine(o Options, limits Limits) (string, *repoFS, error) {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return "", nil, fmt.Errorf("resolving %s: %w", o.Dir, err)
	}
	root := dir
	if o.Root != "" {
		if root, err = filepath.Abs(o.Root); err != nil {
			return "", nil, fmt.Errorf("resolving %s: %w", o.Root, err)
		}
	}
	if !rooted.Within(root, dir) {
		return "", nil, fmt.Errorf("%s is outside the repository root %s", dir, root)
	}
	fsys, err := newRepoFS(root, o.KeyFiles, limits)
	if err != nil {
		return "", nil, err
	}
	return dir, fsys, nil
}
