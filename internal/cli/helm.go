package cli

import (
	"bytes"
	"flag"
	"fmt"
	"io"

	"pullgen.dev/pullgen/internal/author/helm"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/author/krm"
	"pullgen.dev/pullgen/internal/core/scope"
)

// runHelm is `pullgen helm --namespace NS SPEC...`, Helm's post-renderer: the chart's
// manifests on stdin, the same manifests with each PullAccess of the SPEC files applied
// on stdout (a transformer chain, as in a kustomization's transformers). Helm does not
// tell a post-renderer the release namespace, so it is an argument: objects without a
// namespace are in it while pullgen works (and are written back without one), and a
// PullAccess naming no namespaces covers it. Secrets are plaintext (Helm cannot decrypt),
// with credentials read now, at install time. pullgen never makes Helm own what was not
// the chart's and is not pullgen's new object: a ServiceAccount the chart lacks (such as
// default, which every namespace has) or the cluster's global pull secret is refused, and
// nothing is printed.
func runHelm(args []string, std IO) int {
	fs := flag.NewFlagSet("pullgen helm", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	var ns string
	fs.StringVar(&ns, "namespace", "", "the release namespace (the value of helm's --namespace)")
	fs.StringVar(&ns, "n", "", "shorthand for --namespace")
	specs, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	switch {
	case ns == "":
		return fail(std, "helm: --namespace is required: Helm does not tell a post-renderer the release namespace; pass helm's --namespace value again (--post-renderer-args --namespace=NS)")
	case scope.CheckNamespace(ns) != nil:
		return fail(std, "helm: --namespace %q: not a namespace name (lower case letters, digits and '-', at most 63)", ns)
	case len(specs) == 0:
		return fail(std, "helm: give at least one PullAccess file")
	}
	items, err := readHelmManifests(std.Stdin)
	if err != nil {
		return fail(std, "helm: %v", err)
	}
	out, ok := helm.PostRender(items, ns, specs, std.Stderr)
	if !ok {
		fmt.Fprintln(std.Stderr, "pullgen: nothing printed")
		return ExitUsage
	}
	var buf bytes.Buffer
	if err := (kio.ByteWriter{Writer: &buf}).Write(out); err != nil {
		return fail(std, "helm: writing the manifests: %v", err)
	}
	std.Stdout.Write(buf.Bytes())
	return ExitOK
}

// readHelmManifests reads the YAML stream Helm gives a post-renderer, within the
// function's caps.
func readHelmManifests(r io.Reader) ([]*yaml.RNode, error) {
	data, err := krm.ReadCapped(r, "the manifests on stdin")
	if err != nil {
		return nil, err
	}
	items, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil, fmt.Errorf("reading the manifests on stdin: %w", err)
	}
	return items, nil
}
