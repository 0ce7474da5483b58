package manifest

import (
	"sort"
	"strings"
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

// podBearingGroups restricts kinds whose name other API groups use too.
var podBearingGroups = map[string][]string{
	"Pod":              {""},
	"DeploymentConfig": {"apps.openshift.io", ""},
	"Rollout":          {"argoproj.io"},
}

// PodSpecPathOf is the path of an object's pod spec, nil when its apiVersion and kind do
// not make it a pod-bearing object.
func PodSpecPathOf(apiVersion, kind string) []string {
	p := podSpecPaths[kind]
	if p == nil {
		return nil
	}
	groups, restricted := podBearingGroups[kind]
	if !restricted {
		return p
	}
	group, _, found := strings.Cut(apiVersion, "/")
	if !found {
		group = "" // the core group: "v1"
	}
	for _, g := range groups {
		if g == group {
			return p
		}
	}
	return nil
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
