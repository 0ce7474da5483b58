package pullcheck

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"pullgen.dev/pullgen/internal/sopsx"
)

// Exit codes of Main.
const (
	ExitOK       = 0
	ExitFindings = 1
	ExitUsage    = 2
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("empty registry")
	}
	*s = append(*s, v)
	return nil
}

// Main runs `pullgen check [--format text|json|sarif] [--private REG]... [--namespace NS]
// [--expiring-within 14d] [--online [--concurrency N] [--timeout D] [--insecure-registry HOST]...]
// [PATH…|-]`; args are the arguments after "check". It reads stdin when there is no path
// or the path "-". It returns 0 without error findings, 1 with error findings and 2 on usage
// or input errors (reported on stderr, one line, naming the file). run is what a SARIF report
// says besides the findings.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, run SARIFRun) int {
	fs := flag.NewFlagSet("pullgen check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", FormatText, "output format: text, json or sarif")
	namespace := fs.String("namespace", DefaultNamespace, "namespace of objects that name none")
	var private stringList
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
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	switch *format {
	case FormatText, FormatJSON, FormatSARIF:
	default:
		fmt.Fprintf(stderr, "pullgen check: unknown format %q (want %s)\n", *format, strings.Join(Formats, ", "))
		return ExitUsage
	}
	if *namespace == "" {
		fmt.Fprintln(stderr, "pullgen check: --namespace must not be empty")
		return ExitUsage
	}
	if err := onl.check(fs); err != nil {
		fmt.Fprintf(stderr, "pullgen check: %v\n", err)
		return ExitUsage
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{StdinPath}
	}
	objs, err := onl.load(paths, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "pullgen check: %s\n", oneLine(err.Error()))
		return ExitUsage
	}
	opts := Options{Namespace: *namespace, Private: private, Decrypt: sopsx.Decrypt, ExpiringWithin: time.Duration(within)}
	ix, findings := analyze(objs, opts)
	findings = onl.verify(ix, findings, opts)
	if err := Write(stdout, *format, findings, run); err != nil {
		fmt.Fprintf(stderr, "pullgen check: %s\n", oneLine(err.Error()))
		return ExitUsage
	}
	if HasErrors(findings) {
		return ExitFindings
	}
	return ExitOK
}

// window is the --expiring-within flag.
type window time.Duration

func (w *window) String() string { return time.Duration(*w).String() }

func (w *window) Set(v string) error {
	d, err := ParseWindow(v)
	*w = window(d)
	return err
}

// oneLine folds a multi-line error message onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
