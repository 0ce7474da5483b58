package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/fn"
	"pullgen.dev/pullgen/internal/author/krm"
)

// runFunction is the KRM function mode: a ResourceList on stdin, one on stdout. The
// function config is not echoed back (it may hold what a user should not have written
// there). On error the output holds the results and no items, and the results go to
// stderr one line each.
func runFunction(std IO) int {
	data, err := krm.ReadResourceList(std.Stdin)
	if err != nil {
		return malformedResourceList(std, err)
	}
	rw := &kio.ByteReadWriter{Reader: bytes.NewReader(data), KeepReaderAnnotations: true}
	items, err := rw.Read()
	if err != nil {
		return fail(std, "reading the ResourceList on stdin: %v", err)
	}
	config := rw.FunctionConfig
	rw.FunctionConfig = nil
	out, results := krm.Run(config, items)
	krm.BoundResults(results)
	fn.PrintResults(std.Stderr, results)
	var buf bytes.Buffer
	if err := krm.WriteResourceList(&buf, out, results); err != nil {
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
	out, results := krm.Run(config, items)
	krm.BoundResults(results)
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

// malformedResourceList answers an input that is not a ResourceList as the KRM functions
// specification asks: a ResourceList with the error as a result on stdout, the error on
// stderr, exit 1.
func malformedResourceList(std IO, err error) int {
	results := framework.Results{{Severity: framework.Error, Message: err.Error()}}
	var buf bytes.Buffer
	if werr := krm.WriteResourceList(&buf, nil, results); werr == nil {
		std.Stdout.Write(buf.Bytes())
	}
	fmt.Fprintf(std.Stderr, "pullgen: %v\n", err)
	return ExitFindings
}
