package pullcheck

import (
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// Rules of fleet targeting.
const (
	RuleSelectedNamespaceGone = "selected-namespace-gone"
	RuleNamespaceNotCovered   = "namespace-not-covered"
)

// coverage is what the input says of one PullAccess: the registry keys it declares and the
// namespaces it puts its Secret in.
type coverage struct {
	name string
	keys Keyring
	// namespaces are those listed, those its selector matches among the input's Namespaces
	// and Projects (less the excluded ones), and those that hold a Secret it generated.
	namespaces map[string]bool
	// everywhere is set for a PullAccess that writes the OpenShift global pull secret,
	// which every node pulls with.
	everywhere bool
	selector   *v1alpha1.LabelSelector
	excludes   []string
}

// pullAccessCoverage records a PullAccess of the input.
func (ix *index) pullAccessCoverage(name string, n *yaml.Node) {
	c := ix.coverageOf(name)
	spec := field(n, "spec")
	c.keys.Add(name, pullAccessRegistries(n))
	for _, ns := range items(field(spec, "namespaces")) {
		if s := scalar(ns); s != "" {
			c.namespaces[s] = true
		}
	}
	for _, g := range items(field(spec, "excludeNamespaces")) {
		c.excludes = append(c.excludes, scalar(g))
	}
	if sel := field(spec, "namespaceSelector"); sel != nil && sel.Kind == yaml.MappingNode {
		c.selector = readLabelSelector(sel)
	}
	c.everywhere = c.everywhere || field(spec, "globalPullSecret") != nil
}

// coverageOf returns the coverage of a PullAccess, made on first use.
func (ix *index) coverageOf(name string) *coverage {
	if ix.coverage == nil {
		ix.coverage = map[string]*coverage{}
	}
	c := ix.coverage[name]
	if c == nil {
		c = &coverage{name: name, namespaces: map[string]bool{}}
		ix.coverage[name] = c
	}
	return c
}

// generatedSecret records what a Secret that pullgen generated says of its PullAccess: it
// covers the Secret's namespace, and declares the Secret's registry keys.
func (ix *index) generatedSecret(e *secretEntry) {
	owner := annotation(e.node, manifest.AnnotationPullAccess)
	if owner == "" || scalar(path(e.node, "metadata", "labels", manifest.LabelManagedBy)) != manifest.ManagedBy {
		return
	}
	c := ix.coverageOf(owner)
	if e.ref.m.name != manifest.GlobalPullSecretName || e.ref.ns != manifest.GlobalPullSecretNS {
		c.namespaces[e.ref.ns] = true
	} else {
		c.everywhere = true
	}
	c.keys.Add(owner, splitRegistries(annotation(e.node, manifest.AnnotationRegistries)))
}

// readLabelSelector reads a LabelSelector node.
func readLabelSelector(n *yaml.Node) *v1alpha1.LabelSelector {
	ls := &v1alpha1.LabelSelector{MatchLabels: labelsOf(n, "matchLabels")}
	for _, e := range items(field(n, "matchExpressions")) {
		req := v1alpha1.LabelSelectorRequirement{Key: scalar(field(e, "key")), Operator: scalar(field(e, "operator"))}
		for _, v := range items(field(e, "values")) {
			req.Values = append(req.Values, scalar(v))
		}
		ls.MatchExpressions = append(ls.MatchExpressions, req)
	}
	return ls
}

// labelsOf reads a mapping of strings under key.
func labelsOf(n *yaml.Node, key string) map[string]string {
	m := field(n, key)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make(map[string]string, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out[m.Content[i].Value] = scalar(m.Content[i+1])
	}
	return out
}

// resolveCoverage adds to every PullAccess the namespaces its selector matches, once the
// whole input is indexed, and keeps the PullAccesses that target namespaces.
func (ix *index) resolveCoverage() {
	for name, c := range ix.coverage {
		if c.selector != nil {
			excludes := manifest.CompileExcludes(c.excludes)
			for ns, labels := range ix.namespaces {
				if _, excluded := excludes.Match(ns); !excluded && manifest.MatchLabels(c.selector, labels) {
					c.namespaces[ns] = true
				}
			}
		}
		if len(c.namespaces) == 0 && c.selector == nil && !c.everywhere {
			delete(ix.coverage, name) // declares registries, targets no namespace
			continue
		}
		ix.coverageList = append(ix.coverageList, c)
	}
	sort.Slice(ix.coverageList, func(i, j int) bool { return ix.coverageList[i].name < ix.coverageList[j].name })
}

// declaredBy returns the PullAccesses (that target namespaces) declaring a registry key
// that matches an image.
func (ix *index) declaredBy(info *imageInfo) []*coverage {
	var out []*coverage
	for _, c := range ix.coverageList {
		if len(c.keys.lookup(info.repo, info.target)) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// notCovered remembers, per namespace, the first image (in the findings' order) of a
// registry that PullAccesses declare and none of them covers the namespace.
func (a *analyzer) notCovered(f *Finding, info *imageInfo) {
	if len(info.declaredBy) == 0 {
		return
	}
	for _, c := range info.declaredBy {
		if c.everywhere || c.namespaces[f.Namespace] {
			return
		}
	}
	if prev, ok := a.uncovered[f.Namespace]; ok && compareFindings(&prev.finding, f) <= 0 {
		return
	}
	a.uncovered[f.Namespace] = uncoveredImage{*f, info}
}

// uncoveredImage is an image of a namespace no declaring PullAccess covers.
type uncoveredImage struct {
	finding Finding
	info    *imageInfo
}

// fleetFindings reports the namespaces no declaring PullAccess covers, and the Secrets a
// selector put in a namespace that the input no longer holds (when it holds Namespaces or
// Projects at all).
func (a *analyzer) fleetFindings() {
	for ns, u := range a.uncovered {
		names := make([]string, len(u.info.declaredBy))
		for i, c := range u.info.declaredBy {
			names[i] = c.name
		}
		none := "it does not cover the namespace"
		if len(names) > 1 {
			none = "none of them covers the namespace"
		}
		f := u.finding
		a.findings = append(a.findings, Finding{
			File: f.File, Kind: f.Kind, Namespace: ns, Name: f.Name, Field: f.Field, Line: f.Line,
			PullSecrets: []string{}, Credentials: []Credential{}, Severity: SeverityWarning, Rule: RuleNamespaceNotCovered,
			Message: fmt.Sprintf("namespace %s pulls %s from a registry that PullAccess %s declares, but %s: add %s to spec.namespaces, or give Namespace %s labels that spec.namespaceSelector matches",
				ns, f.Image, strings.Join(names, ", "), none, ns, ns),
		})
	}
	if len(a.ix.namespaces) == 0 {
		return
	}
	for _, e := range a.ix.secrets {
		sel := path(e.node, "metadata", "annotations", manifest.AnnotationNamespaceSelector)
		if _, present := a.ix.namespaces[e.ref.ns]; sel == nil || present {
			continue
		}
		a.objectFinding(e.ref, "metadata.namespace", e.ref.line(nsLine(e.node)), RuleSelectedNamespaceGone, SeverityWarning, fmt.Sprintf(
			"namespaceSelector %q of PullAccess %s put this Secret in namespace %s, which is not among the Namespaces and Projects of the input any more: run pullgen generate to remove it",
			scalar(sel), annotation(e.node, manifest.AnnotationPullAccess), e.ref.ns))
	}
}

// nsLine is the line of an object's metadata.namespace, else of its metadata.
func nsLine(n *yaml.Node) int {
	if ns := path(n, "metadata", "namespace"); ns != nil {
		return ns.Line
	}
	if md := field(n, "metadata"); md != nil {
		return md.Line
	}
	return 0
}
