// Package cli is pullgen's command line and nothing else: it picks the mode from the
// arguments (KRM function, kustomize legacy exec plugin, or a subcommand), parses each
// command's flags, hands the values to the packages of its surface (author: krm,
// generate, drift, helm; argocd: plugin, render, discover; check: pullcheck), prints what
// they return, and maps failures to exit codes (0 success, 1 findings, 2 usage or input
// errors), which are defined here only. What a command does belongs to those packages:
// cli must not hold it, and they must not hold flags or exit codes.
package cli

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitFindings = 1
	ExitUsage    = 2
)

// Version is pullgen's version, set at build time with -ldflags "-X ...cli.Version=...".
var Version = "v0.1.0-dev"

// IO is what a command reads and writes.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// StdinIsTerminal tells whether a person types at stdin (then pullgen prints its usage
	// instead of waiting for a ResourceList).
	StdinIsTerminal bool
	// Getenv and Environ read the environment.
	Getenv func(string) string
}

// Std is the process's own IO.
func Std() IO {
	st, err := os.Stdin.Stat()
	tty := err == nil && st.Mode()&os.ModeCharDevice != 0
	return IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, StdinIsTerminal: tty, Getenv: os.Getenv}
}

const usage = `pullgen: image pull Secrets, ServiceAccount links and image-puller RoleBindings from one PullAccess.

Usage:
  pullgen                        KRM function: ResourceList on stdin, ResourceList on stdout
  pullgen CONFIG                 kustomize legacy exec plugin (resources on stdin)
  pullgen generate SPEC|DIR... [-o DIR]
                                 write one file per resource and a kustomization.yaml
  pullgen install [DIR]          install as a kustomize legacy plugin
  pullgen render [DIR]           Argo CD plugin: build DIR in process, decrypt, print
  pullgen discover [DIR]         Argo CD plugin: print a file of DIR holding a PullAccess
                                 (nothing when none; exit 2 on an error)
  pullgen check [PATH...|-]      predict image pull failures (exit 1 on errors)
  pullgen helm --namespace NS SPEC...
                                 Helm post-renderer: manifests on stdin, with the
                                 PullAccesses applied (plaintext Secrets) on stdout
  pullgen diff [PATH...]         compare committed output with its specs (exit 1 on drift)
  pullgen diff --live FILE [PATH...]
                                 live ServiceAccount entries applying would remove (exit 1 if any)
  pullgen scope [--namespace NS]... [--any] FILE...
                                 show or set where an encrypted file's values may go
  pullgen schema                 print the JSON Schema of PullAccess
  pullgen version                print the version

Exit codes: 0 success, 1 findings, 2 usage or input errors.
`

// Main runs pullgen with args (without the program name) and returns the exit code.
func Main(args []string, std IO) int {
	if std.Getenv == nil {
		std.Getenv = os.Getenv
	}
	if os.Getenv("GOGC") == "" {
		// pullgen runs for a moment: collect garbage less often, for a little more memory.
		debug.SetGCPercent(150)
	}
	if len(args) == 0 {
		if std.StdinIsTerminal {
			fmt.Fprint(std.Stderr, usage)
			return ExitUsage
		}
		return runFunction(std)
	}
	switch args[0] {
	case "generate":
		return runGenerate(args[1:], std)
	case "install":
		return runInstall(args[1:], std)
	case "diff":
		return runDiff(args[1:], std)
	case "render":
		return runRender(args[1:], std)
	case "discover":
		return runDiscover(args[1:], std)
	case "check":
		return runCheck(args[1:], std)
	case "scope":
		return runScope(args[1:], std)
	case "helm":
		return runHelm(args[1:], std)
	case "schema":
		return runSchema(args[1:], std)
	case "version", "--version":
		fmt.Fprintln(std.Stdout, "pullgen", Version)
		return ExitOK
	case "help", "-h", "--help":
		fmt.Fprint(std.Stdout, usage)
		return ExitOK
	}
	if len(args) >= 1 && !strings.HasPrefix(args[0], "-") {
		if st, err := os.Stat(args[0]); err == nil && st.Mode().IsRegular() {
			return runLegacyPlugin(args[0], std)
		}
	}
	fmt.Fprintf(std.Stderr, "pullgen: unknown command or file %q\n\n%s", args[0], usage)
	return ExitUsage
}

// fail prints one line per error to stderr and returns ExitUsage.
func fail(std IO, format string, args ...any) int {
	fmt.Fprintf(std.Stderr, "pullgen: "+format+"\n", args...)
	return ExitUsage
}
