// Package scope is where a decrypted value may go. Ciphertext can be copied byte for byte
// into any directory of a repository, so no rule on paths can say who may read it; only
// what the SOPS MAC covers can. A scope is read from that content: the namespace of a
// Secret-shaped document (its MAC-covered metadata.namespace), or a scope marker written
// among the values of an encrypted credential file (Marker, Parse). Render carries the
// scope of every value it decrypts and puts a value in place only in an object whose
// namespace its scope allows.
//
// The package only describes scopes; it decrypts nothing and refuses nothing itself.
package scope

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// MarkerPrefix starts a scope marker: a value of an encrypted file that says where the
// file's values may go, as MarkerPrefix followed by namespace names separated by commas,
// or by "*" for every namespace.
const MarkerPrefix = "pullgen.dev/scope="

// MarkerKey is the key `pullgen scope` writes the marker under (a top-level key; in an
// INI file, the key of section [pullgen]). Render does not read the key: SOPS does not
// authenticate keys, only values, so the marker is found by its value wherever it stands.
const MarkerKey = "pullgen_scope"

// Scope is where the values of one piece of ciphertext may go. The zero value is
// Unscoped.
type Scope struct {
	kind kind
	// namespaces are sorted and distinct (kind namespaced).
	namespaces []string
	// object, when set, binds the value to one object as well: the Secret-shaped document
	// it was encrypted in, by apiVersion, kind and name.
	object *Object
	// from names where the scope was read, and why says why it is unscoped, for messages.
	from []string
	why  string
}

type kind int

const (
	unscoped kind = iota
	anywhere
	namespaced
)

// Object is the identity of an object as far as who may read it goes, without its
// namespace.
type Object struct{ APIVersion, Kind, Name string }

// Unscoped is the scope of ciphertext that names none (why says so in words): render
// refuses it unless the operator declared the repository one trust domain.
func Unscoped(from, why string) Scope { return Scope{kind: unscoped, from: []string{from}, why: why} }

// Anywhere is the scope of a value any namespace may receive: a plaintext or an
// environment variable, ciphertext marked "*", or unscoped ciphertext the operator allowed.
func Anywhere() Scope { return Scope{kind: anywhere} }

// Namespaces is the scope of ciphertext bound to the given namespaces.
func Namespaces(from string, namespaces ...string) Scope {
	ns := slices.Clone(namespaces)
	slices.Sort(ns)
	return Scope{kind: namespaced, namespaces: slices.Compact(ns), from: []string{from}}
}

// BoundTo binds s to one object (within its namespaces) as well.
func (s Scope) BoundTo(o Object) Scope {
	s.object = &o
	return s
}

// IsUnscoped tells whether s names no namespace at all.
func (s Scope) IsUnscoped() bool { return s.kind == unscoped }

// Allow turns an unscoped scope into Anywhere (the operator's --allow-unscoped).
func (s Scope) Allow() Scope {
	if s.kind == unscoped {
		s.kind = anywhere
	}
	return s
}

// Loose drops the binding to one object, keeping the namespaces (the operator's
// --allow-retarget: decrypted objects may be renamed).
func (s Scope) Loose() Scope {
	s.object = nil
	return s
}

// Intersect is the scope of a value made of values of both scopes: it may go only where
// both may. Unscoped wins: a value made of unscoped ciphertext is unscoped.
func Intersect(a, b Scope) Scope {
	from := append(slices.Clone(a.from), b.from...)
	switch {
	case a.kind == unscoped:
		a.from = from
		return a
	case b.kind == unscoped:
		b.from = from
		return b
	case a.kind == anywhere:
		b.from = from
		return b
	case b.kind == anywhere:
		a.from = from
		return a
	}
	var both []string
	for _, n := range a.namespaces {
		if slices.Contains(b.namespaces, n) {
			both = append(both, n)
		}
	}
	s := Scope{kind: namespaced, namespaces: both, from: from}
	if a.object != nil {
		s.object = a.object
	}
	if b.object != nil {
		if s.object != nil && *s.object != *b.object {
			s.namespaces = nil // bound to two objects at once: nowhere
		}
		s.object = b.object
	}
	return s
}

// Allows tells whether a value of scope s may be put into the object apiVersion/kind
// namespace/name ("" namespace: cluster-scoped). It says why not when it may not.
func (s Scope) Allows(apiVersion, kind, namespace, name string) error {
	switch s.kind {
	case unscoped:
		return fmt.Errorf("its ciphertext (%s) %s", s.source(), s.Why())
	case namespaced:
		if !slices.Contains(s.namespaces, namespace) {
			where := "a cluster-scoped object"
			if namespace != "" {
				where = "namespace " + namespace
			}
			return fmt.Errorf("its ciphertext (%s) allows %s, not %s", s.source(), s.Describe(), where)
		}
	}
	if o := s.object; o != nil && (o.APIVersion != apiVersion || o.Kind != kind || o.Name != name) {
		return fmt.Errorf("its ciphertext (%s) was encrypted for %s %s, not %s %s", s.source(), o.Kind, o.Name, kind, name)
	}
	return nil
}

// Why says why s is unscoped.
func (s Scope) Why() string {
	if s.why == "" {
		return "names no scope"
	}
	return s.why
}

// Describe says where a value of s may go, in words.
func (s Scope) Describe() string {
	switch {
	case s.kind == unscoped:
		return "no namespace named"
	case s.kind == anywhere:
		return "every namespace"
	case len(s.namespaces) == 0:
		return "no namespace (its parts are scoped to different namespaces)"
	case len(s.namespaces) == 1:
		return "namespace " + s.namespaces[0] + " only"
	default:
		return "namespaces " + strings.Join(s.namespaces, ", ") + " only"
	}
}

// source names the files the scope was read from.
func (s Scope) source() string {
	from := slices.Compact(slices.Sorted(slices.Values(s.from)))
	if len(from) > 3 {
		from = append(from[:3], "…")
	}
	return strings.Join(from, ", ")
}

// Marker is the scope marker for namespaces; no namespace means every namespace.
func Marker(namespaces ...string) string {
	if len(namespaces) == 0 {
		return MarkerPrefix + "*"
	}
	ns := slices.Clone(namespaces)
	slices.Sort(ns)
	return MarkerPrefix + strings.Join(slices.Compact(ns), ",")
}

// IsMarker tells whether a value is a scope marker.
func IsMarker(v string) bool { return strings.HasPrefix(v, MarkerPrefix) }

// Parse reads a scope marker found in from.
func Parse(from, marker string) (Scope, error) {
	rest, ok := strings.CutPrefix(marker, MarkerPrefix)
	if !ok {
		return Scope{}, fmt.Errorf("%s: not a scope marker", from)
	}
	if rest == "*" {
		s := Anywhere()
		s.from = []string{from}
		return s, nil
	}
	var ns []string
	for _, n := range strings.Split(rest, ",") {
		n = strings.TrimSpace(n)
		if err := CheckNamespace(n); err != nil {
			return Scope{}, fmt.Errorf("%s: its scope marker: %w", from, err)
		}
		ns = append(ns, n)
	}
	return Namespaces(from, ns...), nil
}

// CheckNamespace refuses what is not a namespace name (a DNS label).
func CheckNamespace(n string) error {
	ok := n != "" && len(n) <= 63 && n[0] != '-' && n[len(n)-1] != '-'
	for _, c := range n {
		ok = ok && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')
	}
	if !ok {
		if len(n) > 63 {
			n = n[:63] + "…"
		}
		return fmt.Errorf("%q is not a namespace name (lower-case letters, digits and '-', at most 63)", n)
	}
	return nil
}

// OfFile is the scope of an encrypted file as the repository holds it (data, in format
// "yaml", "json", "dotenv", "ini" or "binary"), given the scope markers its MAC covers
// (sopsx.OpenFile finds them): its marker; else, for a YAML v1 Secret or ConfigMap, that
// document's scope (OfDocument); else unscoped.
func OfFile(from string, data []byte, format string, markers []string) (Scope, error) {
	markers = slices.Compact(slices.Sorted(slices.Values(markers)))
	switch {
	case len(markers) > 1:
		return Scope{}, fmt.Errorf("%s holds %d different scope markers: keep one", from, len(markers))
	case len(markers) == 1:
		return Parse(from, markers[0])
	case format == "yaml":
		n, err := yaml.Parse(string(data))
		if err == nil && n.GetApiVersion() == "v1" && (n.GetKind() == "Secret" || n.GetKind() == "ConfigMap") {
			mac, _ := n.Pipe(yaml.Lookup("sops", "mac_only_encrypted"))
			return OfDocument(from, n.YNode(), mac != nil && mac.YNode().Value == "true"), nil
		}
	}
	return Unscoped(from, "names no scope (no "+MarkerPrefix+" value)"), nil
}
