package sopsx

import (
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/getsops/sops/v3/logging"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// encryptedFixture encrypts the pull Secret for a new age key and returns it, the key,
// and the secrets that must not leak.
func encryptedFixture(t *testing.T) (*yaml.RNode, ageKey, []string) {
	t.Helper()
	k := newAgeKey(t, t.TempDir(), "k")
	enc, _, err := Encrypt(mustParse(t, pullSecret("team-a", testPassword)), Rules{Age: []string{k.recipient}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return enc, k, secretsOf(testPassword)
}

func checkDecryptFails(t *testing.T, keys Keys, obj *yaml.RNode, want error, mentions string, secrets []string) {
	t.Helper()
	out, err := keys.Decrypt(obj)
	if err == nil || out != nil {
		t.Fatalf("no error (or a result with it): %v", err)
	}
	if want != nil && !errors.Is(err, want) {
		t.Fatalf("error %q is not %v", err, want)
	}
	if !strings.Contains(err.Error(), mentions) {
		t.Fatalf("error %q does not mention %q", err, mentions)
	}
	noLeak(t, "error", err.Error(), secrets...)
	// Nor anything that looks like a decrypted value or a MAC.
	if regexp.MustCompile(`[0-9A-F]{64}`).MatchString(err.Error()) {
		t.Fatalf("error carries a MAC: %q", err)
	}
	stream := []byte(mustString(t, obj))
	if out, err := keys.DecryptStream(stream); err == nil || out != nil {
		t.Fatalf("DecryptStream: %v", err)
	}
}

func TestDecryptNoKey(t *testing.T) {
	isolateKeys(t, "")
	enc, k, secrets := encryptedFixture(t)
	checkDecryptFails(t, DefaultKeys(), enc, ErrNoKey, "SOPS_AGE_KEY_FILE", secrets)
	checkDecryptFails(t, DefaultKeys(), enc, ErrNoKey, k.recipient, secrets)
	checkDecryptFails(t, DefaultKeys(), enc, ErrNoKey, "Secret team-a/acme-quay", secrets)
}

func TestDecryptWrongKey(t *testing.T) {
	isolateKeys(t, "")
	enc, _, secrets := encryptedFixture(t)
	other := newAgeKey(t, t.TempDir(), "other")
	t.Setenv("SOPS_AGE_KEY_FILE", other.file)
	checkDecryptFails(t, DefaultKeys(), enc, ErrWrongKey, "match none of the recipients", secrets)
}

func TestDecryptTamperedValue(t *testing.T) {
	isolateKeys(t, "")
	enc, k, secrets := encryptedFixture(t)
	t.Setenv("SOPS_AGE_KEY_FILE", k.file)
	v := field(t, enc, "data", ".dockerconfigjson")
	// Flip one character of the ciphertext.
	i := strings.Index(v, "data:") + len("data:") + 5
	flipped := v[:i] + string(rune('A'+(v[i]-'A'+1)%26)) + v[i+1:]
	if v[i] < 'A' || v[i] > 'Z' {
		flipped = v[:i] + "Q" + v[i+1:]
	}
	bad := enc.Copy()
	if err := bad.PipeE(yaml.Lookup("data"), yaml.SetField(".dockerconfigjson", yaml.NewStringRNode(flipped))); err != nil {
		t.Fatal(err)
	}
	checkDecryptFails(t, DefaultKeys(), bad, ErrTampered, `data[".dockerconfigjson"]`, secrets)

	// A value replaced by a cleartext credential: the error must not quote it.
	clear := enc.Copy()
	if err := clear.PipeE(yaml.Lookup("data"), yaml.SetField(".dockerconfigjson", yaml.NewStringRNode(testPassword))); err != nil {
		t.Fatal(err)
	}
	checkDecryptFails(t, DefaultKeys(), clear, ErrTampered, "not a sops-encrypted value", secrets)
}

func TestDecryptTamperedMAC(t *testing.T) {
	isolateKeys(t, "")
	enc, k, secrets := encryptedFixture(t)
	t.Setenv("SOPS_AGE_KEY_FILE", k.file)

	// A field in clear changed after encryption: the MAC does not match.
	renamed := enc.Copy()
	if err := renamed.PipeE(yaml.Lookup("metadata"), yaml.SetField("name", yaml.NewStringRNode("evil"))); err != nil {
		t.Fatal(err)
	}
	checkDecryptFails(t, DefaultKeys(), renamed, ErrTampered, "MAC mismatch", secrets)

	// The MAC itself modified.
	mac := field(t, enc, "sops", "mac")
	badMAC := enc.Copy()
	i := strings.Index(mac, "data:") + len("data:")
	if err := badMAC.PipeE(yaml.Lookup("sops"), yaml.SetField("mac", yaml.NewStringRNode(mac[:i]+"AAAA"+mac[i+4:]))); err != nil {
		t.Fatal(err)
	}
	checkDecryptFails(t, DefaultKeys(), badMAC, ErrTampered, "MAC", secrets)

	// lastmodified modified: the MAC does not authenticate.
	lm := enc.Copy()
	if err := lm.PipeE(yaml.Lookup("sops"), yaml.SetField("lastmodified", yaml.NewStringRNode("2001-01-01T00:00:00Z"))); err != nil {
		t.Fatal(err)
	}
	checkDecryptFails(t, DefaultKeys(), lm, ErrTampered, "MAC", secrets)
}

func TestDecryptNotEncrypted(t *testing.T) {
	isolateKeys(t, "")
	_, err := DefaultKeys().Decrypt(mustParse(t, pullSecret("a", testPassword)))
	if err == nil || !strings.Contains(err.Error(), "no sops metadata") {
		t.Fatalf("%v", err)
	}
	noLeak(t, "error", err.Error(), secretsOf(testPassword)...)
}

// TestSopsLoggingIsSilent checks that every sops logger writes nowhere (they captured
// os.Stderr when created, so swapping os.Stderr would prove nothing).
func TestSopsLoggingIsSilent(t *testing.T) {
	if len(logging.Loggers) == 0 {
		t.Fatal("no sops logger registered")
	}
	for name, l := range logging.Loggers {
		if l.Out != io.Discard {
			t.Errorf("sops logger %s still writes to %v", name, l.Out)
		}
	}
}

// TestErrorMessagesRead: a failed decryption says, in one line, which object, which
// recipients, and what to set, for no key and for the wrong key alike.
func TestErrorMessagesRead(t *testing.T) {
	isolateKeys(t, "")
	enc, k, secrets := encryptedFixture(t)
	other := newAgeKey(t, t.TempDir(), "other")
	tests := []struct {
		name    string
		keyFile string
		says    []string
	}{
		{"no key", "", []string{"decrypting Secret team-a/acme-quay: no key to decrypt: none of the recipients [age " + k.recipient + "] has its key at hand",
			"set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY, SOPS_AGE_SSH_PRIVATE_KEY_FILE) to the age identity of a recipient"}},
		{"the wrong key", other.file, []string{"decrypting Secret team-a/acme-quay: wrong key: the age identities at hand match none of the recipients [age " + k.recipient + "]",
			"set SOPS_AGE_KEY_FILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SOPS_AGE_KEY_FILE", tt.keyFile)
			_, err := DefaultKeys().Decrypt(enc)
			if err == nil {
				t.Fatal("decrypted")
			}
			msg := err.Error()
			for _, s := range tt.says {
				if !strings.Contains(msg, s) {
					t.Errorf("the message does not say %q:\n%s", s, msg)
				}
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, other.recipient) {
				t.Errorf("not one line, or it names a key that is not a recipient:\n%s", msg)
			}
			noLeak(t, "error", msg, secrets...)
		})
	}
}
