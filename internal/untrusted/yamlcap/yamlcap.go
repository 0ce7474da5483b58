// Package yamlcap measures YAML input against caps before any parser expands it: an upper
// estimate of the nodes a stream parses into (from a byte count, no parsing), then the
// exact count with every alias expanded, the nesting depth, the documents, and the SOPS
// recipients and age stanzas each document carries. A small file can parse into gigabytes
// (a "billion laughs" alias bomb: kyaml's DeAnchor copies every alias) or take minutes to
// decrypt (thousands of recipients); Measure says so first, in a short error that quotes
// nothing of the input. It must not hand a parser's result on: it measures, and the
// caller parses what passed.
package yamlcap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Limits are the caps one input is measured against. A zero field means no cap.
type Limits struct {
	// Nodes caps the YAML nodes of the input, every alias expanded (and, before parsing,
	// the estimate of Estimate).
	Nodes int
	// Bytes caps the text of the input's scalars, every alias expanded (a long value
	// aliased a thousand times is a thousand long values once anything writes it out).
	Bytes int
	// Keys caps the keys of one mapping, those it merges (<<) included: kustomize's work
	// grows with the square of a mapping's width. Breadth caps the sum of those squares.
	Keys, Breadth int
	// Depth caps the nesting of collections, aliases expanded.
	Depth int
	// Documents caps the non-empty documents of the input.
	Documents int
	// Recipients caps the SOPS master keys (age, PGP, KMS, Vault, ...) of one document.
	Recipients int
	// Stanzas caps the age stanzas summed over the recipients of one document.
	Stanzas int
}

// Defaults are the caps every reader of untrusted YAML starts from: render's defaults,
// which the function mode (Nodes times four) and the check (Depth) take up.
func Defaults() Limits {
	return Limits{Nodes: 500_000, Depth: 100, Keys: 10_000, Recipients: 100, Stanzas: 200}
}

// Stats is what Measure counted.
type Stats struct {
	// Nodes are the nodes with aliases expanded (the estimate when the input is not YAML).
	Nodes int
	// Documents are the non-empty documents; Objects those whose top is a mapping.
	Documents, Objects int
	// Breadth is the sum of the squares of the mappings' widths.
	Breadth int
}

// ErrLimit is what every error of a cap exceeded is (errors.Is).
var ErrLimit = errors.New("over a YAML limit")

type limitErr string

func (e limitErr) Error() string        { return string(e) }
func (e limitErr) Is(target error) bool { return target == ErrLimit }

func limitError(format string, args ...any) error {
	return limitErr(fmt.Sprintf(format, args...))
}

// Estimate is an upper estimate of the nodes data parses into, aliases not expanded,
// computed from byte counts alone: every YAML node needs a line or an indicator character
// (':' ',' '[' '{' '-' '?' '*'), and none of these makes more than three nodes. Text that is
// not YAML is overcounted, which only makes the estimate safer.
func Estimate(data []byte) int {
	n := 2 + bytes.Count(data, []byte{'\n'}) +
		bytes.Count(data, []byte{':'}) + bytes.Count(data, []byte{'?'}) + bytes.Count(data, []byte{'*'}) +
		2*bytes.Count(data, []byte{','}) + 2*bytes.Count(data, []byte{'['}) + 3*bytes.Count(data, []byte{'{'})
	for i, c := range data {
		if c == '-' && (i+1 == len(data) || data[i+1] == ' ' || data[i+1] == '\n' || data[i+1] == '\t' || data[i+1] == '\r') {
			n++
		}
	}
	return n
}

// Measure checks data against l: first the estimate (so that no parser ever sees an input
// too big to hold), then, parsing it without expanding anything, the exact counts. Input
// that does not parse as YAML is measured by its estimate only (a parser that reads it as
// YAML fails on it too). The error names the cap, never the content.
func Measure(data []byte, l Limits) (Stats, error) {
	est := Estimate(data)
	if l.Nodes > 0 && est > l.Nodes {
		return Stats{Nodes: est}, limitError("about %d YAML nodes, more than the %d allowed", est, l.Nodes)
	}
	m := measurer{l: l, size: map[*yaml.Node]size{}, depth: map[*yaml.Node]int{}, keys: map[*yaml.Node]keyCount{}, width: map[*yaml.Node]int{}}
	var st Stats
	textBytes := 0
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if err == io.EOF {
				break
			}
			// Not YAML (or not past this point): what parsed so far is counted.
			if st.Nodes < est {
				st.Nodes = est
			}
			return st, nil
		}
		if len(doc.Content) == 0 || isEmpty(doc.Content[0]) {
			continue
		}
		st.Documents++
		if l.Documents > 0 && st.Documents > l.Documents {
			return st, limitError("more than %d YAML documents", l.Documents)
		}
		top := doc.Content[0]
		if top.Kind == yaml.MappingNode {
			st.Objects++
		}
		sz, err := m.sizeOf(&doc)
		if err != nil {
			return st, err
		}
		st.Nodes = saturatingAdd(st.Nodes, sz.nodes)
		textBytes = saturatingAdd(textBytes, sz.bytes)
		if l.Nodes > 0 && st.Nodes > l.Nodes {
			return st, limitError("YAML aliases expand to more than %d nodes", l.Nodes)
		}
		if l.Bytes > 0 && textBytes > l.Bytes {
			return st, limitError("YAML aliases expand to more than %d bytes", l.Bytes)
		}
		if d := m.depthOf(&doc); l.Depth > 0 && d > l.Depth {
			return st, limitError("YAML nested more than %d levels deep", l.Depth)
		}
		if err := m.sops(top, st.Documents); err != nil {
			return st, err
		}
	}
	if err := rawSOPS(data, l); err != nil {
		return st, err
	}
	st.Breadth = m.breadth
	return st, nil
}

// isEmpty tells an empty document ("---" alone), which parsers skip.
func isEmpty(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == ""
}

type keyCount struct{ recipients, stanzas int }

// measurer counts with memory: an alias costs what its anchor costs, computed once.
type measurer struct {
	l     Limits
	size  map[*yaml.Node]size
	depth map[*yaml.Node]int
	keys  map[*yaml.Node]keyCount
	width map[*yaml.Node]int
	// breadth sums the squares of the widths of the mappings measured.
	breadth int
}

// widthOf is the number of keys of a mapping once its merge keys (<<) are expanded.
func (m *measurer) widthOf(n *yaml.Node) int {
	n = resolve(n)
	if w, ok := m.width[n]; ok {
		return w
	}
	m.width[n] = 0 // a guard against cycles
	w := 0
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Tag == "!!merge" || k.Value == "<<" {
				w = saturatingAdd(w, m.widthOf(n.Content[i+1]))
			} else {
				w++
			}
		}
	case yaml.SequenceNode: // the value of a merge key: a list of mappings
		for _, c := range n.Content {
			w = saturatingAdd(w, m.widthOf(c))
		}
	}
	m.width[n] = w
	return w
}

// size is what a node expands to: its nodes and the bytes of its scalars.
type size struct{ nodes, bytes int }

func saturatingAdd(a, b int) int {
	const max = int(^uint(0) >> 2)
	if a > max-b {
		return max
	}
	return a + b
}

// sizeOf is the size of n with aliases expanded. The parser refuses an anchor that
// contains its own alias, so the recursion ends.
func (m *measurer) sizeOf(n *yaml.Node) (size, error) {
	if s, ok := m.size[n]; ok {
		return s, nil
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return size{1, 0}, nil
		}
		m.size[n] = size{1, 0} // a guard against cycles
		s, err := m.sizeOf(n.Alias)
		m.size[n] = s
		return s, err
	}
	if n.Kind == yaml.MappingNode {
		w := m.widthOf(n)
		if m.l.Keys > 0 && w > m.l.Keys {
			return size{}, limitError("a YAML mapping with %d keys, more than the %d allowed", w, m.l.Keys)
		}
		m.breadth = saturatingAdd(m.breadth, w*w)
		if m.l.Breadth > 0 && m.breadth > m.l.Breadth {
			return size{}, limitError("YAML mappings too wide in all (the squares of their widths add up to more than %d)", m.l.Breadth)
		}
	}
	total := size{1, len(n.Value)}
	for _, c := range n.Content {
		s, err := m.sizeOf(c)
		if err != nil {
			return size{}, err
		}
		total = size{saturatingAdd(total.nodes, s.nodes), saturatingAdd(total.bytes, s.bytes)}
		if m.l.Nodes > 0 && total.nodes > m.l.Nodes {
			return size{}, limitError("YAML aliases expand to more than %d nodes", m.l.Nodes)
		}
		if m.l.Bytes > 0 && total.bytes > m.l.Bytes {
			return size{}, limitError("YAML aliases expand to more than %d bytes", m.l.Bytes)
		}
	}
	m.size[n] = total
	return total, nil
}

// depthOf is the nesting depth of n with aliases expanded.
func (m *measurer) depthOf(n *yaml.Node) int {
	if d, ok := m.depth[n]; ok {
		return d
	}
	m.depth[n] = 1
	d := 0
	switch {
	case n.Kind == yaml.AliasNode && n.Alias != nil:
		d = m.depthOf(n.Alias)
	case len(n.Content) > 0:
		for _, c := range n.Content {
			d = max(d, m.depthOf(c))
		}
		if n.Kind != yaml.DocumentNode {
			d++
		}
	default:
		d = 1
	}
	m.depth[n] = d
	return d
}

// sops counts the master keys of a document's top-level sops block (every mapping under it
// that holds an enc value is one) and the age stanzas of their enc values.
func (m *measurer) sops(top *yaml.Node, doc int) error {
	if top.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		if resolve(top.Content[i]).Value != "sops" {
			continue
		}
		c := m.countKeys(top.Content[i+1])
		if m.l.Recipients > 0 && c.recipients > m.l.Recipients {
			return limitError("document %d: SOPS metadata names more than %d recipients", doc, m.l.Recipients)
		}
		if m.l.Stanzas > 0 && c.stanzas > m.l.Stanzas {
			return limitError("document %d: SOPS metadata holds more than %d age stanzas", doc, m.l.Stanzas)
		}
	}
	return nil
}

func (m *measurer) countKeys(n *yaml.Node) keyCount {
	if c, ok := m.keys[n]; ok {
		return c
	}
	m.keys[n] = keyCount{}
	var c keyCount
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias != nil {
			c = m.countKeys(n.Alias)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if resolve(k).Value == "enc" {
				c.recipients++
				c.stanzas += stanzas(resolve(v).Value)
				continue
			}
			sub := m.countKeys(v)
			c.recipients, c.stanzas = saturatingAdd(c.recipients, sub.recipients), saturatingAdd(c.stanzas, sub.stanzas)
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, v := range n.Content {
			sub := m.countKeys(v)
			c.recipients, c.stanzas = saturatingAdd(c.recipients, sub.recipients), saturatingAdd(c.stanzas, sub.stanzas)
		}
	}
	m.keys[n] = c
	return c
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 64; i++ {
		n = n.Alias
	}
	return n
}

// stanzas counts the stanzas of an armored age header: its lines that begin with "-> ".
func stanzas(enc string) int {
	n := strings.Count(enc, "\n-> ")
	if strings.HasPrefix(enc, "-> ") {
		n++
	}
	return n
}

// rawSOPS measures the SOPS metadata of the formats that are not YAML documents (dotenv
// and INI files keep it in flat keys such as sops_age__list_0__map_enc): every "_map_enc"
// key is a recipient, and every "-> " an age stanza (their enc values escape newlines).
func rawSOPS(data []byte, l Limits) error {
	if !bytes.Contains(data, []byte("__map_enc")) {
		return nil
	}
	if r := bytes.Count(data, []byte("__map_enc")); l.Recipients > 0 && r > l.Recipients {
		return limitError("SOPS metadata names more than %d recipients", l.Recipients)
	}
	if s := bytes.Count(data, []byte("-> ")); l.Stanzas > 0 && s > l.Stanzas {
		return limitError("SOPS metadata holds more than %d age stanzas", l.Stanzas)
	}
	return nil
}
