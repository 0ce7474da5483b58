package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fleetNamespaces are the Namespaces and a Project of a cluster, with labels.
const fleetNamespaces = `apiVersion: v1
kind: Namespace
metadata:
  name: team-b
  labels: {pull-access/acme: "true"}
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
  labels: {pull-access/acme: "true", tier: prod}
---
apiVersion: project.openshift.io/v1
kind: Project
metadata:
  name: proj-x
  labels: {pull-access/acme: "true"}
---
apiVersion: v1
kind: Namespace
metadata:
  name: kube-system
  labels: {pull-access/acme: "true"}
---
apiVersion: v1
kind: Namespace
metadata:
  name: other
`

// fleetSpec is a PullAccess that selects the labelled namespaces, with an expiry.
const fleetSpec = `apiVersion: pullgen.dev/v1alpha1
kind: PullAccess
metadata:
  name: acme
  annotations:
%s
spec:
  namespaceSelector: {matchLabels: {pull-access/acme: "true"}}
  excludeNamespaces: ["kube-*", "openshift-*"]
  registries:
    - server: quay.io/acme
      username: robot
      passwordFrom: {file: token.txt}
      expiresAtFrom: {file: expiry.json, key: expires_at}
  output: {encrypt: false, dir: generated}
`

func writeFleet(t *testing.T, dir, annotations string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, "pullaccess.yaml"), strings.Replace(fleetSpec, "%s", annotations, 1))
	writeFile(t, filepath.Join(dir, "token.txt"), testToken+"\n")
	writeFile(t, filepath.Join(dir, "expiry.json"), `{"expires_at": 4102444800}`) // 2100-01-01, Unix seconds as Harbor writes them
	writeFile(t, filepath.Join(dir, "namespaces", "namespaces.yaml"), fleetNamespaces)
}

// TestNamespaceSelectorKustomize: as a transformer, with the real kustomize, the selector
// picks the Namespaces and Projects of the kustomization; as a generator it is refused
// with the fix.
func TestNamespaceSelectorKustomize(t *testing.T) {
	kustomize := tool(t, "kustomize")
	dir := t.TempDir()
	writeFleet(t, dir, execAnnotation)
	writeFile(t, filepath.Join(dir, "kustomization.yaml"), "resources: [namespaces/namespaces.yaml]\ntransformers: [pullaccess.yaml]\n")
	objs := parseObjects(t, mustRun(t, dir, nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "."))
	var secrets []string
	for _, o := range objs {
		if o.GetKind() == "Secret" {
			secrets = append(secrets, o.GetNamespace())
			if got := o.GetAnnotations()["pullgen.dev/expires-at"]; got != "2100-01-01T00:00:00Z" {
				t.Errorf("Secret %s: expires-at %q", o.GetNamespace(), got)
			}
			if got := o.GetAnnotations()["pullgen.dev/namespace-selector"]; got != "pull-access/acme=true" {
				t.Errorf("Secret %s: namespace-selector %q", o.GetNamespace(), got)
			}
		}
	}
	if want := []string{"proj-x", "team-a", "team-b"}; !reflect.DeepEqual(secrets, want) {
		t.Errorf("Secrets in %v, want %v", secrets, want)
	}

	writeFile(t, filepath.Join(dir, "kustomization.yaml"), "resources: [namespaces/namespaces.yaml]\ngenerators: [pullaccess.yaml]\n")
	r := run(t, dir, nil, "", kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	if r.code == 0 || !strings.Contains(r.stderr, "list the PullAccess under the kustomization's transformers: instead of generators:") {
		t.Errorf("generator position: exit %d\n%s", r.code, r.stderr)
	}
}

// TestNamespaceSelectorRender: render (the Argo CD plugin) runs the transformer in process
// and gives the same Secrets.
func TestNamespaceSelectorRender(t *testing.T) {
	dir := t.TempDir()
	writeFleet(t, dir, execAnnotation)
	writeFile(t, filepath.Join(dir, "kustomization.yaml"), "resources: [namespaces/namespaces.yaml]\ntransformers: [pullaccess.yaml]\n")
	var secrets []string
	for _, o := range parseObjects(t, mustRun(t, dir, nil, pullgen(), "render", ".")) {
		if o.GetKind() == "Secret" {
			secrets = append(secrets, o.GetNamespace())
		}
	}
	if want := []string{"proj-x", "team-a", "team-b"}; !reflect.DeepEqual(secrets, want) {
		t.Errorf("Secrets in %v, want %v", secrets, want)
	}
}

// TestNamespaceSelectorGenerate: generate reads the Namespaces under the spec's directory,
// prints the soonest expiry, and diff and check see a Namespace that leaves.
func TestNamespaceSelectorGenerate(t *testing.T) {
	dir := t.TempDir()
	writeFleet(t, dir, "    config.kubernetes.io/local-config: \"true\"")
	r := run(t, dir, nil, "", pullgen(), "generate", "pullaccess.yaml")
	if r.code != 0 {
		t.Fatalf("generate: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "generated: 3 resources (3 Secrets), 3 namespaces, 1 registry, soonest expiry 2100-01-01T00:00:00Z") {
		t.Errorf("summary:\n%s", r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "generated", "secret-*.yaml"))
	if len(files) != 3 {
		t.Fatalf("%d Secret files", len(files))
	}
	if r := run(t, dir, nil, "", pullgen(), "diff", "."); r.code != 0 || !strings.Contains(r.stderr, "soonest expiry 2100-01-01T00:00:00Z; in step") {
		t.Fatalf("diff: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// team-b leaves the cluster's repository.
	writeFile(t, filepath.Join(dir, "namespaces", "namespaces.yaml"), strings.Replace(fleetNamespaces, "name: team-b", "name: team-c", 1))
	r = run(t, dir, nil, "", pullgen(), "check", "--format", "json", ".")
	var rep struct {
		Findings []struct{ Rule, Namespace, Kind string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("check: %v\n%s%s", err, r.stdout, r.stderr)
	}
	gone := 0
	for _, f := range rep.Findings {
		if f.Rule == "selected-namespace-gone" && f.Namespace == "team-b" && f.Kind == "Secret" {
			gone++
		}
	}
	if gone != 1 || r.code != 0 {
		t.Errorf("check: exit %d, %d selected-namespace-gone findings for team-b\n%s", r.code, gone, r.stdout)
	}
	r = run(t, dir, nil, "", pullgen(), "diff", ".")
	if r.code != 1 || !strings.Contains(r.stdout, "team-b") || !strings.Contains(r.stdout, "team-c") {
		t.Errorf("diff after team-b left: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// generate over the directory finds the spec.
	mustRun(t, dir, nil, pullgen(), "generate", ".")
	if _, err := os.Stat(filepath.Join(dir, "generated", "secret-team-b-acme.yaml")); !os.IsNotExist(err) {
		t.Errorf("generate kept the Secret of team-b: %v", err)
	}
}

// TestCheckExpiringWithin runs the check process over a Secret that expires in 2100: no
// finding without a window, a warning per Secret and per workload with one that reaches
// it, in every format, and a clear usage error for a bad window.
func TestCheckExpiringWithin(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "secret.yaml"), `apiVersion: v1
kind: Secret
metadata:
  name: acme
  namespace: team-a
  annotations: {pullgen.dev/expires-at: "2100-01-01T00:00:00Z", pullgen.dev/registries: quay.io/acme}
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '{"auths":{"quay.io/acme":{"auth":"cm9ib3Q6Y2hhbmdlbWU="}}}'
`)
	writeFile(t, filepath.Join(dir, "deployment.yaml"), `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team-a}
spec:
  template:
    spec:
      imagePullSecrets: [{name: acme}]
      containers: [{name: web, image: quay.io/acme/web:1}]
`)
	r := run(t, dir, nil, "", pullgen(), "check", ".")
	if r.code != 0 || strings.Contains(r.stdout, "expire") {
		t.Errorf("without a window: exit %d\n%s", r.code, r.stdout)
	}
	for _, format := range []string{"text", "json", "sarif"} {
		r := run(t, dir, nil, "", pullgen(), "check", "--expiring-within", "40000d", "--format", format, ".")
		if r.code != 0 || strings.Count(r.stdout, "credential-expiring") < 2 && format != "text" ||
			strings.Count(r.stdout, "expire on 2100-01-01T00:00:00Z, within 40000 days") != 2 {
			t.Errorf("%s: exit %d\n%s%s", format, r.code, r.stdout, r.stderr)
		}
		if format == "json" && strings.Count(r.stdout, `"expiresAt":"2100-01-01T00:00:00Z"`) != 3 {
			t.Errorf("json: expiresAt on the image and both findings:\n%s", r.stdout)
		}
	}
	r = run(t, dir, nil, "", pullgen(), "check", "--expiring-within", "two-weeks", ".")
	if r.code != 2 || !strings.Contains(r.stderr, `"two-weeks" is not a duration such as 14d or 336h`) || r.stdout != "" {
		t.Errorf("bad window: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
