package cli

import (
	"os"
	"path/filepath"
	"strings"

	"pullgen.dev/pullgen/internal/pullcheck"
	"pullgen.dev/pullgen/internal/render"
)

// runCheck is `pullgen check`. Kustomizations are built with pullgen's own in-process
// build, so that their PullAccess generators and transformers count, for their registry
// keys only: the check needs no credential, except with --online.
func runCheck(args []string, std IO) int {
	roots := argumentRoots(args)
	build := func(keysOnly bool) func(string) ([]byte, error) {
		return func(dir string) ([]byte, error) {
			return render.Render(render.Options{
				Dir:       dir,
				Root:      rootFor(roots, dir),
				LookupEnv: os.LookupEnv,
				Trusted:   true,
				KeysOnly:  keysOnly,
			})
		}
	}
	pullcheck.Build = build(true)
	pullcheck.BuildWithCredentials = build(false)
	if err := guardCheckPaths(args); err != nil {
		return fail(std, "check: %v", err)
	}
	return pullcheck.Main(args, &cappedStdin{r: std.Stdin}, std.Stdout, std.Stderr)
}

// argumentRoots are the roots of the arguments that name files or directories.
func argumentRoots(args []string) []string {
	var roots []string
	for _, a := range args {
		if _, err := os.Stat(a); err == nil && !strings.HasPrefix(a, "-") {
			roots = append(roots, pathRoot(a))
		}
	}
	return roots
}

// rootFor is the root of the argument a kustomization was found under.
func rootFor(roots []string, dir string) string {
	abs, _ := filepath.Abs(dir)
	for _, r := range roots {
		if render.Within(r, abs) {
			return r
		}
	}
	return pathRoot(dir)
}
