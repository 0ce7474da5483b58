package manifest

import (
	"sort"
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

// IsPodBearing tells whether kind carries a pod template pullgen knows.
func IsPodBearing(kind string) bool {
	_, ok := podSpecPaths[kind]
	return ok
}

// PodBearingKinds lists the pod-bearing kinds, sorted.
func PodBearingKinds() []string {
	kinds := make([]string, 0, len(podSpecPaths))
	for k := range podSpecPaths {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// PodSpecPath is the path of kind's pod spec (spec.template.spec for a Deployment), nil
// for a kind that is not pod-bearing.
func PodSpecPath(kind string) []string {
	return podSpecPaths[kind]
}
