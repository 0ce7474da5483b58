package sealed

import (
	"fmt"
	"testing"

	fage "filippo.io/age"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/parallel"
	"pullgen.dev/pullgen/internal/core/sopsx"
)

// BenchmarkSeal500Namespaces seals the pull Secrets of 500 namespaces (one each, a
// .dockerconfigjson of 3 registries) for the controller's 4096-bit key, against the SOPS
// path on the same Secrets (each encrypted with its own data key for 2 age recipients), both
// on every core as generate does. The target is sealing within twice the SOPS path's time:
// the "sealed" sub-benchmark reports the ratio as x-sops when both run.
func BenchmarkSeal500Namespaces(b *testing.B) {
	const namespaces = 500
	secrets := make([]*yaml.RNode, namespaces)
	for i := range secrets {
		secrets[i] = pullSecret(fmt.Sprintf("team-%03d", i), "acme-pull", map[string]string{
			"quay.io/acme": fmt.Sprintf("quay-%03d", i), "ghcr.io/acme": "ghcr-token", "registry.example.com:5000": "example-token"})
	}
	var rules sopsx.Rules
	for i := 0; i < 2; i++ {
		id, err := fage.GenerateX25519Identity()
		if err != nil {
			b.Fatal(err)
		}
		rules.Age = append(rules.Age, id.Recipient().String())
	}
	each := func(b *testing.B, f func(*yaml.RNode) error) float64 {
		b.ReportAllocs()
		for n := 0; n < b.N; n++ {
			errs := make([]error, namespaces)
			parallel.Each(namespaces, func(i int) { errs[i] = f(secrets[i]) })
			for _, err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(perOp/namespaces/1e3, "µs/secret")
		return perOp
	}

	var sopsNs float64
	b.Run("sops", func(b *testing.B) {
		sopsNs = each(b, func(s *yaml.RNode) error {
			_, _, err := sopsx.Encrypt(s, rules, nil)
			return err
		})
	})
	b.Run("sealed", func(b *testing.B) {
		sealer := testSealer(b)
		b.ResetTimer()
		perOp := each(b, func(s *yaml.RNode) error {
			_, err := sealer.Seal(s, Strict)
			return err
		})
		if sopsNs > 0 {
			b.ReportMetric(perOp/sopsNs, "x-sops")
		}
	})
}
