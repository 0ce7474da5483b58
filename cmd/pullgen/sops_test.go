package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// ageKey makes an age key pair with age-keygen and returns the identity file and the
// recipient.
func ageKey(t *testing.T) (string, string) {
	t.Helper()
	keygen := tool(t, "age-keygen")
	file := filepath.Join(t.TempDir(), "keys.txt")
	r := run(t, t.TempDir(), nil, "", keygen, "-o", file)
	if r.code != 0 {
		t.Fatalf("age-keygen: %s", r.stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "# public key: "); ok {
			return file, strings.TrimSpace(rest)
		}
	}
	t.Fatalf("no public key in %s", file)
	return "", ""
}

// noKeyEnv is an environment in which sops finds no age key.
func noKeyEnv(t *testing.T) []string {
	return []string{"SOPS_AGE_KEY_FILE=", "SOPS_AGE_KEY=", "HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir()}
}

// encryptedSpec is a PullAccess over two namespaces and three registries whose passwords
// come from files, encrypted for the given age recipients.
func encryptedSpec(recipients ...string) string {
	return `apiVersion: pullgen.dev/v1alpha1
kind: PullAccess
metadata:
  name: acme
spec:
  namespaces: [team-a, team-b]
  registries:
  - {server: quay.io/acme, username: robot, passwordFrom: {file: quay.txt}}
  - {server: ghcr.io/acme, username: bot, passwordFrom: {file: ghcr.txt}}
  - {server: registry.acme.io, username: ci, passwordFrom: {file: acme.txt}}
  serviceAccounts: [default]
  sops:
    age: [` + strings.Join(recipients, ", ") + `]
  output: {dir: out}
`
}

func writePasswords(t *testing.T, dir string, suffix string) {
	for _, n := range []string{"quay", "ghcr", "acme"} {
		writeFile(t, filepath.Join(dir, n+".txt"), n+"-"+testToken+suffix+"\n")
	}
}

// TestEncryptedGenerateDecryptsWithSops writes encrypted Secrets for two age recipients and
// decrypts each with the sops CLI and either key: the plaintext Secret comes back.
func TestEncryptedGenerateDecryptsWithSops(t *testing.T) {
	sops := tool(t, "sops")
	key1, rcpt1 := ageKey(t)
	key2, rcpt2 := ageKey(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pa.yaml"), encryptedSpec(rcpt1, rcpt2))
	writePasswords(t, dir, "")
	r := run(t, dir, noKeyEnv(t), "", pullgen(), "generate", "pa.yaml")
	if r.code != 0 || !strings.Contains(r.stderr, "0 unchanged, 0 updated, 0 re-encrypted, 2 new") {
		t.Fatalf("generate: exit %d\n%s", r.code, r.stderr)
	}
	secret := filepath.Join(dir, "out", "secret-team-a-acme.yaml")
	b, _ := os.ReadFile(secret)
	if !strings.Contains(string(b), "ENC[AES256_GCM,") || !strings.Contains(string(b), "\nsops:\n") || !strings.Contains(string(b), "name: acme") {
		t.Fatalf("not a SOPS-encrypted Secret with its metadata in clear:\n%s", b)
	}
	// The plaintext the same spec gives with encryption off.
	plainDir := copyDir(t, dir)
	writeFile(t, filepath.Join(plainDir, "pa.yaml"), strings.Replace(encryptedSpec(rcpt1), "output: {dir: out}", "output: {dir: plain, encrypt: false}", 1))
	mustRun(t, plainDir, nil, pullgen(), "generate", "--quiet", "pa.yaml")
	plain, _ := os.ReadFile(filepath.Join(plainDir, "plain", "secret-team-a-acme.yaml"))
	for _, key := range []string{key1, key2} {
		out := mustRun(t, dir, []string{"SOPS_AGE_KEY_FILE=" + key}, sops, "-d", secret)
		if g, w := semantic(t, parseObjects(t, out)), semantic(t, parseObjects(t, string(plain))); !reflect.DeepEqual(g, w) {
			t.Errorf("sops -d with %s:\n%s\nwant\n%s", filepath.Base(key), out, plain)
		}
	}
}

// TestStableCiphertext: generating again with unchanged credentials changes no byte; a
// changed password changes that value's ciphertext, the MAC and lastmodified only; without
// the key pullgen re-encrypts and says so.
func TestStableCiphertext(t *testing.T) {
	key, rcpt := ageKey(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pa.yaml"), encryptedSpec(rcpt))
	writePasswords(t, dir, "")
	env := []string{"SOPS_AGE_KEY_FILE=" + key}
	mustRun(t, dir, env, pullgen(), "generate", "--quiet", "pa.yaml")
	first := snapshot(t, filepath.Join(dir, "out"))

	r := run(t, dir, env, "", pullgen(), "generate", "pa.yaml")
	if !strings.Contains(r.stderr, "2 unchanged, 0 updated, 0 re-encrypted, 0 new") {
		t.Errorf("summary: %s", r.stderr)
	}
	if again := snapshot(t, filepath.Join(dir, "out")); !reflect.DeepEqual(first, again) {
		t.Fatalf("regenerating with unchanged credentials changed the output")
	}

	writeFile(t, filepath.Join(dir, "ghcr.txt"), "ghcr-changed\n")
	r = run(t, dir, env, "", pullgen(), "generate", "pa.yaml")
	if !strings.Contains(r.stderr, "0 unchanged, 2 updated") {
		t.Errorf("summary: %s", r.stderr)
	}
	changed := snapshot(t, filepath.Join(dir, "out"))
	for _, f := range []string{"secret-team-a-acme.yaml", "secret-team-b-acme.yaml"} {
		// The one data value holds all three registries; the data key and the recipients'
		// wrapped keys stay; lastmodified changes unless both runs fall in one second.
		diff := strings.Join(differingLines(first[f], changed[f]), " ")
		if diff != ".dockerconfigjson lastmodified mac" && diff != ".dockerconfigjson mac" {
			t.Errorf("%s: lines that changed: %v, want the value, lastmodified and the MAC", f, diff)
		}
	}
	for f := range first {
		if !strings.HasPrefix(f, "secret-") && first[f] != changed[f] {
			t.Errorf("%s changed", f)
		}
	}

	// Without the key: re-encrypted, and an info line says why.
	r = run(t, dir, noKeyEnv(t), "", pullgen(), "generate", "pa.yaml")
	if r.code != 0 || !strings.Contains(r.stderr, "2 re-encrypted") || !strings.Contains(r.stderr, "info: re-encrypted") {
		t.Errorf("without the key: exit %d\n%s", r.code, r.stderr)
	}
	// A re-encryption with unchanged plaintext is no drift; a changed password is.
	if r := run(t, dir, env, "", pullgen(), "diff"); r.code != 0 {
		t.Errorf("diff after re-encryption: exit %d\n%s", r.code, r.stdout)
	}
	writeFile(t, filepath.Join(dir, "quay.txt"), "quay-changed\n")
	if r := run(t, dir, env, "", pullgen(), "diff"); r.code != 1 || !strings.Contains(r.stdout, "credentials changed: quay.io/acme") {
		t.Errorf("diff after a password change: exit %d\n%s", r.code, r.stdout)
	}
}

// differingLines names the YAML keys of the lines that differ between two files.
func differingLines(a, b string) []string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := range x {
		if i >= len(y) || x[i] != y[i] {
			k, _, _ := strings.Cut(strings.TrimSpace(x[i]), ":")
			out = append(out, k)
		}
	}
	return out
}

// TestEncryptedCredentialSources reads passwords from files that sops -e encrypted, in
// every format sops writes, and a docker config.json encrypted whole.
func TestEncryptedCredentialSources(t *testing.T) {
	sops := tool(t, "sops")
	key, rcpt := ageKey(t)
	dir := t.TempDir()
	plain := map[string]string{
		"creds.yaml": "quay:\n  token: from-yaml-" + testToken + "\n",
		"creds.json": `{"ghcr": {"token": "from-json-` + testToken + `"}}`,
		"creds.env":  "ACME_TOKEN=from-dotenv-" + testToken + "\n",
		"creds.ini":  "[harbor]\ntoken = from-ini-" + testToken + "\n",
		"token.bin":  "from-binary-" + testToken,
		"config.json": `{"auths":{"registry.redhat.io":{"auth":"` +
			base64.StdEncoding.EncodeToString([]byte("rh:from-config-"+testToken)) + `"}}}`,
	}
	for name, content := range plain {
		writeFile(t, filepath.Join(dir, "plain-"+name), content)
		enc := mustRun(t, dir, nil, sops, "-e", "--age", rcpt, "plain-"+name)
		writeFile(t, filepath.Join(dir, name), enc)
		os.Remove(filepath.Join(dir, "plain-"+name))
		if strings.Contains(enc, testToken) {
			t.Fatalf("sops -e left the token in %s", name)
		}
	}
	writeFile(t, filepath.Join(dir, "pa.yaml"), `apiVersion: pullgen.dev/v1alpha1
kind: PullAccess
metadata: {name: enc}
spec:
  namespaces: [team-a]
  registries:
  - {server: quay.io, username: u, passwordFrom: {file: creds.yaml, key: quay.token}}
  - {server: ghcr.io, username: u, passwordFrom: {file: creds.json, key: ghcr.token}}
  - {server: registry.acme.io, username: u, passwordFrom: {file: creds.env, key: ACME_TOKEN}}
  - {server: harbor.acme.io, username: u, passwordFrom: {file: creds.ini, key: harbor.token}}
  - {server: docker.io, username: u, passwordFrom: {file: token.bin}}
  - fromConfig: {file: config.json}
  output: {dir: out, encrypt: false}
`)
	mustRun(t, dir, []string{"SOPS_AGE_KEY_FILE=" + key}, pullgen(), "generate", "--quiet", "pa.yaml")
	b, _ := os.ReadFile(filepath.Join(dir, "out", "secret-team-a-enc.yaml"))
	payload := string(decodedPayload(t, parseObjects(t, string(b))[0]))
	for _, want := range []string{"from-yaml-", "from-json-", "from-dotenv-", "from-ini-", "from-binary-", "from-config-"} {
		if !strings.Contains(payload, want+testToken) {
			t.Errorf("payload lacks the %s value", want)
		}
	}

	// Without the key: a clear error, exit 2, nothing written, nothing leaked.
	os.RemoveAll(filepath.Join(dir, "out"))
	r := run(t, dir, noKeyEnv(t), "", pullgen(), "generate", "pa.yaml")
	if r.code != 2 || !strings.Contains(r.stderr, "spec.registries[0].passwordFrom: reading creds.yaml: decrypting a sops yaml file: no key to decrypt") {
		t.Errorf("no key: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Errorf("a failed generate wrote its output")
	}
	if strings.Contains(r.stdout+r.stderr, testToken) {
		t.Errorf("a token leaked")
	}
}

// TestSopsConfigRules: without spec.sops the creation rule of the nearest .sops.yaml that
// matches the output path applies; with none, the error says what to add.
func TestSopsConfigRules(t *testing.T) {
	key, rcpt := ageKey(t)
	_, other := ageKey(t)
	dir := t.TempDir()
	spec := strings.Replace(encryptedSpec(rcpt), "  sops:\n    age: ["+rcpt+"]\n", "", 1)
	writeFile(t, filepath.Join(dir, "apps", "pa.yaml"), spec)
	writePasswords(t, filepath.Join(dir, "apps"), "")
	r := run(t, filepath.Join(dir, "apps"), noKeyEnv(t), "", pullgen(), "generate", "pa.yaml")
	if r.code != 2 || !strings.Contains(r.stderr, "spec.sops: no encryption keys for Secret team-a/acme: add spec.sops") {
		t.Fatalf("no rule: exit %d\n%s", r.code, r.stderr)
	}
	writeFile(t, filepath.Join(dir, ".sops.yaml"), "creation_rules:\n- path_regex: elsewhere/.*\n  age: "+other+"\n- path_regex: apps/out/.*\\.yaml$\n  encrypted_regex: ^(data|stringData)$\n  age: "+rcpt+"\n")
	mustRun(t, filepath.Join(dir, "apps"), noKeyEnv(t), pullgen(), "generate", "--quiet", "pa.yaml")
	b, _ := os.ReadFile(filepath.Join(dir, "apps", "out", "secret-team-a-acme.yaml"))
	if !strings.Contains(string(b), rcpt) || strings.Contains(string(b), other) {
		t.Errorf("the matching rule's recipient is not the one used:\n%s", b)
	}
	if sops := tool(t, "sops"); sops != "" {
		mustRun(t, dir, []string{"SOPS_AGE_KEY_FILE=" + key}, sops, "-d", filepath.Join(dir, "apps", "out", "secret-team-a-acme.yaml"))
	}
}

// TestKptRenderKeepsCiphertext renders a kpt package twice with the key at hand: the
// encrypted Secrets keep their bytes.
func TestKptRenderKeepsCiphertext(t *testing.T) {
	kpt := tool(t, "kpt")
	key, rcpt := ageKey(t)
	pkg := t.TempDir()
	writeFile(t, filepath.Join(pkg, "Kptfile"), "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n  - exec: "+pullgen()+"\n    configPath: pa.yaml\n")
	writeFile(t, filepath.Join(pkg, "pa.yaml"), strings.Replace(encryptedSpec(rcpt), "metadata:\n  name: acme\n", "metadata:\n  name: acme\n  annotations: {config.kubernetes.io/local-config: \"true\"}\n", 1))
	writePasswords(t, pkg, "")
	env := []string{"SOPS_AGE_KEY_FILE=" + key}
	mustRun(t, t.TempDir(), env, kpt, "fn", "render", pkg, "--allow-exec")
	first := snapshot(t, pkg)
	mustRun(t, t.TempDir(), env, kpt, "fn", "render", pkg, "--allow-exec")
	if second := snapshot(t, pkg); !reflect.DeepEqual(first, second) {
		for k := range second {
			if first[k] != second[k] {
				t.Errorf("%s changed on the second render:\n%s\n---\n%s", k, first[k], second[k])
			}
		}
	}
	secrets := 0
	for _, v := range first {
		if strings.Contains(v, "kind: Secret") && strings.Contains(v, "ENC[AES256_GCM") {
			secrets++
		}
	}
	if secrets != 2 {
		t.Errorf("%d encrypted Secrets in the package, want 2", secrets)
	}
}
