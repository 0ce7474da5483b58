package pullcheck

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
)

// RuleUnusedLink is the rule of a ServiceAccount link that no pod gets (unusedLinks).
const RuleUnusedLink = "unused-service-account-link"

// unusedLinkRule describes RuleUnusedLink.
var unusedLinkRule = RuleInfo{RuleUnusedLink, SeverityWarning,
	"Every pod of a ServiceAccount sets its own imagePullSecrets, which replace the ServiceAccount's, so a pull secret linked to the ServiceAccount reaches none of them."}

// markKept flags the entries of a ServiceAccount's pull secrets that a PullAccess keeps
// (spec.serviceAccounts[].keep): live-only Secrets, in the cluster but not in manifests.
func markKept(sa *yaml.Node, refs []pullSecretRef) {
	kept := manifest.LinksOf(yaml.NewRNode(sa)).Kept()
	for i := range refs {
		refs[i].kept = kept[refs[i].name]
	}
}

// unusedLinks warns, for each ServiceAccount all of whose pods in its namespace set their
// own imagePullSecrets, about every pull secret linked to it that some of those pods lack:
// the link reaches none of them. OpenShift's <sa>-dockercfg-* entries are left to the
// internal-registry rules.
func (a *analyzer) unusedLinks() {
	pods := map[nsName][]*workload{}
	ownOnly := map[nsName]bool{}
	for i := range a.ix.workloads {
		w := &a.ix.workloads[i]
		key := nsName{w.ref.ns, w.pod.serviceAccount}
		if _, seen := ownOnly[key]; !seen {
			ownOnly[key] = true
		}
		ownOnly[key] = ownOnly[key] && len(w.pod.pullSecrets) > 0
		pods[key] = append(pods[key], w)
	}
	for key, all := range ownOnly {
		sa := a.ix.sas[key]
		if !all || sa == nil {
			continue
		}
		for _, r := range sa.pullSecrets {
			if manifest.IsOpenShiftDockercfg("", r.name) {
				continue
			}
			var lacking []string
			for _, w := range pods[key] {
				if !slices.ContainsFunc(w.pod.pullSecrets, func(o pullSecretRef) bool { return o.name == r.name }) {
					lacking = append(lacking, w.ref.m.kind+" "+w.ref.m.name)
				}
			}
			if len(lacking) == 0 {
				continue
			}
			slices.Sort(lacking)
			a.objectFinding(sa.ref, a.secretField(r), sa.ref.line(r.line), RuleUnusedLink, SeverityWarning, fmt.Sprintf(
				"ServiceAccount %s links pull secret %s, but no pod gets it from there: every pod of %s in %s sets its own imagePullSecrets, "+
					"which replace the ServiceAccount's, and the list of %s lacks %s; add %s there, or drop the pods' own lists",
				key.name, r.name, key.name, key.ns, strings.Join(lacking, ", "), r.name, r.name))
		}
	}
}
