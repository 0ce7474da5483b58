// Package mirrorset reads OpenShift's image mirror sets (ImageDigestMirrorSet and
// ImageTagMirrorSet of config.openshift.io/v1, the legacy ImageContentSourcePolicy of
// operator.openshift.io/v1alpha1) and the registry sources of the cluster's Image config,
// checks them as the API server and the Machine Config Operator do, and translates them into
// the registries.conf the Machine Config Operator writes on every node (Translate), which
// package registriesconf then resolves as the container runtime does.
package mirrorset

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"pullgen.dev/pullgen/internal/core/yamlnode"
)

// Kinds of mirror set objects.
const (
	KindIDMS = "ImageDigestMirrorSet"
	KindITMS = "ImageTagMirrorSet"
	KindICSP = "ImageContentSourcePolicy"
)

// Values of mirrorSourcePolicy.
const (
	AllowContactingSource = "AllowContactingSource"
	NeverContactSource    = "NeverContactSource"
)

// groups are the API groups of the mirror set kinds.
var groups = map[string]string{
	KindIDMS: configGroup,
	KindITMS: configGroup,
	KindICSP: "operator.openshift.io",
}

const configGroup = "config.openshift.io"

// Is tells whether an object of this apiVersion and kind is a mirror set.
func Is(apiVersion, kind string) bool {
	g, ok := groups[kind]
	return ok && group(apiVersion) == g
}

// group returns the API group of an apiVersion.
func group(apiVersion string) string {
	g, _, found := strings.Cut(apiVersion, "/")
	if !found {
		return ""
	}
	return g
}

// Rule is one source and its mirrors.
type Rule struct {
	// Source is the repository, namespace, host or *.domain the rule applies to.
	Source string
	// Mirrors are the locations tried first, in order.
	Mirrors []string
	// Policy is mirrorSourcePolicy as written: "", AllowContactingSource or
	// NeverContactSource.
	Policy string
	// Field is the rule's path in its object (spec.imageDigestMirrors[0]).
	Field string
	// Line is the rule's line in its file, 0 when unknown.
	Line int
}

// NeverContact tells whether the source is never contacted.
func (r Rule) NeverContact() bool { return r.Policy == NeverContactSource }

// Set is one mirror set object.
type Set struct {
	Kind  string
	Name  string
	Rules []Rule
}

// ByDigest tells whether the set's mirrors serve images by digest (ImageDigestMirrorSet,
// ImageContentSourcePolicy) rather than by tag (ImageTagMirrorSet).
func (s Set) ByDigest() bool { return s.Kind != KindITMS }

// String names the set as kind/name.
func (s Set) String() string { return s.Kind + "/" + s.Name }

// listField is where each kind keeps its rules.
var listField = map[string]string{
	KindIDMS: "imageDigestMirrors",
	KindITMS: "imageTagMirrors",
	KindICSP: "repositoryDigestMirrors",
}

// Decode reads a mirror set object (a mapping node, or a document holding one). Its errors
// name the field whose shape is wrong; the values are checked by Validate.
func Decode(n *yaml.Node) (Set, error) {
	n = yamlnode.Deref(n)
	s := Set{Kind: yamlnode.Scalar(yamlnode.Field(n, "kind")), Name: yamlnode.Scalar(yamlnode.Field(yamlnode.Field(n, "metadata"), "name"))}
	list, ok := listField[s.Kind]
	if !ok {
		return Set{}, fmt.Errorf("kind %q is not a mirror set", s.Kind)
	}
	spec, err := yamlnode.Mapping(n, "spec", "")
	if err != nil {
		return Set{}, err
	}
	path := "spec." + list
	items, err := yamlnode.Items(spec, list, "spec")
	if err != nil {
		return Set{}, err
	}
	for i, item := range items {
		r, err := decodeRule(item, yamlnode.Index(path, i), s.Kind != KindICSP)
		if err != nil {
			return Set{}, err
		}
		s.Rules = append(s.Rules, r)
	}
	return s, nil
}

func decodeRule(n *yaml.Node, path string, hasPolicy bool) (Rule, error) {
	if n == nil || n.Kind != yaml.MappingNode {
		return Rule{}, fmt.Errorf("%s: must be an object", path)
	}
	r := Rule{Field: path, Line: n.Line}
	var err error
	if r.Source, err = yamlnode.String(n, "source", path); err != nil {
		return Rule{}, err
	}
	if hasPolicy {
		if r.Policy, err = yamlnode.String(n, "mirrorSourcePolicy", path); err != nil {
			return Rule{}, err
		}
	}
	if r.Mirrors, err = yamlnode.Strings(n, "mirrors", path); err != nil {
		return Rule{}, err
	}
	return r, nil
}
