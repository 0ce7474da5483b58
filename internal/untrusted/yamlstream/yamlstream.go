// Package yamlstream cuts a YAML stream into its documents, by the one set of rules every
// reader of pullgen applies (render's record of encrypted documents, SOPS decryption of a
// stream, the check): a document starts at a line "---" (a directives end marker: "---" at
// the start of a line, followed by the end of the line, a space or a tab, and then possibly
// a comment or the document's first content, "--- {a: 1}") and ends before the next one, or
// at a line "..." (a document end marker, followed likewise by nothing, a space or a tab and
// possibly a comment). YAML forbids such lines inside a document, even inside a block or a
// quoted scalar, so no document is ever cut in two, and nothing needs to be parsed to find
// them.
//
// Split only cuts: it parses nothing, copies nothing, and must not be taken to validate a
// document (a YAML parser reads each piece).
package yamlstream

import "strings"

// Doc is one document of a stream.
type Doc struct {
	// Text is the document as the stream holds it, its markers included: the "---" line
	// that starts it and the "..." line that ends it, when it has them. The Texts of a
	// stream, joined, give back the stream.
	Text string
	// Line is the line Text starts on, counted from 0.
	Line int
}

// Split cuts data before every "---" marker line and after every "..." marker line. No
// piece is empty; a piece may hold nothing but comments or blank lines.
func Split(data string) []Doc {
	var out []Doc
	start, startLine, line := 0, 0, 0
	for i := 0; i < len(data); line++ {
		next := len(data)
		if end := strings.IndexByte(data[i:], '\n'); end >= 0 {
			next = i + end + 1
		}
		switch l := data[i:next]; {
		case isMarker(l, "---") && i > start:
			out = append(out, Doc{data[start:i], startLine})
			start, startLine = i, line
		case isMarker(l, "..."):
			out = append(out, Doc{data[start:next], startLine})
			start, startLine = next, line+1
		}
		i = next
	}
	if start < len(data) {
		out = append(out, Doc{data[start:], startLine})
	}
	return out
}

// isMarker tells whether line (with its line break) is the marker m: m at the start,
// then the end of the line, a space or a tab.
func isMarker(line, m string) bool {
	if !strings.HasPrefix(line, m) {
		return false
	}
	rest := line[len(m):]
	return rest == "" || rest[0] == '\n' || rest[0] == '\r' || rest[0] == ' ' || rest[0] == '\t'
}

// Body is the document without its markers: what follows "---" on its line is kept as
// the first line (a comment is dropped), the "..." line is dropped. Parsed, it is the same
// document as Text.
func (d Doc) Body() string {
	s := d.Text
	if isMarker(s, "---") {
		first, rest, _ := strings.Cut(s, "\n")
		if inline := strings.TrimSpace(first[3:]); inline != "" && !strings.HasPrefix(inline, "#") {
			rest = inline + "\n" + rest
		}
		s = rest
	}
	if i := strings.LastIndex(strings.TrimRight(s, "\r\n"), "\n") + 1; isMarker(s[i:], "...") {
		s = s[:i]
	}
	return s
}
