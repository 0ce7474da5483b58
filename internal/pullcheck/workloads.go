package pullcheck

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// podSpecPaths maps each pod-bearing kind to the path of its pod spec.
var podSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"Deployment":            {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"DeploymentConfig":      {"spec", "template", "spec"},
	"Rollout":               {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}

// podBearingGroups restricts kinds whose name other API groups also use.
var podBearingGroups = map[string][]string{
	"Pod":              {""},
	"DeploymentConfig": {"apps.openshift.io", ""},
	"Rollout":          {"argoproj.io"},
}

// containerLists are the pod spec fields that hold containers, in the order they are read.
var containerLists = []string{"initContainers", "containers", "ephemeralContainers"}

// PodBearingKinds returns the kinds the check reads pod specs from.
func PodBearingKinds() []string { return sortedKeys(podSpecPaths) }

// podSpec returns the pod spec of a pod-bearing object and its field path, or nil.
func podSpec(n *yaml.Node, m meta) (*yaml.Node, string) {
	p, ok := podSpecPaths[m.kind]
	if !ok {
		return nil, ""
	}
	if groups, ok := podBearingGroups[m.kind]; ok {
		g := group(m.apiVersion)
		found := false
		for _, want := range groups {
			found = found || g == want
		}
		if !found {
			return nil, ""
		}
	}
	spec := path(n, p...)
	if spec == nil || spec.Kind != yaml.MappingNode {
		return nil, ""
	}
	prefix := p[0]
	for _, s := range p[1:] {
		prefix += "." + s
	}
	return spec, prefix
}
