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
		// --online findings: the online object, with and without attempts and credentials.
		{File: "a.yaml", Kind: "Pod", Namespace: "ns", Name: "p", Container: "c", Image: "quay.io/a/b:1", Field: "spec.containers[0].image",
			Credentials: []Credential{{Secret: "x", Registry: "quay.io"}}, Severity: SeverityInfo, Rule: RuleOnlineVerified,
			Message: "online: registry quay.io served quay.io/a/b:1 with x (quay.io)", ExpiresAt: "2027-03-01T00:00:00Z",
			Online: &OnlineCheck{Reference: "quay.io/a/b:1", VerifiedWith: &Credential{Secret: "x", Registry: "quay.io"},
				Attempts: []OnlineAttempt{{Credential: &Credential{Secret: "x", Registry: "quay.io"}, AuthServer: "auth.quay.io",
					AuthServerCredential: &Credential{Secret: "x", Registry: "auth.quay.io"}, Outcome: "verified", Status: 200, Reason: "HEAD <ok> & \"served\""}}}},
		{Container: "c", Image: "ghcr.io/a", Severity: SeverityError, Rule: RuleOnlineDenied, Message: "m",
			Online: &OnlineCheck{Reference: "ghcr.io/a:latest", AnonymousWorks: true,
				Attempts: []OnlineAttempt{{Outcome: "denied", Status: 401, Reason: "unauthorized"}, {Outcome: "unreachable", Reason: "timeout"}}}},
		{Container: "c", Image: "registry.example:5000/x", Severity: SeverityInfo, Rule: RuleOnlineSkipped, Online: &OnlineCheck{}},
		{Container: "c", Image: "i", Online: &OnlineCheck{Reference: "i", Attempts: []OnlineAttempt{}}},
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
