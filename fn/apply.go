package fn

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/check/pullcheck"
	"pullgen.dev/pullgen/internal/core/dockercfg"
	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// apply builds the objects of a validated PullAccess with resolved auths over the input
// items, which hold no earlier output of the same PullAccess (see splitEarlier):
// ServiceAccounts and workloads of the input are edited in place, and the generated objects
// follow the input in a fixed order. global is the merged global pull secret, nil when the
// spec has none. Every generated Secret carries expires, the soonest expiry of the
// credentials (none when zero), and those in the namespaces that spec.namespaceSelector
// alone chose (selected) carry the selector.
func apply(pa *v1alpha1.PullAccess, auths, global dockercfg.Auths, kept []*yaml.RNode, expires time.Time, selected map[string]bool) ([]*yaml.RNode, Problems) {
	var p Problems
	var expiry map[string]string
	if !expires.IsZero() {
		expiry = map[string]string{manifest.AnnotationExpiresAt: formatExpiry(expires)}
	}
	owner := manifest.Owner{Name: pa.Metadata.Name, Labels: pa.Spec.Secret.Labels,
		Annotations: merged(pa.Spec.Secret.Annotations, expiry), SyncWave: pa.SyncWaveValue()}
	var generated []*yaml.RNode

	secretName := pa.SecretName()
	if len(auths) > 0 {
		typ, key, payload := pa.SecretType(), ".dockerconfigjson", auths.DockerConfigJSON()
		if typ == v1alpha1.SecretTypeDockercfg {
			key, payload = ".dockercfg", auths.Dockercfg()
		}
		if sp := secretSize(len(payload), len(pa.Spec.Namespaces)); sp != nil {
			return nil, append(p, *sp)
		}
		bySelector := owner
		if len(selected) > 0 {
			bySelector.Annotations = merged(owner.Annotations, map[string]string{
				manifest.AnnotationNamespaceSelector: selectorString(pa.Spec.NamespaceSelector)})
		}
		for _, ns := range pa.Spec.Namespaces {
			o := owner
			if selected[ns] {
				o = bySelector
			}
			generated = append(generated, o.Secret(secretName, ns, typ, key, payload, auths.Keys()))
		}
	}

	serviceAccounts := map[string]*yaml.RNode{}
	for _, it := range kept {
		if manifest.IsServiceAccount(it) {
			serviceAccounts[namespaceOf(it)+"/"+it.GetName()] = it
		}
	}
	kept, linked, lp := linkServiceAccounts(pa, owner, kept, secretName)
	p = append(p, lp...)
	generated = append(generated, linked...)

	if pa.Spec.Workloads != nil {
		p = append(p, linkWorkloads(pa, kept, serviceAccounts, secretName)...)
	}

	byNamespace := map[string][]manifest.Subject{}
	for _, ip := range pa.Spec.ImagePullers {
		for _, sa := range ip.ServiceAccounts {
			byNamespace[ip.Namespace] = append(byNamespace[ip.Namespace], manifest.ServiceAccountSubject(sa.Namespace, sa.Name))
		}
		for _, ns := range ip.Namespaces {
			byNamespace[ip.Namespace] = append(byNamespace[ip.Namespace], manifest.NamespaceGroupSubject(ns))
		}
	}
	for ns, subjects := range byNamespace {
		generated = append(generated, owner.ImagePullerBinding(ns, subjects))
	}

	if global != nil {
		if sp := secretSize(len(global.DockerConfigJSON()), 1); sp != nil {
			sp.Field = "spec.globalPullSecret"
			return nil, append(p, *sp)
		}
		g := manifest.Owner{Name: pa.Metadata.Name, Annotations: expiry, SyncWave: pa.SyncWaveValue()}
		generated = append(generated, g.Secret(manifest.GlobalPullSecretName, manifest.GlobalPullSecretNS,
			v1alpha1.SecretTypeDockerConfigJSON, ".dockerconfigjson", global.DockerConfigJSON(), global.Keys()))
	}

	sortObjects(generated)
	return append(kept, generated...), p
}

// merged is the union of two maps of annotations, b winning.
func merged(a, b map[string]string) map[string]string {
	if len(b) == 0 {
		return a
	}
	out := make(map[string]string, len(a)+len(b))
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}

// splitEarlier separates the earlier output of a PullAccess (a second kpt render, or
// generate over its own directory), which is generated anew, from the other items; the
// earlier objects are keyed by kind/namespace/name, for stable ciphertext. ServiceAccounts
// stay: other PullAccesses and the input may have entries there too (linkServiceAccounts).
func splitEarlier(name string, items []*yaml.RNode) (kept []*yaml.RNode, earlier map[string]*yaml.RNode) {
	earlier = map[string]*yaml.RNode{}
	for _, it := range items {
		if manifest.IsGeneratedBy(it, name) && !manifest.IsServiceAccount(it) {
			earlier[objectKey(it)] = it
			continue
		}
		kept = append(kept, it)
	}
	return kept, earlier
}

func objectKey(n *yaml.RNode) string {
	return n.GetKind() + "/" + n.GetNamespace() + "/" + n.GetName()
}

// kindOrder is the order of generated kinds in the output.
var kindOrder = map[string]int{"Secret": 0, "ServiceAccount": 1, "RoleBinding": 2}

func sortObjects(objs []*yaml.RNode) {
	sort.SliceStable(objs, func(i, j int) bool {
		a, b := objs[i], objs[j]
		if ka, kb := kindOrder[a.GetKind()], kindOrder[b.GetKind()]; ka != kb {
			return ka < kb
		}
		if a.GetNamespace() != b.GetNamespace() {
			return a.GetNamespace() < b.GetNamespace()
		}
		return a.GetName() < b.GetName()
	})
}

// namespaceOf is an object's namespace, "default" when it names none, as kubectl applies it.
func namespaceOf(n *yaml.RNode) string {
	if ns := n.GetNamespace(); ns != "" {
		return ns
	}
	return "default"
}

// appendPullSecret appends name to the imagePullSecrets list at path under n (n itself
// when path is empty) unless an entry of that name is there; every other entry keeps its
// place. It reports whether the list was empty before.
func appendPullSecret(n *yaml.RNode, path []string, name string) (wasEmpty bool, err error) {
	list, err := n.Pipe(yaml.LookupCreate(yaml.SequenceNode, append(append([]string(nil), path...), "imagePullSecrets")...))
	if err != nil {
		return false, fmt.Errorf("editing imagePullSecrets: %w", err)
	}
	entries, err := list.Elements()
	if err != nil {
		return false, fmt.Errorf("reading imagePullSecrets: %w", err)
	}
	for _, e := range entries {
		if e.Field("name") != nil && yaml.GetValue(e.Field("name").Value) == name {
			return false, nil
		}
	}
	list.YNode().Style = 0
	list.YNode().Content = append(list.YNode().Content, yaml.NewMapRNode(&map[string]string{"name": name}).YNode())
	return len(entries) == 0, nil
}

// linkWorkloads adds the Secret to the pod template of every selected workload in the
// Secret's namespaces, and warns where that cuts the pod off from its ServiceAccount's
// pull secrets.
func linkWorkloads(pa *v1alpha1.PullAccess, items []*yaml.RNode, serviceAccounts map[string]*yaml.RNode, secretName string) Problems {
	var p Problems
	inNamespaces := map[string]bool{}
	for _, ns := range pa.Spec.Namespaces {
		inNamespaces[ns] = true
	}
	sel := pa.Spec.Workloads
	for _, it := range items {
		path := manifest.PodSpecPathOf(it.GetApiVersion(), it.GetKind())
		if path == nil || !inNamespaces[namespaceOf(it)] || !selected(sel, it) {
			continue
		}
		podSpec, err := it.Pipe(yaml.Lookup(path...))
		if err != nil || podSpec == nil {
			continue // a Rollout with workloadRef, or no template: nothing to edit
		}
		field := strings.Join(path, ".") + ".imagePullSecrets"
		wasEmpty, err := appendPullSecret(it, path, secretName)
		if err != nil {
			p = append(p, objectProblem(it, field, err.Error()))
			continue
		}
		if wasEmpty {
			if msg := inheritanceWarning(podSpec, serviceAccounts[namespaceOf(it)+"/"+serviceAccountOf(podSpec)], secretName); msg != "" {
				w := objectProblem(it, field, msg)
				w.Severity = framework.Warning
				p = append(p, w)
			}
		}
	}
	return p
}

func serviceAccountOf(podSpec *yaml.RNode) string {
	if f := podSpec.Field("serviceAccountName"); f != nil && yaml.GetValue(f.Value) != "" {
		return yaml.GetValue(f.Value)
	}
	return "default"
}

// inheritanceWarning explains what the pod loses now that it has its own imagePullSecrets,
// or returns "" when nothing it needs is known to be lost.
func inheritanceWarning(podSpec, sa *yaml.RNode, secretName string) string {
	sa0 := serviceAccountOf(podSpec)
	for _, c := range []string{"initContainers", "containers", "ephemeralContainers"} {
		list, _ := podSpec.Pipe(yaml.Lookup(c))
		if list == nil {
			continue
		}
		elems, _ := list.Elements()
		for _, e := range elems {
			img := e.Field("image")
			if img == nil {
				continue
			}
			if image := yaml.GetValue(img.Value); pullcheck.IsInternalRegistryImage(image) {
				return fmt.Sprintf("adding %s as a pod-level pull secret stops the pod from inheriting ServiceAccount %s's pull secrets, "+
					"among them OpenShift's %s-dockercfg-* secret for the internal registry that image %s needs; "+
					"link the Secret to the ServiceAccount instead (spec.serviceAccounts)", secretName, sa0, sa0, image)
			}
		}
	}
	if sa == nil {
		return ""
	}
	var lost []string
	if list, _ := sa.Pipe(yaml.Lookup("imagePullSecrets")); list != nil {
		elems, _ := list.Elements()
		for _, e := range elems {
			if n := e.Field("name"); n != nil && yaml.GetValue(n.Value) != secretName {
				lost = append(lost, yaml.GetValue(n.Value))
			}
		}
	}
	if len(lost) == 0 {
		return ""
	}
	return fmt.Sprintf("adding %s as a pod-level pull secret stops the pod from inheriting ServiceAccount %s's pull secrets (%s); "+
		"link the Secret to the ServiceAccount instead (spec.serviceAccounts)", secretName, sa0, strings.Join(lost, ", "))
}

// selected tells whether a workload matches spec.workloads.
func selected(sel *v1alpha1.WorkloadSelector, n *yaml.RNode) bool {
	if len(sel.Kinds) > 0 && !contains(sel.Kinds, n.GetKind()) {
		return false
	}
	if len(sel.Names) > 0 && !contains(sel.Names, n.GetName()) {
		return false
	}
	return sel.LabelSelector == nil || manifest.MatchLabels(sel.LabelSelector, n.GetLabels())
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// objectProblem is an error about an input object.
func objectProblem(n *yaml.RNode, field, msg string) Problem {
	return Problem{
		Severity: framework.Error,
		Field:    field,
		Message:  msg,
		Object: &yaml.ResourceIdentifier{
			TypeMeta: yaml.TypeMeta{APIVersion: n.GetApiVersion(), Kind: n.GetKind()},
			NameMeta: yaml.NameMeta{Name: n.GetName(), Namespace: n.GetNamespace()},
		},
		File: pathOf(n),
	}
}

// pathOf is the file an item came from, as kustomize and kpt annotate it.
func pathOf(n *yaml.RNode) string {
	a := n.GetAnnotations()
	if p := a["internal.config.kubernetes.io/path"]; p != "" {
		return p
	}
	return a["config.kubernetes.io/path"]
}

// maxSecretData is the most data the API server takes in one Secret (1 MiB); and
// maxGeneratedSecrets bounds the Secret data one PullAccess writes in all (its payload times
// its namespaces), so that neither a large credential nor many aliases multiplied by many
// namespaces can build output no cluster would take, whatever mode runs it.
const (
	maxSecretData       = 1 << 20
	maxGeneratedSecrets = 256 << 20
)

// secretSize refuses a Secret payload of size bytes over the API server's limit, or over
// maxGeneratedSecrets once written into n namespaces.
func secretSize(size, n int) *Problem {
	switch {
	case size > maxSecretData:
		return &Problem{Severity: framework.Error, Field: "spec.registries", Message: fmt.Sprintf(
			"the Secret's data would be %d bytes, more than the %d a Kubernetes Secret may hold: fewer registries, aliases or shorter credentials", size, maxSecretData)}
	case int64(size)*int64(n) > maxGeneratedSecrets:
		return &Problem{Severity: framework.Error, Field: "spec.namespaces", Message: fmt.Sprintf(
			"%d namespaces of a %d-byte Secret make %d bytes of Secrets, more than the %d one PullAccess may write: split it", n, size, int64(size)*int64(n), maxGeneratedSecrets)}
	}
	return nil
}
