package fn

import (
	"fmt"
	"maps"
	"slices"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// ServiceAccount.imagePullSecrets is an atomic list: whoever applies a ServiceAccount
// replaces the list whole. So there is one object per (namespace, name), carrying the union
// of every entry pullgen knows: the entries of a ServiceAccount in the input (their order
// kept), then those of each PullAccess that links it (its keep entries, then its Secret), in
// the order the PullAccesses run. The manifest.AnnotationLinks annotation records what each
// PullAccess linked, so that running one again (kpt render over its own output, a chain of
// transformers) replaces its own entries and nothing else.

// linkServiceAccounts updates the ServiceAccounts of items that the PullAccess links or
// linked before, and creates the ones it links that items lack. In every namespace, each
// ServiceAccount of spec.serviceAccounts gets its keep entries and then the Secret. It
// returns items without the ServiceAccounts pullgen created that no PullAccess links any
// more, and the new ones.
func linkServiceAccounts(pa *v1alpha1.PullAccess, owner manifest.Owner, items []*yaml.RNode, secretName string) (kept, created []*yaml.RNode, p Problems) {
	entries := map[string][]string{} // by ServiceAccount name
	for _, sa := range pa.Spec.ServiceAccounts {
		entries[sa.Name] = append(slices.Clone(sa.Keep), secretName)
	}
	inNamespaces := map[string]bool{}
	for _, ns := range pa.Spec.Namespaces {
		inNamespaces[ns] = true
	}
	found := map[string]bool{} // namespace/name of the linked ServiceAccounts of items
	kept = items[:0:0]
	for _, it := range items {
		if !manifest.IsServiceAccount(it) {
			kept = append(kept, it)
			continue
		}
		var want []string
		if ns := namespaceOf(it); inNamespaces[ns] {
			if want = entries[it.GetName()]; want != nil {
				found[ns+"/"+it.GetName()] = true
			}
		}
		keep, err := relink(it, pa.Metadata.Name, want, owner.SyncWave)
		if err != nil {
			p = append(p, objectProblem(it, "imagePullSecrets", err.Error()))
		}
		if keep {
			kept = append(kept, it)
		}
	}
	for _, ns := range pa.Spec.Namespaces {
		for _, sa := range pa.Spec.ServiceAccounts {
			if !found[ns+"/"+sa.Name] {
				created = append(created, owner.ServiceAccount(sa.Name, ns, entries[sa.Name]...))
			}
		}
	}
	return kept, created, p
}

// relink makes the ServiceAccount sa carry entries for PullAccess name (none: it no longer
// links sa): the entries it linked before and links no more go, unless another PullAccess
// links them too; the missing ones are appended; the rest keeps its place. It returns false
// when sa is one pullgen created and no PullAccess links anything to it any more.
func relink(sa *yaml.RNode, name string, entries []string, syncWave string) (bool, error) {
	links := manifest.LinksOf(sa)
	created := sa.GetLabels()[manifest.LabelManagedBy] == manifest.ManagedBy
	before, had := links[name]
	if !had && len(links) == 0 && manifest.IsGeneratedBy(sa, name) {
		before, had = manifest.PullSecretNames(sa), true // written before pullgen recorded links
	}
	if !had && entries == nil {
		return true, nil // neither linked nor linking: not this PullAccess's business
	}
	others := links.ClaimedByOthers(name)
	list, err := sa.Pipe(yaml.LookupCreate(yaml.SequenceNode, "imagePullSecrets"))
	if err != nil {
		return true, fmt.Errorf("editing imagePullSecrets: %w", err)
	}
	var content []*yaml.Node
	present := map[string]bool{}
	for _, e := range list.YNode().Content {
		n := entryName(e)
		if slices.Contains(before, n) && !slices.Contains(entries, n) && !others[n] {
			continue
		}
		present[n] = true
		content = append(content, e)
	}
	for _, e := range entries {
		if !present[e] {
			present[e] = true
			content = append(content, yaml.NewMapRNode(&map[string]string{"name": e}).YNode())
		}
	}
	list.YNode().Content = content
	list.YNode().Style = 0
	if entries == nil {
		delete(links, name)
	} else {
		links[name] = entries
	}
	if created && len(links) == 0 {
		return false, nil
	}
	if len(content) == 0 {
		if err := sa.PipeE(yaml.Clear("imagePullSecrets")); err != nil {
			return true, fmt.Errorf("editing imagePullSecrets: %w", err)
		}
	}
	annotate := map[string]string{}
	if len(links) > 0 {
		annotate[manifest.AnnotationLinks] = links.String()
	} else if err := sa.PipeE(yaml.ClearAnnotation(manifest.AnnotationLinks)); err != nil {
		return true, fmt.Errorf("editing annotations: %w", err)
	}
	if created {
		annotate[manifest.AnnotationPullAccess] = links.Owners()
	}
	// The sync wave: pullgen's own ServiceAccounts take each PullAccess's in turn, one of
	// the input keeps the wave it has.
	if _, set := sa.GetAnnotations()[manifest.AnnotationSyncWave]; entries != nil && syncWave != "" && (created || !set) {
		annotate[manifest.AnnotationSyncWave] = syncWave
	}
	for _, k := range slices.Sorted(maps.Keys(annotate)) {
		if err := sa.PipeE(yaml.SetAnnotation(k, annotate[k])); err != nil {
			return true, fmt.Errorf("setting annotation %s: %w", k, err)
		}
	}
	return true, nil
}

// entryName is the name of an imagePullSecrets entry, "" when it has none.
func entryName(e *yaml.Node) string {
	if n := yaml.NewRNode(e).Field("name"); n != nil {
		return yaml.GetValue(n.Value)
	}
	return ""
}
