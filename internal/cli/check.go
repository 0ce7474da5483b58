package cli

import (
	"os"

	"pullgen.dev/pullgen/internal/pullcheck"
	"pullgen.dev/pullgen/internal/render"
)

// runCheck is `pullgen check`. Kustomizations are built with pullgen's own in-process
// build, so that their PullAccess generators and transformers count, for their registry
// keys only: the check needs no credential.
func runCheck(args []string, std IO) int {
	pullcheck.Build = func(dir string) ([]byte, error) {
		return render.Render(render.Options{
			Dir:       dir,
			Root:      pathRoot(dir),
			LookupEnv: os.LookupEnv,
			Trusted:   true,
			KeysOnly:  true,
		})
	}
	return pullcheck.Main(args, std.Stdin, std.Stdout, std.Stderr)
}
