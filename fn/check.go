package fn

import (
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/dockercfg"
	"pullgen.dev/pullgen/internal/pullcheck"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// pullCheck runs the pull check (SPEC section 4) over the output as spec.check asks:
// error findings stay errors under "error" and become warnings under "warn"; warnings
// stay warnings; anonymous and authenticated pulls (infos) are not reported here.
// The spec's registries count as private even where the PullAccess is not among the items.
func pullCheck(pa *v1alpha1.PullAccess, auths dockercfg.Auths, out []*yaml.RNode) Problems {
	mode := pa.CheckMode()
	if mode == v1alpha1.CheckOff {
		return nil
	}
	var p Problems
	for _, f := range pullcheck.AnalyzeNodes(out, pullcheck.Options{Private: auths.Keys(), PrivateFrom: "PullAccess " + pa.Metadata.Name}) {
		sev := framework.Warning
		switch {
		case f.Severity == pullcheck.SeverityInfo:
			continue
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
