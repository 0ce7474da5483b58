package sopsx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const plainConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings   # kept as written
  namespace: team-a
data:
  sops: "a key named sops below data is not a sops block"
`

func TestDecryptStream(t *testing.T) {
	isolateKeys(t, "")
	dir := t.TempDir()
	k := newAgeKey(t, dir, "k")
	t.Setenv("SOPS_AGE_KEY_FILE", k.file)
	rules := Rules{Age: []string{k.recipient}}

	var docs, plains []string
	for i, ns := range []string{"team-a", "team-b", "team-c"} {
		plain := pullSecret(ns, testPassword+ns)
		plains = append(plains, plain)
		var enc string
		if i == 1 { // one encrypted by the sops CLI, the others by Encrypt
			file := filepath.Join(dir, "s.yaml")
			if err := os.WriteFile(file, []byte(plain), 0o600); err != nil {
				t.Fatal(err)
			}
			enc = string(runSops(t, dir, "-e", "--encrypted-regex", "^(data|stringData)$", "--age", k.recipient, file))
		} else {
			rn, _, err := Encrypt(mustParse(t, plain), rules, nil)
			if err != nil {
				t.Fatal(err)
			}
			enc = mustString(t, rn)
		}
		docs = append(docs, enc)
		if i == 0 {
			docs = append(docs, plainConfigMap)
		}
	}
	stream := []byte(strings.Join(docs, "---\n"))

	out, err := DefaultKeys().DecryptStream(stream)
	if err != nil {
		t.Fatal(err)
	}
	got := splitDocuments(out)
	if len(got) != 4 {
		t.Fatalf("%d documents, want 4:\n%s", len(got), out)
	}
	sameYAML(t, []byte(got[0]), []byte(plains[0]))
	if got[1] != plainConfigMap {
		t.Fatalf("the plain document changed:\n%s", got[1])
	}
	sameYAML(t, []byte(got[2]), []byte(plains[1]))
	sameYAML(t, []byte(got[3]), []byte(plains[2]))

	// All or nothing: one modified document fails the whole stream, naming it.
	tampered := strings.Replace(string(stream), "namespace: team-c", "namespace: team-x", 1)
	out, err = DefaultKeys().DecryptStream([]byte(tampered))
	if err == nil || out != nil {
		t.Fatalf("tampered stream: %v, %d bytes", err, len(out))
	}
	if !strings.Contains(err.Error(), "document 4") || !strings.Contains(err.Error(), "MAC mismatch") {
		t.Fatalf("error does not name the document and the cause: %v", err)
	}
	noLeak(t, "error", err.Error(), secretsOf(testPassword+"team-c")...)
}

func TestSplitDocuments(t *testing.T) {
	in := "---\na: 1\n--- # two\nb: |\n  ---\n  text\n...\n---\nc: 3\n"
	got := splitDocuments([]byte(in))
	var nonBlank []string
	for _, d := range got {
		if !isBlank(d) {
			nonBlank = append(nonBlank, d)
		}
	}
	want := []string{"a: 1\n", "b: |\n  ---\n  text\n", "c: 3\n"}
	if strings.Join(nonBlank, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", nonBlank, want)
	}
}
