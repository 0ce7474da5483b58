// Package helm is pullgen as Helm's post-renderer: it applies the PullAccesses of spec
// files to a chart's manifests, in order (a transformer chain), with the release namespace
// for the objects that name none, and refuses what would make Helm own what is not the
// chart's (a ServiceAccount the chart lacks, the cluster's global pull secret). Secrets are
// plaintext: Helm cannot decrypt.
//
// It parses no flag and sets no exit code; the problems of specs go to the writer it is
// given, one line each.
package helm

import (
	"fmt"
	"io"
	"path/filepath"

	"pullgen.dev/pullgen/schema/v1alpha1"

	"pullgen.dev/pullgen/internal/author/generate"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/fn"
	"pullgen.dev/pullgen/internal/core/manifest"
)

// FilenameAnnotation is the annotation Helm 4 stamps on each document it gives a
// post-renderer, naming the template it came from; Helm reads it back and removes it.
const FilenameAnnotation = "postrenderer.helm.sh/postrender-filename"

// PostRender runs every PullAccess of the spec files over the chart's items, in order,
// with ns as the namespace of the items without one, and returns the result. Problems
// are printed; ok is false when any is an error.
func PostRender(items []*yaml.RNode, ns string, specs []string, report io.Writer) (out []*yaml.RNode, ok bool) {
	chart := map[*yaml.Node]bool{}
	unnamespaced := map[*yaml.Node]bool{}
	chartAccounts := map[string]bool{}
	stamped := false
	for _, it := range items {
		chart[it.YNode()] = true
		if it.GetNamespace() == "" {
			unnamespaced[it.YNode()] = true
			if err := it.SetNamespace(ns); err != nil {
				fmt.Fprintf(report, "pullgen: helm: %s %s: setting the namespace: %v\n", it.GetKind(), it.GetName(), err)
				return nil, false
			}
		}
		if manifest.IsServiceAccount(it) {
			chartAccounts[it.GetNamespace()+"/"+it.GetName()] = true
		}
		_, has := it.GetAnnotations()[FilenameAnnotation]
		stamped = stamped || has
	}
	ok = true
	for _, file := range specs {
		s := generate.ReadSpec(file)
		if s.Err != nil {
			fmt.Fprintf(report, "pullgen: %v\n", s.Err)
			ok = false
			continue
		}
		for _, pa := range s.Nodes {
			src := fn.Source{File: file, Name: pa.GetName()}
			if p := helmGlobalPullSecret(pa); p != nil {
				fn.PrintResults(report, p.Results(src))
				ok = false
				continue
			}
			if err := defaultNamespaces(pa, ns); err != nil {
				fmt.Fprintf(report, "%s: PullAccess %s: spec.namespaces: %v\n", file, pa.GetName(), err)
				ok = false
				continue
			}
			decoded, problems := fn.Decode(pa) // once, for the run and the checks after it
			if decoded == nil {
				fn.PrintResults(report, problems.Results(fn.Source{File: file}))
				ok = false
				continue
			}
			res, problems := fn.Process(decoded, problems, items, fn.Options{File: file, Plaintext: true,
				Sources: fn.Sources{BaseDir: filepath.Dir(file), AllowHelpers: true}})
			fn.PrintResults(report, problems.Results(fn.Source{File: file, Name: decoded.Metadata.Name}))
			if problems.HasErrors() {
				ok = false
				continue
			}
			if p := takenOver(decoded, res, chartAccounts); len(p) > 0 {
				fn.PrintResults(report, p.Results(src))
				ok = false
				continue
			}
			items = res
		}
	}
	if !ok {
		return nil, false
	}
	for _, it := range items {
		var err error
		switch {
		case unnamespaced[it.YNode()]:
			err = it.PipeE(yaml.Lookup("metadata"), yaml.Clear("namespace"))
		case stamped && !chart[it.YNode()]:
			err = it.PipeE(yaml.SetAnnotation(FilenameAnnotation, "pullgen/"+manifest.FileName(it)))
		}
		if err != nil {
			fmt.Fprintf(report, "pullgen: helm: %s %s: %v\n", it.GetKind(), it.GetName(), err)
			return nil, false
		}
	}
	return items, true
}

// defaultNamespaces makes a PullAccess that names no namespaces (neither spec.namespaces
// nor spec.namespaceSelector) cover the release namespace.
func defaultNamespaces(pa *yaml.RNode, ns string) error {
	spec := pa.Field("spec")
	if spec == nil || spec.Value.YNode().Kind != yaml.MappingNode {
		return nil // fn.Run reports it
	}
	for _, f := range []string{"namespaces", "namespaceSelector"} {
		if v := spec.Value.Field(f); v != nil && !yaml.IsYNodeNilOrEmpty(v.Value.YNode()) {
			return nil
		}
	}
	return spec.Value.PipeE(yaml.SetField("namespaces", yaml.NewListRNode(ns)))
}

// helmGlobalPullSecret refuses spec.globalPullSecret: the cluster's pull secret exists on
// every OpenShift cluster and is no release's to own.
func helmGlobalPullSecret(pa *yaml.RNode) fn.Problems {
	if v, _ := pa.Pipe(yaml.Lookup("spec", "globalPullSecret")); v == nil || yaml.IsYNodeNilOrEmpty(v.YNode()) {
		return nil
	}
	return fn.Problems{{Severity: framework.Error, Field: "spec.globalPullSecret", Message: fmt.Sprintf(
		"the cluster's pull secret (%s/%s) is not Helm's to own: Helm would refuse to install over it, or with --take-ownership take it over and delete it on uninstall; generate it with pullgen generate and apply it outside the release",
		manifest.GlobalPullSecretNS, manifest.GlobalPullSecretName)}}
}

// takenOver refuses the ServiceAccounts a PullAccess's run added that the chart does not
// have: Helm would own them, and the one usually linked, default, exists in every
// namespace.
func takenOver(decoded *v1alpha1.PullAccess, out []*yaml.RNode, chartAccounts map[string]bool) fn.Problems {
	var p fn.Problems
	for _, o := range out {
		key := o.GetNamespace() + "/" + o.GetName()
		if !manifest.IsServiceAccount(o) || chartAccounts[key] {
			continue
		}
		field := "spec.serviceAccounts"
		for i, sa := range decoded.Spec.ServiceAccounts {
			if sa.Name == o.GetName() {
				field = fmt.Sprintf("spec.serviceAccounts[%d]", i)
			}
		}
		p = append(p, fn.Problem{Severity: framework.Error, Field: field, Message: fmt.Sprintf(
			"ServiceAccount %s is not one of the chart's: Helm would own it, refusing to install over the live one or, with --take-ownership, taking it over and deleting it on uninstall; add it to the chart, or give the chart's pods the Secret with spec.workloads instead",
			key)})
	}
	return p
}
