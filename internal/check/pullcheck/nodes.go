package pullcheck

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/yamlnode"
)

// Small readers over yaml.Node. The check walks nodes directly rather than through kyaml's
// filters: it only reads, and it reads tens of thousands of objects.

// field returns the value of key in a mapping node, or nil.
func field(n *yaml.Node, key string) *yaml.Node { return yamlnode.Field(n, key) }

// path follows a chain of keys through mapping nodes.
func path(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		n = field(n, k)
		if n == nil {
			return nil
		}
	}
	return n
}

// deref unwraps document and alias nodes.
func deref(n *yaml.Node) *yaml.Node { return yamlnode.Deref(n) }

// scalar returns the value of a scalar node, or "" for anything else.
func scalar(n *yaml.Node) string { return yamlnode.Scalar(n) }

// items returns the elements of a sequence node, or nil.
func items(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// meta is the identity of an object.
type meta struct {
	apiVersion, kind, namespace, name string
}

// readMeta reads apiVersion, kind, metadata.name and metadata.namespace.
func readMeta(n *yaml.Node) meta {
	md := field(n, "metadata")
	return meta{
		apiVersion: scalar(field(n, "apiVersion")),
		kind:       scalar(field(n, "kind")),
		namespace:  scalar(field(md, "namespace")),
		name:       scalar(field(md, "name")),
	}
}

// annotation returns one annotation of an object.
func annotation(n *yaml.Node, key string) string {
	return scalar(path(n, "metadata", "annotations", key))
}

// group returns the API group of an apiVersion ("" for the core group).
func group(apiVersion string) string {
	for i := 0; i < len(apiVersion); i++ {
		if apiVersion[i] == '/' {
			return apiVersion[:i]
		}
	}
	return ""
}
