package cli

import (
	"bytes"
	"io"
	"os"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/fn"
	"pullgen.dev/pullgen/internal/credsource"
)

// functionOptions are the options of the KRM function and legacy plugin modes: relative
// paths resolve against kpt's package path when kpt gives one, else against the working
// directory, which kustomize sets to the kustomization's root.
func functionOptions() fn.Options {
	return fn.Options{Resolver: credsource.Resolver{AllowHelpers: true}}
}

// runFunction is the KRM function mode: a ResourceList on stdin, one on stdout. The
// function config is not echoed back (it may hold what a user should not have written
// there). On error the output holds the results and no items, and the results go to
// stderr one line each.
func runFunction(std IO) int {
	rw := &kio.ByteReadWriter{Reader: std.Stdin, KeepReaderAnnotations: true}
	items, err := rw.Read()
	if err != nil {
		return fail(std, "reading the ResourceList on stdin: %v", err)
	}
	config := rw.FunctionConfig
	rw.FunctionConfig = nil
	out, results := fn.Run(config, items, functionOptions())
	fn.PrintResults(std.Stderr, results)
	if len(results) > 0 {
		b, err := yaml.Marshal(results)
		if err != nil {
			return fail(std, "encoding the results: %v", err)
		}
		if rw.Results, err = yaml.Parse(string(b)); err != nil {
			return fail(std, "encoding the results: %v", err)
		}
	}
	var buf bytes.Buffer
	rw.Writer = &buf
	if err := rw.Write(out); err != nil {
		return fail(std, "writing the ResourceList: %v", err)
	}
	std.Stdout.Write(buf.Bytes())
	if results.ExitCode() != 0 {
		return ExitUsage
	}
	return ExitOK
}

// runLegacyPlugin is kustomize's legacy exec plugin protocol: the config file is the
// argument, the resources (transformer) or nothing (generator) come on stdin, and the
// resources go to stdout as a YAML stream.
func runLegacyPlugin(configFile string, std IO) int {
	data, err := os.ReadFile(configFile)
	if err != nil {
		return fail(std, "reading %s: %v", configFile, err)
	}
	config, err := yaml.Parse(string(data))
	if err != nil {
		return fail(std, "%s: parsing the PullAccess: %v", configFile, err)
	}
	in, err := io.ReadAll(std.Stdin)
	if err != nil {
		return fail(std, "reading stdin: %v", err)
	}
	var items []*yaml.RNode
	if len(bytes.TrimSpace(in)) > 0 {
		items, err = (&kio.ByteReader{Reader: bytes.NewReader(in), OmitReaderAnnotations: true}).Read()
		if err != nil {
			return fail(std, "reading the resources on stdin: %v", err)
		}
	}
	out, results := fn.Run(config, items, functionOptions())
	fn.PrintResults(std.Stderr, results)
	if results.ExitCode() != 0 {
		return ExitUsage
	}
	var buf bytes.Buffer
	if err := (kio.ByteWriter{Writer: &buf}).Write(out); err != nil {
		return fail(std, "writing the resources: %v", err)
	}
	std.Stdout.Write(buf.Bytes())
	return ExitOK
}
