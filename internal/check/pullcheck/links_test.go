package pullcheck

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// keptServiceAccount is a ServiceAccount as pullgen writes it when PullAccess acme keeps
// other-pull and links acme.
const keptServiceAccount = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: builder
  namespace: a
  annotations:
    pullgen.dev/links: '{"acme":["other-pull","acme"]}'
imagePullSecrets:
  - name: other-pull
  - name: acme
`

func TestUnusedServiceAccountLinks(t *testing.T) {
	withSA := func(sa string) string {
		return strings.Replace(sa, "    spec:\n", "    spec:\n      serviceAccountName: builder\n", 1)
	}
	tests := []struct {
		name    string
		in      string
		want    []brief
		message string
	}{
		{"every pod of the ServiceAccount has its own list: warned, naming the link and the pods",
			docs(pullSecret("a", "quay", "quay.io"), pullSecret("a", "ghcr", "ghcr.io"), serviceAccount("a", "default", "quay"),
				deployment("a", "web", pullSecrets("ghcr")+containers("ghcr.io/x/web")),
				deployment("a", "api", pullSecrets("ghcr")+containers("ghcr.io/x/api"))),
			[]brief{{c0, SeverityInfo, RuleAuthenticatedPull, "ghcr=ghcr.io"}, {c0, SeverityInfo, RuleAuthenticatedPull, "ghcr=ghcr.io"},
				{"imagePullSecrets[0].name", SeverityWarning, RuleUnusedLink, ""}},
			"ServiceAccount default links pull secret quay, but no pod gets it from there: every pod of default in a sets its own imagePullSecrets, which replace the ServiceAccount's, and the list of Deployment api, Deployment web lacks quay"},
		{"one pod without its own list uses the link: nothing said",
			docs(pullSecret("a", "quay", "quay.io"), pullSecret("a", "ghcr", "ghcr.io"), serviceAccount("a", "default", "quay"),
				deployment("a", "web", pullSecrets("ghcr")+containers("ghcr.io/x/web")),
				deployment("a", "api", containers("quay.io/x/api"))),
			[]brief{{c0, SeverityInfo, RuleAuthenticatedPull, "quay=quay.io"}, {c0, SeverityInfo, RuleAuthenticatedPull, "ghcr=ghcr.io"}}, ""},
		{"the pods list the linked secret themselves: nothing lost, nothing said",
			docs(pullSecret("a", "quay", "quay.io"), serviceAccount("a", "default", "quay"),
				deployment("a", "web", pullSecrets("quay")+containers("quay.io/x/web"))),
			[]brief{{c0, SeverityInfo, RuleAuthenticatedPull, "quay=quay.io"}}, ""},
		{"pods of another ServiceAccount or namespace do not count",
			docs(pullSecret("a", "quay", "quay.io"), pullSecret("b", "ghcr", "ghcr.io"), serviceAccount("a", "default", "quay"),
				deployment("b", "web", pullSecrets("ghcr")+containers("ghcr.io/x/web"))),
			[]brief{{c0, SeverityInfo, RuleAuthenticatedPull, "ghcr=ghcr.io"}}, ""},
		{"OpenShift's managed entry is left to the internal-registry rules",
			docs(pullSecret("a", "ghcr", "ghcr.io"), serviceAccount("a", "default", "default-dockercfg-x7k2q"),
				deployment("a", "web", pullSecrets("ghcr")+containers("ghcr.io/x/web"))),
			[]brief{{c0, SeverityInfo, RuleAuthenticatedPull, "ghcr=ghcr.io"}}, ""},
		{"a kept entry is a live-only Secret: not missing, its keys unknown",
			docs(pullAccess, pullSecret("a", "acme", "quay.io/acme"), keptServiceAccount, withSA(deployment("a", "web", containers("registry.redhat.io/ubi9")))),
			[]brief{{c0, SeverityWarning, RuleUnknownSecretKeys, ""}},
			"the registry keys of Secret other-pull are unknown: a PullAccess keeps it as a live-only entry"},
		{"a link no pod gets, kept entries included",
			docs(pullSecret("a", "acme", "quay.io/acme"), pullSecret("a", "ghcr", "ghcr.io"), keptServiceAccount,
				withSA(deployment("a", "web", pullSecrets("ghcr")+containers("ghcr.io/x/web")))),
			[]brief{{c0, SeverityInfo, RuleAuthenticatedPull, "ghcr=ghcr.io"},
				{"imagePullSecrets[0].name", SeverityWarning, RuleUnusedLink, ""}, {"imagePullSecrets[1].name", SeverityWarning, RuleUnusedLink, ""}},
			"ServiceAccount builder links pull secret acme, but no pod gets it from there: every pod of builder in a sets its own imagePullSecrets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := analyzeYAML(t, tt.in, Options{})
			if diff := cmp.Diff(tt.want, briefs(fs)); diff != "" {
				t.Fatalf("(-want +got):\n%s\n%v", diff, fs)
			}
			found := tt.message == ""
			for _, f := range fs {
				found = found || strings.Contains(f.Message, tt.message)
			}
			if !found {
				t.Errorf("no message contains %q: %v", tt.message, fs)
			}
		})
	}
}
