package cli

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"pullgen.dev/pullgen/internal/discover"
	"pullgen.dev/pullgen/internal/sandbox"
)

// runDiscover is `pullgen discover [DIR]`, the discovery command of the Argo CD plugin:
// exit 0 and the path of a file holding a PullAccess on stdout when DIR (default: the
// working directory) has one, exit 1 and nothing on stdout otherwise. It reads the
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
	dir, root, err := appDir(pos, "", std)
	if err != nil {
		return fail(std, "discover: %v", err)
	}
	// Everything discovery reads is under root: confine the process to it, as render is
	// (discovery decrypts nothing: no key is read, no key service allowed).
	if _, err := sandbox.Confine(sandbox.Policy{ReadDirs: []string{root}, Warn: std.Stderr}); err != nil {
		return fail(std, "discover: %v", err)
	}
	found, err := discover.Find(discover.Options{Root: root, Dir: dir})
	switch {
	case errors.Is(err, discover.ErrLimit):
		fmt.Fprintf(std.Stderr, "pullgen: discover: no PullAccess found before %v; point the Application's path at the application's directory\n", err)
		return ExitFindings
	case err != nil:
		return fail(std, "discover: %v", err)
	case found == "":
		fmt.Fprintf(std.Stderr, "pullgen: discover: no PullAccess in %s or its kustomizations\n", dir)
		return ExitFindings
	}
	if rel, err := filepath.Rel(dir, found); err == nil {
		found = rel
	}
	fmt.Fprintln(std.Stdout, found)
	return ExitOK
}
