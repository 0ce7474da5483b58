package fn

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/glob"
	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// targetNamespaces works out the namespaces of a validated PullAccess: spec.namespaces and
// the Namespaces and Projects among the items and the inventory (see Options.Inventory)
// that spec.namespaceSelector matches, less spec.excludeNamespaces, sorted. It returns them
// with the set chosen by the selector alone. Without an inventory, a run with no input
// (see noInput) is a generator's, where a selector is an error.
func targetNamespaces(pa *v1alpha1.PullAccess, items, inventory []*yaml.RNode, inventoryFrom string) ([]string, map[string]bool, Problems) {
	s := pa.Spec
	if s.NamespaceSelector == nil {
		return s.Namespaces, nil, nil
	}
	from := inventoryFrom
	if from == "" {
		from = "the input"
	}
	var p Problems
	if inventoryFrom == "" && noInput(items) {
		p.add("spec.namespaceSelector", "selects among the Namespace and Project objects of the input, and a generator gets none: "+
			"list the PullAccess under the kustomization's transformers: instead of generators: (or run it as a kpt mutator over the package)")
		return nil, nil, p
	}
	listed := map[string]bool{}
	for _, ns := range s.Namespaces {
		listed[ns] = true
	}
	selected := map[string]bool{}
	seen := map[string]bool{}
	excludes := manifest.CompileExcludes(s.ExcludeNamespaces)
	matched := 0
	for _, o := range slices.Concat(items, inventory) {
		if !manifest.IsNamespaceKind(o.GetApiVersion(), o.GetKind()) {
			continue
		}
		name := o.GetName()
		if seen[name] {
			continue
		}
		seen[name] = true
		if !dnsLabel.MatchString(name) {
			p = append(p, objectProblem(o, "metadata.name", fmt.Sprintf("%q is not a valid namespace name: a DNS label", name)))
			continue
		}
		if !manifest.MatchLabels(s.NamespaceSelector, o.GetLabels()) {
			continue
		}
		matched++
		if _, excluded := excludes.Match(name); !excluded && !listed[name] {
			selected[name] = true
		}
	}
	if matched == 0 {
		w := Problem{Severity: framework.Warning, Field: "spec.namespaceSelector",
			Message: fmt.Sprintf("matches none of the %d Namespace and Project objects of %s", len(seen), from)}
		p = append(p, w)
	}
	all := append([]string(nil), s.Namespaces...)
	for ns := range selected {
		all = append(all, ns)
	}
	sort.Strings(all)
	return all, selected, p
}

// noInput tells whether the items are those of a generator: none, or only PullAccesses
// (kustomize gives a generator its own config as the one item).
func noInput(items []*yaml.RNode) bool {
	for _, it := range items {
		if it.GetKind() != v1alpha1.Kind || it.GetApiVersion() != v1alpha1.APIVersion {
			return false
		}
	}
	return true
}

// selectorString writes a label selector in kubectl's -l syntax: matchLabels sorted by
// key, then the expressions in order; "" for the empty selector, which selects everything.
func selectorString(ls *v1alpha1.LabelSelector) string {
	keys := make([]string, 0, len(ls.MatchLabels))
	for k := range ls.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys)+len(ls.MatchExpressions))
	for _, k := range keys {
		parts = append(parts, k+"="+ls.MatchLabels[k])
	}
	for _, e := range ls.MatchExpressions {
		switch e.Operator {
		case "In":
			parts = append(parts, e.Key+" in ("+strings.Join(e.Values, ",")+")")
		case "NotIn":
			parts = append(parts, e.Key+" notin ("+strings.Join(e.Values, ",")+")")
		case "Exists":
			parts = append(parts, e.Key)
		case "DoesNotExist":
			parts = append(parts, "!"+e.Key)
		}
	}
	return strings.Join(parts, ",")
}

// fleetAndExpiry checks spec.namespaceSelector, spec.excludeNamespaces and the expiry of
// each registry.
func fleetAndExpiry(p *Problems, s v1alpha1.Spec) {
	if s.NamespaceSelector != nil {
		labelSelector(p, "spec.namespaceSelector", s.NamespaceSelector)
	}
	if len(s.ExcludeNamespaces) > manifest.MaxExcludes {
		p.addf("spec.excludeNamespaces", "%d globs, more than the %d it may have (each namespace is matched against each)", len(s.ExcludeNamespaces), manifest.MaxExcludes)
	}
	for i, g := range s.ExcludeNamespaces[:min(len(s.ExcludeNamespaces), manifest.MaxExcludes)] {
		f := "spec.excludeNamespaces[" + strconv.Itoa(i) + "]"
		if g == "" {
			p.add(f, "must not be empty")
		} else if _, err := glob.Compile(g); errors.Is(err, path.ErrBadPattern) {
			p.addf(f, "%q is not a glob (*, ?, [a-z]): %v", g, err)
		} else if err != nil {
			p.addf(f, "a glob of %v", err) // not quoted: it may be megabytes
		}
	}
	excludes := manifest.CompileExcludes(s.ExcludeNamespaces)
	for i, ns := range s.Namespaces {
		if g, ok := excludes.Match(ns); ok {
			p.addf(fmt.Sprintf("spec.namespaces[%d]", i), "%q is excluded by spec.excludeNamespaces (%q): remove it from one of the two", ns, g)
		}
	}
	for i, r := range s.Registries {
		f := fmt.Sprintf("spec.registries[%d]", i)
		switch {
		case r.ExpiresAt != "" && r.ExpiresAtFrom != nil:
			p.add(f, "give expiresAt or expiresAtFrom, not both")
		case r.ExpiresAt != "":
			if _, err := parseExpiry(r.ExpiresAt, false); err != nil {
				p.addf(f+".expiresAt", "%q %v", r.ExpiresAt, err)
			}
		case r.ExpiresAtFrom != nil:
			source(p, f+".expiresAtFrom", r.ExpiresAtFrom)
		}
	}
}
