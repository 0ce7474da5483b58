package sopsx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/core/credsource"
)

// TestEncryptFileEncryptsEveryValue: EncryptFile encrypts every value of a file of each
// format for the rules' recipients, even rules written for Secrets (encrypted_regex
// data|stringData, mac_only_encrypted), and the sops CLI decrypts what it wrote into the
// plain file. The control: EncryptResult under the same rules leaves a key outside data in
// clear, which is what EncryptFile must not do.
func TestEncryptFileEncryptsEveryValue(t *testing.T) {
	sopsCLI(t)
	isolateKeys(t, "")
	dir := t.TempDir()
	k := newAgeKey(t, dir, "age")
	t.Setenv("SOPS_AGE_KEY_FILE", k.file)
	rules := Rules{Age: []string{k.recipient}, EncryptedRegex: "^(data|stringData)$", MACOnlyEncrypted: true}

	control, err := EncryptResult(mustParse(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nseed: "+testPassword+"\n"), rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := mustString(t, control.Object); !strings.Contains(s, testPassword) {
		t.Fatalf("control: the rules should leave seed in clear in an object:\n%s", s)
	}

	for name, content := range plainFiles() {
		t.Run(name, func(t *testing.T) {
			format := credsource.DetectFormat(name)
			enc, err := EncryptFile([]byte(content), format, rules)
			if err != nil {
				t.Fatal(err)
			}
			noLeak(t, "EncryptFile output", string(enc), testPassword)
			file := filepath.Join(dir, "enc-"+name)
			if err := os.WriteFile(file, enc, 0o600); err != nil {
				t.Fatal(err)
			}
			got := runSops(t, dir, "-d", file)
			want, err := DefaultKeys().DecryptFile(enc, format)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) || !strings.Contains(string(got), testPassword) {
				t.Errorf("sops -d gives\n%s\nDecryptFile\n%s", got, want)
			}
		})
	}
	if _, err := EncryptFile([]byte("a: [b"), "yaml", rules); err == nil {
		t.Error("a file that does not parse: no error")
	}
}
