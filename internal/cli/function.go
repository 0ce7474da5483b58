package cli

import (
	"bytes"
	"io"
	"os"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/fn"
	"pullgen.dev/pullgen/internal/credsource"
)

// functionOptions are the options of the KRM function and legacy plugin modes: relative
// paths resolve against the working directory, which kustomize sets to the
// kustomization's root and kpt to the package's.
func functionOptions() fn.Options {
	return fn.Options{Resolver: credsource.Resolver{BaseDir: ".", AllowHelpers: true}}
}

// runFunction is the KRM function mode: a ResourceList on stdin, one on stdout. On error
// the results go to stdout in the ResourceList and, one line each, to stderr.
func runFunction(std IO) int {
	p := &fn.Processor{Options: functionOptions()}
	var results framework.Results
	process := framework.ResourceListProcessorFunc(func(rl *framework.ResourceList) error {
		err := p.Process(rl)
		results = rl.Results
		return err
	})
	var buf bytes.Buffer
	err := framework.Execute(process, &kio.ByteReadWriter{Reader: std.Stdin, Writer: &buf, KeepReaderAnnotations: true})
	fn.PrintResults(std.Stderr, results)
	if results.ExitCode() != 0 {
		std.Stdout.Write(buf.Bytes())
		return ExitUsage
	}
	if err != nil {
		return fail(std, "reading the ResourceList: %v", err)
	}
	std.Stdout.Write(buf.Bytes())
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
