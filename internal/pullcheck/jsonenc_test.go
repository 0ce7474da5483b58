package pullcheck

import (
	"encoding/json"
	"testing"
)

// TestAppendFinding: the hand-written encoder writes the bytes encoding/json writes (with
// nil lists as [], as the report has always written them).
func TestAppendFinding(t *testing.T) {
	tests := []Finding{
		{},
		{File: "a.yaml", Kind: "Pod", Namespace: "ns", Name: "p", Field: "spec", Line: 3, Severity: SeverityInfo, Rule: "r", Message: "m"},
		{File: "dir/a b.yaml", Kind: "Deployment", Namespace: "ns", Name: "web", Container: "c", Image: "quay.io/a/b:1@sha256:00",
			Field: "spec.template.spec.containers[0].image", Line: 120, PullSecrets: []string{"x", "y"},
			Credentials: []Credential{{Secret: "x", Registry: "https://index.docker.io/v1/"}, {Secret: "y", Registry: "*.example.com"}},
			Severity:    SeverityError, Rule: RuleMissingCredential, Message: "registry quay.io is private (declared by PullAccess a) and: the pull fails", ExpiresAt: "2027-03-01T00:00:00Z"},
		{File: "quote\"back\\slash\ttab\nnewline\x01ctl", Name: "<html>&amp;", Message: "café ☕ \u2028 line sep", Image: "\xff invalid utf-8",
			PullSecrets: []string{}, Credentials: []Credential{}},
	}
	for _, f := range tests {
		std := f
		if std.PullSecrets == nil {
			std.PullSecrets = []string{}
		}
		if std.Credentials == nil {
			std.Credentials = []Credential{}
		}
		want, err := json.Marshal(&std)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendFinding(nil, &f); string(got) != string(want) {
			t.Errorf("\ngot  %s\nwant %s", got, want)
		}
	}
}
