package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestGenerate writes an output directory, builds it with kustomize, regenerates it
// unchanged, and shows that a failing run writes nothing.
func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "spec", "pullaccess.yaml"), strings.Replace(pullAccess, "%s\n", "", 1))
	writeFile(t, filepath.Join(dir, "spec", "token.txt"), testToken+"\n")
	out := filepath.Join(dir, "out")
	mustRun(t, dir, nil, pullgen(), "generate", "spec/pullaccess.yaml", "-o", "out")
	first := snapshot(t, out)
	want := []string{
		"kustomization.yaml",
		"rolebinding-project-b-acme-image-puller.yaml",
		"secret-team-a-acme.yaml", "secret-team-b-acme.yaml",
		"serviceaccount-team-a-builder.yaml", "serviceaccount-team-a-default.yaml",
		"serviceaccount-team-b-builder.yaml", "serviceaccount-team-b-default.yaml",
	}
	if got := keys(first); !reflect.DeepEqual(got, want) {
		t.Fatalf("files = %v\nwant %v", got, want)
	}
	if k := tool(t, "kustomize"); k != "" {
		built := parseObjects(t, mustRun(t, out, nil, k, "build", "."))
		if len(built) != len(want)-1 {
			t.Errorf("kustomize build of the output gave %d objects, want %d", len(built), len(want)-1)
		}
	}

	// The same input gives the same bytes.
	mustRun(t, dir, nil, pullgen(), "generate", "-o", "out", "spec/pullaccess.yaml")
	if again := snapshot(t, out); !reflect.DeepEqual(first, again) {
		t.Errorf("a second generate changed the output")
	}

	// A failure (here the token file is gone) writes nothing and leaves no staging files.
	os.Remove(filepath.Join(dir, "spec", "token.txt"))
	writeFile(t, filepath.Join(dir, "spec", "other.yaml"), strings.Replace(strings.Replace(pullAccess, "%s\n", "", 1), "name: acme", "name: other", 1))
	r := run(t, dir, nil, "", pullgen(), "generate", "spec/other.yaml", "spec/pullaccess.yaml", "-o", "out")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "spec/pullaccess.yaml: PullAccess acme: spec.registries[0].passwordFrom: reading token.txt") {
		t.Errorf("stderr does not name the file, object and field:\n%s", r.stderr)
	}
	if again := snapshot(t, out); !reflect.DeepEqual(first, again) {
		t.Errorf("a failed generate changed the output directory")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".pullgen-") {
			t.Errorf("staging directory left behind: %s", e.Name())
		}
	}

	// A directory holding files pullgen did not write is refused, not wiped.
	writeFile(t, filepath.Join(dir, "spec", "token.txt"), testToken+"\n")
	writeFile(t, filepath.Join(out, "notes.yaml"), "kind: ConfigMap\n")
	r = run(t, dir, nil, "", pullgen(), "generate", "spec/pullaccess.yaml", "-o", "out")
	if r.code != 2 || !strings.Contains(r.stderr, "notes.yaml: not written by pullgen") {
		t.Errorf("exit %d, stderr %s; want a refusal naming notes.yaml", r.code, r.stderr)
	}
}

// TestFunctionErrors feeds the KRM function a PullAccess with several mistakes: every one
// is reported at once as a KRM result naming the field, and on stderr; exit code 2.
func TestFunctionErrors(t *testing.T) {
	rl := `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items: []
functionConfig:
  apiVersion: pullgen.dev/v1alpha1
  kind: PullAccess
  metadata:
    name: acme
    annotations: {config.kubernetes.io/path: specs/acme.yaml}
  spec:
    namespaces: [Team-A]
    registries:
    - server: quay.io/acme
      username: robot
      password: ` + testToken + `
    serviceAccounts: [default]
`
	r := run(t, t.TempDir(), nil, rl, pullgen())
	if r.code != 2 {
		t.Fatalf("exit %d, want 2", r.code)
	}
	for _, want := range []string{
		"specs/acme.yaml: PullAccess acme: spec.namespaces[0]: \"Team-A\" is not a valid namespace",
		"specs/acme.yaml: PullAccess acme: spec.registries[0].password: unknown field",
		"specs/acme.yaml: PullAccess acme: spec.registries[0].passwordFrom: is required",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	out, err := yaml.Parse(r.stdout)
	if err != nil {
		t.Fatalf("stdout is not a ResourceList: %v", err)
	}
	results, _ := out.Pipe(yaml.Lookup("results"))
	elems, _ := results.Elements()
	if len(elems) != 3 {
		t.Fatalf("%d results, want 3:\n%s", len(elems), r.stdout)
	}
	for _, e := range elems {
		m, _ := e.Map()
		if m["severity"] != "error" || m["field"] == nil || m["file"] == nil || m["resourceRef"] == nil {
			t.Errorf("result lacks severity, field, file or resourceRef: %v", m)
		}
	}
	items, _ := out.Pipe(yaml.Lookup("items"))
	if n, _ := items.Elements(); len(n) != 0 {
		t.Errorf("a failed run emitted %d items", len(n))
	}
	// The literal password the user wrote by mistake is not repeated back.
	if strings.Contains(r.stdout+r.stderr, testToken) {
		t.Errorf("the password appears in the output")
	}
}

// TestCredentialHelper resolves a docker config whose credentials sit in a credential
// store, through a real docker-credential-<name> program on PATH, under kustomize; and
// shows the clear error when the helper is missing.
func TestCredentialHelper(t *testing.T) {
	kustomize := tool(t, "kustomize")
	helpers := t.TempDir()
	writeFile(t, filepath.Join(helpers, "docker-credential-e2e"), `#!/bin/sh
[ "$1" = get ] || exit 2
read server
[ "$server" = registry.acme.io ] || { echo "credentials not found in native keychain" >&2; exit 1; }
printf '{"ServerURL":"%s","Username":"robot","Secret":"`+testToken+`"}\n' "$server"
`)
	os.Chmod(filepath.Join(helpers, "docker-credential-e2e"), 0o755)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.json"), `{"auths":{"registry.acme.io":{}},"credsStore":"e2e"}`)
	writeFile(t, filepath.Join(dir, "pullaccess.yaml"), `apiVersion: pullgen.dev/v1alpha1
kind: PullAccess
metadata:
  name: acme
  annotations:
`+execAnnotation+`
spec:
  namespaces: [team-a]
  registries:
  - fromConfig: {file: config.json, credentialHelpers: true}
  output: {encrypt: false}
`)
	writeFile(t, filepath.Join(dir, "kustomization.yaml"), "generators: [pullaccess.yaml]\n")
	env := []string{"PATH=" + helpers + string(os.PathListSeparator) + os.Getenv("PATH")}
	objs := parseObjects(t, mustRun(t, dir, env, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "."))
	if len(objs) != 1 {
		t.Fatalf("%d objects, want the Secret", len(objs))
	}
	if got, want := string(decodedPayload(t, objs[0])), `{"auths":{"registry.acme.io":{"username":"robot","password":"`+testToken+`","auth":"cm9ib3Q6ZTJlLXNlY3JldC10b2tlbi0xMjM0"}}}`; got != want {
		t.Errorf("payload %s, want %s", got, want)
	}

	writeFile(t, filepath.Join(dir, "config.json"), `{"auths":{"registry.acme.io":{}},"credsStore":"absent"}`)
	r := run(t, dir, env, "", kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	if r.code == 0 || !strings.Contains(r.stderr, "docker-credential-absent") {
		t.Errorf("a missing helper: exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestVersionAndSchema(t *testing.T) {
	if out := mustRun(t, t.TempDir(), nil, pullgen(), "version"); !strings.HasPrefix(out, "pullgen v") {
		t.Errorf("version printed %q", out)
	}
	committed, err := os.ReadFile(filepath.Join(repoRoot, "schema", "pullaccess.v1alpha1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Run elsewhere than the source tree: the schema must not depend on it.
	if out := mustRun(t, t.TempDir(), nil, pullgen(), "schema"); out != string(committed) {
		t.Errorf("pullgen schema differs from the committed schema")
	}
	r := run(t, t.TempDir(), nil, "", pullgen(), "no-such-command")
	if r.code != 2 {
		t.Errorf("an unknown command exits %d, want 2", r.code)
	}
}

// TestHelp: -h prints a command's usage and exits 0, changes nothing (install -h installs
// nothing), and an unknown flag is a usage error, exit 2.
func TestHelp(t *testing.T) {
	for _, cmd := range []string{"generate", "render", "discover", "diff", "check", "install"} {
		t.Run(cmd, func(t *testing.T) {
			dir := t.TempDir()
			r := run(t, dir, nil, "", pullgen(), cmd, "-h")
			if r.code != 0 || !strings.Contains(r.stderr, "pullgen "+cmd) || r.stdout != "" {
				t.Errorf("%s -h: exit %d, stdout %q, stderr %q; want exit 0 and the usage on stderr", cmd, r.code, r.stdout, r.stderr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("%s -h wrote %s", cmd, entries[0].Name())
			}
			if r := run(t, dir, nil, "", pullgen(), cmd, "--no-such-flag"); r.code != 2 {
				t.Errorf("%s --no-such-flag: exit %d, want 2", cmd, r.code)
			}
		})
	}
}

// TestDiff compares committed output with its spec: in step, a changed password (masked),
// and a namespace added; then generate brings it back in step.
func TestDiff(t *testing.T) {
	dir := t.TempDir()
	spec := strings.Replace(strings.Replace(pullAccess, "%s\n", "", 1), "output: {encrypt: false}", "output: {encrypt: false, dir: out}", 1)
	writeFile(t, filepath.Join(dir, "spec", "pullaccess.yaml"), spec)
	writeFile(t, filepath.Join(dir, "spec", "token.txt"), testToken+"\n")
	r := run(t, dir, nil, "", pullgen(), "generate", "spec/pullaccess.yaml")
	if r.code != 0 || !strings.Contains(r.stderr, "7 resources (2 Secrets, 4 ServiceAccounts, 1 RoleBinding), 2 namespaces, 1 registry; Secrets: 2 in plaintext") {
		t.Fatalf("generate: exit %d, summary %q", r.code, r.stderr)
	}
	if r := run(t, dir, nil, "", pullgen(), "diff", "--quiet"); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("in step: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	writeFile(t, filepath.Join(dir, "spec", "token.txt"), "changed-"+testToken+"\n")
	r = run(t, dir, nil, "", pullgen(), "diff")
	if r.code != 1 {
		t.Fatalf("changed password: exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"credentials changed: quay.io/acme", "'<masked: changed>'", "--- spec/out/secret-team-a-acme.yaml"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout+r.stderr, testToken) {
		t.Errorf("the password appears in the diff")
	}

	writeFile(t, filepath.Join(dir, "spec", "pullaccess.yaml"), strings.Replace(spec, "[team-b, team-a]", "[team-b, team-a, team-c]", 1))
	r = run(t, dir, nil, "", pullgen(), "diff", "spec")
	if r.code != 1 || !strings.Contains(r.stdout, "added Secret team-c/acme") || !strings.Contains(r.stdout, "added ServiceAccount team-c/builder") {
		t.Errorf("added namespace: exit %d\n%s", r.code, r.stdout)
	}
	mustRun(t, dir, nil, pullgen(), "generate", "--quiet", "spec/pullaccess.yaml")
	if r := run(t, dir, nil, "", pullgen(), "diff"); r.code != 0 {
		t.Errorf("after generate: exit %d\n%s", r.code, r.stdout)
	}

	// A file that only mentions PullAccess is not a spec; a spec that does not parse is an
	// error naming it, for diff and generate over a directory: its output would go unchecked.
	writeFile(t, filepath.Join(dir, "spec", "notes.yaml"), "# PullAccess notes\nitems: [a, b\n")
	if r := run(t, dir, nil, "", pullgen(), "diff"); r.code != 0 {
		t.Errorf("a file mentioning PullAccess: exit %d\n%s", r.code, r.stderr)
	}
	writeFile(t, filepath.Join(dir, "spec", "broken.yaml"), "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: broken\n")
	for _, args := range [][]string{{"diff"}, {"generate", "spec"}} {
		if r := run(t, dir, nil, "", pullgen(), args...); r.code != 2 || !strings.Contains(r.stderr, "spec/broken.yaml") {
			t.Errorf("%v over a spec that does not parse: exit %d\n%s", args, r.code, r.stderr)
		}
	}
}

// TestCheckBuildsPullAccess checks a kustomization whose PullAccess transformers add the
// pull secrets: pullgen builds it itself, needs no credential for it, and finds both what
// the links give and what the pod-level secret breaks.
func TestCheckBuildsPullAccess(t *testing.T) {
	r := run(t, repoRoot, noKeyEnv(t), "", pullgen(), "check", "--format", "json", "examples/link-vs-workloads")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (an error finding)\n%s", r.code, r.stderr)
	}
	var report struct {
		Images []struct {
			Name, Image, Severity string
			Credentials           []struct{ Secret, Registry string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &report); err != nil {
		t.Fatalf("parsing the report: %v", err)
	}
	got := map[string]string{}
	for _, im := range report.Images {
		creds := ""
		for _, c := range im.Credentials {
			creds += c.Secret + "@" + c.Registry + " "
		}
		got[im.Image] = strings.TrimSpace(im.Severity + " " + creds)
	}
	want := map[string]string{
		"registry.acme.example/web:2.1":                                   "info acme-registry@registry.acme.example",
		"registry.partner.example/report:3":                               "info partner-registry@registry.partner.example",
		"image-registry.openshift-image-registry.svc:5000/team-a/fetch:1": "error",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("images = %v\nwant %v", got, want)
	}
}
