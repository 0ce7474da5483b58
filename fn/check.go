package fn

import (
	"time"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/check/pullcheck"
	"pullgen.dev/pullgen/internal/core/dockercfg"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// pullCheck runs the pull check (package pullcheck; docs/check.md) over the output as spec.check asks:
// error findings stay errors under "error" and become warnings under "warn"; warnings
// stay warnings; anonymous and authenticated pulls (infos) are not reported here.
// The spec's registries count as private even where the PullAccess is not among the items.
// Credentials that expire within ExpiryWindow, or have expired, are warnings about the
// workloads that pull with them (the spec's registries carry the warning for its Secrets).
func pullCheck(pa *v1alpha1.PullAccess, auths dockercfg.Auths, out []*yaml.RNode, now time.Time) Problems {
	mode := pa.CheckMode()
	if mode == v1alpha1.CheckOff {
		return nil
	}
	var p Problems
	opts := pullcheck.Options{Private: auths.Keys(), PrivateFrom: "PullAccess " + pa.Metadata.Name, ExpiringWithin: ExpiryWindow, Now: now}
	for _, f := range pullcheck.AnalyzeNodes(out, opts) {
		sev := framework.Warning
		expiring := f.Rule == pullcheck.RuleCredentialExpired || f.Rule == pullcheck.RuleCredentialExpiring
		switch {
		case f.Severity == pullcheck.SeverityInfo, expiring && f.Kind == "Secret":
			continue
		case expiring: // a warning whatever the mode: a rotation may be under way
		case f.Severity == pullcheck.SeverityError && mode == v1alpha1.CheckError:
			sev = framework.Error
		}
		p = append(p, Problem{
			Severity: sev,
			Field:    f.Field,
			Message:  "pull check: " + f.Message,
			Object: &yaml.ResourceIdentifier{
				TypeMeta: yaml.TypeMeta{Kind: f.Kind},
				NameMeta: yaml.NameMeta{Name: f.Name, Namespace: f.Namespace},
			},
			File: f.File,
		})
	}
	return p
}
