package sopsx

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"testing"

	fage "filippo.io/age"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// BenchmarkEncrypt500 encrypts the pull Secrets of 500 namespaces (one Secret each, a
// .dockerconfigjson of 3 registries) for 2 age recipients, against the floor: for each
// Secret, a fresh 32-byte data key wrapped for the 2 recipients with filippo.io/age (one
// age file per recipient, as sops writes them), nothing else. Every Secret gets its own
// data key in both, as sops requires. The ratio is reported as pullgen/floor in the
// "pullgen" sub-benchmark's x-floor metric when both run.
func BenchmarkEncrypt500(b *testing.B) {
	const namespaces = 500
	var recipients []fage.Recipient
	var names []string
	for i := 0; i < 2; i++ {
		id, err := fage.GenerateX25519Identity()
		if err != nil {
			b.Fatal(err)
		}
		recipients = append(recipients, id.Recipient())
		names = append(names, id.Recipient().String())
	}
	rules := Rules{Age: names}
	secrets := make([]*yaml.RNode, namespaces)
	for i := range secrets {
		secrets[i] = mustParse(b, secretYAML(fmt.Sprintf("team-%03d", i), "acme-pull", map[string]string{
			".dockerconfigjson": dockerConfig(fmt.Sprintf("token-%03d", i), "quay.io/acme", "ghcr.io/acme", "registry.example.com:5000"),
		}))
	}
	var floorNs float64

	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		key := make([]byte, 32)
		var buf bytes.Buffer
		for n := 0; n < b.N; n++ {
			for i := 0; i < namespaces; i++ {
				if _, err := rand.Read(key); err != nil {
					b.Fatal(err)
				}
				for _, r := range recipients {
					buf.Reset()
					w, err := fage.Encrypt(&buf, r)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := w.Write(key); err != nil {
						b.Fatal(err)
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		floorNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(floorNs/namespaces/1e3, "µs/secret")
	})

	b.Run("pullgen", func(b *testing.B) {
		b.ReportAllocs()
		for n := 0; n < b.N; n++ {
			for i := 0; i < namespaces; i++ {
				if _, _, err := Encrypt(secrets[i], rules, nil); err != nil {
					b.Fatal(err)
				}
			}
		}
		perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(perOp/namespaces/1e3, "µs/secret")
		if floorNs > 0 {
			b.ReportMetric(perOp/floorNs, "x-floor")
		}
	})
}
