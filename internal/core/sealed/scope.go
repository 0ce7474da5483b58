package sealed

import (
	"fmt"
)

// Scope says where a SealedSecret may be opened, as sealed-secrets defines it.
type Scope int

// The scopes of sealed-secrets, in its order.
const (
	// Strict binds the SealedSecret to its namespace and name (the default).
	Strict Scope = iota
	// NamespaceWide binds it to its namespace; it may be renamed there.
	NamespaceWide
	// ClusterWide lets it open in any namespace under any name.
	ClusterWide
)

// The annotations that ask the controller for a wider scope than Strict.
const (
	AnnotationNamespaceWide = "sealedsecrets.bitnami.com/namespace-wide"
	AnnotationClusterWide   = "sealedsecrets.bitnami.com/cluster-wide"
)

// ParseScope reads a scope as kubeseal's --scope takes it: strict, namespace-wide or
// cluster-wide; "" is Strict.
func ParseScope(s string) (Scope, error) {
	switch s {
	case "", "strict":
		return Strict, nil
	case "namespace-wide":
		return NamespaceWide, nil
	case "cluster-wide":
		return ClusterWide, nil
	}
	return Strict, fmt.Errorf("scope %q: want strict, namespace-wide or cluster-wide", s)
}

// String is the scope as ParseScope reads it.
func (s Scope) String() string {
	switch s {
	case NamespaceWide:
		return "namespace-wide"
	case ClusterWide:
		return "cluster-wide"
	}
	return "strict"
}

// scopeOf is the scope that annotations ask for, as the controller reads it: cluster-wide
// wins over namespace-wide; anything but "true" asks for nothing.
func scopeOf(annotations map[string]string) Scope {
	switch {
	case annotations[AnnotationClusterWide] == "true":
		return ClusterWide
	case annotations[AnnotationNamespaceWide] == "true":
		return NamespaceWide
	}
	return Strict
}

// annotate sets the scope annotations of a in place: the one of s, and neither of the
// others.
func (s Scope) annotate(a map[string]string) {
	delete(a, AnnotationNamespaceWide)
	delete(a, AnnotationClusterWide)
	switch s {
	case NamespaceWide:
		a[AnnotationNamespaceWide] = "true"
	case ClusterWide:
		a[AnnotationClusterWide] = "true"
	}
}

// label is the RSA-OAEP label that binds a value to where the controller may open it.
func (s Scope) label(namespace, name string) []byte {
	switch s {
	case ClusterWide:
		return nil
	case NamespaceWide:
		return []byte(namespace)
	}
	return []byte(namespace + "/" + name)
}
