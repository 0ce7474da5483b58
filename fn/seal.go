package fn

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/credsource"
	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/core/parallel"
	"pullgen.dev/pullgen/internal/core/sealed"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// sealSecrets seals the Secrets this PullAccess generated into SealedSecrets for the
// controller certificate of spec.output.sealed, in its scope, with its sealing seed, so
// that unchanged credentials give unchanged bytes (package sealed).
func sealSecrets(pa *v1alpha1.PullAccess, out []*yaml.RNode, r *credsource.Resolver, now time.Time, stats *Stats) ([]*yaml.RNode, Problems) {
	var p Problems
	so := pa.Spec.Output.Sealed
	scope, err := sealed.ParseScope(so.Scope)
	if err != nil {
		p.add("spec.output.sealed.scope", err.Error())
	}
	cert, err := sealed.ReadCertificate(r.Value, so.Certificate, now)
	if err != nil {
		p.add("spec.output.sealed.certificate", err.Error())
	}
	seed, err := readSeed(pa.SealingSeed(), r)
	if err != nil {
		p.add("spec.output.sealed.seed", err.Error())
	}
	if p.HasErrors() {
		return nil, p
	}
	sealer, err := sealed.NewSealer(cert, seed)
	if err != nil {
		p.add("spec.output.sealed", err.Error())
		return nil, p
	}
	result := append([]*yaml.RNode(nil), out...)
	errs := make([]error, len(out))
	// RSA-OAEP per Secret: on every core.
	parallel.Each(len(out), func(i int) {
		if obj := out[i]; obj.GetKind() == "Secret" && manifest.IsGeneratedBy(obj, pa.Metadata.Name) {
			result[i], errs[i] = sealer.Seal(obj, scope)
		}
	})
	for i, err := range errs {
		if err != nil {
			p = append(p, objectProblem(out[i], "", "sealing: "+err.Error()))
			continue
		}
		if result[i] != out[i] {
			stats.Sealed++
		}
	}
	if p.HasErrors() {
		return nil, p
	}
	return result, p
}

// readSeed reads the sealing seed from its source. A seed file must keep the seed
// encrypted: whoever reads the seed can test guesses of the credentials against the
// committed SealedSecrets.
func readSeed(src *v1alpha1.Source, r *credsource.Resolver) ([]byte, error) {
	text, err := r.Value(*src)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w: pullgen generate creates it on first use (SOPS-encrypted), or set spec.output.sealed.seed to a source", err)
		}
		return nil, err
	}
	if src.File != "" {
		raw := *r
		raw.Decrypt = nil
		if clear, err := raw.Value(*src); err == nil && clear == text {
			return nil, fmt.Errorf("%s holds the sealing seed in clear: whoever reads it can test guesses of the credentials against the SealedSecrets; encrypt it with sops, its value included (a creation rule's encrypted_regex must match its key)", src.File)
		}
	}
	return sealed.ParseSeed(text)
}
