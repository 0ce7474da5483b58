package main

import (
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
)

// TestNothingLeaks runs every command and mode over a spec with a known password,
// encryption on, and scans stdout, stderr, the KRM results and every written file for the
// password, its base64 and the base64 of user:password. Only render, whose job is to print
// decrypted Secrets for Argo CD, may show them, and only on stdout.
func TestNothingLeaks(t *testing.T) {
	const user, password = "leak-robot", "Leak-Password-9f3b1c"
	needles := []string{
		password,
		base64.StdEncoding.EncodeToString([]byte(password)),
		base64.StdEncoding.EncodeToString([]byte(user + ":" + password)),
	}
	key, rcpt := ageKey(t)
	dir := t.TempDir()
	spec := `apiVersion: pullgen.dev/v1alpha1
kind: PullAccess
metadata:
  name: leak
  annotations:
` + execAnnotation + `
spec:
  namespaces: [team-a]
  registries:
  - {server: quay.io/acme, username: ` + user + `, passwordFrom: {env: ARGOCD_ENV_LEAK}}
  serviceAccounts: [default]
  workloads: {}
  sops: {age: [` + rcpt + `]}
  output: {dir: out}
  check: warn
`
	writeFile(t, filepath.Join(dir, "pa.yaml"), spec)
	writeFile(t, filepath.Join(dir, "deploy.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team-a}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: quay.io/acme/web:1}]\n")
	writeFile(t, filepath.Join(dir, "kustomization.yaml"), "resources: [deploy.yaml]\ntransformers: [pa.yaml]\n")
	env := []string{"ARGOCD_ENV_LEAK=" + password, "SOPS_AGE_KEY_FILE=" + key}
	xdg := t.TempDir()
	// A spec that writes the password literally, by mistake: refused without repeating it.
	bad := t.TempDir()
	writeFile(t, filepath.Join(bad, "bad.yaml"), strings.Replace(spec, "passwordFrom: {env: ARGOCD_ENV_LEAK}", "password: "+password, 1))

	scan := func(what, text string) {
		t.Helper()
		for _, n := range needles {
			if strings.Contains(text, n) {
				t.Errorf("%s shows a credential (%q...)", what, n[:6])
			}
		}
	}
	rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: default, namespace: team-a}\nfunctionConfig:\n" +
		"  " + strings.ReplaceAll(strings.Replace(spec, "  annotations:\n"+execAnnotation+"\n", "", 1), "\n", "\n  ")
	steps := []struct {
		name string
		args []string
		in   string
		env  []string
	}{
		{"KRM function", nil, rl, nil},
		{"generate", []string{"generate", "pa.yaml"}, "", nil},
		{"generate again", []string{"generate", "pa.yaml"}, "", nil},
		{"diff in step", []string{"diff"}, "", nil},
		{"diff after a password change", []string{"diff"}, "", []string{"ARGOCD_ENV_LEAK=" + password + "-new"}},
		{"diff without the key", []string{"diff"}, "", noKeyEnv(t)},
		{"check", []string{"check", "out"}, "", nil},
		{"check json", []string{"check", "--format", "json", "out"}, "", nil},
		{"check sarif", []string{"check", "--format", "sarif", "out"}, "", nil},
		{"install", []string{"install"}, "", []string{"XDG_CONFIG_HOME=" + xdg}},
		{"legacy plugin", []string{"pa.yaml"}, "", nil},
		{"error: unknown field", []string{"generate", filepath.Join(bad, "bad.yaml")}, "", nil},
	}
	for _, s := range steps {
		r := run(t, dir, append(append([]string(nil), env...), s.env...), s.in, pullgen(), s.args...)
		if r.code == 2 && !strings.HasPrefix(s.name, "error") {
			t.Errorf("%s: exit 2\n%s", s.name, r.stderr)
		}
		scan(s.name+" stdout", r.stdout)
		scan(s.name+" stderr", r.stderr)
	}
	if k := tool(t, "kustomize"); k != "" {
		r := run(t, dir, env, "", k, "build", "--enable-alpha-plugins", "--enable-exec", ".")
		if r.code != 0 {
			t.Fatalf("kustomize build: %s", r.stderr)
		}
		scan("kustomize build stdout", r.stdout)
		scan("kustomize build stderr", r.stderr)
	}
	r := run(t, dir, env, "", pullgen(), "render")
	scan("render stderr", r.stderr)
	if r.code != 0 || !strings.Contains(r.stdout, "kind: Secret") || strings.Contains(r.stdout, "ENC[") {
		t.Errorf("render should print the decrypted Secret (exit %d)", r.code)
	}
	for name, content := range snapshot(t, dir) {
		scan("written file "+name, content)
	}
}

// TestDecryptionFailures renders a kustomization holding an encrypted Secret with no key,
// the wrong key, a tampered value and a tampered MAC: each is a clear error, exit 2, and
// nothing at all on stdout (never a half-decrypted stream).
func TestDecryptionFailures(t *testing.T) {
	key, rcpt := ageKey(t)
	wrong, _ := ageKey(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "pa.yaml"), encryptedSpec(rcpt))
	writePasswords(t, src, "")
	mustRun(t, src, []string{"SOPS_AGE_KEY_FILE=" + key}, pullgen(), "generate", "--quiet", "pa.yaml")
	good := snapshot(t, filepath.Join(src, "out"))

	tamper := func(field string) func(string) string {
		return func(s string) string {
			i := strings.Index(s, field)
			j := i + len(field) + 20
			b := []byte(s)
			if b[j] == 'A' {
				b[j] = 'B'
			} else {
				b[j] = 'A'
			}
			return string(b)
		}
	}
	cases := []struct {
		name   string
		env    []string
		change func(string) string
		want   string
	}{
		{"no key", noKeyEnv(t), nil, "no key to decrypt"},
		{"wrong key", []string{"SOPS_AGE_KEY_FILE=" + wrong}, nil, "wrong key"},
		{"tampered value", []string{"SOPS_AGE_KEY_FILE=" + key}, tamper(".dockerconfigjson: ENC[AES256_GCM,data:"), "modified"},
		{"tampered MAC", []string{"SOPS_AGE_KEY_FILE=" + key}, tamper("mac: ENC[AES256_GCM,data:"), "modified"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range good {
				if c.change != nil && name == "secret-team-b-acme.yaml" {
					content = c.change(content)
				}
				writeFile(t, filepath.Join(dir, name), content)
			}
			r := run(t, dir, c.env, "", pullgen(), "render")
			if r.code != 2 || r.stdout != "" {
				t.Fatalf("exit %d, stdout %d bytes; want 2 and nothing", r.code, len(r.stdout))
			}
			file := "secret-team-" // no key: the first Secret stops the render
			if c.change != nil {
				file = "secret-team-b-acme.yaml"
			}
			if !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, file) {
				t.Errorf("stderr does not say %q about the Secret: %s", c.want, r.stderr)
			}
			if strings.Contains(r.stderr, testToken) {
				t.Errorf("a password leaked: %s", r.stderr)
			}
		})
	}
}
