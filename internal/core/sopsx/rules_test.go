package sopsx

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/azkv"
	"github.com/getsops/sops/v3/gcpkms"
	"github.com/getsops/sops/v3/hcvault"
	"github.com/getsops/sops/v3/kms"

	"pullgen.dev/pullgen/schema/v1alpha1"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

const (
	testARN      = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	testRole     = "arn:aws:iam::111122223333:role/sops"
	testGCP      = "projects/acme/locations/global/keyRings/sops/cryptoKeys/pull"
	testAzure    = "https://acme.vault.azure.net/keys/sops/0123456789abcdef0123456789abcdef"
	testVaultURI = "https://vault.acme.io:8200/v1/transit/keys/pullgen"
)

func TestFromSpec(t *testing.T) {
	if !FromSpec(nil).Empty() {
		t.Fatal("nil spec gives recipients")
	}
	s := &v1alpha1.SOPS{
		Age: []string{"age1x"}, PGP: []string{"FP"}, AWSKMS: []string{testARN + "+" + testRole},
		GCPKMS: []string{testGCP}, AzureKeyVault: []string{testAzure}, HCVaultTransit: []string{testVaultURI},
		EncryptedRegex: "^data$", MACOnlyEncrypted: true,
	}
	r := FromSpec(s)
	want := Rules{Age: s.Age, PGP: s.PGP, AWSKMS: s.AWSKMS, GCPKMS: s.GCPKMS, AzureKeyVault: s.AzureKeyVault, HCVaultTransit: s.HCVaultTransit, EncryptedRegex: "^data$", MACOnlyEncrypted: true}
	if !reflect.DeepEqual(r, want) || r.Empty() {
		t.Fatalf("FromSpec = %#v", r)
	}
	s.Age[0] = "changed"
	if r.Age[0] != "age1x" {
		t.Fatal("FromSpec shares the spec's slices")
	}
}

// TestCloudKeysReachTheMetadata checks that KMS, GCP KMS, Azure Key Vault and Vault transit
// keys (which cannot be reached here) are written to the sops metadata as sops writes them.
func TestCloudKeysReachTheMetadata(t *testing.T) {
	isolateKeys(t, "")
	k := newAgeKey(t, t.TempDir(), "k")
	rules := FromSpec(&v1alpha1.SOPS{
		Age: []string{k.recipient}, AWSKMS: []string{testARN + "+" + testRole},
		GCPKMS: []string{testGCP}, AzureKeyVault: []string{testAzure}, HCVaultTransit: []string{testVaultURI},
	})
	groups, err := MasterKeys(rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || len(groups[0]) != 5 {
		t.Fatalf("groups %v", groups)
	}
	var seen []string
	for _, mk := range groups[0] {
		switch mk := mk.(type) {
		case *kms.MasterKey:
			if mk.Arn != testARN || mk.Role != testRole {
				t.Errorf("kms key %+v", mk)
			}
		case *gcpkms.MasterKey:
			if mk.ResourceID != testGCP {
				t.Errorf("gcp key %+v", mk)
			}
		case *azkv.MasterKey:
			if mk.VaultURL != "https://acme.vault.azure.net" || mk.Name != "sops" || mk.Version != "0123456789abcdef0123456789abcdef" {
				t.Errorf("azure key %+v", mk)
			}
		case *hcvault.MasterKey:
			if mk.VaultAddress != "https://vault.acme.io:8200" || mk.EnginePath != "transit" || mk.KeyName != "pullgen" {
				t.Errorf("vault key %+v", mk)
			}
		}
		seen = append(seen, mk.TypeToIdentifier())
	}
	if got := strings.Join(seen, ","); got != "kms,gcp_kms,azure_kv,hc_vault,age" {
		t.Fatalf("key types %s", got)
	}

	// The metadata block sops would write (data keys stand-ins: the services are out of reach).
	c, err := compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	m := c.metadata(time.Now().UTC())
	for _, mk := range m.KeyGroups[0] {
		mk.SetEncryptedDataKey([]byte("wrapped-" + mk.TypeToIdentifier()))
	}
	tree := sops.Tree{Branches: sops.TreeBranches{{sops.TreeItem{Key: "data", Value: "x"}}}, Metadata: m}
	out, err := yamlStore.EmitEncryptedFile(tree)
	if err != nil {
		t.Fatal(err)
	}
	meta := decode(t, out).(map[string]interface{})["sops"].(map[string]interface{})
	first := func(key string) map[string]interface{} {
		l, ok := meta[key].([]interface{})
		if !ok || len(l) != 1 {
			t.Fatalf("metadata has no %s list:\n%s", key, out)
		}
		return l[0].(map[string]interface{})
	}
	if e := first("kms"); e["arn"] != testARN || e["role"] != testRole || e["enc"] != "wrapped-kms" {
		t.Errorf("kms entry %v", e)
	}
	if e := first("gcp_kms"); e["resource_id"] != testGCP {
		t.Errorf("gcp_kms entry %v", e)
	}
	if e := first("azure_kv"); e["vault_url"] != "https://acme.vault.azure.net" || e["name"] != "sops" || e["version"] != "0123456789abcdef0123456789abcdef" {
		t.Errorf("azure_kv entry %v", e)
	}
	if e := first("hc_vault"); e["vault_address"] != "https://vault.acme.io:8200" || e["engine_path"] != "transit" || e["key_name"] != "pullgen" {
		t.Errorf("hc_vault entry %v", e)
	}
	if e := first("age"); e["recipient"] != k.recipient {
		t.Errorf("age entry %v", e)
	}
	if meta["encrypted_regex"] != v1alpha1.DefaultEncryptedRegex || meta["version"] != Version() {
		t.Errorf("metadata %v", meta)
	}

	// Encrypting for them fails at wrapping the data key (no service reachable), clearly.
	for name, r := range map[string]Rules{
		"vault": {HCVaultTransit: []string{"http://127.0.0.1:1/v1/transit/keys/pullgen"}},
	} {
		t.Setenv("VAULT_TOKEN", "test-token")
		t.Setenv("VAULT_MAX_RETRIES", "0")
		_, _, err := Encrypt(mustParse(t, pullSecret("a", testPassword)), r, nil)
		if err == nil || !strings.Contains(err.Error(), "wrapping the data key") {
			t.Errorf("%s: %v", name, err)
		} else {
			noLeak(t, name, err.Error(), secretsOf(testPassword)...)
		}
	}
	if _, err := MasterKeys(Rules{AWSKMS: []string{"not-an-arn"}}); err == nil {
		t.Error("bad ARN accepted")
	}
	if _, err := MasterKeys(Rules{GCPKMS: []string{"acme/pull"}}); err == nil {
		t.Error("bad GCP resource ID accepted")
	}
	if _, err := MasterKeys(Rules{HCVaultTransit: []string{"vault/keys"}}); err == nil {
		t.Error("bad Vault URI accepted")
	}
}

func TestFindRules(t *testing.T) {
	isolateKeys(t, "")
	root := t.TempDir()
	var ks []ageKey
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		ks = append(ks, newAgeKey(t, root, n))
	}
	writeFile(t, filepath.Join(root, ".sops.yaml"), `creation_rules:
  - path_regex: ^prod/.*\.yaml$
    shamir_threshold: 2
    key_groups:
      - age: [`+ks[0].recipient+`]
      - age: [`+ks[1].recipient+`]
      - age: [`+ks[2].recipient+`]
        kms:
          - arn: `+testARN+`
            role: `+testRole+`
            aws_profile: ops
            context: {team: platform}
  - path_regex: \.enc\.yaml$
    age: `+ks[3].recipient+`,`+ks[4].recipient+`
    gcp_kms: `+testGCP+`
    hc_vault_transit_uri: `+testVaultURI+`
    encrypted_regex: ^(data|stringData)$
    mac_only_encrypted: true
  - path_regex: ^legacy/
    unencrypted_regex: ^(apiVersion|kind|metadata|type)$
    age: `+ks[0].recipient+`
  - path_regex: ^suffix/
    encrypted_suffix: _secret
    age: `+ks[0].recipient+`
`)
	writeFile(t, filepath.Join(root, "team", ".sops.yaml"), `creation_rules:
  - path_regex: secrets/
    age: `+ks[4].recipient+`
`)

	// key_groups with Shamir, path_regex relative to the config's directory.
	r, conf, found, err := FindRules(filepath.Join(root, "prod", "out", "secret.yaml"))
	if err != nil || !found || conf != filepath.Join(root, ".sops.yaml") {
		t.Fatalf("prod: %v %v %s", found, err, conf)
	}
	if len(r.KeyGroups) != 3 || r.ShamirThreshold != 2 || len(r.Age) != 0 {
		t.Fatalf("prod rules %#v", r)
	}
	kmsRec := r.KeyGroups[2][1]
	if kmsRec.Type != KeyAWSKMS || kmsRec.Key != testARN+"+"+testRole || kmsRec.AWSProfile != "ops" || kmsRec.AWSContext["team"] != "platform" {
		t.Fatalf("kms recipient %#v", kmsRec)
	}
	groups, err := MasterKeys(r)
	if err != nil || len(groups) != 3 {
		t.Fatalf("master keys %v %v", groups, err)
	}
	if km := groups[2][1].(*kms.MasterKey); km.Arn != testARN || km.Role != testRole || km.AwsProfile != "ops" || *km.EncryptionContext["team"] != "platform" {
		t.Fatalf("kms master key %+v", km)
	}

	// Flat rule: lists, encrypted_regex, mac_only_encrypted.
	r, _, found, err = FindRules(filepath.Join(root, "apps", "pull.enc.yaml"))
	if err != nil || !found {
		t.Fatalf("enc: %v %v", found, err)
	}
	want := Rules{Age: []string{ks[3].recipient, ks[4].recipient}, GCPKMS: []string{testGCP}, HCVaultTransit: []string{testVaultURI}, EncryptedRegex: "^(data|stringData)$", MACOnlyEncrypted: true}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("enc rules\n%#v\nwant\n%#v", r, want)
	}

	// unencrypted_regex is honoured when it leaves metadata in clear.
	r, _, found, err = FindRules(filepath.Join(root, "legacy", "s.yaml"))
	if err != nil || !found || r.UnencryptedRegex != "^(apiVersion|kind|metadata|type)$" || r.EncryptedRegex != "" {
		t.Fatalf("legacy: %#v %v %v", r, found, err)
	}
	// A suffix selector is refused with what to use instead.
	if _, _, _, err = FindRules(filepath.Join(root, "suffix", "s.yaml")); err == nil || !strings.Contains(err.Error(), "encrypted_regex") {
		t.Fatalf("suffix: %v", err)
	}

	// The nearest .sops.yaml wins, even when none of its rules matches.
	r, conf, found, err = FindRules(filepath.Join(root, "team", "secrets", "s.yaml"))
	if err != nil || !found || conf != filepath.Join(root, "team", ".sops.yaml") || !reflect.DeepEqual(r.Age, []string{ks[4].recipient}) {
		t.Fatalf("nested: %#v %s %v %v", r, conf, found, err)
	}
	_, conf, found, err = FindRules(filepath.Join(root, "team", "other.enc.yaml"))
	if err != nil || found || conf != filepath.Join(root, "team", ".sops.yaml") {
		t.Fatalf("no matching rule: %s %v %v", conf, found, err)
	}
	// No .sops.yaml at all.
	if _, _, found, err = FindRules(filepath.Join(shortTempDir(t, "nosops"), "s.yaml")); err != nil || found {
		t.Fatalf("no config: %v %v", found, err)
	}
}

// TestShamirKeyGroups encrypts with the prod rule (3 groups, threshold 2) and decrypts
// holding keys of 2 groups (ours and the sops CLI), then fails with keys of 1 group.
func TestShamirKeyGroups(t *testing.T) {
	isolateKeys(t, "")
	root := t.TempDir()
	a, b, c := newAgeKey(t, root, "a"), newAgeKey(t, root, "b"), newAgeKey(t, root, "c")
	writeFile(t, filepath.Join(root, ".sops.yaml"), `creation_rules:
  - path_regex: ^prod/
    shamir_threshold: 2
    key_groups:
      - age: [`+a.recipient+`]
      - age: [`+b.recipient+`]
      - age: [`+c.recipient+`]
`)
	out := filepath.Join(root, "prod", "secret.yaml")
	r, _, found, err := FindRules(out)
	if err != nil || !found {
		t.Fatal(found, err)
	}
	plain := mustParse(t, pullSecret("prod", testPassword))
	enc, _, err := Encrypt(plain, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := mustString(t, enc)
	if !strings.Contains(text, "key_groups:") || !strings.Contains(text, "shamir_threshold: 2") {
		t.Fatalf("no key groups in the metadata:\n%s", text)
	}
	writeFile(t, out, text)
	both := filepath.Join(root, "ab.txt")
	ka, _ := os.ReadFile(a.file)
	kb, _ := os.ReadFile(b.file)
	writeFile(t, both, string(ka)+string(kb))
	t.Setenv("SOPS_AGE_KEY_FILE", both)
	sameYAML(t, runSops(t, root, "-d", out), []byte(mustString(t, plain)))
	dec, err := DefaultKeys().Decrypt(enc)
	if err != nil {
		t.Fatal(err)
	}
	sameYAML(t, []byte(mustString(t, dec)), []byte(mustString(t, plain)))
	// Stable ciphertext works with Shamir too.
	if _, st, err := Encrypt(plain, r, enc); err != nil || st != Unchanged {
		t.Fatalf("stable with Shamir: %v %v", st, err)
	}

	t.Setenv("SOPS_AGE_KEY_FILE", a.file)
	_, err = DefaultKeys().Decrypt(enc)
	if err == nil || !strings.Contains(err.Error(), "1 of the 2 Shamir shares") {
		t.Fatalf("one group: %v", err)
	}
}

// TestMACOnlyEncrypted: with mac_only_encrypted, fields in clear may change.
func TestMACOnlyEncrypted(t *testing.T) {
	isolateKeys(t, "")
	dir := t.TempDir()
	k := newAgeKey(t, dir, "k")
	t.Setenv("SOPS_AGE_KEY_FILE", k.file)
	enc, _, err := Encrypt(mustParse(t, pullSecret("a", testPassword)), Rules{Age: []string{k.recipient}, MACOnlyEncrypted: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(mustString(t, enc), "app.kubernetes.io/managed-by: pullgen", "app.kubernetes.io/managed-by: someone-else", 1)
	if !strings.Contains(text, "mac_only_encrypted: true") {
		t.Fatalf("no mac_only_encrypted:\n%s", text)
	}
	writeFile(t, filepath.Join(dir, "s.yaml"), text)
	runSops(t, dir, "-d", filepath.Join(dir, "s.yaml"))
	if _, err := DefaultKeys().Decrypt(mustParse(t, text)); err != nil {
		t.Fatal(err)
	}
}
