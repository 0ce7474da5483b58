package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// TestCommittedSchemaIsCurrent fails when the committed JSON Schema differs from the one the
// Go types produce. Run `make schema` (or UPDATE_GOLDEN=1 go test ./schema/) to rewrite it.
func TestCommittedSchemaIsCurrent(t *testing.T) {
	got, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(CommittedFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(CommittedFile)
	if err != nil {
		t.Fatalf("reading the committed schema: %v (run make schema)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run make schema", CommittedFile)
	}
}

// TestSchemaDescribesTheAPI checks what an editor relies on: the top-level properties,
// the required fields, no unknown fields allowed, and descriptions from the Go comments.
func TestSchemaDescribesTheAPI(t *testing.T) {
	b, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties           map[string]json.RawMessage `json:"properties"`
		Required             []string                   `json:"required"`
		AdditionalProperties *bool                      `json:"additionalProperties"`
		Defs                 map[string]struct {
			Properties map[string]struct {
				Description string   `json:"description"`
				Enum        []string `json:"enum"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"apiVersion", "kind", "metadata", "spec"} {
		if _, ok := s.Properties[p]; !ok {
			t.Errorf("property %s missing", p)
		}
	}
	if s.AdditionalProperties == nil || *s.AdditionalProperties {
		t.Errorf("additionalProperties should be false")
	}
	spec := s.Defs["Spec"].Properties
	if d := spec["namespaces"].Description; d == "" {
		t.Errorf("spec.namespaces has no description from the Go comment")
	}
	if e := spec["check"].Enum; len(e) != 3 {
		t.Errorf("spec.check enum = %v, want error, warn, off", e)
	}
	if _, ok := s.Defs["Registry"].Properties["password"]; ok {
		t.Errorf("a literal password field must not exist")
	}
}

// TestSchemaServiceAccountLink checks that spec.serviceAccounts items may be a name or an
// object with name and keep, and that spec.syncWave is a string.
func TestSchemaServiceAccountLink(t *testing.T) {
	b, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs map[string]struct {
			OneOf []struct {
				Type       string                     `json:"type"`
				Required   []string                   `json:"required"`
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"oneOf"`
			Properties map[string]struct {
				Type string `json:"type"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	link := s.Defs["ServiceAccountLink"].OneOf
	if len(link) != 2 || link[0].Type != "string" || link[1].Type != "object" {
		t.Fatalf("ServiceAccountLink oneOf = %+v, want a string and an object", link)
	}
	if _, ok := link[1].Properties["keep"]; !ok || len(link[1].Required) != 1 || link[1].Required[0] != "name" {
		t.Errorf("the object form: %+v, want name (required) and keep", link[1])
	}
	if typ := s.Defs["Spec"].Properties["syncWave"].Type; typ != "string" {
		t.Errorf("spec.syncWave type %q, want string", typ)
	}
}
