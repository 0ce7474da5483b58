package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"pullgen.dev/pullgen/internal/untrusted/bound"

	"pullgen.dev/pullgen/internal/argocd/render"
	"pullgen.dev/pullgen/internal/check/online"
	"pullgen.dev/pullgen/internal/check/pullcheck"
	"pullgen.dev/pullgen/internal/core/sopsx"
	"pullgen.dev/pullgen/internal/untrusted/rooted"
)

// runCheck is `pullgen check [--format text|json|sarif] [--private REG]... [--namespace NS]
// [--expiring-within 14d] [--online [--concurrency N] [--timeout D] [--insecure-registry
// HOST]...] [PATH…|-]`. It reads stdin when there is no path or the path "-". It returns
// 0 without error findings, 1 with error findings and 2 on usage or input errors (reported
// on stderr, one line, naming the file).
//
// Every manifest and stdin are read once, held to the check's caps (pullcheck.Files).
// Kustomizations are built with pullgen's own in-process build, so that their PullAccess
// generators and transformers count, for their registry keys only: the check needs no
// credential, except with --online, where they are built with their credentials.
func runCheck(args []string, std IO) int {
	fs := flag.NewFlagSet("pullgen check", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	format := fs.String("format", pullcheck.FormatText, "output format: text, json or sarif")
	namespace := fs.String("namespace", pullcheck.DefaultNamespace, "namespace of objects that name none")
	var private registryList
	fs.Var(&private, "private", "treat registry `REG` (an auths key: host[:port][/path], globs allowed) as private; repeatable")
	var within window
	fs.Var(&within, "expiring-within", "warn of credentials (pullgen.dev/expires-at) that expire within `WINDOW` (14d, 336h); expired ones are errors anyway")
	onl := addOnlineFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: pullgen check [--format text|json|sarif] [--private REG]... [--namespace NS] [--expiring-within 14d]\n"+
			"                     [--online [--concurrency N] [--timeout D] [--insecure-registry HOST]...] [PATH...|-]")
		fmt.Fprintln(fs.Output(), "Predicts image pull failures in manifests, directories, kustomizations or stdin.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	switch *format {
	case pullcheck.FormatText, pullcheck.FormatJSON, pullcheck.FormatSARIF:
	default:
		fmt.Fprintf(std.Stderr, "pullgen check: unknown format %q (want %s)\n", *format, strings.Join(pullcheck.Formats, ", "))
		return ExitUsage
	}
	if *namespace == "" {
		fmt.Fprintln(std.Stderr, "pullgen check: --namespace must not be empty")
		return ExitUsage
	}
	if err := onl.check(fs); err != nil {
		fmt.Fprintf(std.Stderr, "pullgen check: %v\n", err)
		return ExitUsage
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{pullcheck.StdinPath}
	}
	objs, err := pullcheck.Load(paths, pullcheck.Input{Reader: pullcheck.NewFiles(), Build: checkBuild(!*onl.on), Stdin: std.Stdin})
	if err != nil {
		fmt.Fprintf(std.Stderr, "pullgen check: %s\n", bound.OneLine(err.Error()))
		return ExitUsage
	}
	opts := pullcheck.Options{Namespace: *namespace, Private: private, Decrypt: sopsx.DefaultKeys().Decrypt, ExpiringWithin: time.Duration(within),
		Verify: onl.verifier()}
	findings := pullcheck.Check(context.Background(), objs, opts)
	// SARIF locations are relative to the repository of the working directory.
	run := pullcheck.SARIFRun{Version: Version, Root: rooted.WorkTreeDir(".")}
	if err := pullcheck.Write(std.Stdout, *format, findings, run); err != nil {
		fmt.Fprintf(std.Stderr, "pullgen check: %s\n", bound.OneLine(err.Error()))
		return ExitUsage
	}
	if pullcheck.HasErrors(findings) {
		return ExitFindings
	}
	return ExitOK
}

// checkBuild is the check's build of a kustomization found under a path argument:
// render's in-process build of a repository the user trusts, from the root of the
// argument; keysOnly runs its PullAccess resources for their registry keys only.
func checkBuild(keysOnly bool) func(arg, dir string) ([]byte, error) {
	return func(arg, dir string) ([]byte, error) {
		return render.Render(render.Options{
			Dir:       dir,
			Root:      rooted.WorkTreeDir(arg),
			LookupEnv: os.LookupEnv,
			Trusted:   true,
			KeysOnly:  keysOnly,
			Keys:      sopsx.DefaultKeys(),
		})
	}
}

// registryList is the repeatable --private flag.
type registryList []string

func (s *registryList) String() string { return strings.Join(*s, ",") }

func (s *registryList) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("empty registry")
	}
	*s = append(*s, v)
	return nil
}

// window is the --expiring-within flag.
type window time.Duration

func (w *window) String() string { return time.Duration(*w).String() }

func (w *window) Set(v string) error {
	d, err := pullcheck.ParseWindow(v)
	*w = window(d)
	return err
}

// onlineFlags are the flags of `pullgen check --online`.
type onlineFlags struct {
	on          *bool
	concurrency *int
	timeout     *time.Duration
	insecure    registryList
}

// addOnlineFlags declares --online and its settings.
func addOnlineFlags(fs *flag.FlagSet) *onlineFlags {
	f := &onlineFlags{
		on:          fs.Bool("online", false, "also verify the credentials against the registries (network access; never on by default)"),
		concurrency: fs.Int("concurrency", online.DefaultConcurrency, "with --online: the most requests in flight at once"),
		timeout:     fs.Duration("timeout", online.DefaultTimeout, "with --online: the time limit of each request"),
	}
	fs.Var(&f.insecure, "insecure-registry", "with --online: reach registry `HOST` (host[:port]) over plain HTTP; repeatable")
	return f
}

// check refuses settings without --online and values out of range.
func (f *onlineFlags) check(fs *flag.FlagSet) error {
	var stray []string
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "concurrency", "timeout", "insecure-registry":
			stray = append(stray, "--"+fl.Name)
		}
	})
	switch {
	case !*f.on && len(stray) > 0:
		return fmt.Errorf("%s only applies with --online", strings.Join(stray, ", "))
	case *f.concurrency < 1:
		return fmt.Errorf("--concurrency must be at least 1, not %d", *f.concurrency)
	case *f.timeout <= 0:
		return fmt.Errorf("--timeout must be positive, not %s", *f.timeout)
	}
	return nil
}

// verifier is the online verification the flags ask for; nil without --online.
func (f *onlineFlags) verifier() pullcheck.Verifier {
	if !*f.on {
		return nil
	}
	o := online.Options{Concurrency: *f.concurrency, Timeout: *f.timeout, Insecure: f.insecure}
	return func(ctx context.Context, probes []online.Probe) []online.Result { return online.Verify(ctx, probes, o) }
}
