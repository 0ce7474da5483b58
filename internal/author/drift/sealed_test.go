package drift

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// sealedSecret is a SealedSecret as pullgen writes it, with ciphertext ct for
// .dockerconfigjson, registries and the certificate's expiry annotated, and extra
// annotations (a scope).
func sealedSecret(ct, registries, certExpiry, extra string) *yaml.RNode {
	return yaml.MustParse(`apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  annotations:
    pullgen.dev/registries: ` + registries + `
    pullgen.dev/sealing-certificate-expires-at: "` + certExpiry + `"
` + extra + `  name: acme
  namespace: team-a
spec:
  encryptedData:
    .dockerconfigjson: ` + ct + `
  template:
    metadata:
      annotations:
        pullgen.dev/registries: ` + registries + `
` + strings.ReplaceAll(extra, "    ", "        ") + `      name: acme
      namespace: team-a
    type: kubernetes.io/dockerconfigjson
`)
}

// TestCompareSealed: SealedSecrets compare by their ciphertext, which never shows in a
// diff or a summary; the summary says what changed in words.
func TestCompareSealed(t *testing.T) {
	const ct, ct2 = "AgBsealedCiphertextOne", "AgBsealedCiphertextTwo"
	const expiry, later = "2036-01-01T00:00:00Z", "2037-01-01T00:00:00Z"
	base := sealedSecret(ct, "quay.io", expiry, "")
	cases := []struct {
		name       string
		want, have *yaml.RNode
		summary    string
	}{
		{"in-step", base, sealedSecret(ct, "quay.io", expiry, ""), ""},
		{"credential-changed", sealedSecret(ct2, "quay.io", expiry, ""), base,
			"changed SealedSecret team-a/acme (sealedsecret.yaml): sealed values changed: .dockerconfigjson"},
		{"registry-added", sealedSecret(ct2, "ghcr.io,quay.io", expiry, ""), base,
			"changed SealedSecret team-a/acme (sealedsecret.yaml): registry keys added: ghcr.io; sealed values changed: .dockerconfigjson"},
		{"new-certificate", sealedSecret(ct2, "quay.io", later, ""), base,
			"changed SealedSecret team-a/acme (sealedsecret.yaml): sealed values changed: .dockerconfigjson; sealed with another certificate (expires " + later + ")"},
		{"scope-widened", sealedSecret(ct2, "quay.io", expiry, "    sealedsecrets.bitnami.com/namespace-wide: \"true\"\n"), base,
			"changed SealedSecret team-a/acme (sealedsecret.yaml): sealed values changed: .dockerconfigjson; scope changed"},
		{"added", base, nil, "added SealedSecret team-a/acme (sealedsecret.yaml): registries quay.io"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var have []Object
			if c.have != nil {
				have = objs(c.have)
			}
			r := Compare(objs(c.want), have, Options{})
			var got []string
			for _, ch := range r.Changes {
				got = append(got, ch.Summary())
				for _, leak := range []string{ct, ct2} {
					if strings.Contains(ch.Diff+ch.Summary(), leak) {
						t.Errorf("the diff shows ciphertext:\n%s", ch.Diff)
					}
				}
				if c.summary != "" && !strings.Contains(ch.Diff, "<sealed") {
					t.Errorf("the diff does not show the masked values:\n%s", ch.Diff)
				}
			}
			if g := strings.Join(got, "\n"); g != c.summary {
				t.Errorf("changes:\n%s\nwant:\n%s", g, c.summary)
			}
			if len(r.Unverified) > 0 {
				t.Errorf("unverified %v: sealed values are compared, never unverified", r.Unverified)
			}
		})
	}
}
