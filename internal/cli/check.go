package cli

import (
	"os"
	"path/filepath"

	"pullgen.dev/pullgen/internal/pullcheck"
	"pullgen.dev/pullgen/internal/render"
)

// runCheck is `pullgen check`. Kustomizations are built with pullgen's own in-process
// build, so that their PullAccess generators and transformers count, for their registry
// keys only: the check needs no credential, except with --online.
func runCheck(args []string, std IO) int {
	build := func(keysOnly bool) func(string) ([]byte, error) {
		return func(dir string) ([]byte, error) {
			return render.Render(render.Options{
				Dir:       dir,
				Root:      checkRoot(dir),
				LookupEnv: os.LookupEnv,
				Trusted:   true,
				KeysOnly:  keysOnly,
			})
		}
	}
	pullcheck.Build = build(true)
	pullcheck.BuildWithCredentials = build(false)
	return pullcheck.Main(args, std.Stdin, std.Stdout, std.Stderr)
}

// checkRoot is the directory a kustomization may load from: the enclosing git work tree,
// else the working directory when it holds dir, else dir.
func checkRoot(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if cwd, err := os.Getwd(); err == nil && render.Within(cwd, abs) {
		return cwd
	}
	return abs
}
