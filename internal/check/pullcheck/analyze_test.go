package pullcheck

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The credential used in test Secrets; no output may contain it.
const testAuth = "cm9ib3Q6czNjcjN0LXBhc3M=" // robot:s3cr3t-pass

func pullSecret(ns, name string, keys ...string) string {
	var entries []string
	for _, k := range keys {
		entries = append(entries, `"`+k+`":{"auth":"`+testAuth+`"}`)
	}
	cfg := base64.StdEncoding.EncodeToString([]byte(`{"auths":{` + strings.Join(entries, ",") + `}}`))
	return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
		"\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: " + cfg + "\n"
}

func serviceAccount(ns, name string, secrets ...string) string {
	s := "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\n"
	if len(secrets) > 0 {
		s += "imagePullSecrets:\n"
		for _, sec := range secrets {
			s += "  - name: " + sec + "\n"
		}
	}
	return s
}

// deployment writes a Deployment; podSpec is YAML indented for the pod spec (8 spaces).
func deployment(ns, name, podSpec string) string {
	return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
		"\nspec:\n  template:\n    spec:\n" + podSpec
}

func containers(images ...string) string {
	s := "      containers:\n"
	for i, img := range images {
		s += "        - name: c" + string(rune('0'+i)) + "\n          image: " + img + "\n"
	}
	return s
}

func pullSecrets(names ...string) string {
	s := "      imagePullSecrets:\n"
	for _, n := range names {
		s += "        - name: " + n + "\n"
	}
	return s
}

const pullAccess = "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata:\n  name: acme\nspec:\n  registries:\n    - server: quay.io/acme\n      aliases: [mirror.acme.io]\n    - fromConfig:\n        file: auth.json\n        registries: [registry.redhat.io]\n"

func puller(ns, subjectKind, subjectName, subjectNS string) string {
	s := "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: pullers\n  namespace: " + ns +
		"\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: system:image-puller\nsubjects:\n  - kind: " + subjectKind + "\n    name: " + subjectName + "\n"
	if subjectNS != "" {
		s += "    namespace: " + subjectNS + "\n"
	}
	return s
}

func docs(d ...string) string { return strings.Join(d, "---\n") }

// brief is the part of a finding the table compares.
type brief struct {
	Field    string
	Severity Severity
	Rule     string
	Creds    string
}

func briefs(fs []Finding) []brief {
	out := make([]brief, 0, len(fs))
	for _, f := range fs {
		var c []string
		for _, cr := range f.Credentials {
			c = append(c, cr.Secret+"="+cr.Registry)
		}
		out = append(out, brief{f.Field, f.Severity, f.Rule, strings.Join(c, ",")})
	}
	return out
}

func analyzeYAML(t *testing.T, in string, opts Options) []Finding {
	t.Helper()
	objs, err := ParseManifests([]byte(in), "in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fs := Analyze(objs, opts)
	for _, f := range fs {
		if strings.Contains(f.Message, testAuth) || strings.Contains(f.Message, "s3cr3t") {
			t.Fatalf("finding leaks a credential: %s", f.Message)
		}
	}
	return fs
}

const (
	c0 = "spec.template.spec.containers[0].image"
	c1 = "spec.template.spec.containers[1].image"
)

func TestAnalyze(t *testing.T) {
	internal := "image-registry.openshift-image-registry.svc:5000/"
	tests := []struct {
		name    string
		in      string
		opts    Options
		want    []brief
		message string // a substring of the first finding's message
	}{
		// ServiceAccount inheritance.
		{"pod inherits the ServiceAccount's secrets",
			docs(pullAccess, pullSecret("a", "quay", "quay.io/acme"), serviceAccount("a", "default", "quay"), deployment("a", "web", containers("quay.io/acme/web:1"))),
			Options{}, []brief{{c0, SeverityInfo, RuleAuthenticatedPull, "quay=quay.io/acme"}}, "the kubelet tries quay (quay.io/acme)"},
		{"named ServiceAccount",
			docs(pullAccess, pullSecret("a", "quay", "quay.io/acme"), serviceAccount("a", "builder", "quay"), deployment("a", "web", "      serviceAccountName: builder\n"+containers("quay.io/acme/web:1"))),
			Options{}, []brief{{c0, SeverityInfo, RuleAuthenticatedPull, "quay=quay.io/acme"}}, ""},
		{"deprecated serviceAccount field",
			docs(pullAccess, pullSecret("a", "quay", "quay.io/acme"), serviceAccount("a", "builder", "quay"), deployment("a", "web", "      serviceAccount: builder\n"+containers("quay.io/acme/web:1"))),
			Options{}, []brief{{c0, SeverityInfo, RuleAuthenticatedPull, "quay=quay.io/acme"}}, ""},
		{"pod secrets replace the ServiceAccount's",
			docs(pullAccess, pullSecret("a", "quay", "quay.io/acme"), pullSecret("a", "ghcr", "ghcr.io"), serviceAccount("a", "default", "quay"),
				deployment("a", "web", pullSecrets("ghcr")+containers("quay.io/acme/web:1"))),
			Options{}, []brief{{c0, SeverityError, RuleMissingCredential, ""}, {"imagePullSecrets[0].name", SeverityWarning, RuleUnusedLink, ""}},
			"none of the pod's pull secrets (ghcr) has a key matching quay.io/acme/web"},
		{"ServiceAccount of another namespace does not count",
			docs(pullAccess, pullSecret("b", "quay", "quay.io/acme"), serviceAccount("b", "default", "quay"), deployment("a", "web", containers("quay.io/acme/web:1"))),
			Options{}, []brief{{c0, SeverityError, RuleMissingCredential, ""}}, "the pod has no pull secret"},
		{"default ServiceAccount absent: no secrets, no warning",
			docs(deployment("a", "web", containers("nginx"))),
			Options{}, []brief{{c0, SeverityInfo, RuleAnonymousPull, ""}}, "anonymous pull"},
		{"unknown ServiceAccount",
			docs(deployment("a", "web", "      serviceAccountName: builder\n"+containers("nginx"))),
			Options{}, []brief{
				{c0, SeverityInfo, RuleAnonymousPull, ""},
				{"spec.template.spec.serviceAccountName", SeverityWarning, RuleUnknownServiceAccount, ""},
			}, ""},
		{"unknown ServiceAccount downgrades a private miss to a warning",
			docs(pullAccess, deployment("a", "web", "      serviceAccountName: builder\n"+containers("quay.io/acme/web"))),
			Options{}, []brief{
				{c0, SeverityWarning, RuleUnknownServiceAccount, ""},
				{"spec.template.spec.serviceAccountName", SeverityWarning, RuleUnknownServiceAccount, ""},
			}, "its pull secrets are unknown"},

		// Missing and unusable secrets.
		{"missing pod-level secret",
			docs(deployment("a", "web", pullSecrets("regcred")+containers("nginx"))),
			Options{}, []brief{
				{c0, SeverityInfo, RuleAnonymousPull, ""},
				{"spec.template.spec.imagePullSecrets[0].name", SeverityError, RuleMissingSecret, ""},
			}, "Secret regcred is missing"},
		{"missing ServiceAccount secret reported on the ServiceAccount once",
			docs(serviceAccount("a", "default", "gone", "default-dockercfg-x7k2p"), deployment("a", "web", containers("nginx")), deployment("a", "api", containers("nginx"))),
			Options{}, []brief{
				{c0, SeverityInfo, RuleAnonymousPull, ""},
				{c0, SeverityInfo, RuleAnonymousPull, ""},
				{"imagePullSecrets[0].name", SeverityError, RuleMissingSecret, ""},
			}, ""},
		{"a missing secret named like OpenShift's but not of its shape is missing",
			docs(deployment("a", "web", pullSecrets("team-dockercfg-secret")+containers("nginx"))),
			Options{}, []brief{
				{c0, SeverityInfo, RuleAnonymousPull, ""},
				{"spec.template.spec.imagePullSecrets[0].name", SeverityError, RuleMissingSecret, ""},
			}, "Secret team-dockercfg-secret is missing"},
		{"secret in another namespace is missing",
			docs(pullSecret("b", "quay", "quay.io/acme"), deployment("a", "web", pullSecrets("quay")+containers("quay.io/acme/x")), pullAccess),
			Options{}, []brief{
				{c0, SeverityError, RuleMissingCredential, ""},
				{"spec.template.spec.imagePullSecrets[0].name", SeverityError, RuleMissingSecret, ""},
			}, "Secret quay is missing"},
		{"bad auth fails every pull of the pod",
			docs("apiVersion: v1\nkind: Secret\nmetadata: {name: bad, namespace: a}\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{\"auths\":{\"ghcr.io\":{\"auth\":\"%%%\"}}}'\n",
				pullSecret("a", "good", "quay.io"), deployment("a", "web", pullSecrets("good", "bad")+containers("quay.io/x/y", "nginx"))),
			Options{}, []brief{
				{c0, SeverityError, RuleInvalidSecret, "good=quay.io"},
				{c1, SeverityError, RuleInvalidSecret, ""},
			}, `Secret bad: .dockerconfigjson: registry "ghcr.io": auth is not valid base64`},
		{"opaque secret ignored by the kubelet",
			docs(pullAccess, "apiVersion: v1\nkind: Secret\nmetadata: {name: quay, namespace: a}\ntype: Opaque\nstringData: {token: x}\n", deployment("a", "web", pullSecrets("quay")+containers("quay.io/acme/web"))),
			Options{}, []brief{{c0, SeverityError, RuleMissingCredential, ""}}, "the kubelet ignores Secret quay: its type is Opaque"},
		{"encrypted secret with annotation",
			docs(pullAccess, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: quay\n  namespace: a\n  annotations: {pullgen.dev/registries: quay.io/acme}\ntype: kubernetes.io/dockerconfigjson\ndata: {.dockerconfigjson: 'ENC[x]'}\nsops: {version: 3.9.0}\n",
				deployment("a", "web", pullSecrets("quay")+containers("quay.io/acme/web"))),
			Options{}, []brief{{c0, SeverityInfo, RuleAuthenticatedPull, "quay=quay.io/acme"}}, ""},
		{"encrypted secret without annotation",
			docs(pullAccess, "apiVersion: v1\nkind: Secret\nmetadata: {name: quay, namespace: a}\ntype: kubernetes.io/dockerconfigjson\ndata: {.dockerconfigjson: 'ENC[x]'}\nsops: {version: 3.9.0}\n",
				deployment("a", "web", pullSecrets("quay")+containers("quay.io/acme/web"))),
			Options{}, []brief{{c0, SeverityWarning, RuleUnknownSecretKeys, ""}}, "registry keys of Secret quay are unknown"},

		// Private registries.
		{"PullAccess alias is private",
			docs(pullAccess, deployment("a", "web", containers("mirror.acme.io/web"))),
			Options{}, []brief{{c0, SeverityError, RuleMissingCredential, ""}}, "registry mirror.acme.io is private (declared by PullAccess acme)"},
		{"PullAccess fromConfig registries are private",
			docs(pullAccess, deployment("a", "web", containers("registry.redhat.io/ubi9/ubi"))),
			Options{}, []brief{{c0, SeverityError, RuleMissingCredential, ""}}, ""},
		{"PullAccess path prefix is the kubelet's",
			docs(pullAccess, deployment("a", "web", containers("quay.io/acmecorp/web", "quay.io/other/web"))),
			Options{}, []brief{{c0, SeverityError, RuleMissingCredential, ""}, {c1, SeverityInfo, RuleAnonymousPull, ""}}, ""},
		{"--private glob",
			docs(deployment("a", "web", containers("eu.gcr.io/p/i", "gcr.io/p/i"))),
			Options{Private: []string{"*.gcr.io"}}, []brief{{c0, SeverityError, RuleMissingCredential, ""}, {c1, SeverityInfo, RuleAnonymousPull, ""}}, "declared by --private"},
		{"--private Docker Hub covers every hub image",
			docs(deployment("a", "web", containers("nginx", "index.docker.io/acme/app", "quay.io/x/y"))),
			Options{Private: []string{"registry-1.docker.io"}}, []brief{
				{c0, SeverityError, RuleMissingCredential, ""},
				{c1, SeverityError, RuleMissingCredential, ""},
				{"spec.template.spec.containers[2].image", SeverityInfo, RuleAnonymousPull, ""},
			}, "registry registry-1.docker.io is private"},
		{"hub credential covers every hub image",
			docs(pullSecret("a", "hub", "https://index.docker.io/v1/"), serviceAccount("a", "default", "hub"), deployment("a", "web", containers("nginx", "acme/app", "registry-1.docker.io/acme/app"))),
			Options{Private: []string{"docker.io"}}, []brief{
				{c0, SeverityInfo, RuleAuthenticatedPull, "hub=https://index.docker.io/v1/"},
				{c1, SeverityInfo, RuleAuthenticatedPull, "hub=https://index.docker.io/v1/"},
				{"spec.template.spec.containers[2].image", SeverityInfo, RuleAnonymousPull, ""},
			}, ""},
		{"private image with a credential from the fallback",
			docs(pullSecret("a", "hub", "https://index.docker.io/v1/"), serviceAccount("a", "default", "hub"), deployment("a", "web", containers("acme/app:1"))),
			Options{Private: []string{"docker.io/acme"}}, []brief{{c0, SeverityInfo, RuleAuthenticatedPull, "hub=https://index.docker.io/v1/"}}, ""},
		{"credentials in kubelet order across secrets",
			docs(pullSecret("a", "one", "quay.io"), pullSecret("a", "two", "quay.io/acme", "ghcr.io"), deployment("a", "web", pullSecrets("one", "two")+containers("quay.io/acme/web"))),
			Options{}, []brief{{c0, SeverityInfo, RuleAuthenticatedPull, "two=quay.io/acme,one=quay.io"}}, ""},
		{"invalid image",
			docs(deployment("a", "web", containers("Quay.io/Acme/Web", "'quay.io/acme/web:'"))),
			Options{}, []brief{{c0, SeverityError, RuleInvalidImage, ""}, {c1, SeverityError, RuleInvalidImage, ""}}, "InvalidImageName"},
		{"namespace option",
			docs(pullAccess, pullSecret("team", "quay", "quay.io/acme"), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  imagePullSecrets: [{name: quay}]\n  containers: [{name: c, image: quay.io/acme/x}]\n"),
			Options{Namespace: "team"}, []brief{{"spec.containers[0].image", SeverityInfo, RuleAuthenticatedPull, "quay=quay.io/acme"}}, ""},

		// OpenShift internal registry.
		{"same-namespace internal pull",
			docs(deployment("a", "web", containers(internal+"a/web:latest"))),
			Options{}, []brief{{c0, SeverityInfo, RuleInternalRegistryPull, ""}}, "its own namespace"},
		{"cross-namespace internal pull without binding",
			docs(deployment("a", "web", containers(internal+"b/web:latest"))),
			Options{}, []brief{{c0, SeverityError, RuleMissingImagePuller, ""}}, "no RoleBinding there grants system:image-puller to ServiceAccount a/default"},
		{"internal registry without port",
			docs(deployment("a", "web", containers("image-registry.openshift-image-registry.svc/b/web"))),
			Options{}, []brief{{c0, SeverityError, RuleMissingImagePuller, ""}}, ""},
		{"binding to the ServiceAccount",
			docs(puller("b", "ServiceAccount", "default", "a"), deployment("a", "web", containers(internal+"b/web"))),
			Options{}, []brief{{c0, SeverityInfo, RuleInternalRegistryPull, ""}}, "ServiceAccount a/default"},
		{"binding to another ServiceAccount",
			docs(puller("b", "ServiceAccount", "builder", "a"), deployment("a", "web", containers(internal+"b/web"))),
			Options{}, []brief{{c0, SeverityError, RuleMissingImagePuller, ""}}, ""},
		{"binding in the wrong namespace",
			docs(puller("c", "Group", "system:serviceaccounts:a", ""), deployment("a", "web", containers(internal+"b/web"))),
			Options{}, []brief{{c0, SeverityError, RuleMissingImagePuller, ""}}, ""},
		{"binding to the namespace's service accounts",
			docs(puller("b", "Group", "system:serviceaccounts:a", ""), deployment("a", "web", containers(internal+"b/web"))),
			Options{}, []brief{{c0, SeverityInfo, RuleInternalRegistryPull, ""}}, ""},
		{"binding to another namespace's service accounts",
			docs(puller("b", "Group", "system:serviceaccounts:c", ""), deployment("a", "web", containers(internal+"b/web"))),
			Options{}, []brief{{c0, SeverityError, RuleMissingImagePuller, ""}}, ""},
		{"binding to all service accounts",
			docs(puller("b", "Group", "system:serviceaccounts", ""), deployment("a", "web", containers(internal+"b/web"))),
			Options{}, []brief{{c0, SeverityInfo, RuleInternalRegistryPull, ""}}, ""},
		{"binding to system:authenticated",
			docs(puller("b", "Group", "system:authenticated", ""), deployment("a", "web", containers(internal+"b/web"))),
			Options{}, []brief{{c0, SeverityInfo, RuleInternalRegistryPull, ""}}, ""},
		{"binding to another role",
			docs(strings.Replace(puller("b", "Group", "system:authenticated", ""), "name: system:image-puller", "name: view", 1), deployment("a", "web", containers(internal+"b/web"))),
			Options{}, []brief{{c0, SeverityError, RuleMissingImagePuller, ""}}, ""},
		{"pod secrets cut the internal-registry secret",
			docs(pullSecret("a", "quay", "quay.io"), deployment("a", "web", pullSecrets("quay")+containers(internal+"a/web", "quay.io/x/y"))),
			Options{}, []brief{{c0, SeverityError, RuleInternalSecretLost, ""}, {c1, SeverityInfo, RuleAuthenticatedPull, "quay=quay.io"}}, "no longer gets the internal-registry secret default-dockercfg-*"},
		{"pod secrets cut the secret and no binding: both said",
			docs(pullSecret("a", "quay", "quay.io"), deployment("a", "web", pullSecrets("quay")+containers(internal+"b/web"))),
			Options{}, []brief{{c0, SeverityError, RuleInternalSecretLost, ""}}, "no RoleBinding there grants"},
		{"pod secrets that include the dockercfg secret",
			docs(pullSecret("a", "quay", "quay.io"), deployment("a", "web", pullSecrets("quay", "default-dockercfg-b7k2p")+containers(internal+"a/web"))),
			Options{}, []brief{{c0, SeverityInfo, RuleInternalRegistryPull, ""}}, ""},
		{"pod secret matching the internal registry",
			docs(pullSecret("a", "internal", "image-registry.openshift-image-registry.svc:5000"), puller("b", "ServiceAccount", "default", "a"),
				deployment("a", "web", pullSecrets("internal")+containers(internal+"b/web"))),
			Options{}, []brief{{c0, SeverityInfo, RuleInternalRegistryPull, "internal=image-registry.openshift-image-registry.svc:5000"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := analyzeYAML(t, tt.in, tt.opts)
			if diff := cmp.Diff(tt.want, briefs(fs)); diff != "" {
				t.Fatalf("(-want +got):\n%s\n%v", diff, fs)
			}
			if tt.message != "" {
				found := false
				for _, f := range fs {
					found = found || strings.Contains(f.Message, tt.message)
				}
				if !found {
					t.Errorf("no message contains %q: %v", tt.message, fs)
				}
			}
		})
	}
}

func TestAnalyzeKindsAndFields(t *testing.T) {
	in := docs(
		"apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj, namespace: a}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          initContainers: [{name: init, image: busybox}]\n          containers: [{name: main, image: nginx}]\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers: [{name: main, image: nginx}]\n  ephemeralContainers: [{name: debug, image: busybox}]\n",
		"apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata: {name: dc, namespace: a}\nspec:\n  template:\n    spec:\n      containers: [{name: main, image: ' '}]\n",
		"apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: ro, namespace: a}\nspec:\n  template:\n    spec:\n      containers: [{name: main, image: nginx}]\n",
		"apiVersion: example.com/v1\nkind: Rollout\nmetadata: {name: other, namespace: a}\nspec:\n  template:\n    spec:\n      containers: [{name: main, image: nginx}]\n",
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: DaemonSet\n  metadata: {name: ds, namespace: a}\n  spec:\n    template:\n      spec:\n        containers: [{name: main, image: nginx}]\n",
		"apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc, namespace: a}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: c0, image: nginx}\n        - {name: c1, image: nginx}\n        - {name: c2, image: nginx}\n        - {name: c3, image: nginx}\n        - {name: c4, image: nginx}\n        - {name: c5, image: nginx}\n        - {name: c6, image: nginx}\n        - {name: c7, image: nginx}\n        - {name: c8, image: nginx}\n        - {name: c9, image: nginx}\n        - {name: c10, image: nginx}\n",
	)
	fs := analyzeYAML(t, in, Options{})
	var got []string
	for _, f := range fs {
		got = append(got, f.Kind+"/"+f.Name+" "+f.Container+" "+f.Field)
	}
	want := []string{
		"CronJob/cj init spec.jobTemplate.spec.template.spec.initContainers[0].image",
		"CronJob/cj main spec.jobTemplate.spec.template.spec.containers[0].image",
		"Pod/p main spec.containers[0].image",
		"Pod/p debug spec.ephemeralContainers[0].image",
		"Rollout/ro main spec.template.spec.containers[0].image",
		"DaemonSet/ds main spec.template.spec.containers[0].image",
	}
	for i := 0; i <= 10; i++ {
		want = append(want, "ReplicationController/rc c"+itoa(i)+" spec.template.spec.containers["+itoa(i)+"].image")
	}
	// Findings are sorted by file, kind, namespace, name, field.
	wantSorted := []string{want[1], want[0], want[5], want[2], want[3]}
	wantSorted = append(wantSorted, want[6:]...)
	wantSorted = append(wantSorted, want[4])
	if diff := cmp.Diff(wantSorted, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func itoa(i int) string {
	if i >= 10 {
		return string(rune('0'+i/10)) + string(rune('0'+i%10))
	}
	return string(rune('0' + i))
}

func TestAnalyzeLines(t *testing.T) {
	in := "# comment\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: a\nspec:\n  template:\n    spec:\n      imagePullSecrets:\n        - name: gone\n      containers:\n        - name: web\n          image: nginx\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers:\n    - name: c\n      image: busybox\n"
	fs := analyzeYAML(t, in, Options{})
	got := map[string]int{}
	for _, f := range fs {
		got[f.Kind+" "+f.Field] = f.Line
	}
	want := map[string]int{
		"Deployment spec.template.spec.imagePullSecrets[0].name": 11,
		"Deployment " + c0:             14,
		"Pod spec.containers[0].image": 22,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

func TestAnalyzeNodesFileAnnotation(t *testing.T) {
	nodes := []*yaml.RNode{
		yaml.MustParse("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    internal.config.kubernetes.io/path: apps/pod.yaml\nspec:\n  containers: [{name: c, image: nginx}]\n"),
		yaml.MustParse("apiVersion: v1\nkind: Pod\nmetadata:\n  name: q\n  annotations:\n    config.kubernetes.io/path: legacy/pod.yaml\nspec:\n  containers: [{name: c, image: nginx}]\n"),
	}
	fs := AnalyzeNodes(nodes, Options{})
	if len(fs) != 2 || fs[0].File != "apps/pod.yaml" || fs[1].File != "legacy/pod.yaml" || fs[0].Line != 0 {
		t.Errorf("files: %+v", fs)
	}
}
