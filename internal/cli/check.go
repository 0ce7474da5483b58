package cli

import (
	"os"

	"pullgen.dev/pullgen/internal/pullcheck"
	"pullgen.dev/pullgen/internal/render"
	"pullgen.dev/pullgen/internal/untrusted/rooted"
)

// runCheck is `pullgen check`. Kustomizations are built with pullgen's own in-process
// build, so that their PullAccess generators and transformers count, for their registry
// keys only: the check needs no credential, except with --online. Every manifest and
// stdin are read once, held to the check's caps (checkInput).
func runCheck(args []string, std IO) int {
	in := newCheckInput()
	build := func(keysOnly bool) func(arg, dir string) ([]byte, error) {
		return func(arg, dir string) ([]byte, error) {
			return render.Render(render.Options{
				Dir:       dir,
				Root:      rooted.WorkTreeDir(arg),
				LookupEnv: os.LookupEnv,
				Trusted:   true,
				KeysOnly:  keysOnly,
			})
		}
	}
	pullcheck.Build = build(true)
	pullcheck.BuildWithCredentials = build(false)
	pullcheck.ReadFile = in.readFile
	pullcheck.ReadStdin = in.readStdin
	// SARIF locations are relative to the repository of the working directory.
	return pullcheck.Main(args, std.Stdin, std.Stdout, std.Stderr, pullcheck.SARIFRun{Version: Version, Root: rooted.WorkTreeDir(".")})
}
