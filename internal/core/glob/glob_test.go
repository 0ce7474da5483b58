package glob

import (
	"path"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestMatch: the globs of namespaces and host labels, matched as path.Match matches them.
func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		want          bool
	}{
		{"kube-*", "kube-system", true},
		{"kube-*", "kube-", true},
		{"kube-*", "kubernetes", false},
		{"*-system", "kube-system", true},
		{"openshift-*", "openshift", false},
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"team-?", "team-a", true},
		{"team-?", "team-ab", false},
		{"team-[a-c]", "team-b", true},
		{"team-[^a-c]", "team-b", false},
		{"team-[^a-c]", "team-d", true},
		{`team-\*`, "team-*", true},
		{`team-\*`, "team-a", false},
		{"*a*b*c", "xxaxxbxxc", true},
		{"*a*b*c", "xxaxxcxxb", false},
		{"a*", "a/b", false},
		{"a?b", "a/b", false},
		{"a[/]b", "a/b", true},
		{"*.gcr.io", "eu.gcr.io", true},
		{"?é", "xé", true},
		{"[é]x", "éx", true},
		{"*é", "aaé", true},
		{"é*", "éa/", false},
	} {
		g, err := Compile(c.pattern)
		if err != nil {
			t.Fatalf("Compile(%q): %v", c.pattern, err)
		}
		if got := g.Match(c.name); got != c.want {
			t.Errorf("%q matching %q = %v, want %v", c.pattern, c.name, got, c.want)
		}
		if want, _ := path.Match(c.pattern, c.name); want != c.want {
			t.Errorf("the table disagrees with path.Match on %q, %q", c.pattern, c.name)
		}
	}
}

// TestCompileRefuses: malformed patterns as path.Match refuses them, and patterns beyond
// the caps, each beside one just within.
func TestCompileRefuses(t *testing.T) {
	for _, c := range []struct {
		pattern string
		says    string // "" when it compiles
	}{
		{"[", "syntax error"},
		{"[]", "syntax error"},
		{`a\`, "syntax error"},
		{"[a-]", "syntax error"},
		{strings.Repeat("x", MaxTerms), ""},
		{strings.Repeat("x", MaxTerms+1), "more than 63 characters"},
		{strings.Repeat("*x", MaxTerms) + "*", ""},
		{strings.Repeat("?", MaxTerms+1), "more than 63 characters"},
		{"[" + strings.Repeat("a", MaxBytes-2) + "]", ""},
		{"[" + strings.Repeat("a", MaxBytes-1) + "]", "more than the 1024 a glob may have"},
		{strings.Repeat("x", 6<<20), "6291456 bytes, more than the 1024"},
	} {
		_, err := Compile(c.pattern)
		switch {
		case c.says == "" && err != nil:
			t.Errorf("Compile(%.40q…): %v", c.pattern, err)
		case c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says)):
			t.Errorf("Compile(%.40q…) = %v, want an error saying %q", c.pattern, err, c.says)
		}
	}
}

// FuzzMatch: on names of ASCII, Match is path.Match; on any name, whatever path.Match
// matches, Match matches.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"kube-*", "kube-system"}, {"*a*b", "aab"}, {"[^a-c]?*", "d/x"}, {`\[*`, "[x"}, {"?é*", "xéé"}, {"*?", "\xff"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if len(name) > 256 || len(pattern) > 2*MaxBytes {
			return // path.Match's time grows with their product
		}
		g, err := Compile(pattern)
		want, werr := path.Match(pattern, name)
		if werr != nil || len(pattern) > MaxBytes {
			if err == nil {
				t.Fatalf("%q compiled, path.Match: %v", pattern, werr)
			}
			return
		}
		if err != nil {
			return // beyond MaxTerms
		}
		got := g.Match(name)
		ascii := true
		for i := 0; i < len(name); i++ {
			ascii = ascii && name[i] < utf8.RuneSelf
		}
		if ascii && got != want || want && !got {
			t.Fatalf("%q matching %q = %v, path.Match says %v", pattern, name, got, want)
		}
	})
}

// BenchmarkMatch: one name against the longest glob, and against a short one.
func BenchmarkMatch(b *testing.B) {
	long, _ := Compile(strings.Repeat("*a", 31) + "*b")
	short, _ := Compile("kube-*")
	name := strings.Repeat("a", 63)
	b.Run("longest", func(b *testing.B) {
		for range b.N {
			long.Match(name)
		}
	})
	b.Run("path.Match-longest", func(b *testing.B) {
		for range b.N {
			path.Match(long.String(), name)
		}
	})
	b.Run("short", func(b *testing.B) {
		for range b.N {
			short.Match("kube-system")
		}
	})
}
