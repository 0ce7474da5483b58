package pullcheck

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"pullgen.dev/pullgen/internal/check/nodecred"
)

func idms(name, source, policy string, mirrors ...string) string {
	s := "apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata:\n  name: " + name +
		"\nspec:\n  imageDigestMirrors:\n    - source: " + source + "\n      mirrors: [" + strings.Join(mirrors, ", ") + "]\n"
	if policy != "" {
		s += "      mirrorSourcePolicy: " + policy + "\n"
	}
	return s
}

func itms(name, source string, mirrors ...string) string {
	return "apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata:\n  name: " + name +
		"\nspec:\n  imageTagMirrors:\n    - source: " + source + "\n      mirrors: [" + strings.Join(mirrors, ", ") + "]\n"
}

// mirrorPullAccess declares quay.io/acme and the mirror as private.
const mirrorPullAccess = "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata:\n  name: acme\nspec:\n  registries:\n" +
	"    - server: quay.io/acme\n    - server: mirror.corp.example\n      mirror: true\n"

// manyMirrors returns n mirror locations, m0.local/acme to m<n-1>.local/acme.
func manyMirrors(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("m%d.local/acme", i)
	}
	return out
}

const digestRef = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestMirrors checks the findings of pulls through mirrors: the pull sources in order and
// the credential each gets (the kubelet's only on the image's own host, the global pull
// secret's elsewhere), blocked sources, and the Secrets a mirror never gets.
func TestMirrors(t *testing.T) {
	never := idms("release", "quay.io/acme", "NeverContactSource", "mirror.corp.example/acme")
	allow := idms("release", "quay.io/acme", "", "mirror.corp.example/acme")
	quay := pullSecret("a", "quay", "quay.io/acme")
	global := pullSecret("openshift-config", "pull-secret", "mirror.corp.example", "cloud.openshift.com")
	web := func(image string) string { return deployment("a", "web", pullSecrets("quay")+containers(image)) }
	tests := []struct {
		name    string
		in      string
		opts    Options
		want    []brief
		message []string // substrings of the image finding's message
	}{
		{"mirror with the global pull secret's credential",
			docs(mirrorPullAccess, never, quay, global, web("quay.io/acme/web"+digestRef)), Options{},
			[]brief{{c0, SeverityInfo, RuleMirrorPull, "quay=quay.io/acme"}},
			[]string{"registries.conf entry quay.io/acme", "mirror mirror.corp.example/acme/web" + digestRef + " with Secret openshift-config/pull-secret (mirror.corp.example); then the image itself, quay.io/acme/web" + digestRef + " blocked"}},
		{"by tag, an IDMS source blocked by NeverContactSource has no source left",
			docs(mirrorPullAccess, never, quay, global, web("quay.io/acme/web:1")), Options{},
			[]brief{{c0, SeverityError, RuleNoPullSource, "quay=quay.io/acme"}},
			[]string{"every pull source of quay.io/acme/web fails: the runtime tries the image itself, quay.io/acme/web:1 blocked"}},
		{"private mirror the global pull secret lacks; the pod's own Secret for it is never sent",
			docs(mirrorPullAccess, never, pullSecret("a", "quay", "quay.io/acme", "mirror.corp.example"), pullSecret("openshift-config", "pull-secret", "cloud.openshift.com"),
				web("quay.io/acme/web"+digestRef)), Options{},
			[]brief{{c0, SeverityError, RuleNoPullSource, "quay=quay.io/acme"}},
			[]string{"anonymously, which fails: registry mirror.corp.example is private", "the pod's pull secret quay (mirror.corp.example) matches mirror mirror.corp.example, but the container runtime never sends"}},
		{"source allowed: the mirror's failure is a warning",
			docs(mirrorPullAccess, allow, quay, pullSecret("openshift-config", "pull-secret", "cloud.openshift.com"), web("quay.io/acme/web"+digestRef)), Options{},
			[]brief{{c0, SeverityWarning, RuleMirrorCredentialMissing, "quay=quay.io/acme"}},
			[]string{"mirror mirror.corp.example is private (declared by PullAccess acme), but Secret openshift-config/pull-secret has no entry for mirror.corp.example/acme/web"}},
		{"tag mirrors serve tags; a public image is anonymous",
			docs(itms("hub", "docker.io", "mirror.corp.example/hub"), global, deployment("a", "web", containers("nginx:1"))), Options{},
			[]brief{{c0, SeverityInfo, RuleMirrorPull, ""}},
			[]string{"mirror mirror.corp.example/hub/library/nginx:1 with Secret openshift-config/pull-secret (mirror.corp.example); then the image itself, docker.io/library/nginx:1 anonymously"}},
		{"no node credentials known: said so",
			docs(mirrorPullAccess, never, quay, web("quay.io/acme/web"+digestRef)), Options{},
			[]brief{{c0, SeverityInfo, RuleMirrorPull, "quay=quay.io/acme"}},
			[]string{"with the node's credentials, which the check was not given", "the nodes' own credentials"}},
		{"more mirrors than the check follows: those past maxMirrors may serve the image, so no error",
			docs(mirrorPullAccess, idms("many", "quay.io/acme", "NeverContactSource", manyMirrors(maxMirrors+3)...), quay, pullSecret("openshift-config", "pull-secret", "cloud.openshift.com"),
				web("quay.io/acme/web"+digestRef)), Options{Private: []string{"*.local"}},
			[]brief{{c0, SeverityWarning, RuleMirrorCredentialMissing, "quay=quay.io/acme"}},
			[]string{"mirror m15.local is private", "m0.local"}},
		{"more mirrors than the check follows: the report says so",
			docs(idms("many", "quay.io/acme", "NeverContactSource", manyMirrors(maxMirrors+3)...), web("quay.io/acme/web"+digestRef)), Options{},
			[]brief{{c0, SeverityInfo, RuleMirrorPull, ""}},
			[]string{"mirror m15.local/acme/web" + digestRef + " anonymously; then 3 more mirrors, which the check does not follow (it follows 16); then the image itself"}},
		{"an image no mirror set names is checked as before",
			docs(mirrorPullAccess, never, quay, global, web("quay.io/other/web:1")), Options{},
			[]brief{{c0, SeverityInfo, RuleAnonymousPull, ""}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := analyzeYAML(t, tt.in, tt.opts)
			var images []Finding
			for _, f := range fs {
				if f.IsImage() {
					images = append(images, f)
				}
			}
			if diff := cmp.Diff(tt.want, briefs(images)); diff != "" {
				t.Fatalf("(-want +got):\n%s\n%+v", diff, fs)
			}
			for _, m := range tt.message {
				if !strings.Contains(images[0].Message, m) {
					t.Errorf("message %q lacks %q", images[0].Message, m)
				}
			}
		})
	}
}

// TestInvalidMirrorSets checks the refusals of the API server and of the Machine Config
// Operator, and that an operator's refusal leaves the nodes' registries.conf unknown.
func TestInvalidMirrorSets(t *testing.T) {
	in := docs(idms("bad", "https://quay.io", "", "mirror.local"), idms("conflict", "quay.io/acme", "NeverContactSource", "m.local"),
		itms("conflict2", "quay.io/acme", "t.local"), deployment("a", "web", containers("quay.io/acme/web:1")))
	fs := analyzeYAML(t, in, Options{})
	var got []string
	for _, f := range fs {
		got = append(got, f.Kind+"/"+f.Name+" "+f.Field+" "+f.Rule)
	}
	want := []string{
		"Deployment/web spec.template.spec.containers[0].image anonymous-pull",
		"ImageDigestMirrorSet/bad spec.imageDigestMirrors[0].source invalid-mirror-set",
		"ImageTagMirrorSet/conflict2 spec.imageTagMirrors[0].mirrorSourcePolicy invalid-mirror-set",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, f := range fs {
		if f.Kind == "ImageTagMirrorSet" && !strings.Contains(f.Message, "the Machine Config Operator refuses to write the nodes' registries.conf") {
			t.Errorf("message %q", f.Message)
		}
	}
}

// TestPullAccessKeyForAMirror: a PullAccess without a global pull secret that writes a
// mirror's host into namespace Secrets is told that the runtime never sends them there;
// with mirror: true and a global pull secret (the control) it is not.
func TestPullAccessKeyForAMirror(t *testing.T) {
	pa := "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata:\n  name: acme\nspec:\n  registries:\n    - server: quay.io/acme\n      aliases: [mirror.corp.example]\n"
	set := idms("release", "quay.io/acme", "", "mirror.corp.example/acme")
	fs := analyzeYAML(t, docs(pa, set), Options{})
	if len(fs) != 1 || fs[0].Rule != RuleMirrorSecretUnused || fs[0].Field != "spec.registries[0].aliases[0]" {
		t.Fatalf("findings %+v", fs)
	}
	fixed := strings.Replace(mirrorPullAccess, "spec:\n", "spec:\n  globalPullSecret: {base: {env: BASE}}\n", 1)
	if fs := analyzeYAML(t, docs(fixed, set), Options{}); len(fs) != 0 {
		t.Errorf("control: %+v", fs)
	}
}

// TestNodeCredentials checks that the kubelet tries the node's config.json after the pod's
// Secrets, and the credential providers after that; that without them a missing credential
// says they were not considered; and a provider whose required ServiceAccount annotation
// is missing.
func TestNodeCredentials(t *testing.T) {
	node := &NodeConfig{Name: "node config.json", Runtime: nodecred.AuthFileFromKeys([]string{"quay.io"})}
	yes := true
	providers := &nodecred.ProviderConfig{Providers: []nodecred.Provider{
		{Name: "ecr", MatchImages: []string{"*.dkr.ecr.*.amazonaws.com"}},
		{Name: "acr", MatchImages: []string{"*.azurecr.io"}, TokenAttributes: &nodecred.TokenAttributes{
			RequireServiceAccount: &yes, RequiredServiceAccountAnnotationKeys: []string{"azure.workload.identity/client-id"}}},
	}}
	pa := "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata:\n  name: acme\nspec:\n  registries:\n    - server: quay.io/acme\n    - server: 1.dkr.ecr.us-east-1.amazonaws.com\n    - server: team.azurecr.io\n"
	annotated := "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: id\n  namespace: a\n  annotations:\n    azure.workload.identity/client-id: abc\n"
	tests := []struct {
		name    string
		in      string
		opts    Options
		want    []brief
		message string
	}{
		{"node config after the pod's Secrets", docs(pa, pullSecret("a", "quay", "quay.io/acme"), deployment("a", "web", pullSecrets("quay")+containers("quay.io/acme/web:1"))),
			Options{Node: node}, []brief{{c0, SeverityInfo, RuleAuthenticatedPull, "quay=quay.io/acme,node config.json=quay.io"}}, "the kubelet tries quay (quay.io/acme), node config.json (quay.io)"},
		{"node config alone", docs(pa, deployment("a", "web", containers("quay.io/acme/web:1"))),
			Options{Node: node}, []brief{{c0, SeverityInfo, RuleAuthenticatedPull, "node config.json=quay.io"}}, ""},
		{"the global pull secret of the input", docs(pa, pullSecret("openshift-config", "pull-secret", "quay.io"), deployment("a", "web", containers("quay.io/acme/web:1"))),
			Options{}, []brief{{c0, SeverityInfo, RuleAuthenticatedPull, "Secret openshift-config/pull-secret=quay.io"}}, ""},
		{"without them: said so", docs(pa, deployment("a", "web", containers("quay.io/acme/web:1"))),
			Options{}, []brief{{c0, SeverityError, RuleMissingCredential, ""}}, "the nodes' own credentials"},
		{"a credential provider", docs(pa, deployment("a", "web", containers("1.dkr.ecr.us-east-1.amazonaws.com/app:1"))),
			Options{Providers: providers}, []brief{{c0, SeverityInfo, RuleAuthenticatedPull, "credential provider ecr=*.dkr.ecr.*.amazonaws.com"}}, ""},
		{"a token provider with its annotation", docs(pa, annotated, deployment("a", "web", "      serviceAccountName: id\n"+containers("team.azurecr.io/app:1"))),
			Options{Providers: providers}, []brief{{c0, SeverityInfo, RuleAuthenticatedPull, "credential provider acr=*.azurecr.io"}}, ""},
		{"a token provider without it", docs(pa, serviceAccount("a", "plain"), deployment("a", "web", "      serviceAccountName: plain\n"+containers("team.azurecr.io/app:1"))),
			Options{Providers: providers}, []brief{{c0, SeverityError, RuleProviderAnnotationMissing, ""}},
			`ServiceAccount a/plain lacks its required annotation "azure.workload.identity/client-id"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := analyzeYAML(t, tt.in, tt.opts)
			if diff := cmp.Diff(tt.want, briefs(fs)); diff != "" {
				t.Fatalf("(-want +got):\n%s\n%+v", diff, fs)
			}
			if !strings.Contains(fs[0].Message, tt.message) {
				t.Errorf("message %q lacks %q", fs[0].Message, tt.message)
			}
		})
	}
}

// TestClusterObjects: of the objects exported from the cluster (Options.Cluster) the check
// takes the mirror sets and the nodes' pull secrets, and checks none of their workloads; a
// pull secret or a mirror set of the input wins over the cluster's of the same name.
func TestClusterObjects(t *testing.T) {
	cluster, err := ParseManifests([]byte(docs(idms("release", "quay.io/acme", "NeverContactSource", "mirror.corp.example/acme"),
		pullSecret("openshift-config", "pull-secret", "cloud.openshift.com"), deployment("b", "elsewhere", containers("quay.io/acme/x:1")))), "cluster.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := docs(mirrorPullAccess, deployment("a", "web", containers("quay.io/acme/web"+digestRef)))
	fs := analyzeYAML(t, in, Options{Cluster: cluster})
	if len(fs) != 1 || fs[0].Name != "web" || fs[0].Rule != RuleNoPullSource || !strings.Contains(fs[0].Message, "Secret openshift-config/pull-secret has no entry") {
		t.Fatalf("with the cluster's pull secret: %+v", fs)
	}
	fs = analyzeYAML(t, docs(in, pullSecret("openshift-config", "pull-secret", "mirror.corp.example")), Options{Cluster: cluster})
	if len(fs) != 1 || fs[0].Rule != RuleMirrorPull {
		t.Errorf("with the input's pull secret: %+v", fs)
	}
	// The input's mirror set of the same name (the source allowed) wins too.
	fs = analyzeYAML(t, docs(in, idms("release", "quay.io/acme", "", "mirror.corp.example/acme")), Options{Cluster: cluster})
	if len(fs) != 1 || strings.Contains(fs[0].Message, "blocked") || !strings.Contains(fs[0].Message, "then the image itself, quay.io/acme/web"+digestRef+" anonymously") {
		t.Errorf("with the input's mirror set: %+v", fs)
	}
}
