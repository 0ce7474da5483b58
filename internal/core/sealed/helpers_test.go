package sealed

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/dockercfg"
	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/testsupport/sealedtest"
)

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// testSealer seals for the controller's key pair with a seed made for the test.
func testSealer(t testing.TB) *Sealer {
	t.Helper()
	cert, err := ParseCertificate(sealedtest.ControllerKeyPair(t).CertPEM(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return sealerWithSeed(t, cert, newTestSeed(t))
}

func newTestSeed(t testing.TB) []byte {
	t.Helper()
	text, err := NewSeed()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := ParseSeed(text)
	if err != nil {
		t.Fatal(err)
	}
	return seed
}

func sealerWithSeed(t testing.TB, cert *Certificate, seed []byte) *Sealer {
	t.Helper()
	s, err := NewSealer(cert, seed)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pullSecret is the image pull Secret pullgen generates (before SOPS would encrypt it) in
// ns, for registries with their passwords.
func pullSecret(ns, name string, passwords map[string]string) *yaml.RNode {
	auths := dockercfg.Auths{}
	for registry, password := range passwords {
		auths.Set(registry, dockercfg.NewEntry("robot", password, ""))
	}
	owner := manifest.Owner{Name: "acme", SyncWave: "-1", Labels: map[string]string{"team": "platform"},
		Annotations: map[string]string{"pullgen.dev/expires-at": "2030-01-01T00:00:00Z"}}
	return owner.Secret(name, ns, "kubernetes.io/dockerconfigjson", ".dockerconfigjson", auths.DockerConfigJSON(), auths.Keys())
}

func mustSeal(t testing.TB, s *Sealer, secret *yaml.RNode, scope Scope) *yaml.RNode {
	t.Helper()
	out, err := s.Seal(secret, scope)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustString(t testing.TB, n *yaml.RNode) string {
	t.Helper()
	s, err := n.String()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeTestFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// kubesealOpener opens SealedSecrets with the real kubeseal and the controller's private
// key (--recovery-unseal), returning the Secret it makes, or kubeseal's error.
func kubesealOpener(t testing.TB) func(ss *yaml.RNode) ([]byte, error) {
	t.Helper()
	kubeseal := sealedtest.Kubeseal(t)
	keyFile := sealedtest.ControllerKeyPair(t).WriteKey(t, t.TempDir())
	return func(ss *yaml.RNode) ([]byte, error) {
		return sealedtest.Unseal(t, kubeseal, keyFile, []byte(mustString(t, ss)))
	}
}
