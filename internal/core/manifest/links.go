package manifest

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// AnnotationLinks records, on a ServiceAccount, the imagePullSecrets entries each
// PullAccess links (its keep entries and its Secret), as a JSON object from PullAccess name
// to entries: a later run of one PullAccess (kpt render over its own output, a chain of
// transformers) then replaces its own entries and leaves those of the input and of the
// other PullAccesses alone.
const AnnotationLinks = "pullgen.dev/links"

// AnnotationInternalRegistrySecret is where OpenShift (4.16 and later) names the managed
// pull secret of a ServiceAccount, the <sa>-dockercfg-* entry it adds back after every
// apply that dropped it.
const AnnotationInternalRegistrySecret = "openshift.io/internal-registry-pull-secret-ref"

// openShiftDockercfg matches the names of OpenShift's managed pull secrets: the
// ServiceAccount's name, "-dockercfg-" and five characters of Kubernetes' name generator
// (no vowels, no look-alike digits).
var openShiftDockercfg = regexp.MustCompile(`^(.+)-dockercfg-[bcdfghjklmnpqrstvwxz2456789]{5}$`)

// IsOpenShiftDockercfg tells whether name has the shape of OpenShift's managed pull secret
// of ServiceAccount sa, or of any ServiceAccount when sa is "".
func IsOpenShiftDockercfg(sa, name string) bool {
	m := openShiftDockercfg.FindStringSubmatch(name)
	return m != nil && (sa == "" || m[1] == sa)
}

// Links maps a PullAccess name to the entries it links: its keep entries, then its Secret.
type Links map[string][]string

// Kept is the set of entries that some PullAccess keeps (live-only pull secrets, which no
// manifest holds), not its own Secret.
func (l Links) Kept() map[string]bool {
	out := map[string]bool{}
	for _, entries := range l {
		for _, e := range entries[:max(len(entries)-1, 0)] {
			out[e] = true
		}
	}
	for _, entries := range l {
		if len(entries) > 0 {
			delete(out, entries[len(entries)-1]) // another PullAccess's own Secret
		}
	}
	return out
}

// String encodes links as the annotation holds them (keys sorted).
func (l Links) String() string {
	b, _ := json.Marshal(map[string][]string(l)) // a map of string lists always encodes
	return string(b)
}

// Owners lists the PullAccesses of links, sorted and comma-separated.
func (l Links) Owners() string {
	names := make([]string, 0, len(l))
	for n := range l {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// ClaimedByOthers is the set of entries linked by PullAccesses other than name.
func (l Links) ClaimedByOthers(name string) map[string]bool {
	out := map[string]bool{}
	for n, entries := range l {
		if n == name {
			continue
		}
		for _, e := range entries {
			out[e] = true
		}
	}
	return out
}

// LinksOf reads the links annotation of a ServiceAccount; an absent or unreadable one is
// empty (an input ServiceAccount pullgen never linked).
func LinksOf(sa *yaml.RNode) Links {
	l := Links{}
	if v := sa.GetAnnotations()[AnnotationLinks]; v != "" {
		if err := json.Unmarshal([]byte(v), &l); err != nil {
			return Links{}
		}
	}
	return l
}

// PullSecretNames lists the names of the imagePullSecrets of a ServiceAccount, in order.
func PullSecretNames(sa *yaml.RNode) []string {
	list, _ := sa.Pipe(yaml.Lookup("imagePullSecrets"))
	if list == nil {
		return nil
	}
	elems, _ := list.Elements()
	var out []string
	for _, e := range elems {
		if n := e.Field("name"); n != nil && yaml.GetValue(n.Value) != "" {
			out = append(out, yaml.GetValue(n.Value))
		}
	}
	return out
}

// IsServiceAccount tells whether an object is a core ServiceAccount.
func IsServiceAccount(o *yaml.RNode) bool {
	return o.GetKind() == "ServiceAccount" && o.GetApiVersion() == "v1"
}
