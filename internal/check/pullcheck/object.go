package pullcheck

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Annotations through which kyaml, kustomize and kpt record the file a resource comes from.
const (
	PathAnnotation       = "internal.config.kubernetes.io/path"
	LegacyPathAnnotation = "config.kubernetes.io/path"
)

// Object is one input resource and where it comes from.
type Object struct {
	// Node is the resource.
	Node *yaml.RNode
	// File is the file (or kustomization directory, or "-" for stdin) it was read from.
	File string
	// Lines reports whether the node's line numbers are lines of File. They are not for
	// objects built by kustomize or received in a ResourceList.
	Lines bool
	// pod, for a pod-bearing object read by the fast reader, is what the check needs of it;
	// Node is nil then.
	pod *podRecord
}

// ObjectsFromNodes wraps in-memory resources (a KRM function's items) as Objects, taking
// each one's file from the internal.config.kubernetes.io/path or config.kubernetes.io/path
// annotation when present. Line numbers are not reported for them.
func ObjectsFromNodes(nodes []*yaml.RNode) []Object {
	out := make([]Object, 0, len(nodes))
	for _, n := range nodes {
		if n == nil {
			continue
		}
		out = append(out, Object{Node: n, File: fileOf(n.YNode())})
	}
	return out
}

// fileOf returns the path annotation of a resource, or "".
func fileOf(n *yaml.Node) string {
	if p := annotation(n, PathAnnotation); p != "" {
		return p
	}
	return annotation(n, LegacyPathAnnotation)
}
