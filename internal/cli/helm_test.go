package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/author/helm"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// helmChart is what Helm gives a post-renderer for a small chart: objects without a
// namespace (a ServiceAccount, a Deployment, a cluster-scoped ClusterRole), with Helm 4's
// filename annotation when stamped.
func helmChart(stamped bool) string {
	docs := []struct{ file, body string }{
		{"web/templates/serviceaccount.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n"},
		{"web/templates/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      serviceAccountName: web\n      containers:\n      - name: web\n        image: registry.acme.example/web:1\n"},
		{"web/templates/clusterrole.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: web-reader\n"},
	}
	var b strings.Builder
	for _, d := range docs {
		body := d.body
		if stamped {
			body = strings.Replace(body, "metadata:\n", "metadata:\n  annotations:\n    "+helm.FilenameAnnotation+": "+d.file+"\n", 1)
		} else {
			b.WriteString("# Source: " + d.file + "\n")
		}
		b.WriteString("---\n" + body)
	}
	return b.String()
}

// helmSpec is a PullAccess of registry.acme.example whose password is in TOKEN, with
// extra lines under spec.
func helmSpec(extra string) string {
	return "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata:\n  name: acme\nspec:\n  registries:\n  - server: registry.acme.example\n    username: robot\n    passwordFrom: {env: TOKEN}\n" + extra
}

// runHelmTest runs pullgen helm over a chart's manifests with spec as the PullAccess file.
func runHelmTest(t *testing.T, spec, chart string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Setenv("TOKEN", "helm-test-token")
	file := filepath.Join(t.TempDir(), "pullaccess.yaml")
	if err := os.WriteFile(file, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	code = Main(append(append([]string{"helm"}, args...), file), IO{Stdin: strings.NewReader(chart), Stdout: &out, Stderr: &errb})
	return out.String(), strings.ReplaceAll(errb.String(), file, "pullaccess.yaml"), code
}

// byKind parses a YAML stream into its objects by kind/name.
func byKind(t *testing.T, stream string) map[string]*yaml.RNode {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(stream))
	if err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, stream)
	}
	out := map[string]*yaml.RNode{}
	for _, n := range nodes {
		out[n.GetKind()+"/"+n.GetName()] = n
	}
	return out
}

// TestHelmPostRender: the chart's objects stay without a namespace (the release's), the
// chart's ServiceAccount is linked, the Secret is plaintext in the release namespace or in
// the spec's, and Helm 4's filename annotations are kept, the new objects getting one of
// their own; Helm 3 input gets none.
func TestHelmPostRender(t *testing.T) {
	tests := []struct {
		name, extra   string
		stamped       bool
		secretNS      string
		linkedAccount bool
	}{
		{"release namespace, Helm 4", "  serviceAccounts: [web]\n", true, "team-a", true},
		{"release namespace, Helm 3", "  serviceAccounts: [web]\n", false, "team-a", true},
		{"the spec's namespace", "  namespaces: [team-b]\n", true, "team-b", false},
		{"a selector names no namespace of the input", "  namespaceSelector: {matchLabels: {pull: \"yes\"}}\n  serviceAccounts: [web]\n", false, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runHelmTest(t, helmSpec(tc.extra), helmChart(tc.stamped), "--namespace", "team-a")
			if code != ExitOK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			objs := byKind(t, stdout)
			for _, k := range []string{"ServiceAccount/web", "Deployment/web", "ClusterRole/web-reader"} {
				o := objs[k]
				if o == nil {
					t.Fatalf("%s is missing:\n%s", k, stdout)
				}
				if ns := o.GetNamespace(); ns != "" {
					t.Errorf("%s got namespace %q: the chart's objects keep theirs (none)", k, ns)
				}
				file, has := o.GetAnnotations()[helm.FilenameAnnotation]
				if tc.stamped && file != "web/templates/"+strings.ToLower(o.GetKind())+".yaml" {
					t.Errorf("%s: Helm's filename annotation is %q", k, file)
				}
				if !tc.stamped && has {
					t.Errorf("%s: a filename annotation was added to Helm 3's input", k)
				}
			}
			linked := strings.Contains(objs["ServiceAccount/web"].MustString(), "- name: acme")
			if linked != tc.linkedAccount {
				t.Errorf("ServiceAccount web linked: %v, want %v:\n%s", linked, tc.linkedAccount, stdout)
			}
			secret := objs["Secret/acme"]
			if tc.secretNS == "" {
				if secret != nil {
					t.Errorf("a Secret without a namespace to go to:\n%s", stdout)
				}
				return
			}
			if secret == nil || secret.GetNamespace() != tc.secretNS {
				t.Fatalf("want the Secret acme in %s:\n%s", tc.secretNS, stdout)
			}
			if strings.Contains(stdout, "sops:") || !strings.Contains(stdout, ".dockerconfigjson: ") {
				t.Errorf("the Secret is not plaintext:\n%s", stdout)
			}
			file, has := secret.GetAnnotations()[helm.FilenameAnnotation]
			if tc.stamped && file != "pullgen/secret-"+tc.secretNS+"-acme.yaml" || !tc.stamped && has {
				t.Errorf("the Secret's filename annotation: %q (Helm 4: %v)", file, tc.stamped)
			}
		})
	}
}

// TestHelmRefusesWhatHelmWouldTakeOver: a ServiceAccount the chart lacks (default) and the
// cluster's pull secret are refused with the field and the fix, exit 2 and nothing on
// stdout; the control (the chart's own ServiceAccount) is in TestHelmPostRender.
func TestHelmRefusesWhatHelmWouldTakeOver(t *testing.T) {
	tests := []struct{ name, extra, want string }{
		{"default ServiceAccount", "  serviceAccounts: [web, default]\n",
			"pullaccess.yaml: PullAccess acme: spec.serviceAccounts[1]: ServiceAccount team-a/default is not one of the chart's: Helm would own it"},
		{"a namespace without the chart's ServiceAccount", "  namespaces: [team-a, team-b]\n  serviceAccounts: [web]\n",
			"spec.serviceAccounts[0]: ServiceAccount team-b/web is not one of the chart's"},
		{"global pull secret", "  globalPullSecret: {base: {file: pull-secret.json}}\n",
			"pullaccess.yaml: PullAccess acme: spec.globalPullSecret: the cluster's pull secret (openshift-config/pull-secret) is not Helm's to own"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runHelmTest(t, helmSpec(tc.extra), helmChart(true), "-n", "team-a")
			if code != ExitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q: want exit 2 and nothing", code, stdout)
			}
			if !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "pullgen: nothing printed") {
				t.Errorf("stderr:\n%s\nwant %q", stderr, tc.want)
			}
			if strings.Contains(stderr, "helm-test-token") {
				t.Errorf("the password is in a message:\n%s", stderr)
			}
		})
	}
}

// TestHelmUsage: the release namespace is required and must be a namespace name, and a
// spec file is required.
func TestHelmUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "--namespace is required"},
		{[]string{"--namespace", "Team_A"}, `--namespace "Team_A": not a namespace name`},
	}
	for _, tc := range tests {
		_, stderr, code := runHelmTest(t, helmSpec(""), helmChart(false), tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	var errb strings.Builder
	if code := Main([]string{"helm", "-n", "team-a"}, IO{Stdin: strings.NewReader(""), Stdout: &strings.Builder{}, Stderr: &errb}); code != ExitUsage || !strings.Contains(errb.String(), "give at least one PullAccess file") {
		t.Errorf("no spec: exit %d, %q", code, errb.String())
	}
}
