package yamlcap

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// countNodes is the number of nodes a YAML stream parses into, aliases not expanded.
func countNodes(t *testing.T, data string) int {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(data))
	total := 0
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			break
		}
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			total++
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(&doc)
	}
	return total
}

// TestEstimateBoundsTheParse: whatever the style, the parser never makes more nodes than
// the estimate (the cap applied before parsing holds for what is parsed).
func TestEstimateBoundsTheParse(t *testing.T) {
	for name, doc := range map[string]string{
		"block mapping":        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n  c: d\n",
		"block sequence":       "- a\n- b\n-\n- - c\n  - d\n",
		"flow sequence":        "[" + strings.Repeat("a,", 1000) + "a]",
		"flow sequence dense":  strings.Repeat("[", 50) + strings.Repeat("]", 50),
		"flow mapping no ':'":  "{" + strings.Repeat("a, ", 500) + "b}",
		"single pair mappings": "[" + strings.Repeat(":,", 500) + ":]",
		"empty values":         strings.Repeat("a:\n", 100),
		"nulls in flow map":    "{" + strings.Repeat("? , ", 100) + "}",
		"documents":            strings.Repeat("---\n", 100),
		"aliases":              "a: &x [1, 2]\nb: [*x, *x, *x]\n",
		"block scalar":         "a: |\n  x, y: z\n  - w\n",
		"quoted":               `a: "x, y: [z]"` + "\n",
		"json":                 `{"a": [1, 2, {"b": null}], "c": {}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if got, est := countNodes(t, doc), Estimate([]byte(doc)); got > est {
				t.Errorf("the parser made %d nodes, the estimate was %d", got, est)
			}
		})
	}
}

// bomb is a "billion laughs": levels of aliases, each ten times the one before.
func bomb(levels int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	return b.String()
}

func TestMeasure(t *testing.T) {
	limits := Limits{Nodes: 100_000, Bytes: 1 << 20, Keys: 1000, Breadth: 2_000_000, Depth: 50, Documents: 10, Recipients: 3, Stanzas: 4}
	wide := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "  k%d: v\n", i)
		}
		return b.String()
	}
	age := func(stanzas int) string {
		return "    enc: |\n      -----BEGIN AGE ENCRYPTED FILE-----\n" + strings.Repeat("      -> X25519 abc\n      def\n", stanzas) + "      -----END AGE ENCRYPTED FILE-----\n"
	}
	for _, c := range []struct {
		name, doc string
		want      string // "" when within the caps
		objects   int
	}{
		{"small object", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "", 1},
		{"alias bomb", bomb(9), "aliases expand to more than 100000 nodes", 0},
		{"small aliases", bomb(3), "", 1},
		{"wide mapping", "data:\n" + wide(1001), "a YAML mapping with 1001 keys", 0},
		{"mapping widened by merges", "a: &a\n" + wide(600) + "b:\n  <<: [*a, *a]\n", "a YAML mapping with 1200 keys", 0},
		{"wide within the cap", "data:\n" + wide(1000), "", 1},
		{"many wide mappings", "a:\n" + wide(900) + "---\nb:\n" + wide(900) + "---\nc:\n" + wide(900) + "\n", "too wide in all", 0},
		{"long value aliased", "a: &a " + strings.Repeat("x", 100_000) + "\nb: [" + strings.TrimSuffix(strings.Repeat("*a, ", 20), ", ") + "]\n", "aliases expand to more than 1048576 bytes", 0},
		{"too many nodes to parse", strings.Repeat("- a\n", 60_000), "more than the 100000 allowed", 0},
		{"deep flow", strings.Repeat("[", 60) + strings.Repeat("]", 60), "nested more than 50 levels", 0},
		{"deep by aliases", "a: &a [[[[[[[[[[x]]]]]]]]]]\nb: &b [[[[[[[[[[*a]]]]]]]]]]\nc: &c [[[[[[[[[[*b]]]]]]]]]]\nd: &d [[[[[[[[[[*c]]]]]]]]]]\ne: &e [[[[[[[[[[*d]]]]]]]]]]\nf: [[[[[[[[[[*e]]]]]]]]]]\n", "nested more than 50 levels", 0},
		{"documents", strings.Repeat("---\na: 1\n", 11), "more than 10 YAML documents", 0},
		{"empty documents do not count", strings.Repeat("---\n", 50), "", 0},
		{"sops recipients", "data: {a: \"ENC[x]\"}\nsops:\n  age:\n" + strings.Repeat("  - recipient: age1x\n"+age(1), 4), "more than 3 recipients", 0},
		{"sops recipients by alias", "data: {a: \"ENC[x]\"}\nsops:\n  age:\n  - &r\n    recipient: age1x\n" + age(1) + "  - *r\n  - *r\n  - *r\n", "more than 3 recipients", 0},
		{"sops stanzas", "data: {a: \"ENC[x]\"}\nsops:\n  age:\n  - recipient: age1x\n" + age(5), "more than 4 age stanzas", 0},
		{"sops within caps", "data: {a: \"ENC[x]\"}\nsops:\n  age:\n  - recipient: age1x\n" + age(1), "", 1},
		{"sops in a dotenv file", strings.Repeat("sops_age__list_0__map_enc=x\n", 4), "more than 3 recipients", 0},
		{"not YAML", "\x00\x01\x02 binary", "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := Measure([]byte(c.doc), limits)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrLimit)):
				t.Fatalf("error %v, want %q", err, c.want)
			case c.want == "" && st.Objects != c.objects:
				t.Errorf("objects %d, want %d", st.Objects, c.objects)
			}
			if err != nil && len(err.Error()) > 120 {
				t.Errorf("the error is long (it must quote no input): %v", err)
			}
		})
	}
}

// BenchmarkMeasure measures a typical manifest file (what render adds to every file read).
func BenchmarkMeasure(b *testing.B) {
	var doc strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&doc, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-%d\n  labels: {app: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: quay.io/acme/web:1\n", i)
	}
	data := []byte(doc.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Measure(data, Limits{Nodes: 1 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}
