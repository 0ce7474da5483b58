package pullcheck

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"14d", 14 * 24 * time.Hour, false},
		{"336h", 336 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"0", 0, false},
		{"0d", 0, false},
		{"", 0, true},
		{"d", 0, true},
		{"-1d", 0, true},
		{"-5h", 0, true},
		{"1.5d", 0, true},
		{"14days", 0, true},
		{"two weeks", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseWindow(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
		if err != nil && !strings.Contains(err.Error(), "14d or 336h") {
			t.Errorf("ParseWindow(%q): unclear error %v", tt.in, err)
		}
	}
}

// expiringSecret is a pull secret for quay.io/acme with a pullgen.dev/expires-at.
func expiringSecret(ns, name, expiresAt string) string {
	return strings.Replace(pullSecret(ns, name, "quay.io/acme"), "\ntype:", "\n  annotations:\n    pullgen.dev/expires-at: \""+expiresAt+"\"\ntype:", 1)
}

// expiryBrief is what the expiry tests compare of a finding.
type expiryBrief struct {
	Kind, Name, Field string
	Severity          Severity
	Rule, ExpiresAt   string
}

func expiryBriefs(fs []Finding) []expiryBrief {
	var out []expiryBrief
	for _, f := range fs {
		if f.Rule == RuleCredentialExpired || f.Rule == RuleCredentialExpiring {
			out = append(out, expiryBrief{f.Kind, f.Name, f.Field, f.Severity, f.Rule, f.ExpiresAt})
		}
	}
	return out
}

func TestExpiryFindings(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	window := 14 * 24 * time.Hour
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	own := deployment("a", "web", pullSecrets("quay")+containers("quay.io/acme/web"))
	const secretField = "metadata.annotations[pullgen.dev/expires-at]"
	const ownField = "spec.template.spec.imagePullSecrets[0].name"
	tests := []struct {
		name   string
		in     string
		window time.Duration
		want   []expiryBrief
	}{
		{"far ahead", docs(expiringSecret("a", "quay", at(365*24*time.Hour)), own), window, nil},
		{"one second past the window", docs(expiringSecret("a", "quay", at(window+time.Second)), own), window, nil},
		{"the last second of the window", docs(expiringSecret("a", "quay", at(window)), own), window, []expiryBrief{
			{"Deployment", "web", ownField, SeverityWarning, RuleCredentialExpiring, "2026-06-15T12:00:00Z"},
			{"Secret", "quay", secretField, SeverityWarning, RuleCredentialExpiring, "2026-06-15T12:00:00Z"},
		}},
		{"no window: only expired ones", docs(expiringSecret("a", "quay", at(time.Hour)), own), 0, nil},
		{"expiring now is expired", docs(expiringSecret("a", "quay", at(0)), own), 0, []expiryBrief{
			{"Deployment", "web", ownField, SeverityError, RuleCredentialExpired, "2026-06-01T12:00:00Z"},
			{"Secret", "quay", secretField, SeverityError, RuleCredentialExpired, "2026-06-01T12:00:00Z"},
		}},
		{"time zones", docs(expiringSecret("a", "quay", "2026-06-01T13:59:59+02:00"), own), 0, []expiryBrief{
			{"Deployment", "web", ownField, SeverityError, RuleCredentialExpired, "2026-06-01T11:59:59Z"},
			{"Secret", "quay", secretField, SeverityError, RuleCredentialExpired, "2026-06-01T11:59:59Z"},
		}},
		{"through the ServiceAccount", docs(expiringSecret("a", "quay", at(-time.Hour)), serviceAccount("a", "builder", "quay"),
			deployment("a", "web", "      serviceAccountName: builder\n"+containers("quay.io/acme/web"))), window, []expiryBrief{
			{"Deployment", "web", "spec.template.spec.serviceAccountName", SeverityError, RuleCredentialExpired, "2026-06-01T11:00:00Z"},
			{"Secret", "quay", secretField, SeverityError, RuleCredentialExpired, "2026-06-01T11:00:00Z"},
		}},
		{"a pod that does not pull with it", docs(expiringSecret("a", "quay", at(-time.Hour)), pullSecret("a", "hub", "docker.io"),
			deployment("a", "web", pullSecrets("quay", "hub")+containers("nginx"))), window, []expiryBrief{
			{"Secret", "quay", secretField, SeverityError, RuleCredentialExpired, "2026-06-01T11:00:00Z"},
		}},
		{"an annotation that is not a time", docs(expiringSecret("a", "quay", "next week"), own), window, []expiryBrief{
			{"Secret", "quay", secretField, SeverityWarning, RuleCredentialExpiring, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := analyzeYAML(t, tt.in, Options{Now: now, ExpiringWithin: tt.window})
			if got := expiryBriefs(fs); !equalBriefs(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func equalBriefs(a, b []expiryBrief) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestExpiryReported: the messages, the JSON expiresAt of image entries and the SARIF
// levels say what the user checks.
func TestExpiryReported(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	in := docs(expiringSecret("a", "quay", "2026-06-03T00:00:00Z"), expiringSecret("a", "quay2", "2026-06-10T00:00:00Z"),
		deployment("a", "web", pullSecrets("quay", "quay2")+containers("quay.io/acme/web")),
		"apiVersion: v1\nkind: Secret\nmetadata:\n  name: bad\n  namespace: a\n  annotations: {pullgen.dev/expires-at: soon}\ntype: Opaque\n")
	fs := analyzeYAML(t, in, Options{Now: now, ExpiringWithin: 14 * 24 * time.Hour})
	var text, sarif strings.Builder
	if err := WriteText(&text, fs); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"the pod pulls with Secret quay, whose credentials expire on 2026-06-03T00:00:00Z, within 14 days",
		"the credentials of Secret quay2 expire on 2026-06-10T00:00:00Z, within 14 days: pulls with them fail from then on",
		`pullgen.dev/expires-at "soon" is not an RFC 3339 time such as 2027-03-01T00:00:00Z: when its credentials expire is unknown`,
	} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, text.String())
		}
	}
	for _, f := range fs {
		if f.IsImage() && f.ExpiresAt != "2026-06-03T00:00:00Z" {
			t.Errorf("image entry expiresAt %q, want the soonest of the credentials tried", f.ExpiresAt)
		}
	}
	if err := WriteSARIF(&sarif, fs, SARIFRun{}); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
				Level  string `json:"level"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(sarif.String()), &log); err != nil {
		t.Fatal(err)
	}
	levels := map[string]int{}
	for _, r := range log.Runs[0].Results {
		if r.RuleID == RuleCredentialExpiring {
			levels[r.Level]++
		}
	}
	if levels["warning"] != 5 { // two Secrets and the bad annotation, two pulls of the Deployment
		t.Errorf("SARIF credential-expiring levels %v", levels)
	}
}
