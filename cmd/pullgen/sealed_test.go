package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/check/pullcheck"
	"pullgen.dev/pullgen/internal/testsupport/sealedtest"
)

// The sealed output tests run examples/sealed-secrets: its DEMO controller key pair, its
// committed seed (SOPS-encrypted for the DEMO age key) and its committed output.

const sealedToken = "demo-token-not-a-real-secret"

// sealedExample copies examples/sealed-secrets into a fresh work tree (with the examples'
// .sops.yaml above it) and returns the work tree and the example's directory in it.
func sealedExample(t *testing.T) (root, dir string) {
	t.Helper()
	root = t.TempDir()
	dir = filepath.Join(root, "sealed-secrets")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(repoRoot, "examples", "sealed-secrets"))); err != nil {
		t.Fatal(err)
	}
	sops, err := os.ReadFile(filepath.Join(repoRoot, "examples", ".sops.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, ".sops.yaml"), string(sops))
	return root, dir
}

// sealedEnv is the environment of the sealed example with the token given.
func sealedEnv(token string) []string {
	return []string{"ACME_REGISTRY_TOKEN=" + token, "SOPS_AGE_KEY_FILE=" + demoKey()}
}

// TestSealedGenerate runs the sealed example's life: generate gives the committed output
// byte for byte, and again; diff says it is in step; the real kubeseal, with the DEMO
// controller's private key, opens each SealedSecret into the Secret the SOPS path would
// have made; a changed token changes the SealedSecrets and nothing else, and diff says so
// without a value; a lost seed is made anew, with new ciphertext, stable from then on.
func TestSealedGenerate(t *testing.T) {
	root, dir := sealedExample(t)
	committed := snapshot(t, filepath.Join(dir, "generated"))
	generate := func(token string) (map[string]string, string) {
		r := run(t, root, sealedEnv(token), "", pullgen(), "generate", "sealed-secrets/pullaccess.yaml")
		if r.code != 0 {
			t.Fatalf("generate: exit %d\n%s", r.code, r.stderr)
		}
		return snapshot(t, filepath.Join(dir, "generated")), r.stderr
	}
	first, summary := generate(sealedToken)
	if !reflect.DeepEqual(first, committed) {
		t.Fatalf("generate differs from the committed output:\n%v\nwant\n%v", values(first), values(committed))
	}
	if want := "4 resources (2 SealedSecrets, 2 ServiceAccounts), 2 namespaces, 1 registry; Secrets: 2 sealed"; !strings.Contains(summary, want) {
		t.Errorf("summary %q lacks %q", summary, want)
	}
	if again, _ := generate(sealedToken); !reflect.DeepEqual(again, first) {
		t.Fatal("a second generate with the same token changed the output")
	}
	if r := run(t, root, sealedEnv(sealedToken), "", pullgen(), "diff", "sealed-secrets"); r.code != 0 || !strings.Contains(r.stderr, "in step") {
		t.Fatalf("diff: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	t.Run("kubeseal opens what the SOPS path makes", func(t *testing.T) {
		kubeseal := sealedtest.Kubeseal(t)
		plain := plainSecrets(t, root, dir)
		for _, name := range []string{"sealedsecret-team-a-acme-registry.yaml", "sealedsecret-team-b-acme-registry.yaml"} {
			out, err := sealedtest.Unseal(t, kubeseal, filepath.Join(dir, "DEMO-sealed-secrets-key.pem"), []byte(first[name]))
			if err != nil {
				t.Fatal(err)
			}
			opened := parseObjects(t, string(out))[0]
			want := plain[opened.GetNamespace()+"/"+opened.GetName()]
			if want == nil {
				t.Fatalf("%s opens into %s/%s, which the SOPS path does not make", name, opened.GetNamespace(), opened.GetName())
			}
			if got, w := string(decodedPayload(t, opened)), string(decodedPayload(t, want)); got != w {
				t.Errorf("%s: .dockerconfigjson differs from the SOPS path's", name)
			}
			if opened.GetDataMap()[".dockerconfigjson"] == "" || yaml.GetValue(opened.Field("type").Value) != yaml.GetValue(want.Field("type").Value) ||
				!maps.Equal(opened.GetLabels(), want.GetLabels()) || !maps.Equal(opened.GetAnnotations(), want.GetAnnotations()) {
				t.Errorf("%s opens into\n%s\nthe SOPS path makes\n%s", name, out, want.MustString())
			}
		}
	})

	// A new token: diff reports the SealedSecrets, with no value; generate changes them only.
	r := run(t, root, sealedEnv("rotated-"+sealedToken), "", pullgen(), "diff", "sealed-secrets")
	if r.code != 1 {
		t.Fatalf("diff after a rotation: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"changed SealedSecret team-a/acme-registry (sealed-secrets/generated/sealedsecret-team-a-acme-registry.yaml): sealed values changed: .dockerconfigjson",
		"changed SealedSecret team-b/acme-registry", "'<sealed: changed>'",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, leak := range []string{sealedToken, "ServiceAccount", "AgB", "AgA", "AgC", "AgD"} {
		if strings.Contains(r.stdout, leak) {
			t.Errorf("diff shows %q:\n%s", leak, r.stdout)
		}
	}
	rotated, _ := generate("rotated-" + sealedToken)
	if got := changedFiles(first, rotated); !slices.Equal(got, []string{"sealedsecret-team-a-acme-registry.yaml", "sealedsecret-team-b-acme-registry.yaml"}) {
		t.Errorf("a rotation changed %v, want the two SealedSecrets only", got)
	}

	// A lost seed: generate makes a new one (ciphertext changes once), then holds still.
	if err := os.Remove(filepath.Join(dir, "sealing-seed.enc.env")); err != nil {
		t.Fatal(err)
	}
	reseeded, summary := generate(sealedToken)
	if !strings.Contains(summary, "created the sealing seed sealed-secrets/sealing-seed.enc.env (SOPS-encrypted): commit it") {
		t.Errorf("summary %q does not say the seed was created", summary)
	}
	if got := changedFiles(first, reseeded); len(got) != 2 {
		t.Errorf("a new seed changed %v, want the two SealedSecrets", got)
	}
	seed, err := os.ReadFile(filepath.Join(dir, "sealing-seed.enc.env"))
	if err != nil || !strings.Contains(string(seed), "PULLGEN_SEALING_SEED=ENC[AES256_GCM,") {
		t.Errorf("the new seed file is not encrypted: %v\n%s", err, seed)
	}
	if again, _ := generate(sealedToken); !reflect.DeepEqual(again, reseeded) {
		t.Error("with the new seed, a second generate changed the output")
	}
}

// plainSecrets runs the sealed example's spec without spec.output.sealed and unencrypted,
// into a directory of its own, and returns its Secrets by namespace/name: what the SOPS
// path encrypts.
func plainSecrets(t *testing.T, root, dir string) map[string]*yaml.RNode {
	t.Helper()
	spec, err := os.ReadFile(filepath.Join(dir, "pullaccess.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(spec)
	i := strings.Index(s, "    sealed:")
	writeFile(t, filepath.Join(dir, "plain.yaml"), strings.Replace(s[:i], "dir: generated", "dir: plain", 1)+"    encrypt: false\n")
	mustRun(t, root, sealedEnv(sealedToken), pullgen(), "generate", "--quiet", "sealed-secrets/plain.yaml")
	out := map[string]*yaml.RNode{}
	for name, text := range snapshot(t, filepath.Join(dir, "plain")) {
		if strings.HasPrefix(name, "secret-") {
			o := parseObjects(t, text)[0]
			out[o.GetNamespace()+"/"+o.GetName()] = o
		}
	}
	for _, p := range []string{"plain.yaml", "plain"} {
		if err := os.RemoveAll(filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// changedFiles lists, sorted, the files that differ between two snapshots.
func changedFiles(a, b map[string]string) []string {
	var out []string
	for k := range a {
		if a[k] != b[k] {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// TestSealedOtherSpecUntouched: two PullAccesses write one output directory; a credential
// of one changes its SealedSecrets only, the other's keep their bytes.
func TestSealedOtherSpecUntouched(t *testing.T) {
	root, dir := sealedExample(t)
	spec, err := os.ReadFile(filepath.Join(dir, "pullaccess.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	partner := strings.NewReplacer("name: acme-registry", "name: partner", "registry.acme.example", "registry.partner.example",
		"ACME_REGISTRY_TOKEN", "PARTNER_TOKEN", "  serviceAccounts: [default]\n", "").Replace(string(spec))
	writeFile(t, filepath.Join(dir, "partner.yaml"), partner)
	generate := func(partnerToken string) map[string]string {
		env := append(sealedEnv(sealedToken), "PARTNER_TOKEN="+partnerToken)
		mustRun(t, root, env, pullgen(), "generate", "--quiet", "sealed-secrets")
		return snapshot(t, filepath.Join(dir, "generated"))
	}
	before := generate("partner-one")
	after := generate("partner-two")
	if got := changedFiles(before, after); !slices.Equal(got, []string{"sealedsecret-team-a-partner.yaml", "sealedsecret-team-b-partner.yaml"}) {
		t.Errorf("changing the partner's token changed %v, want its two SealedSecrets only", got)
	}
}

// TestSealedKpt renders a kpt package whose PullAccess asks for sealed output, twice: the
// function seals as generate does (the same bytes), and the second render changes nothing.
func TestSealedKpt(t *testing.T) {
	kpt := tool(t, "kpt")
	root, pkg := sealedExample(t)
	writeFile(t, filepath.Join(pkg, "Kptfile"), "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n  - exec: "+pullgen()+"\n    configPath: pullaccess.yaml\n")
	for _, f := range []string{"kustomization.yaml", "expected.yaml", "generated"} {
		if err := os.RemoveAll(filepath.Join(pkg, f)); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, root, sealedEnv(sealedToken), kpt, "fn", "render", pkg, "--allow-exec")
	first := snapshot(t, pkg)
	mustRun(t, root, sealedEnv(sealedToken), kpt, "fn", "render", pkg, "--allow-exec")
	if second := snapshot(t, pkg); !reflect.DeepEqual(first, second) {
		t.Fatalf("the second render changed %v", changedFiles(first, second))
	}
	committed, err := os.ReadFile(filepath.Join(repoRoot, "examples", "sealed-secrets", "generated", "sealedsecret-team-a-acme-registry.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := encryptedDataOf(t, parseObjects(t, string(committed))[0])
	found := false
	for name, text := range first {
		if filepath.Ext(name) != ".yaml" {
			continue
		}
		for _, o := range parseObjects(t, text) {
			if o.GetKind() == "SealedSecret" && o.GetNamespace() == "team-a" {
				found = true
				if got := encryptedDataOf(t, o); got != want {
					t.Errorf("kpt's SealedSecret team-a differs from generate's:\n%s\nwant\n%s", got, want)
				}
			}
			if o.GetKind() == "Secret" {
				t.Errorf("kpt render wrote a Secret: %s", o.GetName())
			}
		}
	}
	if !found {
		t.Fatalf("no SealedSecret in the package: %v", keys(first))
	}
}

// encryptedDataOf is a SealedSecret's spec.encryptedData as YAML.
func encryptedDataOf(t *testing.T, o *yaml.RNode) string {
	t.Helper()
	d, err := o.Pipe(yaml.Lookup("spec", "encryptedData"))
	if err != nil || d == nil {
		t.Fatalf("%s: no spec.encryptedData", o.GetName())
	}
	return d.MustString()
}

// TestSealedRenderAndCheck: render (the Argo CD plugin) refuses a PullAccess with sealed
// output, whose credentials it would otherwise read in the repo server; over the committed
// output it passes the SealedSecrets through untouched, as kustomize build does. The check
// reads the SealedSecrets as the pull Secrets they become.
func TestSealedRenderAndCheck(t *testing.T) {
	kustomize := tool(t, "kustomize")
	_, dir := sealedExample(t)
	env := []string{"ARGOCD_ENV_TOKEN=x", "SOPS_AGE_KEY_FILE=" + demoKey()}
	r := run(t, dir, append(env, "ACME_REGISTRY_TOKEN="+sealedToken), "", pullgen(), "render", "--allow-env", "ACME_REGISTRY_TOKEN")
	if r.code != 2 || !strings.Contains(r.stderr, "spec.output.sealed: sealed output is made at author time") || r.stdout != "" {
		t.Errorf("render of a sealed spec: exit %d, want 2 and the refusal\n%s%s", r.code, r.stdout, r.stderr)
	}
	generated := filepath.Join(dir, "generated")
	got := mustRun(t, generated, env, pullgen(), "render")
	want := mustRun(t, generated, nil, kustomize, "build", ".")
	if got != want {
		t.Errorf("render over the committed output:\n%s\nkustomize build:\n%s", got, want)
	}
	for _, o := range parseObjects(t, got) {
		if o.GetKind() == "SealedSecret" {
			committed, err := os.ReadFile(filepath.Join(generated, "sealedsecret-"+o.GetNamespace()+"-"+o.GetName()+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if encryptedDataOf(t, o) != encryptedDataOf(t, parseObjects(t, string(committed))[0]) {
				t.Errorf("render changed the ciphertext of SealedSecret %s/%s", o.GetNamespace(), o.GetName())
			}
		}
	}

	writeFile(t, filepath.Join(dir, "app", "deployment.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team-b}\n"+
		"spec:\n  template:\n    spec:\n      containers:\n      - {name: web, image: registry.acme.example/shop/web:1.0}\n")
	r = run(t, dir, nil, "", pullgen(), "check", "--format", "json", "--expiring-within", "36500d", "generated", "app")
	var rep pullcheck.JSONReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("check: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	var rules []string
	for _, f := range append(rep.Images, rep.Findings...) {
		rules = append(rules, f.Rule+" "+f.Kind+" "+f.Namespace+"/"+f.Name)
		if f.Rule == pullcheck.RuleAuthenticatedPull && (len(f.Credentials) != 1 || f.Credentials[0].Secret != "acme-registry" || f.Credentials[0].Registry != "registry.acme.example") {
			t.Errorf("credentials %+v, want acme-registry (registry.acme.example)", f.Credentials)
		}
	}
	slices.Sort(rules)
	wantRules := []string{
		"authenticated-pull Deployment team-b/web",
		"sealing-certificate-expiring SealedSecret team-a/acme-registry",
		"sealing-certificate-expiring SealedSecret team-b/acme-registry",
	}
	if !slices.Equal(rules, wantRules) {
		t.Errorf("findings %q, want %q", rules, wantRules)
	}
}
