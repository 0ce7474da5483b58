package main

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"pullgen.dev/pullgen/internal/testsupport/tripwire"
)

// kernelModes are the two ways render runs: confined by the kernel, and with the kernel
// layer off (as on a kernel without Landlock and seccomp), where the in-process rules
// alone must hold.
var kernelModes = []struct {
	name string
	env  []string
}{{"kernel", nil}, {"in-process", []string{"PULLGEN_KERNEL_SANDBOX=off"}}}

// rekeyed is the output of generate for encryptedSpec, its Secrets' age recipients
// replaced by keys (lines of a sops block, indented by two spaces).
func rekeyed(t *testing.T, keys string) string {
	t.Helper()
	_, rcpt := ageKey(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "pa.yaml"), encryptedSpec(rcpt))
	writePasswords(t, src, "")
	mustRun(t, src, noKeyEnv(t), pullgen(), "generate", "--quiet", "pa.yaml")
	dir := t.TempDir()
	for name, content := range snapshot(t, filepath.Join(src, "out")) {
		if strings.HasPrefix(name, "secret-") {
			i, j := strings.Index(content, "\n  age:\n"), strings.Index(content, "\n  lastmodified:")
			content = content[:i+1] + keys + content[j+1:]
		}
		writeFile(t, filepath.Join(dir, name), content)
	}
	return dir
}

// renderFails runs render and checks that it failed cleanly, saying every one of want.
func renderFails(t *testing.T, dir string, env []string, args []string, want ...string) string {
	t.Helper()
	r := run(t, dir, env, "", pullgen(), append([]string{"render"}, args...)...)
	if r.code != 2 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q does not say %q", r.stderr, w)
		}
	}
	return r.stderr
}

// vaultServer is a loopback HTTP server standing where a Vault would; it records the
// tokens it receives and answers every request with an error.
type vaultServer struct {
	*httptest.Server
	mu     sync.Mutex
	tokens []string
}

func newVaultServer(t *testing.T, tls bool) *vaultServer {
	v := &vaultServer{}
	v.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		v.tokens = append(v.tokens, r.Header.Get("X-Vault-Token"))
		v.mu.Unlock()
		http.Error(w, `{"errors":["no such key"]}`, http.StatusBadRequest)
	}))
	if tls {
		v.StartTLS()
	} else {
		v.Start()
	}
	t.Cleanup(v.Close)
	return v
}

func (v *vaultServer) seen() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.tokens...)
}

// TestRenderKeyServices: a Secret whose sops metadata names a Vault address is decrypted
// through it only when the operator enabled Vault keys and allowed that endpoint, so that
// a repository cannot send the sidecar's Vault token where it likes; a Vault the
// operator did not allow never sees a connection.
func TestRenderKeyServices(t *testing.T) {
	allowed, other, withTLS := newVaultServer(t, false), newVaultServer(t, false), newVaultServer(t, true)
	allowedHost := strings.TrimPrefix(allowed.URL, "http://")
	// By name (resolved from /etc/hosts inside the sandbox), and over TLS with a private CA.
	byName := "http://localhost:" + allowedHost[strings.LastIndex(allowedHost, ":")+1:]
	tlsHost := strings.TrimPrefix(withTLS.URL, "https://")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, caFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: withTLS.Certificate().Raw})))
	vault := func(address string) string {
		return "  hc_vault:\n  - vault_address: " + address + "\n    engine_path: transit\n    key_name: pullgen\n" +
			"    created_at: \"2026-01-01T00:00:00Z\"\n    enc: vault:v1:AAAA\n"
	}
	enable := []string{"--enable-key-type", "hcVaultTransit"}
	for _, c := range []struct {
		name, address string
		args          []string
		want          []string
	}{
		{"not enabled", other.URL, nil, []string{"secret-team-", "key type hc_vault is not enabled", "--enable-key-type hcVaultTransit"}},
		{"not allowed", other.URL, enable, []string{"secret-team-", "is not an endpoint the operator allowed", "--allow-key-host"}},
		{"another endpoint allowed", other.URL, append(enable, "--allow-key-host", allowedHost), []string{"is not an endpoint the operator allowed"}},
		{"attacker host", "https://vault.attacker.example", append(enable, "--allow-key-host", allowedHost), []string{"is not an endpoint the operator allowed"}},
		{"allowed", allowed.URL, append(enable, "--allow-key-host", allowedHost), []string{"secret-team-", "no key to decrypt", "hc_vault " + allowed.URL}},
		{"allowed by name", byName, append(enable, "--allow-key-host", strings.TrimPrefix(byName, "http://")), []string{"no key to decrypt"}},
		{"allowed over TLS", withTLS.URL, append(enable, "--allow-key-host", tlsHost), []string{"no key to decrypt"}},
		{"host without a key type", allowed.URL, []string{"--allow-key-host", allowedHost}, []string{"--allow-key-host needs a key type"}},
		{"unknown key type", allowed.URL, []string{"--enable-key-type", "gpg"}, []string{`--enable-key-type "gpg": not a key type`}},
		{"bad endpoint", allowed.URL, append(enable, "--allow-key-host", "user@host/path"), []string{"--allow-key-host", "not HOST[:PORT]"}},
	} {
		for _, mode := range kernelModes {
			t.Run(c.name+"/"+mode.name, func(t *testing.T) {
				dir := rekeyed(t, vault(c.address))
				env := append(noKeyEnv(t), append(mode.env, "VAULT_TOKEN=s.render-test-token", "VAULT_CACERT="+caFile)...)
				stderr := renderFails(t, dir, env, c.args, c.want...)
				if strings.Contains(stderr, "render-test-token") {
					t.Errorf("the Vault token appears in stderr")
				}
			})
		}
	}
	if n := len(other.seen()); n != 0 {
		t.Errorf("the Vault nobody allowed saw %d requests", n)
	}
	for _, v := range []*vaultServer{allowed, withTLS} {
		// Two cases each reach it (by address and by name for the first), in both modes.
		if seen := v.seen(); len(seen) < 2 || slices.ContainsFunc(seen, func(tok string) bool { return tok != "s.render-test-token" }) {
			t.Errorf("the allowed Vault %s got tokens %q", v.URL, seen)
		}
	}
}

// TestRenderAWSKMSIgnoresProfile: an AWS KMS key is used only when the operator enables
// AWS KMS keys, and then without the aws_profile the file names: that profile's
// credential_process (a marker program) never runs. The sops CLI, which honours the
// profile, runs it on the same file, so the test can fail.
func TestRenderAWSKMSIgnoresProfile(t *testing.T) {
	creds := tripwire.NewPrograms(t, "creds")
	config := filepath.Join(t.TempDir(), "config")
	writeFile(t, config, "[default]\nregion = us-east-1\n[profile attacker]\ncredential_process = "+creds.Path("creds")+"\n")
	dir := rekeyed(t, `  kms:
  - arn: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
    created_at: "2026-01-01T00:00:00Z"
    enc: AQICAHhUbm90IGEgcmVhbCBrZXk=
    aws_profile: attacker
`)
	awsEnv := []string{"AWS_CONFIG_FILE=" + config, "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_ACCESS_KEY_ID=AKIDRENDERTEST", "AWS_SECRET_ACCESS_KEY=render-test-aws-secret"}
	for _, mode := range kernelModes {
		t.Run(mode.name, func(t *testing.T) {
			env := append(append(noKeyEnv(t), awsEnv...), mode.env...)
			renderFails(t, dir, env, nil, "secret-team-", "key type kms is not enabled", "--enable-key-type awsKms")
			stderr := renderFails(t, dir, env, []string{"--enable-key-type", "awsKms"}, "secret-team-", "no key to decrypt", "kms arn:aws:kms:us-east-1",
				"the key service kms.us-east-1.amazonaws.com:443 is not an endpoint the operator allowed", "--allow-key-host")
			if strings.Contains(stderr, "render-test-aws-secret") {
				t.Errorf("the AWS secret key appears in stderr")
			}
			if len(creds.Ran()) != 0 {
				t.Fatalf("render ran the credential_process of the file's aws_profile")
			}
		})
	}
	run(t, dir, awsEnv, "", tool(t, "sops"), "-d", "secret-team-a-acme.yaml")
	if len(creds.Ran()) == 0 {
		t.Fatalf("sops -d did not run the profile's credential_process: the test proves nothing")
	}
}

// TestRenderPGPWithoutGPG: PGP keys are decrypted only when the operator enables them and
// gives the private key, in process: a gpg first on PATH never runs (the sops CLI runs
// it on the same file, so the test can fail).
func TestRenderPGPWithoutGPG(t *testing.T) {
	gpg := tool(t, "gpg")
	home, err := os.MkdirTemp("", "gpg") // gpg-agent's socket path is short
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	gpgEnv := []string{"GNUPGHOME=" + home}
	t.Cleanup(func() {
		run(t, home, gpgEnv, "", "gpgconf", "--kill", "gpg-agent")
		os.RemoveAll(home)
	})
	mustRun(t, home, gpgEnv, gpg, "--batch", "--passphrase", "", "--quick-gen-key", "render test <render@pullgen.invalid>", "default", "default", "never")
	fpr := ""
	for _, line := range strings.Split(mustRun(t, home, gpgEnv, gpg, "--batch", "--with-colons", "--list-secret-keys"), "\n") {
		if f := strings.Split(line, ":"); f[0] == "fpr" && fpr == "" {
			fpr = f[9]
		}
	}
	keyFile := filepath.Join(t.TempDir(), "render.asc")
	writeFile(t, keyFile, mustRun(t, home, gpgEnv, gpg, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--export-secret-keys", "--armor", fpr))

	src := t.TempDir()
	writeFile(t, filepath.Join(src, "pa.yaml"), strings.Replace(encryptedSpec(fpr), "age: [", "pgp: [", 1))
	writePasswords(t, src, "")
	mustRun(t, src, append(noKeyEnv(t), gpgEnv...), pullgen(), "generate", "--quiet", "pa.yaml")
	dir := filepath.Join(src, "out")

	gpgMarker := tripwire.NewPrograms(t, "gpg")
	path := "PATH=" + gpgMarker.SearchPath()
	for _, mode := range kernelModes {
		t.Run(mode.name, func(t *testing.T) {
			env := append(append(noKeyEnv(t), gpgEnv...), append(mode.env, path)...)
			renderFails(t, dir, env, nil, "secret-team-", "key type pgp is not enabled", "--enable-key-type pgp")
			renderFails(t, dir, env, []string{"--enable-key-type", "pgp"}, "--enable-key-type pgp needs --pgp-key-file")
			renderFails(t, dir, env, []string{"--pgp-key-file", keyFile}, "--pgp-key-file needs --enable-key-type pgp")
			out := mustRun(t, dir, env, pullgen(), "render", "--enable-key-type", "pgp", "--pgp-key-file", keyFile)
			secrets := 0
			for _, o := range parseObjects(t, out) {
				if o.GetKind() == "Secret" {
					secrets++
					if p := string(decodedPayload(t, o)); !strings.Contains(p, "quay-"+testToken) {
						t.Errorf("Secret %s: payload %q", o.GetName(), p)
					}
				}
			}
			if secrets != 2 || strings.Contains(out, "sops:") {
				t.Errorf("%d Secrets decrypted:\n%s", secrets, out)
			}
			if len(gpgMarker.Ran()) != 0 {
				t.Fatalf("render ran gpg")
			}
		})
	}
	run(t, dir, append(gpgEnv, path), "", tool(t, "sops"), "-d", "secret-team-a-acme.yaml")
	if len(gpgMarker.Ran()) == 0 {
		t.Fatalf("sops -d did not run the gpg first on PATH: the test proves nothing")
	}
}

// TestRenderKernelSandboxOff: without the kernel layer, render says so in one warning
// line and renders the same.
func TestRenderKernelSandboxOff(t *testing.T) {
	dir := filepath.Join(repoRoot, "examples", "private-registry-password")
	args := []string{"render"}
	for _, e := range readmeEnv(t, dir) {
		name, _, _ := strings.Cut(e, "=")
		args = append(args, "--allow-env", name)
	}
	confined := run(t, dir, exampleEnv(t, dir), "", pullgen(), args...)
	off := run(t, dir, append(exampleEnv(t, dir), "PULLGEN_KERNEL_SANDBOX=off"), "", pullgen(), args...)
	if confined.code != 0 || confined.stderr != "" || off.code != 0 {
		t.Fatalf("confined: exit %d, %q; off: exit %d", confined.code, confined.stderr, off.code)
	}
	if lines := strings.Split(strings.TrimSpace(off.stderr), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "pullgen: warning: kernel confinement incomplete (PULLGEN_KERNEL_SANDBOX=off)") {
		t.Errorf("stderr %q: want one warning line", off.stderr)
	}
	if off.stdout != confined.stdout {
		t.Errorf("the output differs without the kernel layer")
	}
}
