package pullcheck

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/manifest"
)

// containerLists are the pod spec fields that hold containers, in the order they are read.
var containerLists = []string{"initContainers", "containers", "ephemeralContainers"}

// podSpec returns the pod spec of a pod-bearing object and its field path, or nil.
func podSpec(n *yaml.Node, m meta) (*yaml.Node, string) {
	p := manifest.PodSpecPathOf(m.apiVersion, m.kind)
	if p == nil {
		return nil, ""
	}
	spec := path(n, p...)
	if spec == nil || spec.Kind != yaml.MappingNode {
		return nil, ""
	}
	return spec, strings.Join(p, ".")
}
