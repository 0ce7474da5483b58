package sopsx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEncryptPathsAgreeWithSopsCLI encrypts objects that take the direct node path and
// objects that need the sops store (comments, numbers, booleans, nulls), with each
// selector, and checks each against `sops -d` and Decrypt.
func TestEncryptPathsAgreeWithSopsCLI(t *testing.T) {
	isolateKeys(t, "")
	dir := t.TempDir()
	k := newAgeKey(t, dir, "k")
	t.Setenv("SOPS_AGE_KEY_FILE", k.file)
	objects := map[string]struct {
		yaml string
		fast bool
	}{
		"secret": {pullSecret("a", testPassword), true},
		"sequences": {`apiVersion: example.com/v1
kind: Credentials
metadata:
  name: c
data:
  tokens: [` + testPassword + `, "two", 'three']
  nested:
    - user: u
      password: "` + testPassword + `"
  empty: ""
stringData:
  plain: ` + testPassword + `
`, true},
		"comments and scalars": {`apiVersion: v1
kind: Secret
metadata:
  name: c   # the name
  generation: 3
  creationTimestamp: null
type: Opaque
# before data
data:
  # a comment inside data is encrypted by sops
  password: ` + testPassword + `
  port: 5000
  enabled: true
  ratio: 0.5
  nothing: null
`, false},
	}
	selectors := map[string]Rules{
		"default":           {Age: []string{k.recipient}},
		"unencrypted_regex": {Age: []string{k.recipient}, UnencryptedRegex: "^(apiVersion|kind|metadata|type)$"},
		"mac_only":          {Age: []string{k.recipient}, MACOnlyEncrypted: true},
	}
	for name, o := range objects {
		for sname, rules := range selectors {
			t.Run(name+"/"+sname, func(t *testing.T) {
				plain := mustParse(t, o.yaml)
				if got := fastEligible(plain.YNode()); got != o.fast {
					t.Fatalf("fastEligible = %v, want %v", got, o.fast)
				}
				enc, _, err := Encrypt(plain, rules, nil)
				if err != nil {
					t.Fatal(err)
				}
				text := mustString(t, enc)
				noLeak(t, "encrypted object", text, testPassword)
				if strings.HasPrefix(field(t, enc, "metadata", "name"), "ENC[") || strings.HasPrefix(field(t, enc, "kind"), "ENC[") {
					t.Fatalf("metadata was encrypted:\n%s", text)
				}
				file := filepath.Join(dir, "obj.yaml")
				if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
				sameYAML(t, runSops(t, dir, "-d", file), []byte(o.yaml))
				dec, err := DefaultKeys().Decrypt(enc)
				if err != nil {
					t.Fatal(err)
				}
				sameYAML(t, []byte(mustString(t, dec)), []byte(o.yaml))
			})
		}
	}
}

// TestToolAnnotationsDoNotBreakTheMAC: kpt and kustomize annotate the items they pass; an
// encrypted object read back with such annotations still decrypts and stays stable.
func TestToolAnnotationsDoNotBreakTheMAC(t *testing.T) {
	isolateKeys(t, "")
	k := newAgeKey(t, t.TempDir(), "k")
	t.Setenv("SOPS_AGE_KEY_FILE", k.file)
	rules := Rules{Age: []string{k.recipient}}
	plain := mustParse(t, pullSecret("a", testPassword))
	enc, _, err := Encrypt(plain, rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	annotated := enc.Copy()
	ann := annotated.GetAnnotations()
	ann["config.kubernetes.io/index"] = "2"
	ann["internal.config.kubernetes.io/path"] = "generated/secret.yaml"
	if err := annotated.SetAnnotations(ann); err != nil {
		t.Fatal(err)
	}
	dec, err := DefaultKeys().Decrypt(annotated)
	if err != nil {
		t.Fatal(err)
	}
	if dec.GetAnnotations()["config.kubernetes.io/index"] != "2" {
		t.Fatal("tool annotations not restored on the plaintext")
	}
	out, st, err := Encrypt(plain, rules, annotated)
	if err != nil || st != Unchanged || mustString(t, out) != mustString(t, annotated) {
		t.Fatalf("stable over an annotated earlier copy: %v %v", st, err)
	}
	// Any other annotation change is still a MAC mismatch.
	ann["team"] = "evil"
	if err := annotated.SetAnnotations(ann); err != nil {
		t.Fatal(err)
	}
	if _, err := DefaultKeys().Decrypt(annotated); err == nil || !strings.Contains(err.Error(), "MAC mismatch") {
		t.Fatalf("changed annotation: %v", err)
	}
}
