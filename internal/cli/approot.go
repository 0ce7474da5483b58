package cli

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"pullgen.dev/pullgen/internal/untrusted/rooted"
)

// appDir is the directory a command of the Argo CD plugin (render, discover) works on, and
// the root of the files Argo CD sent (repositoryRoot), both absolute and without links.
// The working directory is the kernel's, never $PWD; the root is derived from it; and the
// directory, DIR when given (pos holds at most one argument; relative to the working
// directory) else the working directory, then the overlay parameter (render's) under it,
// is resolved under the root one link at a time: a directory that leads outside is an
// error.
func appDir(pos []string, overlay string, std IO) (dir, root string, err error) {
	cwd, err := syscall.Getwd()
	if err != nil {
		return "", "", fmt.Errorf("finding the working directory: %w", err)
	}
	dir = cwd
	if len(pos) == 1 {
		dir = pos[0]
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(cwd, dir)
		}
	}
	tree, err := rooted.New(repositoryRoot(cwd, dir, std.Getenv("ARGOCD_APP_SOURCE_PATH")), "the repository root")
	if err != nil {
		return "", "", err
	}
	if dir, err = tree.Resolve(filepath.Join(dir, overlay)); err != nil {
		return "", "", fmt.Errorf("the application's directory: %w", err)
	}
	return dir, tree.Dir(), nil
}

// repositoryRoot is the top of the files Argo CD sent when it sets ARGOCD_APP_SOURCE_PATH
// (see trimAppPath), else the directory rendered.
func repositoryRoot(cwd, dir, sourcePath string) string {
	if sourcePath == "" {
		return dir
	}
	return trimAppPath(cwd, sourcePath)
}

// trimAppPath is the top of the files Argo CD sent to the plugin, given the working
// directory argocd-cmp-server runs the plugin in (the application's directory in its copy
// of those files) and ARGOCD_APP_SOURCE_PATH (the application's path in the repository).
//
// Argo CD sends the whole repository, or, with the repo server's
// --plugin-use-manifest-generate-paths, only the deepest directory holding the
// application's path and the paths of its argocd.argoproj.io/manifest-generate-paths
// annotation. Either way the working directory is <copy>/<trailing part of the source
// path>, and <copy> is a fresh directory with a random name: the root is the working
// directory less the longest trailing part of the source path it ends with, compared
// directory by directory. When no part matches, the application's directory is all Argo
// CD sent, and the root is the working directory itself.
func trimAppPath(cwd, sourcePath string) string {
	parts := splitPath(sourcePath)
	dirs := splitPath(cwd)
	n := 0
	for k := min(len(parts), len(dirs)); k > 0; k-- {
		if slices.Equal(dirs[len(dirs)-k:], parts[len(parts)-k:]) {
			n = k
			break
		}
	}
	root := filepath.Clean(cwd)
	for range n {
		root = filepath.Dir(root)
	}
	return root
}

// splitPath splits a cleaned path into its names, without empty ones: "/a/b/" and "a/b"
// give [a b], "." and "/" give none.
func splitPath(p string) []string {
	var names []string
	for _, name := range strings.Split(filepath.ToSlash(filepath.Clean("/"+p)), "/") {
		if name != "" {
			names = append(names, name)
		}
	}
	return names
}
