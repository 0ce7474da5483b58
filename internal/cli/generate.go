package cli

import (
	"flag"
	"fmt"

	"pullgen.dev/pullgen/internal/author/generate"
)

// runGenerate is `pullgen generate SPEC... [-o DIR] [--quiet]`.
func runGenerate(args []string, std IO) int {
	fs := flag.NewFlagSet("pullgen generate", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	outDir := fs.String("o", "", "output directory (default: each spec's spec.output.dir)")
	quiet := fs.Bool("quiet", false, "print no summary")
	specs, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if len(specs) == 0 {
		return fail(std, "generate: give at least one PullAccess file or directory")
	}
	jobs, ok, err := generate.Jobs(specs, *outDir, std.Stderr)
	if err != nil {
		return fail(std, "generate: %v", err)
	}
	outputs, ok2 := generate.Run(jobs, std.Stderr, false)
	if !ok || !ok2 {
		fmt.Fprintln(std.Stderr, "pullgen: nothing written")
		return ExitUsage
	}
	err = generate.Write(outputs, func(o *generate.Output) {
		if !*quiet {
			fmt.Fprintln(std.Stderr, "pullgen: "+o.Summary())
		}
	})
	if err != nil {
		return fail(std, "%v", err)
	}
	return ExitOK
}
