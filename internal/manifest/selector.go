package manifest

import (
	"path"
	"slices"

	"pullgen.dev/pullgen/schema/v1alpha1"
)

// ProjectAPIVersion is the apiVersion of OpenShift's Project, which a namespaceSelector
// reads like a Namespace.
const ProjectAPIVersion = "project.openshift.io/v1"

// IsNamespaceKind tells whether an object is a Namespace or an OpenShift Project, the
// objects spec.namespaceSelector chooses among.
func IsNamespaceKind(apiVersion, kind string) bool {
	return kind == "Namespace" && apiVersion == "v1" || kind == "Project" && apiVersion == ProjectAPIVersion
}

// MatchLabels tells whether labels match a label selector, with the semantics of the
// Kubernetes LabelSelector: every matchLabels pair and every expression must hold (In: the
// key is there with one of the values; NotIn: it is not, or has none of them; Exists;
// DoesNotExist), so the empty selector matches everything.
func MatchLabels(ls *v1alpha1.LabelSelector, labels map[string]string) bool {
	for k, v := range ls.MatchLabels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	for _, e := range ls.MatchExpressions {
		v, ok := labels[e.Key]
		switch e.Operator {
		case "In":
			if !ok || !slices.Contains(e.Values, v) {
				return false
			}
		case "NotIn":
			if ok && slices.Contains(e.Values, v) {
				return false
			}
		case "Exists":
			if !ok {
				return false
			}
		case "DoesNotExist":
			if ok {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// ExcludedBy returns the first glob (path.Match syntax: *, ?, [a-z]) of excludes that
// matches namespace ns.
func ExcludedBy(excludes []string, ns string) (string, bool) {
	for _, g := range excludes {
		if ok, _ := path.Match(g, ns); ok {
			return g, true
		}
	}
	return "", false
}
