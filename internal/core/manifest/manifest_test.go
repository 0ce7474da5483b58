package manifest

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/schema/v1alpha1"
)

func mustString(t *testing.T, n *yaml.RNode) string {
	t.Helper()
	s, err := n.String()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSecret: a generated Secret carries the label, the annotations of the contract (its
// registries sorted, never a credential), the Argo CD sync wave when asked, the owner's own
// metadata, and its payload base64-encoded under the data key, fields in kubectl's order.
func TestSecret(t *testing.T) {
	owner := Owner{Name: "acme", SyncWave: "-1",
		Labels:      map[string]string{"team": "a"},
		Annotations: map[string]string{AnnotationExpiresAt: "2027-03-01T00:00:00Z"}}
	s := owner.Secret("acme-pull", "team-a", "kubernetes.io/dockerconfigjson", ".dockerconfigjson", []byte(`{"auths":{}}`),
		[]string{"quay.io", "registry.acme.example"})
	want := `apiVersion: v1
kind: Secret
metadata:
  name: acme-pull
  namespace: team-a
  labels:
    app.kubernetes.io/managed-by: pullgen
    team: a
  annotations:
    argocd.argoproj.io/sync-wave: "-1"
    pullgen.dev/expires-at: "2027-03-01T00:00:00Z"
    pullgen.dev/pull-access: acme
    pullgen.dev/registries: quay.io,registry.acme.example
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: ` + base64.StdEncoding.EncodeToString([]byte(`{"auths":{}}`)) + "\n"
	if got := mustString(t, s); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if !IsGeneratedBy(s, "acme") || IsGeneratedBy(s, "other") {
		t.Error("IsGeneratedBy does not tell the Secret's PullAccess")
	}
}

func TestServiceAccountAndLinks(t *testing.T) {
	sa := Owner{Name: "acme"}.ServiceAccount("builder", "team-a", "keep-me", "acme-pull")
	if got := PullSecretNames(sa); !slices.Equal(got, []string{"keep-me", "acme-pull"}) {
		t.Errorf("pull secrets %v", got)
	}
	if !IsServiceAccount(sa) {
		t.Error("not a ServiceAccount")
	}
	links := LinksOf(sa)
	if got := links.String(); got != `{"acme":["keep-me","acme-pull"]}` {
		t.Errorf("%s is %s", AnnotationLinks, got)
	}
	links["other"] = []string{"other-pull"}
	tests := []struct {
		name string
		got  map[string]bool
		want []string
	}{
		{"kept: keep entries, no PullAccess's own Secret", links.Kept(), []string{"keep-me"}},
		{"claimed by others than acme", links.ClaimedByOthers("acme"), []string{"other-pull"}},
	}
	for _, tt := range tests {
		var keys []string
		for k := range tt.got {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, keys, tt.want)
		}
	}
	if got := links.Owners(); got != "acme,other" {
		t.Errorf("owners %q", got)
	}
	// An annotation that is not JSON is an input ServiceAccount's, linked by nobody.
	plain := yaml.MustParse("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x, annotations: {pullgen.dev/links: nope}}\n")
	if len(LinksOf(plain)) != 0 {
		t.Error("an unreadable links annotation is not empty")
	}
}

func TestImagePullerBinding(t *testing.T) {
	b := Owner{Name: "acme"}.ImagePullerBinding("images", []Subject{
		NamespaceGroupSubject("team-b"),
		ServiceAccountSubject("team-a", "default"),
		NamespaceGroupSubject("team-b"), // twice: once in the binding
	})
	want := `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: acme-image-puller
  namespace: images
  labels:
    app.kubernetes.io/managed-by: pullgen
  annotations:
    pullgen.dev/pull-access: acme
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:image-puller
subjects:
- kind: ServiceAccount
  name: default
  namespace: team-a
- kind: Group
  apiGroup: rbac.authorization.k8s.io
  name: system:serviceaccounts:team-b
`
	if got := mustString(t, b); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestFileNames(t *testing.T) {
	// kustomize's own list, in its order: a directory is a kustomization for pullgen
	// exactly when it is one for kustomize.
	if got, want := KustomizationFileNames(), konfig.RecognizedKustomizationFileNames(); !slices.Equal(got, want) {
		t.Errorf("kustomization file names %v, kustomize's %v", got, want)
	}
	if KustomizationFileNames()[0] != KustomizationFile {
		t.Errorf("generate writes %s, which kustomize does not look for first", KustomizationFile)
	}
	tests := []struct{ object, want string }{
		{"apiVersion: v1\nkind: Secret\nmetadata: {name: acme, namespace: team-a}\n", "secret-team-a-acme.yaml"},
		{"apiVersion: v1\nkind: Namespace\nmetadata: {name: Team-A}\n", "namespace-team-a.yaml"},
		{"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: a:b/c, namespace: x}\n", "rolebinding-x-a-b-c.yaml"},
	}
	for _, tt := range tests {
		if got := FileName(yaml.MustParse(tt.object)); got != tt.want {
			t.Errorf("FileName of %q = %s, want %s", tt.object, got, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	for _, a := range []string{AnnotationPullAccess, AnnotationRegistries, AnnotationExpiresAt, AnnotationNamespaceSelector, AnnotationLinks} {
		if !strings.HasPrefix(a, AnnotationPrefix) {
			t.Errorf("%s does not start with %s", a, AnnotationPrefix)
		}
	}
	for _, tt := range []struct {
		host string
		want bool
	}{
		{DockerHubDomain, true}, {DockerHubIndex, true}, {DockerHubRegistry, true},
		{"Docker.io", false}, {"quay.io", false}, {"docker.io.example", false},
	} {
		if got := IsDockerHubHost(tt.host); got != tt.want {
			t.Errorf("IsDockerHubHost(%q) = %v", tt.host, got)
		}
	}
	if !strings.Contains(DockerHubKey, DockerHubIndex) {
		t.Errorf("%s is not under %s", DockerHubKey, DockerHubIndex)
	}
	// A stand-in is valid base64 (it must pass where Secret data is checked) and is told
	// apart from other values.
	if _, err := base64.StdEncoding.DecodeString(HeldPrefix + "0000"); err != nil {
		t.Errorf("a stand-in is not base64: %v", err)
	}
	if !IsHeld("x"+HeldPrefix) || IsHeld("cGxhaW4=") {
		t.Error("IsHeld")
	}
}

func TestPodSpecs(t *testing.T) {
	tests := []struct {
		apiVersion, kind string
		want             string
	}{
		{"v1", "Pod", "spec"},
		{"apps/v1", "Deployment", "spec.template.spec"},
		{"batch/v1", "CronJob", "spec.jobTemplate.spec.template.spec"},
		{"apps.openshift.io/v1", "DeploymentConfig", "spec.template.spec"},
		{"argoproj.io/v1alpha1", "Rollout", "spec.template.spec"},
		{"example.com/v1", "Pod", ""},     // another group's Pod
		{"example.com/v1", "Rollout", ""}, // another group's Rollout
		{"v1", "ConfigMap", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(PodSpecPathOf(tt.apiVersion, tt.kind), "."); got != tt.want {
			t.Errorf("%s %s: %q, want %q", tt.apiVersion, tt.kind, got, tt.want)
		}
	}
	if !IsPodBearing("Job") || IsPodBearing("Secret") || !slices.IsSorted(PodBearingKinds()) {
		t.Error("pod-bearing kinds")
	}
}

func TestSelectors(t *testing.T) {
	labels := map[string]string{"tier": "dev", "team": "a"}
	tests := []struct {
		name string
		sel  v1alpha1.LabelSelector
		want bool
	}{
		{"empty matches all", v1alpha1.LabelSelector{}, true},
		{"matchLabels", v1alpha1.LabelSelector{MatchLabels: map[string]string{"tier": "dev"}}, true},
		{"matchLabels differs", v1alpha1.LabelSelector{MatchLabels: map[string]string{"tier": "prod"}}, false},
		{"In", v1alpha1.LabelSelector{MatchExpressions: []v1alpha1.LabelSelectorRequirement{{Key: "team", Operator: "In", Values: []string{"a", "b"}}}}, true},
		{"NotIn", v1alpha1.LabelSelector{MatchExpressions: []v1alpha1.LabelSelectorRequirement{{Key: "team", Operator: "NotIn", Values: []string{"a"}}}}, false},
		{"Exists", v1alpha1.LabelSelector{MatchExpressions: []v1alpha1.LabelSelectorRequirement{{Key: "tier", Operator: "Exists"}}}, true},
		{"DoesNotExist", v1alpha1.LabelSelector{MatchExpressions: []v1alpha1.LabelSelectorRequirement{{Key: "tier", Operator: "DoesNotExist"}}}, false},
		{"unknown operator", v1alpha1.LabelSelector{MatchExpressions: []v1alpha1.LabelSelectorRequirement{{Key: "tier", Operator: "Gt"}}}, false},
	}
	for _, tt := range tests {
		if got := MatchLabels(&tt.sel, labels); got != tt.want {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
	if !IsNamespaceKind("v1", "Namespace") || !IsNamespaceKind(ProjectAPIVersion, "Project") || IsNamespaceKind("v1", "Project") {
		t.Error("namespace kinds")
	}
	ex := CompileExcludes([]string{"kube-*", "[", "openshift-*"})
	if g, ok := ex.Match("kube-system"); !ok || g != "kube-*" {
		t.Errorf("kube-system: %q %v", g, ok)
	}
	if _, ok := ex.Match("team-a"); ok {
		t.Error("team-a excluded")
	}
	if !IsOpenShiftDockercfg("builder", "builder-dockercfg-x7k2p") || IsOpenShiftDockercfg("deployer", "builder-dockercfg-x7k2p") ||
		IsOpenShiftDockercfg("", "builder-dockercfg-aaaaa") {
		t.Error("OpenShift's managed pull secret names")
	}
}
