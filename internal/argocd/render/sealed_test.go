package render

import (
	"path/filepath"
	"testing"
)

// TestRecordSealed: every encrypted document of a resource file is recorded by its MAC,
// however the stream marks it (yamlstream): after a "---" with a comment, on the line of
// its "---", before a "..." end marker. A document missed here could not be decrypted.
func TestRecordSealed(t *testing.T) {
	root := t.TempDir()
	fsys, err := newRepoFS(root, nil, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	r := newRenderer(Options{Decrypt: true}, DefaultLimits(), fsys)
	stream := "--- # first\napiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: x}\nsops: {mac: M1}\n" +
		"--- {apiVersion: v1, kind: Secret, metadata: {name: b, namespace: y}, sops: {mac: M2}}\n" +
		"...\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n"
	r.recordSealed(filepath.Join(root, "secrets.yaml"), []byte(stream))
	for mac, name := range map[string]string{"M1": "a", "M2": "b"} {
		s := r.sealed[mac]
		if s == nil {
			t.Errorf("the document with MAC %s is not recorded", mac)
			continue
		}
		if got := s.doc.GetName(); got != name || s.file != "secrets.yaml" {
			t.Errorf("MAC %s: %s in %s, want %s in secrets.yaml", mac, got, s.file, name)
		}
	}
	if len(r.sealed) != 2 {
		t.Errorf("%d documents recorded, want 2", len(r.sealed))
	}
}
