package sopsx

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/core/credsource"
)

// plainFiles are credential files of every format the sops CLI encrypts, each holding the
// test password.
func plainFiles() map[string]string {
	return map[string]string{
		"creds.yaml":  "registry:\n  username: robot+ci\n  password: " + testPassword + "\nport: 5000\n",
		"creds.json":  "{\n\t\"registry\": {\n\t\t\"username\": \"robot+ci\",\n\t\t\"password\": \"" + testPassword + "\"\n\t}\n}",
		"creds.env":   "REGISTRY_USER=robot+ci\nREGISTRY_PASSWORD=" + testPassword + "\n",
		"creds.ini":   "[registry]\nusername = robot+ci\npassword = " + testPassword + "\n",
		"token":       testPassword + "\n",
		"config.json": dockerConfig(testPassword, "quay.io/acme", "https://index.docker.io/v1/"),
	}
}

func TestDecryptFileOfSopsCLI(t *testing.T) {
	sopsCLI(t)
	dir := t.TempDir()
	k := newAgeKey(t, dir, "age")
	type keyCase struct {
		name  string
		flag  []string
		setup func(t *testing.T)
	}
	cases := []keyCase{{
		name: "age",
		flag: []string{"--age", k.recipient},
		setup: func(t *testing.T) {
			isolateKeys(t, "")
			t.Setenv("SOPS_AGE_KEY_FILE", k.file)
		},
	}}
	var pgp *pgpKey
	cases = append(cases, keyCase{
		name: "pgp",
		setup: func(t *testing.T) {
			if pgp == nil {
				p := newPGPKey(t)
				pgp = &p
			}
			isolateKeys(t, pgp.home)
		},
	})
	for _, kc := range cases {
		t.Run(kc.name, func(t *testing.T) {
			kc.setup(t)
			flag := kc.flag
			if kc.name == "pgp" {
				flag = []string{"--pgp", pgp.fingerprint}
			}
			for name, content := range plainFiles() {
				t.Run(name, func(t *testing.T) {
					work := t.TempDir()
					file := filepath.Join(work, name)
					if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
						t.Fatal(err)
					}
					enc := runSops(t, work, append(append([]string{"-e"}, flag...), file)...)
					noLeak(t, "sops -e output", string(enc), testPassword)
					format := credsource.DetectFormat(name)
					if !IsEncryptedFile(enc, format) {
						t.Fatalf("IsEncryptedFile(%s) = false", format)
					}
					if IsEncryptedFile([]byte(content), format) {
						t.Fatalf("IsEncryptedFile(plain %s) = true", format)
					}
					encFile := filepath.Join(work, "enc-"+name)
					if err := os.WriteFile(encFile, enc, 0o600); err != nil {
						t.Fatal(err)
					}
					want := runSops(t, work, "-d", encFile)
					got, err := DefaultKeys().DecryptFile(enc, format)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("DecryptFile differs from sops -d\n--- got\n%s\n--- want\n%s", got, want)
					}
					if !strings.Contains(string(got), testPassword) {
						t.Fatalf("plaintext lacks the password:\n%s", got)
					}
					if format == "binary" && string(got) != content {
						t.Fatalf("binary plaintext %q, want %q", got, content)
					}
				})
			}
		})
	}
}

func TestDecryptFileErrors(t *testing.T) {
	isolateKeys(t, "")
	if _, err := DefaultKeys().DecryptFile([]byte("a: b\n"), "yaml"); err == nil || !strings.Contains(err.Error(), "no sops metadata") {
		t.Fatalf("plain file: %v", err)
	}
	if _, err := DefaultKeys().DecryptFile([]byte("PASSWORD="+testPassword+"\nnot a line\n"), "dotenv"); err == nil {
		t.Fatal("bad dotenv: no error")
	} else {
		noLeak(t, "error", err.Error(), testPassword)
	}
	if _, err := DefaultKeys().DecryptFile(nil, "toml"); err == nil {
		t.Fatal("unknown format: no error")
	}
}
