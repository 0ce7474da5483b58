package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/check/pullcheck"
)

func runMain(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runCheck(args, IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

// c0 is the field of the first container's image in a Deployment; sealingCert the
// annotation of a SealedSecret's certificate expiry.
const (
	c0          = "spec.template.spec.containers[0].image"
	sealingCert = "metadata.annotations[pullgen.dev/sealing-certificate-expires-at]"
)

// TestExamples runs `pullgen check` on every examples/check-* directory and checks the
// exit code and the finding the example shows.
func TestExamples(t *testing.T) {
	tests := []struct {
		dir      string
		exit     int
		rule     string
		severity pullcheck.Severity
		field    string
		args     []string
	}{
		{"check-missing-credential", 1, pullcheck.RuleMissingCredential, pullcheck.SeverityError, c0, nil},
		{"check-authenticated-pull", 0, pullcheck.RuleAuthenticatedPull, pullcheck.SeverityInfo, c0, nil},
		{"check-anonymous-pull", 0, pullcheck.RuleAnonymousPull, pullcheck.SeverityInfo, c0, nil},
		{"check-missing-secret", 1, pullcheck.RuleMissingSecret, pullcheck.SeverityError, "spec.template.spec.imagePullSecrets[0].name", nil},
		{"check-invalid-secret", 1, pullcheck.RuleInvalidSecret, pullcheck.SeverityError, "spec.containers[0].image", nil},
		{"check-unknown-secret-keys", 0, pullcheck.RuleUnknownSecretKeys, pullcheck.SeverityWarning, c0, nil},
		{"check-unknown-service-account", 0, pullcheck.RuleUnknownServiceAccount, pullcheck.SeverityWarning, "spec.template.spec.serviceAccountName", nil},
		{"check-missing-image-puller", 1, pullcheck.RuleMissingImagePuller, pullcheck.SeverityError, c0, nil},
		{"check-internal-registry-secret-lost", 1, pullcheck.RuleInternalSecretLost, pullcheck.SeverityError, c0, nil},
		{"check-internal-registry-pull", 0, pullcheck.RuleInternalRegistryPull, pullcheck.SeverityInfo, c0, nil},
		{"check-invalid-image", 1, pullcheck.RuleInvalidImage, pullcheck.SeverityError, "spec.jobTemplate.spec.template.spec.containers[0].image", nil},
		{"check-credential-expired", 1, pullcheck.RuleCredentialExpired, pullcheck.SeverityError, "spec.template.spec.imagePullSecrets[0].name", nil},
		{"check-credential-expiring", 0, pullcheck.RuleCredentialExpiring, pullcheck.SeverityWarning, "spec.template.spec.imagePullSecrets[0].name", []string{"--expiring-within", "30000d"}},
		{"check-sealing-certificate-expired", 0, pullcheck.RuleSealingCertificateExpired, pullcheck.SeverityWarning, sealingCert, nil},
		{"check-sealing-certificate-expiring", 0, pullcheck.RuleSealingCertificateExpiring, pullcheck.SeverityWarning, sealingCert, []string{"--expiring-within", "30000d"}},
		{"check-selected-namespace-gone", 0, pullcheck.RuleSelectedNamespaceGone, pullcheck.SeverityWarning, "metadata.namespace", nil},
		{"check-namespace-not-covered", 1, pullcheck.RuleNamespaceNotCovered, pullcheck.SeverityWarning, c0, nil},
		{"check-unused-service-account-link", 0, pullcheck.RuleUnusedLink, pullcheck.SeverityWarning, "imagePullSecrets[0].name", nil},
		{"check-mirror-pull", 0, pullcheck.RuleMirrorPull, pullcheck.SeverityInfo, c0, nil},
		{"check-no-pull-source", 1, pullcheck.RuleNoPullSource, pullcheck.SeverityError, c0, nil},
		{"check-mirror-credential-missing", 0, pullcheck.RuleMirrorCredentialMissing, pullcheck.SeverityWarning, c0, nil},
		{"check-mirror-secret-unused", 0, pullcheck.RuleMirrorSecretUnused, pullcheck.SeverityWarning, c0, nil},
		{"check-provider-annotation-missing", 1, pullcheck.RuleProviderAnnotationMissing, pullcheck.SeverityError, c0,
			[]string{"--credential-provider-config", "{dir}/credential-provider-config.yaml"}},
		{"check-invalid-mirror-set", 1, pullcheck.RuleInvalidMirrorSet, pullcheck.SeverityError, "spec.imageTagMirrors[0].mirrorSourcePolicy", nil},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.dir] = true
		t.Run(tt.dir, func(t *testing.T) {
			dir := filepath.Join("..", "..", "examples", tt.dir)
			if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
				t.Fatalf("README: %v", err)
			}
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "{dir}", dir)
			}
			code, out, errOut := runMain(t, "", append(append([]string{"--format", "json"}, args...), dir)...)
			if code != tt.exit {
				t.Fatalf("exit %d, want %d; stderr %s\n%s", code, tt.exit, errOut, out)
			}
			var rep pullcheck.JSONReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, f := range append(rep.Images, rep.Findings...) {
				if f.Rule == tt.rule && f.Severity == tt.severity && f.Field == tt.field {
					found = true
					if !strings.HasPrefix(f.File, dir) {
						t.Errorf("file %q not under %s", f.File, dir)
					}
				}
			}
			if !found {
				t.Errorf("no %s %s finding on %s:\n%s", tt.severity, tt.rule, tt.field, out)
			}
			// Text output gives the same exit code.
			if code, _, _ := runMain(t, "", append(args, dir)...); code != tt.exit {
				t.Errorf("text exit %d", code)
			}
		})
	}
	// Every rule has its example, and every example is tested.
	for _, r := range pullcheck.Rules {
		if !seen["check-"+r.ID] {
			t.Errorf("no example for rule %s", r.ID)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join("..", "..", "examples", "check-*"))
	for _, d := range dirs {
		if !seen[filepath.Base(d)] {
			t.Errorf("example %s not tested", d)
		}
	}
}

func TestMainInputs(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: quay.io/acme/x}]\n"
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	podFile := write("tree/apps/pod.yaml", pod)
	write("tree/apps/values.yaml", "image: {{ .Values.image }}\n")
	write("tree/notes.txt", "not yaml")
	write("tree/.hidden/pod.yaml", pod)
	write("tree/config.json", `{"foo": 1}`)
	write("tree/kust/kustomization.yaml", "namespace: kns\nresources: [pod.yaml]\n")
	write("tree/kust/pod.yaml", strings.Replace(pod, "name: p", "name: k", 1))
	bad := write("bad.yaml", "apiVersion: v1\nkind: Pod\n  bad: [\n")

	tests := []struct {
		name     string
		args     []string
		stdin    string
		exit     int
		stdout   []string
		stderr   string
		noStdout bool
	}{
		{"stdin without arguments", nil, pod, 0, []string{"-: Pod default/p"}, "", false},
		{"stdin with -", []string{"-"}, pod, 0, []string{"-: Pod default/p"}, "", false},
		{"--private makes it an error", []string{"--private", "quay.io/acme", "-"}, pod, 1, []string{"declared by --private"}, "", false},
		{"--namespace", []string{"--namespace", "team", "-"}, pod, 0, []string{"Pod team/p"}, "", false},
		{"file", []string{podFile}, "", 0, []string{podFile + ": Pod default/p"}, "", false},
		{"directory, recursive, kustomization built, others skipped", []string{filepath.Join(dir, "tree")}, "", 0,
			[]string{podFile + ": Pod default/p", filepath.Join(dir, "tree", "kust") + ": Pod kns/k", "2 images checked"}, "", false},
		{"bad YAML names the file", []string{bad}, "", 2, nil, bad, true},
		{"missing path", []string{filepath.Join(dir, "nope.yaml")}, "", 2, nil, "nope.yaml", true},
		{"unknown format", []string{"--format", "xml", "-"}, pod, 2, nil, `unknown format "xml"`, true},
		{"unknown flag", []string{"--bogus"}, pod, 2, nil, "usage: pullgen check", true},
		{"empty --private", []string{"--private", "", "-"}, pod, 2, nil, "empty registry", true},
		{"sarif", []string{"--format", "sarif", "--private", "quay.io", "-"}, pod, 1, []string{`"version": "2.1.0"`, `"uri": "stdin"`}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runMain(t, tt.stdin, tt.args...)
			if code != tt.exit {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.exit, out, errOut)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr lacks %q: %s", tt.stderr, errOut)
			}
			if tt.noStdout && out != "" {
				t.Errorf("stdout on error: %s", out)
			}
			if tt.exit == 2 && !strings.Contains(errOut, "usage:") && strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("want one stderr line: %q", errOut)
			}
		})
	}
}

func TestOnlineFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--concurrency", "4", "-"}, "--concurrency only applies with --online"},
		{[]string{"--insecure-registry", "h:5000", "--timeout", "1s", "-"}, "--insecure-registry, --timeout only applies with --online"},
		{[]string{"--online", "--concurrency", "0", "-"}, "--concurrency must be at least 1"},
		{[]string{"--online", "--timeout", "0s", "-"}, "--timeout must be positive"},
	}
	for _, tt := range tests {
		code, _, errOut := runMain(t, "", tt.args...)
		if code != ExitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
}

// TestMirrorExamples runs `pullgen check` as the READMEs of the examples of a disconnected
// cluster with mirrors and of a hosted cluster's additional pull secret say, over their
// committed output: each image is pulled from the mirror with the nodes' own credential for
// it (the generated global pull secret; the hosted cluster's original pull secret merged
// with the generated additional one), and nothing fails.
func TestMirrorExamples(t *testing.T) {
	ex := func(dir string, files ...string) []string {
		var out []string
		for _, f := range files {
			out = append(out, filepath.Join("..", "..", "examples", dir, f))
		}
		return out
	}
	tests := []struct {
		name string
		args []string
		want map[string]string // field → a substring of its message
	}{
		{"disconnected-mirrors", ex("disconnected-mirrors", "generated", "mirrors.yaml", "deployment.yaml"), map[string]string{
			c0:                                       "mirror mirror.corp.example/redhat/ubi9/nginx-124:latest with Secret openshift-config/pull-secret (mirror.corp.example); then the image itself, registry.redhat.io/ubi9/nginx-124:latest blocked",
			"spec.template.spec.containers[1].image": "mirror mirror.corp.example/openshift-release-dev/ocp-v4.0-art-dev@sha256:",
		}},
		{"hosted-additional-pull-secret", append([]string{"--cluster", ex("hosted-additional-pull-secret", "cluster")[0]},
			ex("hosted-additional-pull-secret", "generated", "mirrors.yaml", "deployment.yaml")...), map[string]string{
			c0:                                       "the kubelet tries Secret kube-system/original-pull-secret+additional-pull-secret (quay.io/acme), Secret kube-system/original-pull-secret+additional-pull-secret (quay.io)",
			"spec.template.spec.containers[1].image": "with Secret kube-system/original-pull-secret+additional-pull-secret (mirror.corp.example)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runMain(t, "", append([]string{"--format", "json"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d; stderr %s\n%s", code, errOut, out)
			}
			var rep pullcheck.JSONReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Images) != len(tt.want) || rep.Summary.Warnings != 0 {
				t.Fatalf("%d images, %d warnings:\n%s", len(rep.Images), rep.Summary.Warnings, out)
			}
			for _, f := range rep.Images {
				if !strings.Contains(f.Message, tt.want[f.Field]) || tt.want[f.Field] == "" {
					t.Errorf("%s: %q lacks %q", f.Field, f.Message, tt.want[f.Field])
				}
			}
		})
	}
}

// TestNodeFlags: --node-config takes a node's config.json or the cluster's pull secret, and
// the kubelet tries its credentials after the pod's; a file that is neither, and a
// credential provider configuration the kubelet refuses, are unreadable input (exit 2)
// named with their file and field.
func TestNodeFlags(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	input := write("in.yaml", "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: acme}\nspec:\n  registries: [{server: quay.io/acme}]\n---\n"+
		"apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: a}\nspec:\n  containers: [{name: web, image: quay.io/acme/web:1}]\n")
	configJSON := write("config.json", `{"auths":{"quay.io":{"auth":"cm9ib3Q6Y2hhbmdlbWU="}}}`)
	secret := write("pull-secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: pull-secret, namespace: openshift-config}\ntype: kubernetes.io/dockerconfigjson\n"+
		"stringData:\n  .dockerconfigjson: '{\"auths\":{\"quay.io/acme\":{\"auth\":\"cm9ib3Q6Y2hhbmdlbWU=\"}}}'\n")
	for _, tt := range []struct{ file, creds string }{{configJSON, configJSON + " (quay.io)"}, {secret, secret + ": Secret openshift-config/pull-secret (quay.io/acme)"}} {
		code, out, errOut := runMain(t, "", "--node-config", tt.file, input)
		if code != 0 || !strings.Contains(out, "the kubelet tries "+tt.creds) {
			t.Errorf("--node-config %s: exit %d\n%s%s", tt.file, code, out, errOut)
		}
	}
	// The control: without the flag, the private image gets no credential.
	if code, out, _ := runMain(t, "", input); code != 1 || !strings.Contains(out, "were not considered") {
		t.Errorf("without --node-config: exit %d\n%s", code, out)
	}
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"--node-config", write("notes.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")}, "notes.yaml: neither a config.json"},
		{[]string{"--credential-provider-config", write("cp.yaml", "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n- {name: p, apiVersion: credentialprovider.kubelet.k8s.io/v1, matchImages: [a.io]}\n")},
			"cp.yaml: the kubelet refuses it: providers[0].defaultCacheDuration: required"},
		{[]string{"--credential-provider-config", write("cp2.yaml", "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n- {name: p, matchimages: [a.io]}\n")},
			"cp2.yaml: providers[0].matchimages: unknown field"},
		{[]string{"--cluster", filepath.Join(dir, "absent")}, "--cluster: reading"},
	}
	for _, tt := range bad {
		code, _, errOut := runMain(t, "", append(tt.args, input)...)
		if code != ExitUsage || !strings.Contains(errOut, tt.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q, want %q on one line", tt.args, code, errOut, tt.want)
		}
	}
}
