// Package plugin is pullgen's side of the Argo CD config management plugin protocol, up to
// the point where the repository is read: where the application is (argocd-cmp-server's
// working directory, ARGOCD_APP_SOURCE_PATH, the repository root derived from them), what
// the Application asks (its plugin parameters and its project), and the confinement of the
// process, with the operator's decryption keys read first, to the repository root
// (Confine). render and discover run after it.
//
// It reads no repository file, parses no flag and sets no exit code: the command line
// gives it the operator's choices, as values.
package plugin

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"pullgen.dev/pullgen/internal/untrusted/rooted"
)

// Locate is the directory a command of the Argo CD plugin (render, discover) works on, and
// the root of the files Argo CD sent (repositoryRoot), both absolute and without links.
// The working directory is the kernel's, never $PWD; the root is derived from it; and the
// directory, DIR when given (pos holds at most one argument; relative to the working
// directory) else the working directory, then the overlay parameter (render's) under it,
// is resolved under the root one link at a time: a directory that leads outside is an
// error.
func Locate(pos []string, overlay string, getenv func(string) string) (dir, root string, err error) {
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
	tree, err := rooted.New(repositoryRoot(cwd, dir, getenv("ARGOCD_APP_SOURCE_PATH")), "the repository root")
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

// Parameters are the plugin parameters of an Application that render understands.
type Parameters struct {
	// Overlay is the directory, under the application's, to render.
	Overlay string
	// Namespaces replace spec.namespaces of every PullAccess (a per-cluster override).
	Namespaces []string
}

// ReadParameters reads the Application's plugin parameters as Argo CD passes them, from
// the environment (environ, read with getenv): PARAM_OVERLAY and PARAM_NAMESPACES_<i>, or
// the ARGOCD_APP_PARAMETERS JSON.
func ReadParameters(getenv func(string) string, environ []string) (Parameters, error) {
	var p Parameters
	if raw := getenv("ARGOCD_APP_PARAMETERS"); raw != "" {
		var list []struct {
			Name   string   `json:"name"`
			String *string  `json:"string"`
			Array  []string `json:"array"`
		}
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			return p, fmt.Errorf("reading ARGOCD_APP_PARAMETERS: %w", err)
		}
		for _, x := range list {
			switch x.Name {
			case "overlay":
				if x.String != nil {
					p.Overlay = *x.String
				}
			case "namespaces":
				p.Namespaces = x.Array
			}
		}
	}
	if v := getenv("PARAM_OVERLAY"); v != "" {
		p.Overlay = v
	}
	var idx []int
	vals := map[int]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if n, ok := strings.CutPrefix(k, "PARAM_NAMESPACES_"); ok {
			if i, err := strconv.Atoi(n); err == nil {
				idx = append(idx, i)
				vals[i] = v
			}
		}
	}
	if len(idx) > 0 {
		sort.Ints(idx)
		p.Namespaces = nil
		for _, i := range idx {
			p.Namespaces = append(p.Namespaces, vals[i])
		}
	}
	if strings.Contains(p.Overlay, "..") || filepath.IsAbs(p.Overlay) {
		return p, fmt.Errorf("overlay %q must be a path inside the application's directory", p.Overlay)
	}
	return p, nil
}
