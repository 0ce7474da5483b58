package pullcheck

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// A reader for the YAML that manifests are written in, faster than a full YAML parser because
// it handles only the common subset and builds a throw-away tree in a reused arena, its
// scalars slices of the input. Block mappings and sequences, plain and quoted one-line
// scalars, flow collections (JSON included) and comments are read; block scalars are skipped
// (kept as opaque nodes). Anything else (anchors, aliases, tags, multi-line scalars, complex
// keys, directives, tabs, carriage returns, control characters, syntax errors) makes it give
// up on the chunk, which the full parser then reads: the full parser stays the judge of what
// is valid YAML and of every error message. Lines are those the full parser reports.

// Kinds of fnode.
const (
	fScalar uint8 = iota
	fNull
	fMap
	fSeq
	fOpaque // a block scalar, not read
)

// fnode is one node of a fast-read document. Collections keep their children in
// fparser.kids[first : first+n] (keys and values alternating for mappings).
type fnode struct {
	kind  uint8
	line  int32
	value string
	first int32
	n     int32
}

// fline is one line of a chunk: [start, end) without the newline; content starts at
// start+indent.
type fline struct {
	start, end, indent int
}

// errFallback aborts the fast reader; the chunk goes to the full parser.
type errFallback struct{}

// fparser reads one chunk at a time; its slices are reused from chunk to chunk.
type fparser struct {
	src      string
	lineBase int // line number of lines[0] minus 1
	lines    []fline
	li       int // next line to read
	nodes    []fnode
	kids     []int32
	stack    []int32
	// opaque is set when a reader asks for the value of an opaque node.
	opaque bool
	// depth is the nesting of collections being read.
	depth int
}

// Limits beyond which the full parser decides (it refuses deeper nesting and longer
// implicit keys).
const (
	maxDepth  = 1000
	maxKeyLen = 1000
)

// enter counts one more level of nesting; leave undoes it.
func (p *fparser) enter() {
	if p.depth++; p.depth > maxDepth {
		panic(errFallback{})
	}
}

func (p *fparser) leave() { p.depth-- }

// parse reads the chunk src starting on line base (0-based). It returns the number of
// documents (0 or 1), the root node (-1 when the document is empty) and false when the
// chunk needs the full parser.
func (p *fparser) parse(src string, base int) (docs int, root int32, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, is := r.(errFallback); !is {
				panic(r)
			}
			docs, root, ok = 0, -1, false
		}
	}()
	if !p.splitLines(src, base) {
		return 0, -1, false
	}
	p.nodes, p.kids, p.stack, p.opaque, p.depth = p.nodes[:0], p.kids[:0], p.stack[:0], false, 0
	p.li = 0
	li := p.nextContent()
	if li < len(p.lines) {
		c := p.content(li)
		switch {
		case p.lines[li].indent > 0:
		case strings.TrimRight(c, " ") == "---":
			docs = 1
			p.li = li + 1
			li = p.nextContent()
		case strings.HasPrefix(c, "---") || strings.HasPrefix(c, "...") || strings.HasPrefix(c, "%"):
			return 0, -1, false
		}
	}
	if li >= len(p.lines) {
		return docs, -1, true
	}
	p.li = li
	l := p.lines[li]
	root = p.block(l.start+l.indent, l.indent, -1, true)
	if p.nextContent() < len(p.lines) {
		panic(errFallback{})
	}
	return 1, root, true
}

// splitLines cuts src into lines, refusing what the fast reader does not handle: tabs,
// carriage returns, control characters, and characters YAML does not allow.
func (p *fparser) splitLines(src string, base int) bool {
	p.src, p.lineBase, p.lines = src, base, p.lines[:0]
	start := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\n':
			p.lines = append(p.lines, p.newLine(start, i))
			start = i + 1
		case c < 0x20 || c == 0x7f:
			return false
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(src[i:])
			if !printable(r, size) {
				return false
			}
			i += size - 1
		}
	}
	if start < len(src) {
		p.lines = append(p.lines, p.newLine(start, len(src)))
	}
	return true
}

// printable is YAML's set of printable characters beyond ASCII.
func printable(r rune, size int) bool {
	if r == utf8.RuneError && size <= 1 {
		return false
	}
	return r == 0x85 || r >= 0xA0 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD && r != 0xFEFF || r >= 0x10000 && r <= 0x10FFFF
}

func (p *fparser) newLine(start, end int) fline {
	i := start
	for i < end && p.src[i] == ' ' {
		i++
	}
	return fline{start: start, end: end, indent: i - start}
}

// content is the text of line li after its indentation.
func (p *fparser) content(li int) string {
	l := p.lines[li]
	return p.src[l.start+l.indent : l.end]
}

// blank tells whether line li holds nothing but spaces or a comment.
func (p *fparser) blank(li int) bool {
	c := p.content(li)
	return c == "" || c[0] == '#'
}

// nextContent is the first line from p.li on that is not blank, len(lines) when none.
func (p *fparser) nextContent() int {
	li := p.li
	for li < len(p.lines) && p.blank(li) {
		li++
	}
	return li
}

// lineOf is the stream line number (1-based) of line index li.
func (p *fparser) lineOf(li int) int32 { return int32(p.lineBase + li + 1) }

// lineAt is the index of the line that holds position pos, searched from p.li on; p.li
// moves there (positions only grow while a flow collection is read).
func (p *fparser) lineAt(pos int) int {
	for p.li < len(p.lines)-1 && p.lines[p.li].end < pos {
		p.li++
	}
	return p.li
}

func (p *fparser) add(n fnode) int32 {
	p.nodes = append(p.nodes, n)
	return int32(len(p.nodes) - 1)
}

// collection makes a node of the children pushed on the stack since mark.
func (p *fparser) collection(kind uint8, line int32, mark int) int32 {
	first := len(p.kids)
	p.kids = append(p.kids, p.stack[mark:]...)
	p.stack = p.stack[:mark]
	return p.add(fnode{kind: kind, line: line, first: int32(first), n: int32(len(p.kids) - first)})
}

// restBlank tells whether the rest of a line from pos holds only spaces or a comment.
func (p *fparser) restBlank(pos, end int) bool {
	for pos < end && p.src[pos] == ' ' {
		pos++
	}
	return pos == end || p.src[pos] == '#' && (pos == 0 || p.src[pos-1] == ' ')
}

// block reads the node that starts at pos, on line p.li, at column col, inside a block
// whose indentation is parent. allowMap is false for a mapping value written on its key's
// line, where a nested "key: value" is an error. On return p.li is past the node.
func (p *fparser) block(pos, col, parent int, allowMap bool) int32 {
	li := p.li
	end := p.lines[li].end
	switch c := p.src[pos]; c {
	case '-':
		if pos+1 == end || p.src[pos+1] == ' ' {
			if !allowMap {
				panic(errFallback{})
			}
			return p.sequence(pos, col)
		}
	case '{', '[':
		n, after := p.flow(pos)
		p.li = p.lineAt(after)
		p.endValue(after, parent)
		return n
	case '"', '\'':
		value, after := p.quoted(pos, end)
		if k := p.keyColon(after, end); k >= 0 {
			if !allowMap {
				panic(errFallback{})
			}
			return p.mapping(pos, col)
		}
		n := p.add(fnode{kind: fScalar, line: p.lineOf(li), value: value})
		p.endValue(after, parent)
		return n
	case '|', '>':
		return p.blockScalar(pos, parent)
	case '&', '*', '!', '?', '%', '@', '`', ',', ']', '}', '#', ':':
		panic(errFallback{})
	}
	if _, after := p.plainKey(pos, end); after >= 0 {
		if !allowMap {
			panic(errFallback{})
		}
		return p.mapping(pos, col)
	}
	value := p.plain(pos, end)
	n := p.add(plainNode(value, p.lineOf(li)))
	p.endValue(end, parent)
	return n
}

// plainNode is a plain scalar, null when YAML reads it as null.
func plainNode(value string, line int32) fnode {
	switch value {
	case "", "~", "null", "Null", "NULL":
		return fnode{kind: fNull, line: line}
	}
	return fnode{kind: fScalar, line: line, value: value}
}

// endValue checks that nothing but a comment follows a value on its last line, and moves
// past that line; a more indented line after it would continue a multi-line scalar or be
// an error: both are for the full parser.
func (p *fparser) endValue(pos, parent int) {
	if !p.restBlank(pos, p.lines[p.li].end) {
		panic(errFallback{})
	}
	p.li++
	if li := p.nextContent(); li < len(p.lines) && p.lines[li].indent > parent {
		panic(errFallback{})
	}
}

// plain reads a one-line plain scalar from pos to the end of the line or a comment.
func (p *fparser) plain(pos, end int) string {
	stop := end
	for i := pos; i < end; i++ {
		if p.src[i] == '#' && i > pos && p.src[i-1] == ' ' {
			stop = i
			break
		}
	}
	v := strings.TrimRight(p.src[pos:stop], " ")
	if strings.Contains(v, ": ") || strings.HasSuffix(v, ":") {
		panic(errFallback{})
	}
	return v
}

// plainKey finds "key:" at pos: it returns the key and the position after the colon, or
// -1 when the line is not a mapping entry.
func (p *fparser) plainKey(pos, end int) (string, int) {
	for i := pos; i < end; i++ {
		switch p.src[i] {
		case ':':
			if i+1 == end || p.src[i+1] == ' ' {
				return strings.TrimRight(p.src[pos:i], " "), i + 1
			}
		case '#':
			if i > pos && p.src[i-1] == ' ' {
				return "", -1
			}
		}
	}
	return "", -1
}

// keyColon returns the position after ": " (or a final ":") at pos, -1 when there is none.
func (p *fparser) keyColon(pos, end int) int {
	for pos < end && p.src[pos] == ' ' {
		pos++
	}
	if pos < end && p.src[pos] == ':' && (pos+1 == end || p.src[pos+1] == ' ') {
		return pos + 1
	}
	return -1
}

// quoted reads a single- or double-quoted scalar that ends on its line; it returns the
// value and the position after the closing quote.
func (p *fparser) quoted(pos, end int) (string, int) {
	q := p.src[pos]
	var b *strings.Builder
	i := pos + 1
	for ; i < end; i++ {
		c := p.src[i]
		switch {
		case c == q && q == '\'':
			if i+1 < end && p.src[i+1] == '\'' {
				if b == nil {
					b = &strings.Builder{}
					b.WriteString(p.src[pos+1 : i])
				}
				b.WriteByte('\'')
				i++
				continue
			}
		case c == q:
		case c == '\\' && q == '"':
			if b == nil {
				b = &strings.Builder{}
				b.WriteString(p.src[pos+1 : i])
			}
			i = p.escape(b, i, end)
			continue
		default:
			if b != nil {
				b.WriteByte(c)
			}
			continue
		}
		if b != nil {
			return b.String(), i + 1
		}
		return p.src[pos+1 : i], i + 1
	}
	panic(errFallback{}) // a multi-line quoted scalar
}

// escape decodes the escape sequence at i (a backslash) into b and returns the position of
// its last character.
func (p *fparser) escape(b *strings.Builder, i, end int) int {
	if i+1 >= end {
		panic(errFallback{})
	}
	switch c := p.src[i+1]; c {
	case '\\', '"':
		b.WriteByte(c)
	case 'n':
		b.WriteByte('\n')
	case 't':
		b.WriteByte('\t')
	case 'r':
		b.WriteByte('\r')
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case '0':
		b.WriteByte(0)
	case 'u':
		if i+6 > end {
			panic(errFallback{})
		}
		v, err := strconv.ParseUint(p.src[i+2:i+6], 16, 32)
		if err != nil || v >= 0xD800 && v <= 0xDFFF {
			panic(errFallback{})
		}
		b.WriteRune(rune(v))
		return i + 5
	default:
		panic(errFallback{})
	}
	return i + 1
}

// mapping reads a block mapping whose first key is at pos, column col.
func (p *fparser) mapping(pos, col int) int32 {
	p.enter()
	defer p.leave()
	mark := len(p.stack)
	line := p.lineOf(p.li)
	for {
		li := p.li
		end := p.lines[li].end
		var key string
		var after int
		if c := p.src[pos]; c == '"' || c == '\'' {
			key, after = p.quoted(pos, end)
			if after = p.keyColon(after, end); after < 0 {
				panic(errFallback{})
			}
		} else {
			switch c {
			case '-', '&', '*', '!', '?', '%', '@', '`', ',', '[', ']', '{', '}', '#', '|', '>', ':':
				panic(errFallback{})
			}
			if key, after = p.plainKey(pos, end); after < 0 {
				panic(errFallback{})
			}
		}
		if len(key) > maxKeyLen {
			panic(errFallback{})
		}
		p.stack = append(p.stack, p.add(plainKeyNode(key, p.lineOf(li))))
		p.stack = append(p.stack, p.value(after, col, li))
		next := p.nextContent()
		if next >= len(p.lines) || p.lines[next].indent < col {
			break
		}
		if p.lines[next].indent > col {
			panic(errFallback{})
		}
		p.li = next
		pos = p.lines[next].start + col
	}
	return p.collection(fMap, line, mark)
}

// plainKeyNode is a key: keys are compared by their text, null or not.
func plainKeyNode(key string, line int32) fnode {
	return fnode{kind: fScalar, line: line, value: key}
}

// value reads the value of a mapping entry of column col whose colon ends before pos on
// line li.
func (p *fparser) value(pos, col, li int) int32 {
	end := p.lines[li].end
	if !p.restBlank(pos, end) {
		for pos < end && p.src[pos] == ' ' {
			pos++
		}
		return p.block(pos, pos-p.lines[li].start, col, false)
	}
	p.li = li + 1
	next := p.nextContent()
	if next < len(p.lines) {
		l := p.lines[next]
		start := l.start + l.indent
		if l.indent > col {
			p.li = next
			return p.block(start, l.indent, col, true)
		}
		if l.indent == col && p.src[start] == '-' && (start+1 == l.end || p.src[start+1] == ' ') {
			p.li = next
			return p.sequence(start, col)
		}
	}
	return p.add(fnode{kind: fNull, line: p.lineOf(li)})
}

// sequence reads a block sequence whose first "-" is at pos, column col.
func (p *fparser) sequence(pos, col int) int32 {
	p.enter()
	defer p.leave()
	mark := len(p.stack)
	line := p.lineOf(p.li)
	for {
		li := p.li
		end := p.lines[li].end
		item := pos + 1
		for item < end && p.src[item] == ' ' {
			item++
		}
		if p.restBlank(item, end) {
			p.li = li + 1
			next := p.nextContent()
			if next < len(p.lines) && p.lines[next].indent > col {
				p.li = next
				l := p.lines[next]
				p.stack = append(p.stack, p.block(l.start+l.indent, l.indent, col, true))
			} else {
				p.stack = append(p.stack, p.add(fnode{kind: fNull, line: p.lineOf(li)}))
			}
		} else {
			p.stack = append(p.stack, p.block(item, item-p.lines[li].start, col, true))
		}
		next := p.nextContent()
		if next >= len(p.lines) || p.lines[next].indent < col {
			break
		}
		l := p.lines[next]
		start := l.start + l.indent
		if l.indent > col {
			panic(errFallback{})
		}
		if p.src[start] != '-' || start+1 < l.end && p.src[start+1] != ' ' {
			break // the next key of a mapping at the same column
		}
		p.li = next
		pos = start
	}
	return p.collection(fSeq, line, mark)
}

// blockScalar skips a literal or folded scalar whose header is at pos; its lines are
// those more indented than the parent block.
func (p *fparser) blockScalar(pos, parent int) int32 {
	li := p.li
	end := p.lines[li].end
	i := pos + 1
	for i < end && (p.src[i] == '-' || p.src[i] == '+') {
		i++
	}
	if !p.restBlank(i, end) {
		panic(errFallback{}) // an indentation indicator, or text after the header
	}
	n := p.add(fnode{kind: fOpaque, line: p.lineOf(li)})
	indent := -1
	p.li = li + 1
	for p.li < len(p.lines) {
		l := p.lines[p.li]
		if l.start+l.indent == l.end { // empty or spaces only
			p.li++
			continue
		}
		if l.indent <= parent {
			break
		}
		if indent < 0 {
			indent = l.indent
		} else if l.indent < indent {
			panic(errFallback{})
		}
		p.li++
	}
	return n
}

// flow reads a flow collection that starts at pos ("{" or "["), across lines. It returns
// the node and the position after its closing bracket.
func (p *fparser) flow(pos int) (int32, int) {
	p.enter()
	defer p.leave()
	open := p.src[pos]
	mark := len(p.stack)
	line := p.lineOf(p.lineAt(pos))
	pos++
	closing := byte('}')
	if open == '[' {
		closing = ']'
	}
	for {
		pos = p.flowSpace(pos)
		if p.src[pos] == closing {
			break
		}
		var n int32
		n, pos = p.flowNode(pos)
		pos = p.flowSpace(pos)
		if open == '{' {
			if p.src[pos] != ':' || len(p.nodes[n].value) > maxKeyLen {
				panic(errFallback{}) // a key without a value, or a very long one
			}
			p.stack = append(p.stack, n)
			pos = p.flowSpace(pos + 1)
			if c := p.src[pos]; c == ',' || c == '}' {
				panic(errFallback{}) // an empty value
			}
			n, pos = p.flowNode(pos)
			pos = p.flowSpace(pos)
		} else if p.src[pos] == ':' {
			panic(errFallback{}) // a single-pair mapping in a sequence
		}
		p.stack = append(p.stack, n)
		if p.src[pos] == ',' {
			pos++
			continue
		}
		if p.src[pos] != closing {
			panic(errFallback{})
		}
		break
	}
	kind := fMap
	if open == '[' {
		kind = fSeq
	}
	return p.collection(kind, line, mark), pos + 1
}

// flowSpace skips spaces, line breaks and comments inside a flow collection (where the
// full parser does not look at indentation) and returns the next position, which must
// exist.
func (p *fparser) flowSpace(pos int) int {
	for pos < len(p.src) {
		switch p.src[pos] {
		case ' ', '\n':
			pos++
		case '#':
			if pos > 0 && p.src[pos-1] != ' ' && p.src[pos-1] != '\n' {
				panic(errFallback{})
			}
			for pos < len(p.src) && p.src[pos] != '\n' {
				pos++
			}
		default:
			return pos
		}
	}
	panic(errFallback{}) // an unclosed collection
}

// flowNode reads a node inside a flow collection and returns the position after it.
func (p *fparser) flowNode(pos int) (int32, int) {
	line := p.lineOf(p.lineAt(pos))
	switch c := p.src[pos]; c {
	case '{', '[':
		return p.flow(pos)
	case '"', '\'':
		end := strings.IndexByte(p.src[pos:], '\n')
		if end < 0 {
			end = len(p.src)
		} else {
			end += pos
		}
		v, after := p.quoted(pos, end)
		return p.add(fnode{kind: fScalar, line: line, value: v}), after
	case '&', '*', '!', '?', '%', '@', '`', ',', ']', '}', '#', '|', '>', ':':
		panic(errFallback{})
	case '-':
		if pos+1 < len(p.src) && (p.src[pos+1] == ' ' || p.src[pos+1] == '\n') {
			panic(errFallback{})
		}
	}
	i := pos
	for ; i < len(p.src); i++ {
		c := p.src[i]
		if c == ',' || c == '[' || c == ']' || c == '{' || c == '}' || c == '\n' {
			break
		}
		if c == ':' && (i+1 == len(p.src) || strings.IndexByte(" \n,[]{}", p.src[i+1]) >= 0) {
			break
		}
		if c == '#' && p.src[i-1] == ' ' {
			break
		}
	}
	v := strings.TrimRight(p.src[pos:i], " ")
	return p.add(plainNode(v, line)), i
}
