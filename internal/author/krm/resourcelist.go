// Package krm is the KRM functions protocol as pullgen speaks it under kustomize, kpt and
// kustomize's legacy exec plugins: it reads a ResourceList (or a manifest stream) within
// caps, before a parser expands it, runs the PullAccess of the function config over the
// items within a cap on the memory it allocates (Run), and writes a ResourceList with the
// items and the results, every message bounded to a short excerpt of the input.
//
// It serves the author's tools, and must not depend on the Argo CD boundary (render); it
// parses no flag and sets no exit code.
package krm

import (
	"bytes"
	"fmt"
	"io"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"pullgen.dev/pullgen/fn"
	"pullgen.dev/pullgen/internal/untrusted/bound"
	"pullgen.dev/pullgen/internal/untrusted/yamlcap"
)

// maxResourceList caps what the function reads on stdin.
const maxResourceList = 256 << 20

// functionLimits bound the ResourceList the function reads: what kustomize or kpt built
// may be big, so only what no build can mean is refused (alias bombs, deep nesting,
// absurd sizes), and, with render's cap, the namespaces of the function config, which the
// function multiplies.
func functionLimits() yamlcap.Limits {
	l := yamlcap.Defaults()
	l.Nodes *= 4
	return l
}

// ReadResourceList reads the function's input and checks that it is a ResourceList
// (KRM functions specification): a mapping of kind ResourceList whose items, when present,
// are a list of objects and whose functionConfig, when present, is an object. Errors quote
// none of the input.
func ReadResourceList(r io.Reader) ([]byte, error) {
	data, err := ReadCapped(r, "the ResourceList on stdin")
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("the input on stdin is not YAML (%s)", bound.Message(err.Error()))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, fmt.Errorf("the input on stdin holds more than one YAML document; a ResourceList is one")
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the input on stdin is not a ResourceList: not a mapping")
	}
	top := doc.Content[0]
	if kind := field(top, "kind"); kind == nil || kind.Value != "ResourceList" {
		return nil, fmt.Errorf("the input on stdin is not a ResourceList: kind is not ResourceList")
	}
	if items := field(top, "items"); items != nil && !isNull(items) {
		if items.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("ResourceList.items: not a list of objects")
		}
		for i, it := range items.Content {
			for it.Kind == yaml.AliasNode && it.Alias != nil {
				it = it.Alias
			}
			if it.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("ResourceList.items[%d]: not an object", i)
			}
			for _, f := range []string{"apiVersion", "kind"} {
				if v := field(it, f); v == nil || v.Kind != yaml.ScalarNode || v.Value == "" {
					return nil, fmt.Errorf("ResourceList.items[%d].%s: missing", i, f)
				}
			}
		}
	}
	if config := field(top, "functionConfig"); config != nil && !isNull(config) {
		if config.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("ResourceList.functionConfig: not an object")
		}
		if ns, max := field(field(config, "spec"), "namespaces"), fn.MaxNamespaces; ns != nil && len(ns.Content) > max {
			return nil, fmt.Errorf("ResourceList.functionConfig.spec.namespaces: %d namespaces, more than the %d a PullAccess may have", len(ns.Content), max)
		}
	}
	return data, nil
}

// ReadCapped reads the function's input (what names it in errors) within its caps: at
// most maxResourceList bytes, and YAML within functionLimits.
func ReadCapped(r io.Reader, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxResourceList+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if len(data) > maxResourceList {
		return nil, fmt.Errorf("%s is bigger than %d bytes", what, maxResourceList)
	}
	if _, err := yamlcap.Measure(data, functionLimits()); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return data, nil
}

// field is the value of a mapping's key, aliases followed; nil when absent.
func field(m *yaml.Node, key string) *yaml.Node {
	if m == nil {
		return nil
	}
	for m.Kind == yaml.AliasNode && m.Alias != nil {
		m = m.Alias
	}
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			for v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
			return v
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// BoundResults bounds the messages of results as render bounds its errors: they quote at
// most a short excerpt of the input.
func BoundResults(results framework.Results) {
	for _, r := range results {
		if r != nil {
			r.Message = bound.Message(r.Message)
		}
	}
}
