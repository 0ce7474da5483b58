package sopsx

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func TestEncryptForTwoAgeRecipientsDecryptsWithSopsCLI(t *testing.T) {
	isolateKeys(t, "")
	dir := t.TempDir()
	k1, k2 := newAgeKey(t, dir, "one"), newAgeKey(t, dir, "two")
	plain := mustParse(t, pullSecret("team-a", testPassword))
	rules := Rules{Age: []string{k1.recipient, k2.recipient}}

	enc, st, err := Encrypt(plain, rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st != New {
		t.Fatalf("status %v, want New", st)
	}
	text := mustString(t, enc)
	noLeak(t, "encrypted Secret", text, secretsOf(testPassword)...)
	if !IsEncrypted(enc) || IsEncrypted(plain) {
		t.Fatal("IsEncrypted is wrong")
	}
	if got, want := topKeys(enc), []string{"apiVersion", "kind", "metadata", "type", "data", "sops"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("field order %v, want %v", got, want)
	}
	for _, field := range []string{"apiVersion", "kind", "metadata", "type"} {
		a, _ := plain.Pipe(yaml.Lookup(field))
		b, _ := enc.Pipe(yaml.Lookup(field))
		if mustString(t, a) != mustString(t, b) {
			t.Fatalf("%s changed by encryption", field)
		}
	}
	for _, want := range []string{k1.recipient, k2.recipient, "encrypted_regex: ^(data|stringData)$", "version: " + Version(), "ENC[AES256_GCM,"} {
		if !strings.Contains(text, want) {
			t.Fatalf("encrypted Secret lacks %q:\n%s", want, text)
		}
	}

	file := filepath.Join(dir, "secret.yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []ageKey{k1, k2} { // each recipient alone can decrypt
		t.Setenv("SOPS_AGE_KEY_FILE", k.file)
		out := runSops(t, dir, "-d", file)
		sameYAML(t, out, []byte(mustString(t, plain)))
		ours, err := DefaultKeys().Decrypt(enc)
		if err != nil {
			t.Fatal(err)
		}
		sameYAML(t, []byte(mustString(t, ours)), []byte(mustString(t, plain)))
		if got, want := topKeys(ours), topKeys(plain); !reflect.DeepEqual(got, want) {
			t.Fatalf("decrypted field order %v, want %v", got, want)
		}
	}
}

func TestEncryptForPGPDecryptsWithSopsCLI(t *testing.T) {
	sopsCLI(t)
	key := newPGPKey(t)
	isolateKeys(t, key.home)
	dir := t.TempDir()
	plain := mustParse(t, pullSecret("team-b", testPassword))
	enc, _, err := Encrypt(plain, Rules{PGP: []string{key.fingerprint}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := mustString(t, enc)
	noLeak(t, "encrypted Secret", text, secretsOf(testPassword)...)
	if !strings.Contains(text, key.fingerprint) || !strings.Contains(text, "BEGIN PGP MESSAGE") {
		t.Fatalf("no PGP key in the metadata:\n%s", text)
	}
	file := filepath.Join(dir, "secret.yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	sameYAML(t, runSops(t, dir, "-d", file), []byte(mustString(t, plain)))
	ours, err := DefaultKeys().Decrypt(enc)
	if err != nil {
		t.Fatal(err)
	}
	sameYAML(t, []byte(mustString(t, ours)), []byte(mustString(t, plain)))
}

func TestEncryptRefusesBadInput(t *testing.T) {
	isolateKeys(t, "")
	k := newAgeKey(t, t.TempDir(), "k")
	plain := mustParse(t, pullSecret("team-a", testPassword))
	cases := map[string]Rules{
		"no recipient":            {},
		"bad age recipient":       {Age: []string{"age1notakey"}},
		"regex matches metadata":  {Age: []string{k.recipient}, EncryptedRegex: "^(data|metadata)$"},
		"unencrypted leaves kind": {Age: []string{k.recipient}, UnencryptedRegex: "^(metadata|apiVersion)$"},
	}
	for name, rules := range cases {
		if _, _, err := Encrypt(plain, rules, nil); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			noLeak(t, name, err.Error(), secretsOf(testPassword)...)
		}
	}
	enc, _, err := Encrypt(plain, Rules{Age: []string{k.recipient}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Encrypt(enc, Rules{Age: []string{k.recipient}}, nil); err == nil || !strings.Contains(err.Error(), "already carries a sops block") {
		t.Errorf("encrypting twice: %v", err)
	}
}

func TestVersionIsTheLibrarys(t *testing.T) {
	if Version() != "3.13.3" {
		t.Fatalf("version %q", Version())
	}
}
