// Package clusterpullsecret holds what managed and hosted OpenShift clusters make of the
// cluster-wide pull secret (the nodes' credentials): how a hosted control plane builds it
// from its original pull secret and an additional one, and what Azure Red Hat OpenShift
// requires of it. Generation writes by these rules and the pull check reads by them.
package clusterpullsecret

import (
	"errors"
	"maps"
	"sort"
	"strings"

	"pullgen.dev/pullgen/internal/core/dockercfg"
)

// Hosted control planes (HyperShift: ROSA HCP, ARO HCP, self-managed): the hosted
// cluster's openshift-config/pull-secret is reconciled from the management side, so edits
// to it are undone. Extra credentials go into kube-system/additional-pull-secret of the
// hosted cluster (manifest.AdditionalPullSecretName); its hosted cluster config operator
// merges that into the original pull secret (HostedCluster spec.pullSecret), and a
// DaemonSet writes the result to the nodes' kubelet config.json.

// RedHatPullSecretKeys are the keys of a pull secret from Red Hat's console, which every
// OpenShift cluster's original pull secret holds: an additional entry under one of them is
// ignored on a hosted cluster.
var RedHatPullSecretKeys = []string{"cloud.openshift.com", "quay.io", "registry.connect.redhat.com", "registry.redhat.io"}

// MergeAdditional is the nodes' credentials on a hosted cluster, over auths or over
// anything else keyed by auths key: the original entries as they are, and each additional
// entry whose key the original does not have (keys compared exactly, as written). ignored
// lists, sorted, the additional keys the original shadows; a path key (quay.io/org rather
// than quay.io) adds a credential for a host the original has, and the kubelet and the
// runtime both prefer it for that path.
func MergeAdditional[M ~map[string]V, V any](original, additional M) (merged M, ignored []string) {
	merged = make(M, len(original)+len(additional))
	for k, v := range additional {
		if _, ok := original[k]; ok {
			ignored = append(ignored, k)
			continue
		}
		merged[k] = v
	}
	maps.Copy(merged, original)
	sort.Strings(ignored)
	return merged, ignored
}

// ValidateAdditional checks an additional pull secret's auths as HyperShift does before it
// merges: one entry at least (else the nodes keep the original alone).
func ValidateAdditional(additional dockercfg.Auths) error {
	if len(additional) == 0 {
		return errors.New("an additional pull secret needs at least one registry: HyperShift ignores an empty one")
	}
	return nil
}

// PathKeyHint suggests the key to use instead of a shadowed host key.
func PathKeyHint(key string) string {
	host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://"), "/")
	return host + "/<namespace>"
}

// Azure Red Hat OpenShift keeps a credential of its own in the cluster's pull secret, and
// a cloud.openshift.com credential turns on the cluster's telemetry and Insights reporting.
const (
	AROServiceRegistry = "arosvc.azurecr.io"
	TelemetryRegistry  = "cloud.openshift.com"
)

// AROCheck is what Azure Red Hat OpenShift makes of a global pull secret written over the
// cluster's.
type AROCheck struct {
	// Dropped: the base has arosvc.azurecr.io and the result lacks it or changes it; the
	// cluster's own pulls would break.
	Dropped bool
	// Missing: neither the base nor the result has arosvc.azurecr.io: the base is not an ARO
	// cluster's pull secret.
	Missing bool
	// Telemetry: the result adds cloud.openshift.com, which the base does not have:
	// telemetry and Insights reporting turn on.
	Telemetry bool
}

// CheckARO compares the global pull secret pullgen writes (result) with the cluster's own
// (base).
func CheckARO(base, result dockercfg.Auths) AROCheck {
	var c AROCheck
	baseEntry, inBase := base[AROServiceRegistry]
	resultEntry, inResult := result[AROServiceRegistry]
	switch {
	case inBase && (!inResult || string(baseEntry) != string(resultEntry)):
		c.Dropped = true
	case !inBase && !inResult:
		c.Missing = true
	}
	_, telemetryBase := base[TelemetryRegistry]
	_, telemetryResult := result[TelemetryRegistry]
	c.Telemetry = telemetryResult && !telemetryBase
	return c
}
