package sealed

import (
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	sscrypto "github.com/bitnami/sealed-secrets/pkg/crypto"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/testsupport/sealedtest"
)

// TestSealIsStable: sealing the same Secrets again, with a Sealer made anew from the same
// certificate and seed, gives the same bytes; one credential changed changes only the
// SealedSecrets that carry it.
func TestSealIsStable(t *testing.T) {
	s := testSealer(t)
	again := sealerWithSeed(t, s.cert, s.seed)
	secrets := func(quayToken string) []*yaml.RNode {
		return []*yaml.RNode{
			pullSecret("team-a", "quay", map[string]string{"quay.io/acme": quayToken}),
			pullSecret("team-b", "quay", map[string]string{"quay.io/acme": quayToken}),
			pullSecret("team-a", "ghcr", map[string]string{"ghcr.io/acme": "ghcr-token"}),
		}
	}
	seal := func(s *Sealer, secrets []*yaml.RNode) []string {
		var out []string
		for _, sec := range secrets {
			out = append(out, mustString(t, mustSeal(t, s, sec, Strict)))
		}
		return out
	}
	first := seal(s, secrets("quay-token-1"))
	second := seal(again, secrets("quay-token-1"))
	rotated := seal(again, secrets("quay-token-2"))
	for i := range first {
		if first[i] != second[i] {
			t.Errorf("SealedSecret %d changed although nothing did:\n%s\n---\n%s", i, first[i], second[i])
		}
	}
	for i, wantChange := range []bool{true, true, false} {
		if changed := rotated[i] != first[i]; changed != wantChange {
			t.Errorf("quay token rotated: SealedSecret %d changed = %v, want %v", i, changed, wantChange)
		}
	}
}

// TestSealDependsOnEverySecretInput: the derived randomness is bound to the seed, the
// certificate, the scope, the place and the plaintext: change any and the ciphertext is
// new (equal ciphertext for unequal inputs would tell an observer they are equal).
func TestSealDependsOnEverySecretInput(t *testing.T) {
	s := testSealer(t)
	base := encrypted(t, mustSeal(t, s, pullSecret("team-a", "quay", map[string]string{"quay.io/acme": "t"}), ClusterWide))
	other := map[string]string{
		"seed":      encrypted(t, mustSeal(t, sealerWithSeed(t, s.cert, newTestSeed(t)), pullSecret("team-a", "quay", map[string]string{"quay.io/acme": "t"}), ClusterWide)),
		"scope":     encrypted(t, mustSeal(t, s, pullSecret("team-a", "quay", map[string]string{"quay.io/acme": "t"}), NamespaceWide)),
		"namespace": encrypted(t, mustSeal(t, s, pullSecret("team-b", "quay", map[string]string{"quay.io/acme": "t"}), ClusterWide)),
		"name":      encrypted(t, mustSeal(t, s, pullSecret("team-a", "quay2", map[string]string{"quay.io/acme": "t"}), ClusterWide)),
		"password":  encrypted(t, mustSeal(t, s, pullSecret("team-a", "quay", map[string]string{"quay.io/acme": "u"}), ClusterWide)),
	}
	for what, ct := range other {
		if ct == base {
			t.Errorf("another %s gave the same ciphertext", what)
		}
		// The session key (first bytes after the RSA part) must differ too: a session key
		// that encrypted two plaintexts under GCM's zero nonce would leak both.
		if sessionPrefix(t, ct) == sessionPrefix(t, base) {
			t.Errorf("another %s gave the same RSA-wrapped session key", what)
		}
	}
}

// TestSealOpensOnlyInScope opens what Seal wrote with sealed-secrets' own HybridDecrypt and
// the label the controller computes from where the SealedSecret stands: it opens where its
// scope allows and nowhere else. (The kubeseal tests do the same with the real CLI.)
func TestSealOpensOnlyInScope(t *testing.T) {
	key := sealedtest.ControllerKeyPair(t).Key
	s := testSealer(t)
	secret := pullSecret("team-a", "quay", map[string]string{"quay.io/acme": "token"})
	want := dataOf(t, secret)
	places := []struct{ ns, name string }{{"team-a", "quay"}, {"team-a", "renamed"}, {"team-b", "quay"}, {"team-b", "renamed"}}
	opens := map[Scope][]bool{
		Strict:        {true, false, false, false},
		NamespaceWide: {true, true, false, false},
		ClusterWide:   {true, true, true, true},
	}
	for scope, want4 := range opens {
		ct := encrypted(t, mustSeal(t, s, secret, scope))
		raw, _ := base64.StdEncoding.DecodeString(ct)
		for i, p := range places {
			// The controller reads the scope from the annotations of where it stands; a copy
			// keeps them, so the label follows the same scope.
			got, err := sscrypto.HybridDecrypt(nil, map[string]*rsa.PrivateKey{"k": key}, raw, scope.label(p.ns, p.name))
			if opened := err == nil; opened != want4[i] {
				t.Errorf("%s SealedSecret at %s/%s: opened = %v, want %v", scope, p.ns, p.name, opened, want4[i])
			}
			if err == nil && string(got) != want {
				t.Errorf("%s SealedSecret at %s/%s opened to other bytes", scope, p.ns, p.name)
			}
		}
	}
}

func TestSealRefusesWhatItCannotSeal(t *testing.T) {
	s := testSealer(t)
	tests := []struct {
		name, yaml, want string
		scope            Scope
	}{
		{"not a Secret", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\ndata: {a: b}\n", "only a v1 Secret is sealed, not v1 ConfigMap", Strict},
		{"no name", "apiVersion: v1\nkind: Secret\nmetadata: {namespace: n}\ndata: {a: YQ==}\n", "metadata.name", Strict},
		{"no namespace, strict", "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {a: YQ==}\n", "metadata.namespace: a Secret sealed in scope strict needs a namespace", Strict},
		{"no namespace, namespace-wide", "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {a: YQ==}\n", "scope namespace-wide needs a namespace", NamespaceWide},
		{"stringData", "apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: n}\nstringData: {a: hunter2-secret}\n", "stringData: only data is sealed", Strict},
		{"no data", "apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: n}\n", "data: a Secret to seal needs data", Strict},
		{"not base64", "apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: n}\ndata: {.dockerconfigjson: hunter2-secret}\n", "data..dockerconfigjson: not base64", Strict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Seal(yaml.MustParse(tc.yaml), tc.scope)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Seal: error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error quotes a value: %v", err)
			}
		})
	}
	// The control: a cluster-wide Secret needs no namespace.
	if _, err := s.Seal(yaml.MustParse("apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {a: YQ==}\n"), ClusterWide); err != nil {
		t.Errorf("Seal of a cluster-wide Secret without namespace: %v", err)
	}
}

func TestSealSeedAndCertificateRequired(t *testing.T) {
	cert, err := ParseCertificate(sealedtest.ControllerKeyPair(t).CertPEM(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSealer(cert, make([]byte, MinSeedBytes-1)); err == nil {
		t.Error("NewSealer took a seed of 31 bytes")
	}
	if _, err := NewSealer(nil, make([]byte, MinSeedBytes)); err == nil {
		t.Error("NewSealer took no certificate")
	}
	if _, err := NewSealer(cert, make([]byte, MinSeedBytes)); err != nil {
		t.Errorf("NewSealer with a 32-byte seed: %v", err)
	}
}

func TestParseSeed(t *testing.T) {
	made, err := NewSeed()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text, want string
	}{
		{"made by NewSeed", made + "\n", ""},
		{"openssl rand -base64 32", "kOaFJ2dV0cSQf0SqHj1bW8n5xGm3r0Tn6yYzvC4uPwE=", ""},
		{"too short", "hunter2-short", "the sealing seed has 13 bytes, fewer than 32"},
		{"damaged", seedPrefix + "hunter2-not-base64", "the sealing seed is damaged"},
		{"truncated", made[:len(made)-8], "the sealing seed is damaged"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seed, err := ParseSeed(tc.text)
			if tc.want == "" {
				if err != nil || len(seed) < MinSeedBytes {
					t.Fatalf("ParseSeed: %d bytes, %v", len(seed), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseSeed: error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error quotes the seed: %v", err)
			}
		})
	}
}

// encrypted is the one encryptedData value of a sealed pull Secret.
func encrypted(t testing.TB, sealed *yaml.RNode) string {
	t.Helper()
	v, err := sealed.Pipe(yaml.Lookup("spec", "encryptedData", ".dockerconfigjson"))
	if err != nil || v == nil {
		t.Fatalf("no spec.encryptedData..dockerconfigjson: %v", err)
	}
	return v.YNode().Value
}

// sessionPrefix is the RSA-OAEP part of a HybridEncrypt ciphertext, base64.
func sessionPrefix(t testing.TB, ct string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(ct)
	if err != nil || len(raw) < 2 {
		t.Fatalf("ciphertext is not base64: %v", err)
	}
	n := int(raw[0])<<8 | int(raw[1])
	return fmt.Sprintf("%x", raw[2:2+n])
}

// dataOf is the decoded .dockerconfigjson of a plain pull Secret.
func dataOf(t testing.TB, secret *yaml.RNode) string {
	t.Helper()
	v, err := secret.Pipe(yaml.Lookup("data", ".dockerconfigjson"))
	if err != nil || v == nil {
		t.Fatalf("no data..dockerconfigjson: %v", err)
	}
	b, err := base64.StdEncoding.DecodeString(v.YNode().Value)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
