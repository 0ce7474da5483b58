package fn

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
)

func TestParseExpiry(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		in         string
		fromSource bool
		want       time.Time // zero: no expiry
		err        string
	}{
		{"2027-03-01T00:00:00Z", false, utc("2027-03-01T00:00:00Z"), ""},
		{"2027-03-01T02:00:00+02:00", false, utc("2027-03-01T00:00:00Z"), ""},
		{"2027-02-28T19:00:00-05:00", false, utc("2027-03-01T00:00:00Z"), ""},
		{"2027-03-01T00:00:00.999Z", false, utc("2027-03-01T00:00:00.999Z"), ""},
		{"2027-03-01", false, time.Time{}, "is not an RFC 3339 time"},
		{"1772323200", false, time.Time{}, "is not an RFC 3339 time"},
		{"next week", false, time.Time{}, "is not an RFC 3339 time"},
		{"2027-03-01T00:00:00Z", true, utc("2027-03-01T00:00:00Z"), ""},
		{"2027-03-01", true, utc("2027-03-01T00:00:00Z"), ""},
		{"1772323200", true, utc("2026-03-01T00:00:00Z"), ""},
		{"-1", true, time.Time{}, ""},
		{"0", true, time.Time{}, ""},
		{"s3cr3t-token-value", true, time.Time{}, "the value is not a time: want RFC 3339"},
		{"2027-13-01", true, time.Time{}, "the value is not a time"},
	}
	for _, tt := range tests {
		got, err := parseExpiry(tt.in, tt.fromSource)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseExpiry(%q, %v): error %v, want %q", tt.in, tt.fromSource, err, tt.err)
			}
			if err != nil && tt.fromSource && strings.Contains(err.Error(), tt.in) {
				t.Errorf("the error quotes the value read from a source: %v", err)
			}
		case err != nil:
			t.Errorf("parseExpiry(%q, %v): %v", tt.in, tt.fromSource, err)
		case !got.Equal(tt.want):
			t.Errorf("parseExpiry(%q, %v) = %v, want %v", tt.in, tt.fromSource, got, tt.want)
		}
	}
}

// expirySpec is a PullAccess over team-a with registries (spec lines, indented by two).
func expirySpec(check, registries string) string {
	return "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: acme}\nspec:\n  namespaces: [team-a]\n" +
		"  output: {encrypt: false}\n  check: " + check + "\n  registries:\n" + registries
}

func runExpiry(t *testing.T, spec string, items []*yaml.RNode, now time.Time, dir string) ([]*yaml.RNode, framework.Results) {
	t.Helper()
	env := map[string]string{"TOKEN": "tok", "EXPIRY": "2027-03-01T00:00:00Z", "BAD_EXPIRY": "s3cr3t"}
	return Run(yaml.MustParse(spec), items, Options{Now: now, Sources: Sources{
		BaseDir:   dir,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	}})
}

func TestExpiryAnnotation(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token.json"), []byte(`{"token": "s3cr3t", "expires_at": "2027-01-15", "harbor": -1, "robot": {"expires_at": 1772323200}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "robot.yaml"), []byte("expires_at: 1772323200\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reg := func(extra string) string {
		return "  - {server: quay.io/acme, username: r, passwordFrom: {env: TOKEN}" + extra + "}\n"
	}
	other := func(extra string) string {
		return "  - {server: ghcr.io/acme, username: r, passwordFrom: {env: TOKEN}" + extra + "}\n"
	}
	tests := []struct {
		name       string
		registries string
		want       string // the annotation, "" for none
	}{
		{"none", reg(""), ""},
		{"literal, normalised to UTC", reg(`, expiresAt: "2027-03-01T09:30:00+09:00"`), "2027-03-01T00:30:00Z"},
		{"fractions of a second dropped", reg(`, expiresAt: "2027-03-01T00:00:00.75Z"`), "2027-03-01T00:00:00Z"},
		{"the soonest of two", reg(`, expiresAt: "2027-03-01T00:00:00Z"`) + other(`, expiresAt: "2026-12-31T23:00:00-02:00"`), "2027-01-01T01:00:00Z"},
		{"one without", reg(`, expiresAt: "2027-03-01T00:00:00Z"`) + other(""), "2027-03-01T00:00:00Z"},
		{"from env", reg(`, expiresAtFrom: {env: EXPIRY}`), "2027-03-01T00:00:00Z"},
		{"from a key of the token file", reg(`, expiresAtFrom: {file: token.json, key: expires_at}`), "2027-01-15T00:00:00Z"},
		{"never (Harbor's -1)", reg(`, expiresAtFrom: {file: token.json, key: harbor}`), ""},
		{"Unix seconds, a JSON number", reg(`, expiresAtFrom: {file: token.json, key: robot.expires_at}`), "2026-03-01T00:00:00Z"},
		{"Unix seconds, a YAML number", reg(`, expiresAtFrom: {file: robot.yaml, key: expires_at}`), "2026-03-01T00:00:00Z"},
		{"fromConfig", "  - {fromConfig: {file: auth.json}, expiresAt: \"2027-03-01T00:00:00Z\"}\n", "2027-03-01T00:00:00Z"},
	}
	if err := os.WriteFile(filepath.Join(dir, "auth.json"), []byte(`{"auths": {"registry.example.com": {"auth": "cjpz"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, results := runExpiry(t, expirySpec("warn", tt.registries), nil, now, dir)
			if results.ExitCode() != 0 {
				t.Fatal(messages(results))
			}
			secrets := 0
			for _, o := range out {
				if o.GetKind() == "Secret" {
					secrets++
				}
				got, ok := o.GetAnnotations()[manifest.AnnotationExpiresAt]
				if got != tt.want || ok != (tt.want != "") {
					t.Errorf("%s %s: expires-at %q, want %q", o.GetKind(), o.GetName(), got, tt.want)
				}
			}
			if secrets != 1 {
				t.Errorf("%d Secrets, want the one of team-a", secrets)
			}
		})
	}
}

// TestExpiryWindow: the function warns (never errs) of a credential that expired, whatever
// spec.check says, and of one that expires within 14 days when the check runs; the edges
// belong to the window.
func TestExpiryWindow(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	tests := []struct {
		name  string
		check string
		at    string
		want  string // substring of the warning, "" for none
	}{
		{"a year ahead", "warn", at(365 * 24 * time.Hour), ""},
		{"one second past the window", "warn", at(ExpiryWindow + time.Second), ""},
		{"the last second of the window", "warn", at(ExpiryWindow), "expires on 2026-06-15T12:00:00Z, within 14 days"},
		{"tomorrow", "error", at(24 * time.Hour), "expires on 2026-06-02T12:00:00Z, within 14 days"},
		{"tomorrow, check off", "off", at(24 * time.Hour), ""},
		{"now", "error", at(0), "expired on 2026-06-01T12:00:00Z"},
		{"past, check off", "off", "2026-05-01T00:00:00+02:00", "expired on 2026-04-30T22:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := expirySpec(tt.check, "  - {server: quay.io/acme, username: r, passwordFrom: {env: TOKEN}, expiresAt: \""+tt.at+"\"}\n")
			out, results := runExpiry(t, spec, nil, now, "")
			if results.ExitCode() != 0 || out == nil {
				t.Fatalf("a date in the past or near is no error:\n%s", messages(results))
			}
			msgs := messages(results)
			if tt.want == "" {
				if msgs != "" {
					t.Errorf("unexpected results:\n%s", msgs)
				}
				return
			}
			want := "acme: spec.registries[0].expiresAt: warning: the credential " + tt.want
			if !strings.Contains(msgs, want) {
				t.Errorf("results lack %q:\n%s", want, msgs)
			}
		})
	}
}

func TestExpiryErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token.json"), []byte(`{"token": "s3cr3t"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, registry, want string
	}{
		{"not RFC 3339", `expiresAt: "2027-03-01"`, `spec.registries[0].expiresAt: "2027-03-01" is not an RFC 3339 time such as 2027-03-01T00:00:00Z`},
		{"both", `expiresAt: "2027-03-01T00:00:00Z", expiresAtFrom: {env: EXPIRY}`, "spec.registries[0]: give expiresAt or expiresAtFrom, not both"},
		{"env and file", `expiresAtFrom: {env: EXPIRY, file: token.json}`, "spec.registries[0].expiresAtFrom: give exactly one of env and file, not both"},
		{"variable not set", `expiresAtFrom: {env: NO_SUCH_EXPIRY}`, "spec.registries[0].expiresAtFrom: environment variable NO_SUCH_EXPIRY is not set"},
		{"key missing", `expiresAtFrom: {file: token.json, key: expires_at}`, "spec.registries[0].expiresAtFrom: reading token.json: "},
		{"not a time, not quoted", `expiresAtFrom: {env: BAD_EXPIRY}`, "spec.registries[0].expiresAtFrom: the value is not a time: want RFC 3339 (2027-03-01T00:00:00Z), a date (2027-03-01) or Unix seconds"},
		{"whole token file", `expiresAtFrom: {file: token.json}`, "spec.registries[0].expiresAtFrom: the value is not a time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := expirySpec("warn", "  - {server: quay.io/acme, username: r, passwordFrom: {env: TOKEN}, "+tt.registry+"}\n")
			out, results := runExpiry(t, spec, nil, time.Now(), dir)
			msgs := messages(results)
			if results.ExitCode() == 0 || out != nil {
				t.Fatalf("no error:\n%s", msgs)
			}
			if !strings.Contains(msgs, tt.want) {
				t.Errorf("results lack %q:\n%s", tt.want, msgs)
			}
			if strings.Contains(msgs, "s3cr3t") {
				t.Errorf("a credential in the results:\n%s", msgs)
			}
		})
	}
}

// TestExpiryPullCheck: under spec.check the workloads of the input that pull with an
// expiring credential get a warning, even with check: error, and the Secrets none (their
// registry carries it).
func TestExpiryPullCheck(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	deploy := yaml.MustParse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team-a}\nspec: {template: {spec: {imagePullSecrets: [{name: acme}], containers: [{name: w, image: quay.io/acme/w}]}}}\n")
	other := yaml.MustParse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: anon, namespace: team-a}\nspec: {template: {spec: {imagePullSecrets: [{name: acme}], containers: [{name: w, image: nginx}]}}}\n")
	spec := expirySpec("error", "  - {server: quay.io/acme, username: r, passwordFrom: {env: TOKEN}, expiresAt: \"2026-06-05T00:00:00Z\"}\n")
	_, results := runExpiry(t, spec, []*yaml.RNode{deploy, other}, now, "")
	msgs := messages(results)
	if results.ExitCode() != 0 {
		t.Fatalf("expiry is no error in the function:\n%s", msgs)
	}
	want := []string{
		"acme: spec.registries[0].expiresAt: warning: the credential expires on 2026-06-05T00:00:00Z, within 14 days",
		"Deployment team-a/web: spec.template.spec.imagePullSecrets[0].name: warning: pull check: the pod pulls with Secret acme, whose credentials expire on 2026-06-05T00:00:00Z, within 14 days",
	}
	for _, w := range want {
		if !strings.Contains(msgs, w) {
			t.Errorf("results lack %q:\n%s", w, msgs)
		}
	}
	if strings.Contains(msgs, "Secret team-a/acme") || strings.Contains(msgs, "team-a/anon") {
		t.Errorf("results about the Secret, or about a pod that does not pull with it:\n%s", msgs)
	}
}
