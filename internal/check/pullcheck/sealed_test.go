package pullcheck

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sealedSecret is a SealedSecret named name in ns whose template names tmplName, has type
// typ, the annotations given (one "key: value" line each) and a data key; the SealedSecret
// itself carries the certificate's expiry when certExpiry is set.
func sealedSecret(ns, name, tmplName, typ, dataKey, certExpiry string, annotations ...string) string {
	s := "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\n"
	if certExpiry != "" {
		s += "  annotations:\n    pullgen.dev/sealing-certificate-expires-at: \"" + certExpiry + "\"\n"
	}
	s += "spec:\n  encryptedData:\n    " + dataKey + ": AgBnotRealCiphertext==\n  template:\n    metadata:\n      name: " + tmplName + "\n      namespace: " + ns + "\n"
	if len(annotations) > 0 {
		s += "      annotations:\n"
		for _, a := range annotations {
			s += "        " + a + "\n"
		}
	}
	return s + "    type: " + typ + "\n"
}

// TestSealedSecretAsItsPullSecret: the check reads a SealedSecret as the Secret its
// controller makes of it: under the SealedSecret's name (not its template's), with the
// template's type, data keys and registries annotation. Each case has its control: the
// same pod with a plain Secret of those keys.
func TestSealedSecretAsItsPullSecret(t *testing.T) {
	const dcj = "kubernetes.io/dockerconfigjson"
	pod := deployment("a", "web", pullSecrets("quay")+containers("quay.io/acme/web"))
	registries := "pullgen.dev/registries: quay.io/acme"
	tests := []struct {
		name, secret string
		want         []brief
	}{
		{"plain Secret, the control", pullSecret("a", "quay", "quay.io/acme"),
			[]brief{{c0, SeverityInfo, RuleAuthenticatedPull, "quay=quay.io/acme"}}},
		{"registries of its template", sealedSecret("a", "quay", "quay", dcj, ".dockerconfigjson", "", registries),
			[]brief{{c0, SeverityInfo, RuleAuthenticatedPull, "quay=quay.io/acme"}}},
		{"the SealedSecret's name, not its template's", sealedSecret("a", "quay", "elsewhere", dcj, ".dockerconfigjson", "", registries),
			[]brief{{c0, SeverityInfo, RuleAuthenticatedPull, "quay=quay.io/acme"}}},
		{"named only in its template", sealedSecret("a", "other", "quay", dcj, ".dockerconfigjson", "", registries),
			[]brief{{c0, SeverityError, RuleMissingCredential, ""}, {"spec.template.spec.imagePullSecrets[0].name", SeverityError, RuleMissingSecret, ""}}},
		{"no registries annotation", sealedSecret("a", "quay", "quay", dcj, ".dockerconfigjson", ""),
			[]brief{{c0, SeverityWarning, RuleUnknownSecretKeys, ""}}},
		{"Opaque", sealedSecret("a", "quay", "quay", "Opaque", ".dockerconfigjson", "", registries),
			[]brief{{c0, SeverityError, RuleMissingCredential, ""}}},
		{"no .dockerconfigjson", sealedSecret("a", "quay", "quay", dcj, "config.json", "", registries),
			[]brief{{c0, SeverityError, RuleMissingCredential, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := analyzeYAML(t, docs(tt.secret, pod), Options{Private: []string{"quay.io"}})
			var got []brief
			for _, b := range briefs(fs) {
				if b.Rule != RuleSealingCertificateExpired && b.Rule != RuleSealingCertificateExpiring {
					got = append(got, b)
				}
			}
			if !cmp.Equal(got, tt.want) {
				t.Errorf("findings %+v, want %+v", got, tt.want)
			}
			for _, f := range fs {
				if strings.Contains(f.Message, "AgBnotRealCiphertext") {
					t.Errorf("a finding quotes ciphertext: %s", f.Message)
				}
			}
		})
	}
	fs := analyzeYAML(t, docs(sealedSecret("a", "quay", "quay", dcj, ".dockerconfigjson", ""), pod), Options{})
	if !strings.Contains(fs[0].Message, "it is sealed (only its controller opens it)") {
		t.Errorf("unknown keys: %s", fs[0].Message)
	}
}

// TestSealedSecretExpiries: a SealedSecret's credentials expire as its template says (the
// Secret carries that annotation), reported at the template's field; the certificate it was
// sealed with is reported when expired (always) or within the window, as a warning only.
func TestSealedSecretExpiries(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	const dcj, certField = "kubernetes.io/dockerconfigjson", "metadata.annotations[pullgen.dev/sealing-certificate-expires-at]"
	pod := deployment("a", "web", pullSecrets("quay")+containers("quay.io/acme/web"))
	sealedWith := func(certExpiry string, annotations ...string) string {
		return docs(sealedSecret("a", "quay", "quay", dcj, ".dockerconfigjson", certExpiry,
			append([]string{"pullgen.dev/registries: quay.io/acme"}, annotations...)...), pod)
	}
	year, week := 365*24*time.Hour, 7*24*time.Hour
	tests := []struct {
		name   string
		in     string
		window time.Duration
		want   []expiryBrief
	}{
		{"current certificate", sealedWith(at(year)), 14 * 24 * time.Hour, nil},
		{"certificate within the window", sealedWith(at(week)), 14 * 24 * time.Hour, []expiryBrief{
			{"SealedSecret", "quay", certField, SeverityWarning, RuleSealingCertificateExpiring, at(week)}}},
		{"certificate expired, no window", sealedWith(at(-time.Hour)), 0, []expiryBrief{
			{"SealedSecret", "quay", certField, SeverityWarning, RuleSealingCertificateExpired, at(-time.Hour)}}},
		{"certificate expiry not a time", sealedWith("soon"), 0, []expiryBrief{
			{"SealedSecret", "quay", certField, SeverityWarning, RuleSealingCertificateExpiring, ""}}},
		{"credentials expired, from the template", sealedWith(at(year), `pullgen.dev/expires-at: "`+at(-time.Hour)+`"`), 0, []expiryBrief{
			{"Deployment", "web", "spec.template.spec.imagePullSecrets[0].name", SeverityError, RuleCredentialExpired, at(-time.Hour)},
			{"SealedSecret", "quay", "spec.template.metadata.annotations[pullgen.dev/expires-at]", SeverityError, RuleCredentialExpired, at(-time.Hour)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []expiryBrief
			for _, f := range analyzeYAML(t, tt.in, Options{Now: now, ExpiringWithin: tt.window}) {
				switch f.Rule {
				case RuleCredentialExpired, RuleCredentialExpiring, RuleSealingCertificateExpired, RuleSealingCertificateExpiring:
					got = append(got, expiryBrief{f.Kind, f.Name, f.Field, f.Severity, f.Rule, f.ExpiresAt})
				}
			}
			if !equalBriefs(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
