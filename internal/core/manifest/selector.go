package manifest

import (
	"slices"

	"pullgen.dev/pullgen/internal/core/glob"

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

// MaxExcludes caps the globs of spec.excludeNamespaces: every namespace is matched
// against each.
const MaxExcludes = 100

// Excludes are the globs of a spec.excludeNamespaces, compiled (package glob).
type Excludes []*glob.Glob

// CompileExcludes compiles the first MaxExcludes globs of a spec.excludeNamespaces; one
// that does not compile (PullAccess validation reports it) matches nothing.
func CompileExcludes(globs []string) Excludes {
	var e Excludes
	for _, g := range globs[:min(len(globs), MaxExcludes)] {
		if c, err := glob.Compile(g); err == nil {
			e = append(e, c)
		}
	}
	return e
}

// Match returns the first glob that matches namespace ns.
func (e Excludes) Match(ns string) (string, bool) {
	for _, g := range e {
		if g.Match(ns) {
			return g.String(), true
		}
	}
	return "", false
}
