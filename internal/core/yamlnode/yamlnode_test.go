package yamlnode

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

func TestReaders(t *testing.T) {
	var doc yaml.Node
	src := "a: &x {s: str, n: 1, null: ~, list: [p, q], bad: [p, 1], m: {k: v}}\nb: *x\n"
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	b := Field(&doc, "b") // through the alias
	tests := []struct {
		name    string
		got     func() (any, error)
		want    any
		wantErr string
	}{
		{"string", func() (any, error) { return String(b, "s", "b") }, "str", ""},
		{"absent string", func() (any, error) { return String(b, "none", "b") }, "", ""},
		{"null string", func() (any, error) { return String(b, "null", "b") }, "", ""},
		{"number is not a string", func() (any, error) { return String(b, "n", "b") }, "", "b.n: must be a string"},
		{"strings", func() (any, error) { return Strings(b, "list", "b") }, []string{"p", "q"}, ""},
		{"absent strings", func() (any, error) { return Strings(b, "none", "b") }, []string(nil), ""},
		{"not a list", func() (any, error) { return Strings(b, "s", "b") }, []string(nil), "b.s: must be a list"},
		{"element not a string", func() (any, error) { return Strings(b, "bad", "b") }, []string(nil), "b.bad[1]: must be a string"},
		{"mapping", func() (any, error) { m, err := Mapping(b, "m", "b"); return Scalar(Field(m, "k")), err }, "v", ""},
		{"not a mapping", func() (any, error) { m, err := Mapping(b, "s", ""); return m == nil, err }, true, "s: must be an object"},
		{"items", func() (any, error) { it, err := Items(b, "list", "b"); return len(it), err }, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
