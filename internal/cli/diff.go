package cli

import (
	"flag"
	"fmt"
	"strings"

	"pullgen.dev/pullgen/internal/author/drift"
	"pullgen.dev/pullgen/internal/author/generate"
	"pullgen.dev/pullgen/internal/core/manifest"
)

// runDiff is `pullgen diff [PATH...] [--quiet] [--live FILE]`: it regenerates every
// PullAccess found under the paths in memory and compares the result with its committed
// output directory (with --live, its ServiceAccounts with the cluster's: runDiffLive).
// Exit 0 in step, 1 on drift, 2 on errors.
func runDiff(args []string, std IO) int {
	fset := flag.NewFlagSet("pullgen diff", flag.ContinueOnError)
	fset.SetOutput(std.Stderr)
	quiet := fset.Bool("quiet", false, "print no summary on stderr")
	live := fset.String("live", "", "compare the ServiceAccounts with a live dump (`FILE`, - for stdin) instead of the committed output")
	paths, err := parseInterspersed(fset, args)
	if err != nil {
		return parseExit(err)
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	specs, err := generate.FindSpecs(paths)
	if err != nil {
		return fail(std, "diff: %v", err)
	}
	if *live != "" {
		return runDiffLive(specs, *live, *quiet, std)
	}
	jobs, ok := generate.FindJobs(specs, "", std.Stderr, false)
	outputs, ok2 := generate.Run(jobs, std.Stderr, true)
	if !ok || !ok2 {
		return ExitUsage
	}
	drifted := false
	for _, o := range outputs {
		report, err := o.Compare(jobs)
		if err != nil {
			return fail(std, "%v", err)
		}
		for _, c := range report.Changes {
			if c.Diff != "" {
				fmt.Fprint(std.Stdout, c.Diff)
			}
		}
		for _, c := range report.Changes {
			fmt.Fprintln(std.Stdout, c.Summary())
		}
		if len(report.Changes) > 0 {
			drifted = true
		}
		if len(report.Unverified) > 0 {
			fmt.Fprintf(std.Stderr, "pullgen: %s: the encrypted values of %d Secrets were not verified: no key to decrypt them here (set SOPS_AGE_KEY_FILE)\n",
				o.Dir(), len(report.Unverified))
		}
		if !*quiet {
			state := "in step"
			if len(report.Changes) > 0 {
				state = fmt.Sprintf("%d objects drifted: run pullgen generate", len(report.Changes))
			}
			fmt.Fprintf(std.Stderr, "pullgen: %s; %s\n", o.Contents(), state)
		}
	}
	if !*quiet && len(outputs) == 0 {
		fmt.Fprintln(std.Stderr, "pullgen: no PullAccess with spec.output.dir found")
	}
	if drifted {
		return ExitFindings
	}
	return ExitOK
}

// runDiffLive is `pullgen diff [PATH...] --live FILE`: for every ServiceAccount the
// PullAccesses under the paths produce together, it tells which entries of the live object (from a
// `kubectl get sa -A -o yaml` dump, a List or a YAML stream) applying it would remove.
// Exit 0 when none would go, 1 when some would, 2 on errors.
func runDiffLive(specs []generate.Spec, file string, quiet bool, std IO) int {
	live, err := drift.ReadLive(file, std.Stdin)
	if err != nil {
		return fail(std, "diff: %v", err)
	}
	outputs, ok := generate.Run(generate.LiveJobs(specs), std.Stderr, true)
	if !ok {
		return ExitUsage
	}
	compared, losing := 0, 0
	for _, o := range outputs {
		for _, sa := range o.Objects() {
			if !manifest.IsServiceAccount(sa) {
				continue
			}
			cur, found := live[sa.GetNamespace()+"/"+sa.GetName()]
			if !found {
				continue
			}
			compared++
			if gone := drift.Removed(sa, cur); len(gone) > 0 {
				losing++
				fmt.Fprintf(std.Stdout, "ServiceAccount %s/%s: applying removes %s (%s); list them in keep of spec.serviceAccounts to keep them\n",
					sa.GetNamespace(), sa.GetName(), strings.Join(gone, ", "), drift.LinkedBy(sa))
			}
		}
	}
	if !quiet {
		fmt.Fprintf(std.Stderr, "pullgen: %s compared with %s; %s would lose entries\n",
			generate.Count(compared, "ServiceAccount"), file, generate.Plural(losing, "ServiceAccount", "ServiceAccounts"))
	}
	if losing > 0 {
		return ExitFindings
	}
	return ExitOK
}
