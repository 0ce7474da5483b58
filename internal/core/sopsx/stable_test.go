package sopsx

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// field returns the string at a path of an object ("data", ".dockerconfigjson").
func field(t *testing.T, rn *yaml.RNode, path ...string) string {
	t.Helper()
	n, err := rn.Pipe(yaml.Lookup(path...))
	if err != nil || n == nil {
		t.Fatalf("no field %v", path)
	}
	return n.YNode().Value
}

func threeRegistrySecret(pw1, pw2, pw3 string) string {
	return secretYAML("team-a", "acme", map[string]string{
		"quay":   dockerConfig(pw1, "quay.io/acme"),
		"ghcr":   dockerConfig(pw2, "ghcr.io/acme"),
		"harbor": dockerConfig(pw3, "harbor.example.com"),
	})
}

func TestStableCiphertext(t *testing.T) {
	isolateKeys(t, "")
	dir := t.TempDir()
	k1, k2 := newAgeKey(t, dir, "one"), newAgeKey(t, dir, "two")
	t.Setenv("SOPS_AGE_KEY_FILE", k1.file)
	rules := Rules{Age: []string{k1.recipient, k2.recipient}}

	v1 := mustParse(t, threeRegistrySecret("pw-one", "pw-two", "pw-three"))
	first, st, err := Encrypt(v1, rules, nil)
	if err != nil || st != New {
		t.Fatalf("first: %v %v", st, err)
	}

	// Same input, earlier copy at hand: the same bytes.
	again, st, err := Encrypt(v1, rules, first)
	if err != nil || st != Unchanged {
		t.Fatalf("again: %v %v", st, err)
	}
	if mustString(t, again) != mustString(t, first) {
		t.Fatal("unchanged input gave different bytes")
	}
	// And once more through a YAML round trip of the earlier copy, as read from disk.
	again2, st, err := Encrypt(mustParse(t, threeRegistrySecret("pw-one", "pw-two", "pw-three")), rules, mustParse(t, mustString(t, first)))
	if err != nil || st != Unchanged || mustString(t, again2) != mustString(t, first) {
		t.Fatalf("after a round trip: %v %v", st, err)
	}

	time.Sleep(1100 * time.Millisecond) // lastmodified has a resolution of one second
	v2 := mustParse(t, threeRegistrySecret("pw-one", "pw-TWO-changed", "pw-three"))
	second, st, err := Encrypt(v2, rules, first)
	if err != nil || st != Updated {
		t.Fatalf("second: %v %v", st, err)
	}
	same := [][]string{
		{"data", "quay"}, {"data", "harbor"},
		{"sops", "age", "[recipient=" + k1.recipient + "]", "enc"},
		{"sops", "age", "[recipient=" + k2.recipient + "]", "enc"},
		{"sops", "encrypted_regex"}, {"sops", "version"},
		{"apiVersion"}, {"kind"}, {"type"}, {"metadata", "name"}, {"metadata", "namespace"},
	}
	for _, p := range same {
		if a, b := field(t, first, p...), field(t, second, p...); a != b {
			t.Errorf("%v changed although its value did not", p)
		}
	}
	for _, p := range [][]string{{"data", "ghcr"}, {"sops", "mac"}, {"sops", "lastmodified"}} {
		if a, b := field(t, first, p...), field(t, second, p...); a == b {
			t.Errorf("%v did not change", p)
		}
	}
	// Nothing else: the two texts differ in exactly three lines.
	l1, l2 := strings.Split(mustString(t, first), "\n"), strings.Split(mustString(t, second), "\n")
	if len(l1) != len(l2) {
		t.Fatalf("line counts differ")
	}
	diff := 0
	for i := range l1 {
		if l1[i] != l2[i] {
			diff++
		}
	}
	if diff != 3 {
		t.Fatalf("%d lines differ, want 3 (ghcr, lastmodified, mac)", diff)
	}
	// The updated Secret decrypts with the sops CLI to the new plaintext.
	file := filepath.Join(dir, "secret.yaml")
	if err := os.WriteFile(file, []byte(mustString(t, second)), 0o600); err != nil {
		t.Fatal(err)
	}
	sameYAML(t, runSops(t, dir, "-d", file), []byte(mustString(t, v2)))

	// Without the key: re-encrypted afresh, and the result says why.
	os.Unsetenv("SOPS_AGE_KEY_FILE")
	res, err := EncryptResult(v2, rules, second)
	if err != nil || res.Status != Reencrypted {
		t.Fatalf("without key: %v %v", res.Status, err)
	}
	if !strings.Contains(res.Reason, "no key to decrypt") || !strings.Contains(res.Reason, "SOPS_AGE_KEY_FILE") {
		t.Fatalf("reason %q", res.Reason)
	}
	if field(t, res.Object, "sops", "age", "[recipient="+k1.recipient+"]", "enc") == field(t, second, "sops", "age", "[recipient="+k1.recipient+"]", "enc") {
		t.Fatal("re-encryption reused the wrapped data key")
	}
	t.Setenv("SOPS_AGE_KEY_FILE", k2.file)
	plain, err := DefaultKeys().Decrypt(res.Object)
	if err != nil {
		t.Fatal(err)
	}
	sameYAML(t, []byte(mustString(t, plain)), []byte(mustString(t, v2)))

	// Recipients changed: a new data key, even with the key at hand.
	k3 := newAgeKey(t, dir, "three")
	res, err = EncryptResult(v2, Rules{Age: []string{k1.recipient, k3.recipient}}, second)
	if err != nil || res.Status != Rekeyed || res.Reason == "" {
		t.Fatalf("recipients changed: %v %q %v", res.Status, res.Reason, err)
	}
}

func TestStableCiphertextDecodesToNewPlaintext(t *testing.T) {
	isolateKeys(t, "")
	k := newAgeKey(t, t.TempDir(), "k")
	t.Setenv("SOPS_AGE_KEY_FILE", k.file)
	rules := Rules{Age: []string{k.recipient}}
	first, _, err := Encrypt(mustParse(t, pullSecret("ns", "old-password")), rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, st, err := Encrypt(mustParse(t, pullSecret("ns", "new-password")), rules, first)
	if err != nil || st != Updated {
		t.Fatalf("%v %v", st, err)
	}
	plain, err := DefaultKeys().Decrypt(second)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(field(t, plain, "data", ".dockerconfigjson"))
	if !strings.Contains(string(raw), "new-password") {
		t.Fatalf("plaintext %s", raw)
	}
}
