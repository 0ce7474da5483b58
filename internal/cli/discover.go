package cli

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"pullgen.dev/pullgen/internal/argocd/discover"
	"pullgen.dev/pullgen/internal/argocd/plugin"
)

// runDiscover is `pullgen discover [DIR]`, the discovery command of the Argo CD plugin. It
// speaks argocd-cmp-server's protocol for discover.find.command: exit 0 and the path of a
// file holding a PullAccess on stdout when DIR (default: the working directory) has one (a
// match); exit 0 and nothing on stdout when it has none (no match: Argo CD leaves the
// Application to other plugins); exit 2 on an error, such as a bound reached before a
// PullAccess was found, which argocd-cmp-server reports as an error. It reads the
// repository as render does: nothing outside the root Argo CD sent, no program, no
// network.
func runDiscover(args []string, std IO) int {
	fs := flag.NewFlagSet("pullgen discover", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if len(pos) > 1 {
		return fail(std, "discover: usage: pullgen discover [DIR]")
	}
	dir, root, err := plugin.Locate(pos, "", std.Getenv)
	if err != nil {
		return fail(std, "discover: %v", err)
	}
	// Everything discovery reads is under root: confine the process to it, as render is
	// (discovery decrypts nothing: no key is read, no key service allowed).
	if err := plugin.ConfineDiscovery(root, std.Stderr); err != nil {
		return fail(std, "discover: %v", err)
	}
	found, err := discover.Find(discover.Options{Root: root, Dir: dir})
	switch {
	case errors.Is(err, discover.ErrLimit):
		return fail(std, "discover: no PullAccess found before %v; point the Application's path at the application's directory", err)
	case err != nil:
		return fail(std, "discover: %v", err)
	case found == "":
		// No match is not an error: argocd-cmp-server reads an empty stdout as "not mine".
		fmt.Fprintf(std.Stderr, "pullgen: discover: no PullAccess in %s or its kustomizations\n", dir)
		return ExitOK
	}
	if rel, err := filepath.Rel(dir, found); err == nil {
		found = rel
	}
	fmt.Fprintln(std.Stdout, found)
	return ExitOK
}
