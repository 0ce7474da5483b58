package sopsx

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	fage "filippo.io/age"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/testsupport/tripwire"
)

// onlySopsDefaultRuns checks that programs, the markers of what, have not run, and then
// that decrypting obj with the sops defaults (no operator keys) runs one, so that the
// check can fail.
func onlySopsDefaultRuns(t *testing.T, programs *tripwire.Programs, obj *yaml.RNode, what string) {
	t.Helper()
	if len(programs.Ran()) != 0 {
		t.Fatalf("%s ran", what)
	}
	DefaultKeys().Decrypt(obj)
	if len(programs.Ran()) == 0 {
		t.Fatalf("the sops defaults did not run %s: the test proves nothing", what)
	}
}

// refusing is an HTTP client that sends nothing and records what it was asked.
func refusing(asked *[]string) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		*asked = append(*asked, r.URL.Host)
		return nil, errors.New("refused by the test")
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// withKeys replaces the master keys of an encrypted object's sops block by yamlKeys (a
// YAML mapping of key type to list, as sops writes it).
func withKeys(t *testing.T, enc *yaml.RNode, yamlKeys string) *yaml.RNode {
	t.Helper()
	out := enc.Copy()
	s, err := out.Pipe(yaml.Lookup("sops"))
	if err != nil || s == nil {
		t.Fatal("no sops block")
	}
	if err := s.PipeE(yaml.Clear("age")); err != nil {
		t.Fatal(err)
	}
	keys := mustParse(t, yamlKeys)
	if err := keys.VisitFields(func(n *yaml.MapNode) error {
		return s.PipeE(yaml.SetField(n.Key.YNode().Value, n.Value))
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOperatorAgeIdentities: the operator's age identities decrypt; without one, no key
// command from the environment runs (the sops default would run it).
func TestOperatorAgeIdentities(t *testing.T) {
	var keys Keys
	isolateKeys(t, "")
	enc, k, secrets := encryptedFixture(t)
	keycmd := tripwire.NewPrograms(t, "keycmd")
	t.Setenv("SOPS_AGE_KEY_CMD", keycmd.Path("keycmd"))

	ids, problems := LoadAgeIdentities(func(v string) string { return map[string]string{"SOPS_AGE_KEY_FILE": k.file}[v] })
	if len(ids) != 1 || len(problems) != 0 {
		t.Fatalf("loaded %d identities, problems %v", len(ids), problems)
	}
	keys = (&OperatorKeys{Age: ids}).Keys()
	if _, err := keys.Decrypt(enc); err != nil {
		t.Fatalf("with the operator's identity: %v", err)
	}
	keys = (&OperatorKeys{}).Keys()
	checkDecryptFails(t, keys, enc, ErrNoKey, "SOPS_AGE_KEY_FILE", secrets)
	other := newAgeKey(t, t.TempDir(), "other")
	ids, _ = LoadAgeIdentities(func(v string) string { return map[string]string{"SOPS_AGE_KEY_FILE": other.file}[v] })
	keys = (&OperatorKeys{Age: ids}).Keys()
	checkDecryptFails(t, keys, enc, ErrWrongKey, "match none of the recipients", secrets)
	onlySopsDefaultRuns(t, keycmd, enc, "SOPS_AGE_KEY_CMD")
}

// TestOperatorPGPInProcess: a PGP recipient is decrypted with the operator's private key
// in process; the gpg first on PATH never runs. Not enabled, it is refused with the flag
// to enable it.
func TestOperatorPGPInProcess(t *testing.T) {
	var keys Keys
	key := newPGPKey(t)
	isolateKeys(t, key.home)
	enc, _, err := Encrypt(mustParse(t, pullSecret("team-a", testPassword)), Rules{PGP: []string{key.fingerprint}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	export := exec.Command("gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--export-secret-keys", "--armor", key.fingerprint)
	export.Env = append(os.Environ(), "GNUPGHOME="+key.home)
	armored, err := export.Output()
	if err != nil {
		t.Fatalf("gpg --export-secret-keys: %v", err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.asc")
	os.WriteFile(keyFile, armored, 0o600)
	gpg := tripwire.NewPrograms(t, "gpg")
	t.Setenv("PATH", gpg.SearchPath())

	pgpKeys, err := ReadPGPKeys([]string{keyFile})
	if err != nil {
		t.Fatal(err)
	}
	keys = (&OperatorKeys{Enabled: []string{KeyPGP}, PGP: pgpKeys}).Keys()
	plain, err := keys.Decrypt(enc)
	if err != nil {
		t.Fatalf("decrypting in process: %v", err)
	}
	if !strings.Contains(mustString(t, plain), "data:") || IsEncrypted(plain) {
		t.Fatalf("not decrypted:\n%s", mustString(t, plain))
	}
	keys = (&OperatorKeys{PGP: pgpKeys}).Keys()
	checkDecryptFails(t, keys, enc, ErrNoKey, "key type pgp is not enabled", secretsOf(testPassword))
	checkDecryptFails(t, keys, enc, ErrNoKey, "--enable-key-type pgp", secretsOf(testPassword))
	keys = (&OperatorKeys{Enabled: []string{KeyPGP}}).Keys()
	checkDecryptFails(t, keys, enc, ErrNoKey, "--pgp-key-file", secretsOf(testPassword))
	onlySopsDefaultRuns(t, gpg, enc, "gpg")
}

// TestOperatorAWSKMS: the AWS profile a file names is ignored (its credential_process
// never runs) and every request goes to the operator's HTTP client; not enabled, the key
// is refused with the flag to enable it.
func TestOperatorAWSKMS(t *testing.T) {
	var keys Keys
	isolateKeys(t, "")
	enc, _, secrets := encryptedFixture(t)
	creds := tripwire.NewPrograms(t, "creds")
	config := filepath.Join(t.TempDir(), "config")
	os.WriteFile(config, []byte("[default]\nregion = us-east-1\n[profile attacker]\ncredential_process = "+creds.Path("creds")+"\n"), 0o600)
	t.Setenv("AWS_CONFIG_FILE", config)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CA_BUNDLE", "") // the SDK refuses a client it did not build with it
	os.Unsetenv("AWS_CA_BUNDLE")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDOPERATORTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "operator-test-secret")
	kmsFile := withKeys(t, enc, `kms:
- arn: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
  created_at: "2026-01-01T00:00:00Z"
  enc: AQICAHhUbm90IGEgcmVhbCBrZXk=
  aws_profile: attacker
`)
	keys = (&OperatorKeys{}).Keys()
	checkDecryptFails(t, keys, kmsFile, ErrNoKey, "key type kms is not enabled", secrets)
	checkDecryptFails(t, keys, kmsFile, ErrNoKey, "--enable-key-type awsKms", secrets)

	var asked []string
	keys = (&OperatorKeys{Enabled: []string{KeyAWSKMS}, HTTPClient: refusing(&asked)}).Keys()
	checkDecryptFails(t, keys, kmsFile, ErrNoKey, "kms arn:aws:kms:us-east-1", secrets)
	if len(asked) == 0 || asked[0] != "kms.us-east-1.amazonaws.com" {
		t.Errorf("requests through the operator's client: %v", asked)
	}
	onlySopsDefaultRuns(t, creds, kmsFile, "the credential_process of the file's aws_profile")
}

// TestOperatorKeyServiceEndpoints: Vault and Azure Key Vault keys are used only at
// endpoints the operator allows.
func TestOperatorKeyServiceEndpoints(t *testing.T) {
	var keys Keys
	isolateKeys(t, "")
	enc, _, secrets := encryptedFixture(t)
	t.Setenv("VAULT_TOKEN", "s.operator-vault-token")
	for _, c := range []struct{ typ, keys, host string }{
		{KeyHCVaultTransit, "hc_vault:\n- vault_address: https://vault.attacker.example:8200\n  engine_path: transit\n  key_name: k\n  created_at: \"2026-01-01T00:00:00Z\"\n  enc: vault:v1:AAAA\n", "vault.attacker.example:8200"},
		{KeyAzureKeyVault, "azure_kv:\n- vault_url: https://attacker.vault.azure.net\n  name: k\n  version: \"1\"\n  created_at: \"2026-01-01T00:00:00Z\"\n  enc: AAAA\n", "attacker.vault.azure.net"},
	} {
		t.Run(c.typ, func(t *testing.T) {
			obj := withKeys(t, enc, c.keys)
			var asked []string
			keys = (&OperatorKeys{Enabled: []string{c.typ}, HTTPClient: refusing(&asked), Allows: func(string) bool { return false }}).Keys()
			checkDecryptFails(t, keys, obj, ErrNoKey, "is not an endpoint the operator allowed", append(secrets, "s.operator-vault-token"))
			checkDecryptFails(t, keys, obj, ErrNoKey, "--allow-key-host", secrets)
			if len(asked) != 0 {
				t.Errorf("requests made: %v", asked)
			}
			keys = (&OperatorKeys{Enabled: []string{c.typ}, HTTPClient: refusing(&asked), Allows: func(string) bool { return true }}).Keys()
			checkDecryptFails(t, keys, obj, ErrNoKey, "none of the recipients", append(secrets, "s.operator-vault-token"))
			if len(asked) == 0 || asked[0] != c.host {
				t.Errorf("allowed: requests %v, want to %s", asked, c.host)
			}
		})
	}
}

// TestOperatorUnsupportedKeyType: a key type render cannot enable is refused as such.
func TestOperatorUnsupportedKeyType(t *testing.T) {
	var keys Keys
	isolateKeys(t, "")
	enc, _, secrets := encryptedFixture(t)
	obj := withKeys(t, enc, "hckms:\n- key_id: tr-west-1:12345678-1234-1234-1234-123456789012\n  created_at: \"2026-01-01T00:00:00Z\"\n  enc: AAAA\n")
	keys = (&OperatorKeys{Enabled: []string{KeyAWSKMS}}).Keys()
	checkDecryptFails(t, keys, obj, ErrNoKey, "key type hckms is not supported here", secrets)
}

func TestLoadAgeIdentities(t *testing.T) {
	a, _ := fage.GenerateX25519Identity()
	b, _ := fage.GenerateX25519Identity()
	dir := t.TempDir()
	file := filepath.Join(dir, "keys.txt")
	os.WriteFile(file, []byte("# created: today\n# public key: age1...\n"+a.String()+"\n\n"+b.String()+"\n"), 0o600)
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("AGE-SECRET-KEY-1NOTAKEYATALLBUTSECRETLOOKING\nAGE-PLUGIN-YUBIKEY-1QQQQ\n"+a.String()+"\n"), 0o600)
	xdg := t.TempDir()
	os.MkdirAll(filepath.Join(xdg, "sops", "age"), 0o700)
	os.WriteFile(filepath.Join(xdg, "sops", "age", "keys.txt"), []byte(b.String()+"\n"), 0o600)
	for _, c := range []struct {
		name     string
		env      map[string]string
		ids      int
		problems []string
	}{
		{"key file", map[string]string{"SOPS_AGE_KEY_FILE": file}, 2, nil},
		{"SOPS_AGE_KEY, several on a line", map[string]string{"SOPS_AGE_KEY": a.String() + " " + b.String()}, 2, nil},
		{"default file under XDG_CONFIG_HOME", map[string]string{"XDG_CONFIG_HOME": xdg}, 1, nil},
		{"all", map[string]string{"SOPS_AGE_KEY_FILE": file, "SOPS_AGE_KEY": a.String(), "XDG_CONFIG_HOME": xdg}, 4, nil},
		{"missing key file", map[string]string{"SOPS_AGE_KEY_FILE": filepath.Join(dir, "none.txt")}, 0, []string{"reading SOPS_AGE_KEY_FILE " + filepath.Join(dir, "none.txt") + ": no such file"}},
		{"bad lines and a plugin", map[string]string{"SOPS_AGE_KEY_FILE": bad}, 1, []string{bad + " line 1: malformed age identity", bad + " line 2: an age plugin identity runs a program"}},
		{"SSH key not a key", map[string]string{"SOPS_AGE_SSH_PRIVATE_KEY_FILE": file}, 0, []string{"not an unencrypted SSH private key"}},
		{"nothing", map[string]string{"HOME": t.TempDir()}, 0, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ids, problems := LoadAgeIdentities(func(v string) string { return c.env[v] })
			if len(ids) != c.ids || len(problems) != len(c.problems) {
				t.Fatalf("%d identities, problems %q; want %d, %q", len(ids), problems, c.ids, c.problems)
			}
			for i, p := range problems {
				if !strings.Contains(p, c.problems[i]) {
					t.Errorf("problem %q, want %q", p, c.problems[i])
				}
				if strings.Contains(p, "AGE-SECRET-KEY") || strings.Contains(p, "NOTAKEY") {
					t.Errorf("a problem quotes key material: %q", p)
				}
			}
		})
	}
}

func TestReadPGPKeys(t *testing.T) {
	key := newPGPKey(t)
	gpgOut := func(home string, args ...string) string {
		cmd := exec.Command("gpg", append([]string{"--batch", "--pinentry-mode", "loopback"}, args...)...)
		cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gpg %v: %v", args, err)
		}
		f := filepath.Join(t.TempDir(), "key")
		os.WriteFile(f, out, 0o600)
		return f
	}
	// A key protected by a passphrase, in a home of its own.
	home := shortTempDir(t, "gpgp")
	gpgOut(home, "--passphrase", "a-passphrase", "--quick-gen-key", "protected <p@pullgen.invalid>", "default", "default", "never")
	t.Cleanup(func() {
		kill := exec.Command("gpgconf", "--kill", "gpg-agent")
		kill.Env = append(os.Environ(), "GNUPGHOME="+home)
		_ = kill.Run()
	})
	garbage := filepath.Join(t.TempDir(), "garbage")
	os.WriteFile(garbage, []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----\nnot a key\n"), 0o600)
	for _, c := range []struct {
		name, file, err string
	}{
		{"armored", gpgOut(key.home, "--passphrase", "", "--export-secret-keys", "--armor", key.fingerprint), ""},
		{"binary", gpgOut(key.home, "--passphrase", "", "--export-secret-keys", key.fingerprint), ""},
		{"public", gpgOut(key.home, "--export", "--armor", key.fingerprint), "a public key"},
		{"passphrase", gpgOut(home, "--passphrase", "a-passphrase", "--export-secret-keys", "--armor"), "protected by a passphrase"},
		{"missing", filepath.Join(t.TempDir(), "none"), "no such file"},
		{"not a key", garbage, "not an OpenPGP key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			list, err := ReadPGPKeys([]string{c.file})
			if c.err == "" {
				if err != nil || len(list) != 1 {
					t.Fatalf("%d keys, %v", len(list), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("error %v, want %q", err, c.err)
			}
		})
	}
}
