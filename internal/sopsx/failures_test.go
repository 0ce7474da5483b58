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

func checkDecryptFails(t *testing.T, obj *yaml.RNode, want error, mentions string, secrets []string) {
	t.Helper()
	out, err := Decrypt(obj)
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
	if out, err := DecryptStream(stream); err == nil || out != nil {
		t.Fatalf("DecryptStream: %v", err)
	}
}

func TestDecryptNoKey(t *testing.T) {
	isolateKeys(t, "")
	enc, k, secrets := encryptedFixture(t)
	checkDecryptFails(t, enc, ErrNoKey, "SOPS_AGE_KEY_FILE", secrets)
	checkDecryptFails(t, enc, ErrNoKey, k.recipient, secrets)
	checkDecryptFails(t, enc, ErrNoKey, "Secret team-a/acme-quay", secrets)
}

func TestDecryptWrongKey(t *testing.T) {
	isolateKeys(t, "")
	enc, _, secrets := encryptedFixture(t)
	other := newAgeKey(t, t.TempDir(), "other")
	t.Setenv("SOPS_AGE_KEY_FILE", other.file)
	checkDecryptFails(t, enc, ErrWrongKey, "match none of the recipients", secrets)
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
	checkDecryptFails(t, bad, ErrTampered, `data[".dockerconfigjson"]`, secrets)

	// A value replaced by a cleartext credential: the error must not quote it.
	clear := enc.Copy()
	if err := clear.PipeE(yaml.Lookup("data"), yaml.SetField(".dockerconfigjson", yaml.NewStringRNode(testPassword))); err != nil {
		t.Fatal(err)
	}
	checkDecryptFails(t, clear, ErrTampered, "not a sops-encrypted value", secrets)
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
	checkDecryptFails(t, renamed, ErrTampered, "MAC mismatch", secrets)

	// The MAC itself modified.
	mac := field(t, enc, "sops", "mac")
	badMAC := enc.Copy()
	i := strings.Index(mac, "data:") + len("data:")
	if err := badMAC.PipeE(yaml.Lookup("sops"), yaml.SetField("mac", yaml.NewStringRNode(mac[:i]+"AAAA"+mac[i+4:]))); err != nil {
		t.Fatal(err)
	}
	checkDecryptFails(t, badMAC, ErrTampered, "MAC", secrets)

	// lastmodified modified: the MAC does not authenticate.
	lm := enc.Copy()
	if err := lm.PipeE(yaml.Lookup("sops"), yaml.SetField("lastmodified", yaml.NewStringRNode("2001-01-01T00:00:00Z"))); err != nil {
		t.Fatal(err)
	}
	checkDecryptFails(t, lm, ErrTampered, "MAC", secrets)
}

func TestDecryptNotEncrypted(t *testing.T) {
	isolateKeys(t, "")
	_, err := Decrypt(mustParse(t, pullSecret("a", testPassword)))
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

func TestErrorMessagesRead(t *testing.T) {
	isolateKeys(t, "")
	enc, _, _ := encryptedFixture(t)
	_, err := Decrypt(enc)
	t.Log(err)
	other := newAgeKey(t, t.TempDir(), "other")
	t.Setenv("SOPS_AGE_KEY_FILE", other.file)
	_, err = Decrypt(enc)
	t.Log(err)
}
