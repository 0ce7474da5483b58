package yamlstream

import (
	"io"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		texts  []string
		lines  []int
		bodies []string
	}{
		{"one bare document", "a: 1\n", []string{"a: 1\n"}, []int{0}, []string{"a: 1\n"}},
		{"markers start documents", "---\na: 1\n---\nb: 2\n",
			[]string{"---\na: 1\n", "---\nb: 2\n"}, []int{0, 2}, []string{"a: 1\n", "b: 2\n"}},
		{"a comment after the marker", "a: 1\n--- # two\nb: 2\n",
			[]string{"a: 1\n", "--- # two\nb: 2\n"}, []int{0, 1}, []string{"a: 1\n", "b: 2\n"}},
		{"content after the marker", "--- {a: 1}\n---\tb: 2\n",
			[]string{"--- {a: 1}\n", "---\tb: 2\n"}, []int{0, 1}, []string{"{a: 1}\n", "b: 2\n"}},
		{"a document end marker ends a document, the next may be bare", "a: 1\n...\nb: 2\n... # end\n",
			[]string{"a: 1\n...\n", "b: 2\n... # end\n"}, []int{0, 2}, []string{"a: 1\n", "b: 2\n"}},
		{"an end marker then a start marker", "a: 1\n...\n---\nb: 2\n",
			[]string{"a: 1\n...\n", "---\nb: 2\n"}, []int{0, 2}, []string{"a: 1\n", "b: 2\n"}},
		{"no cut inside a block scalar or at look-alikes", "b: |\n  ---\n  ...\n----\n---x\n....\n",
			[]string{"b: |\n  ---\n  ...\n----\n---x\n....\n"}, []int{0}, nil},
		{"CRLF line breaks", "a: 1\r\n---\r\nb: 2\r\n",
			[]string{"a: 1\r\n", "---\r\nb: 2\r\n"}, []int{0, 1}, []string{"a: 1\r\n", "b: 2\r\n"}},
		{"comments before the first marker stay apart", "# header\n---\na: 1",
			[]string{"# header\n", "---\na: 1"}, []int{0, 1}, []string{"# header\n", "a: 1"}},
		{"nothing", "", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := Split(tt.in)
			var texts, bodies []string
			var lines []int
			for _, d := range docs {
				texts = append(texts, d.Text)
				lines = append(lines, d.Line)
				bodies = append(bodies, d.Body())
			}
			if strings.Join(texts, "") != tt.in {
				t.Errorf("the pieces do not give back the stream: %q", texts)
			}
			if strings.Join(texts, "|") != strings.Join(tt.texts, "|") || len(texts) != len(tt.texts) {
				t.Errorf("texts %q, want %q", texts, tt.texts)
			}
			if tt.bodies != nil && strings.Join(bodies, "|") != strings.Join(tt.bodies, "|") {
				t.Errorf("bodies %q, want %q", bodies, tt.bodies)
			}
			for i := range lines {
				if i < len(tt.lines) && lines[i] != tt.lines[i] {
					t.Errorf("lines %v, want %v", lines, tt.lines)
					break
				}
			}
		})
	}
}

// TestSplitAgreesWithYAML: each piece parses into at most one document, the same as the
// whole stream holds at its place, and its body, when it holds anything, into the same.
func TestSplitAgreesWithYAML(t *testing.T) {
	stream := "# lead\n--- # first\na: 1\n--- {b: 2}\n...\n---\nc: |\n  ---\n  text\n--- !!map\nd: 4\n... # end\n---\n"
	want := decodeAll(t, stream)
	var got []any
	for _, d := range Split(stream) {
		for _, text := range []string{d.Text, d.Body()} {
			if docs := decodeAll(t, text); len(docs) > 1 {
				t.Fatalf("piece %q holds %d documents", text, len(docs))
			}
		}
		docs := decodeAll(t, d.Text)
		if body := decodeAll(t, d.Body()); strings.TrimSpace(d.Body()) != "" && yamlText(t, body) != yamlText(t, docs) {
			t.Errorf("the body of %q reads %v, the piece %v", d.Text, body, docs)
		}
		got = append(got, docs...)
	}
	if len(got) != len(want) {
		t.Fatalf("%d documents from the pieces, %d from the stream: %v, %v", len(got), len(want), got, want)
	}
	for i := range want {
		if a, b := yamlText(t, got[i]), yamlText(t, want[i]); a != b {
			t.Errorf("document %d: %s, want %s", i, a, b)
		}
	}
}

func decodeAll(t *testing.T, s string) []any {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(s))
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		out = append(out, v)
	}
}

func yamlText(t *testing.T, v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
