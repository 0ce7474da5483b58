// Package glob matches pullgen's globs, in the syntax of path.Match (*, ?, [a-z], [^a-z],
// \c): the namespaces of spec.excludeNamespaces and the host labels of registry keys.
// path.Match takes time in proportion to the pattern's length on every call and, with
// stars, to the pattern's length times the name's; a repository can make a glob of
// megabytes. A pattern is compiled once instead, within caps (MaxBytes, MaxTerms: no
// namespace and no DNS label is longer than 63 characters, so a longer pattern matches
// nothing a glob is used for), into at most 63 single-character terms, and a name is
// matched in one pass with the set of terms matched so far in a machine word: time in
// proportion to the name alone.
//
// On names of ASCII, Match agrees with path.Match. Elsewhere it follows the glob's
// meaning exactly, where path.Match, which commits to the first place each run of terms
// after a star matches, may miss a match in a name of invalid UTF-8. A pattern must not
// take more time to match than the name's length allows: nothing here backtracks.
package glob

import (
	"fmt"
	"math/bits"
	"path"
	"unicode/utf8"
)

const (
	// MaxBytes caps a pattern's length.
	MaxBytes = 1024
	// MaxTerms caps the single-character terms of a pattern (all but its stars).
	MaxTerms = 63
)

// Glob is a compiled pattern.
type Glob struct {
	pattern string
	terms   []term
	// loop has bit i set when a star stands before term i (bit len(terms): after the
	// last term): state i then takes any byte but '/' and stays.
	loop uint64
	// ascii[c] has bit i set when term i takes the ASCII byte c.
	ascii [utf8.RuneSelf]uint64
}

// term is one single-character term: a literal byte, '?' (any character but '/'), or a
// character class.
type term struct {
	kind    byte // 'b' a byte, '?' any, '[' a class
	b       byte
	negated bool
	ranges  []runeRange
}

type runeRange struct{ lo, hi rune }

// Compile compiles a pattern; the error says why it is refused: malformed (path.Match's
// syntax), or beyond MaxBytes or MaxTerms.
func Compile(pattern string) (*Glob, error) {
	if len(pattern) > MaxBytes {
		return nil, fmt.Errorf("%d bytes, more than the %d a glob may have", len(pattern), MaxBytes)
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	g := &Glob{pattern: pattern}
	for p := pattern; len(p) > 0; {
		var t term
		switch p[0] {
		case '*':
			g.loop |= 1 << len(g.terms)
			p = p[1:]
			continue
		case '?':
			t.kind, p = '?', p[1:]
		case '[':
			t, p = class(p[1:])
		case '\\':
			t.kind, t.b, p = 'b', p[1], p[2:] // the byte after it: path.Match compares bytes
		default:
			t.kind, t.b, p = 'b', p[0], p[1:]
		}
		if len(g.terms) == MaxTerms {
			return nil, fmt.Errorf("more than %d characters and wildcards besides *: longer than any name a glob may match", MaxTerms)
		}
		g.terms = append(g.terms, t)
	}
	for c := range utf8.RuneSelf {
		for i, t := range g.terms {
			if t.takes(rune(c), byte(c)) {
				g.ascii[c] |= 1 << i
			}
		}
	}
	return g, nil
}

// class parses a character class that path.Match found well-formed, after its '['.
func class(p string) (term, string) {
	t := term{kind: '['}
	if p[0] == '^' {
		t.negated, p = true, p[1:]
	}
	for first := true; first || p[0] != ']'; first = false {
		var r runeRange
		r.lo, p = classRune(p)
		r.hi = r.lo
		if p[0] == '-' {
			r.hi, p = classRune(p[1:])
		}
		t.ranges = append(t.ranges, r)
	}
	return t, p[1:]
}

// classRune reads a possibly escaped character of a class.
func classRune(p string) (rune, string) {
	if p[0] == '\\' {
		p = p[1:]
	}
	r, n := utf8.DecodeRuneInString(p)
	return r, p[n:]
}

// takes tells whether the term takes the character r that starts with the byte b.
func (t term) takes(r rune, b byte) bool {
	switch t.kind {
	case 'b':
		return t.b == b
	case '?':
		return b != '/'
	}
	in := false
	for _, rg := range t.ranges {
		in = in || rg.lo <= r && r <= rg.hi
	}
	return in != t.negated
}

// String is the pattern.
func (g *Glob) String() string { return g.pattern }

// Match tells whether the whole of name matches.
func (g *Glob) Match(name string) bool {
	accept := uint64(1) << len(g.terms)
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return g.matchUTF8(name)
		}
	}
	states := uint64(1) // state i: the first i terms matched
	for i := 0; i < len(name) && states != 0; i++ {
		c := name[i]
		next := (states & g.ascii[c]) << 1
		if c != '/' {
			next |= states & g.loop
		}
		states = next
	}
	return states&accept != 0
}

// matchUTF8 is Match for a name with bytes beyond ASCII, where a term may take several
// bytes: the states are kept for every byte offset.
func (g *Glob) matchUTF8(name string) bool {
	at := make([]uint64, len(name)+1)
	at[0] = 1
	for i := 0; i < len(name); i++ {
		states := at[i]
		if states == 0 {
			continue
		}
		c := name[i]
		if c != '/' {
			at[i+1] |= states & g.loop
		}
		if c < utf8.RuneSelf {
			at[i+1] |= (states & g.ascii[c]) << 1
			continue
		}
		r, n := utf8.DecodeRuneInString(name[i:])
		for s := states &^ (uint64(1) << len(g.terms)); s != 0; s &= s - 1 {
			k := bits.TrailingZeros64(s)
			t := g.terms[k]
			switch {
			case t.kind == 'b' && t.takes(r, c):
				at[i+1] |= 1 << (k + 1)
			case t.kind != 'b' && t.takes(r, c):
				at[i+n] |= 1 << (k + 1)
			}
		}
	}
	return at[len(name)]&(uint64(1)<<len(g.terms)) != 0
}
