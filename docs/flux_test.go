package docs

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"pullgen.dev/pullgen/internal/testsupport/doctest"
)

// fluxKustomization is the part of Flux's Kustomization (kustomize.toolkit.fluxcd.io/v1)
// the guide uses; decoding it strictly catches a misspelt field.
type fluxKustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Interval  string `json:"interval"`
		Path      string `json:"path"`
		Prune     bool   `json:"prune"`
		SourceRef struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"sourceRef"`
		Decryption struct {
			Provider  string `json:"provider"`
			SecretRef struct {
				Name string `json:"name"`
			} `json:"secretRef"`
		} `json:"decryption"`
	} `json:"spec"`
}

// lookTool finds a tool on PATH or in the repository's ./bin, skipping the test where it
// is missing (failing in CI for those make tools installs).
func lookTool(t *testing.T, name string, installed bool) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p, err := filepath.Abs(filepath.Join("..", "bin", name)); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if installed && os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed: make tools installs it", name)
	}
	t.Skipf("%s is not installed here: skipping", name)
	return ""
}

// TestFluxGuide runs docs/flux.md as written in a fresh git repository (HOME a temporary
// directory, pullgen built from this tree, kubectl's cluster command run with
// --dry-run=client), then does what kustomize-controller does with the guide's
// Kustomization: builds its path with kustomize (no plugins), and decrypts each object
// with SOPS metadata as its decryptor does (the object as JSON, the MAC not checked) with
// the age key of the guide's key Secret. Then the guide's warning: a Secret moved to
// another namespace fails the MAC (the sops CLI refuses it) yet decrypts Flux's way, and
// pullgen diff, which the guide prescribes, catches the move.
func TestFluxGuide(t *testing.T) {
	kustomize, sops := lookTool(t, "kustomize", true), lookTool(t, "sops", true)
	kubectl := lookTool(t, "kubectl", false)
	lookTool(t, "age-keygen", false)
	lookTool(t, "git", false)
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "pullgen"), "../cmd/pullgen")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building pullgen: %v\n%s", err, out)
	}
	applied := filepath.Join(t.TempDir(), "applied.yaml")
	doctest.Shell(t, ".", nil, "printf '#!/bin/sh\\nexec %s \"$@\" --dry-run=client -o yaml >> %s\\n' "+kubectl+" "+applied+" > "+bin+"/kubectl && chmod +x "+bin+"/kubectl")

	repo, home := t.TempDir(), t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"ACME_REGISTRY_TOKEN=token-for-flux", "KUBECONFIG=/dev/null",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com"}
	shell := func(script string) string {
		t.Helper()
		r := doctest.Shell(t, repo, env, script)
		if r.Code != 0 {
			t.Fatalf("%s\nexit %d\n%s", script, r.Code, r.Stderr)
		}
		return r.Stdout
	}
	shell("git init -q .")
	shell(doctest.Block(t, "flux.md", "flux-key"))
	spec := doctest.Block(t, "flux.md", "flux-pullaccess")
	file, _, _ := strings.Cut(strings.TrimPrefix(spec, "# "), "\n")
	if err := os.MkdirAll(filepath.Join(repo, filepath.Dir(file)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, file), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	shell(doctest.Block(t, "flux.md", "flux-generate"))
	shell(doctest.Block(t, "flux.md", "flux-key-secret"))

	// The key Secret, as kubectl would create it.
	secrets, err := kio.FromBytes(mustRead(t, applied))
	if err != nil || len(secrets) != 1 {
		t.Fatalf("the guide's kubectl command made %d objects (%v)", len(secrets), err)
	}
	keySecret := secrets[0]
	var ageKey string
	for name, v := range keySecret.GetDataMap() {
		if filepath.Ext(name) == ".agekey" { // what kustomize-controller imports as age identities
			b, _ := base64.StdEncoding.DecodeString(v)
			ageKey = string(b)
		}
	}
	if want := string(mustRead(t, filepath.Join(home, ".config/sops/age/flux.agekey"))); ageKey != want {
		t.Fatalf("the key Secret holds no .agekey entry with the cluster's key:\n%s", keySecret.MustString())
	}

	var ks fluxKustomization
	if err := sigsyaml.UnmarshalStrict([]byte(doctest.Block(t, "flux.md", "flux-kustomization")), &ks); err != nil {
		t.Fatalf("the guide's Kustomization: %v", err)
	}
	switch {
	case ks.APIVersion != "kustomize.toolkit.fluxcd.io/v1" || ks.Kind != "Kustomization":
		t.Errorf("the guide's Kustomization is %s %s", ks.APIVersion, ks.Kind)
	case ks.Spec.Decryption.Provider != "sops":
		t.Errorf("decryption.provider %q, want sops", ks.Spec.Decryption.Provider)
	case ks.Spec.Decryption.SecretRef.Name != keySecret.GetName() || ks.Metadata.Namespace != keySecret.GetNamespace():
		// kustomize-controller reads secretRef in the Kustomization's own namespace.
		t.Errorf("decryption.secretRef %s in %s, but the key Secret is %s/%s", ks.Spec.Decryption.SecretRef.Name, ks.Metadata.Namespace, keySecret.GetNamespace(), keySecret.GetName())
	}
	if tracked := shell("git ls-files " + ks.Spec.Path); !strings.Contains(tracked, "kustomization.yaml") {
		t.Fatalf("spec.path %s: no committed kustomization.yaml (git ls-files: %q)", ks.Spec.Path, tracked)
	}

	// kustomize-controller: build, then decrypt each object with SOPS metadata, MAC unchecked.
	built := doctest.Shell(t, repo, nil, kustomize+" build "+ks.Spec.Path)
	if built.Code != 0 {
		t.Fatalf("kustomize build %s: %s", ks.Spec.Path, built.Stderr)
	}
	objs, err := kio.FromBytes([]byte(built.Stdout))
	if err != nil {
		t.Fatal(err)
	}
	fluxDecrypt := func(o *yaml.RNode, ignoreMAC bool) doctest.Result {
		t.Helper()
		j, err := o.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "object.json")
		if err := os.WriteFile(f, j, 0o644); err != nil {
			t.Fatal(err)
		}
		flags := "--input-type json --output-type json"
		if ignoreMAC {
			flags += " --ignore-mac"
		}
		return doctest.Shell(t, repo, []string{"SOPS_AGE_KEY=" + ageKey}, sops+" decrypt "+flags+" "+f)
	}
	var decrypted []string
	for _, o := range objs {
		if mac, _ := o.Pipe(yaml.Lookup("sops", "mac")); mac == nil {
			continue
		}
		r := fluxDecrypt(o, true)
		if r.Code != 0 {
			t.Fatalf("decrypting %s/%s as Flux does: %s", o.GetNamespace(), o.GetName(), r.Stderr)
		}
		plain, err := yaml.Parse(r.Stdout)
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := base64.StdEncoding.DecodeString(plain.GetDataMap()[".dockerconfigjson"])
		if !strings.Contains(string(payload), `"password":"token-for-flux"`) {
			t.Errorf("%s/%s decrypted to no credential:\n%s", o.GetNamespace(), o.GetName(), r.Stdout)
		}
		decrypted = append(decrypted, plain.GetNamespace()+"/"+plain.GetName())
	}
	if strings.Join(decrypted, " ") != "team-a/acme-registry team-b/acme-registry" {
		t.Fatalf("Flux would decrypt %v, want the Secrets of team-a and team-b", decrypted)
	}

	// The guide's warning, and its remedy.
	if r := doctest.Shell(t, repo, env, "pullgen diff apps/"); r.Code != 0 {
		t.Fatalf("pullgen diff on the committed output: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	secretFile := filepath.Join(repo, ks.Spec.Path, "secret-team-a-acme-registry.yaml")
	moved := strings.Replace(string(mustRead(t, secretFile)), "namespace: team-a", "namespace: elsewhere", 1)
	if err := os.WriteFile(secretFile, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := yaml.Parse(moved)
	if err != nil {
		t.Fatal(err)
	}
	if r := fluxDecrypt(m, false); r.Code == 0 || !strings.Contains(r.Stderr, "MAC mismatch") {
		t.Errorf("the moved Secret, MAC checked: exit %d, want sops's MAC mismatch\n%s", r.Code, r.Stderr)
	}
	if r := fluxDecrypt(m, true); r.Code != 0 || !strings.Contains(r.Stdout, `"namespace": "elsewhere"`) {
		t.Errorf("the moved Secret, decrypted as Flux does: exit %d, want it decrypted in its new namespace\n%s", r.Code, r.Stderr)
	}
	if r := doctest.Shell(t, repo, env, "pullgen diff apps/"); r.Code != 1 || !strings.Contains(r.Stdout+r.Stderr, "elsewhere") {
		t.Errorf("pullgen diff after the move: exit %d, want 1 naming the moved Secret\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
