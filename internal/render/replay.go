package render

import (
	"bytes"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/parallel"
)

// No replay. An encrypted document goes through kustomize as ciphertext, and render
// decrypts it afterwards from its copy in the repository, where its SOPS MAC covers every
// value, the name and the namespace included (unless mac_only_encrypted). The build's
// object must still have that kind, name and namespace: another tenant's Secret copied into
// a kustomization cannot come out decrypted in the attacker's namespace through
// `namespace:`, a prefix or suffix, a patch or a replacement. A document encrypted without
// a namespace is portable by design (a base that overlays place) unless the operator asks
// for namespaces. Values are decrypted by ciphertext, each from the document that holds
// it, so that a ciphertext copied into another object is never decrypted there.

// sealed is an encrypted document of a resource file as the repository holds it.
type sealed struct {
	file string
	// text is the document as the file holds it; doc is it parsed.
	text string
	doc  *yaml.RNode
	id   identity
	// macOnly: the MAC covers the encrypted values only, not the name and namespace.
	macOnly bool
	// shape says why the identity read from its keys cannot be trusted, if it cannot.
	shape error
	// plain maps each ciphertext of the document to its plaintext node.
	plain map[string]*yaml.Node
}

// identity is what a document is, as far as who may read it goes.
type identity struct{ apiVersion, kind, namespace, name string }

func identityOf(n *yaml.RNode) identity {
	return identity{n.GetApiVersion(), n.GetKind(), n.GetNamespace(), n.GetName()}
}

func (id identity) String() string {
	if id.namespace == "" {
		return fmt.Sprintf("%s %s", id.kind, id.name)
	}
	return fmt.Sprintf("%s %s/%s", id.kind, id.namespace, id.name)
}

// recordSealed notes the encrypted documents of a resource file, read as data, by their
// MAC.
func (r *renderer) recordSealed(p string, data []byte) {
	if r.o.Decrypt == nil || r.recorded[p] || !bytes.Contains(data, []byte("sops")) {
		return
	}
	r.recorded[p] = true
	for _, text := range splitDocuments(string(data)) {
		if !strings.Contains(text, "sops") {
			continue
		}
		n, err := yaml.Parse(text)
		if err != nil {
			continue // kustomize reports it
		}
		mac := sopsField(n, "mac")
		if mac == "" {
			continue
		}
		if _, seen := r.sealed[mac]; !seen {
			r.sealed[mac] = &sealed{file: r.fs.rel(p), text: text, doc: n, id: identityOf(n),
				macOnly: sopsField(n, "mac_only_encrypted") == "true", shape: checkShape(n.YNode())}
		}
	}
}

// splitDocuments cuts a YAML stream at its document markers (a line "---", with or without
// a comment after it, or "..."); YAML forbids such lines inside a document.
func splitDocuments(data string) []string {
	var docs []string
	var cur strings.Builder
	for _, line := range strings.SplitAfter(data, "\n") {
		bare := strings.TrimRight(line, "\r\n")
		if bare == "---" || strings.HasPrefix(bare, "--- ") || strings.HasPrefix(bare, "---\t") || bare == "..." {
			docs = append(docs, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	return append(docs, cur.String())
}

// sopsField is a scalar of a document's top-level sops block.
func sopsField(n *yaml.RNode, field string) string {
	v, err := n.Pipe(yaml.Lookup("sops", field))
	if err != nil || v == nil {
		return ""
	}
	return v.YNode().Value
}

// open decrypts, in place, the encrypted objects of a build, each from its sealed copy,
// after checking that the build left its identity alone.
func (r *renderer) open(nodes []*yaml.RNode) error {
	var used []*sealed
	of := make([]*sealed, len(nodes))
	for i, n := range nodes {
		if n.Field("sops") == nil {
			continue
		}
		s := r.sealed[sopsField(n, "mac")]
		if s == nil {
			return fmt.Errorf("%s is encrypted, but no resource file of the repository holds it so: render decrypts what kustomizations list in resources", identityOf(n))
		}
		if err := r.sameIdentity(s, identityOf(n)); err != nil {
			return err
		}
		if s.plain == nil {
			s.plain = map[string]*yaml.Node{}
			used = append(used, s)
		}
		of[i] = s
	}
	if err := r.decryptSealed(used); err != nil {
		return err
	}
	for i, n := range nodes {
		s := of[i]
		if s == nil {
			continue
		}
		if _, err := n.Pipe(yaml.Clear("sops")); err != nil {
			return fmt.Errorf("%s: %w", identityOf(n), err)
		}
		if err := replaceCiphertext(n.YNode(), s.plain); err != nil {
			return fmt.Errorf("%s (from %s): %w", identityOf(n), s.file, err)
		}
	}
	return nil
}

// sameIdentity refuses a build object that is not the sealed document it decrypts from.
func (r *renderer) sameIdentity(s *sealed, got identity) error {
	if r.o.AllowRetarget {
		return nil
	}
	switch {
	case s.macOnly:
		return fmt.Errorf("%s in %s is encrypted with mac_only_encrypted, so its name and namespace are not protected: render decrypts it only with --allow-retarget", s.id, s.file)
	case s.shape != nil:
		return fmt.Errorf("%s in %s: %v: SOPS authenticates values, not keys, so render cannot trust the identity of this shape (--allow-retarget lifts this)", s.id, s.file, s.shape)
	case s.id.namespace == "" && r.o.RequireNamespace:
		return fmt.Errorf("%s in %s is encrypted without a namespace, which --require-namespace refuses: encrypt it with metadata.namespace set", s.id, s.file)
	}
	want := s.id
	if want.namespace == "" {
		want.namespace = got.namespace // portable: overlays place it
	}
	if got != want {
		return fmt.Errorf("%s in %s is encrypted as %s, but the build makes it %s (namespace:, a prefix or suffix, a patch or a replacement): a decrypted object keeps the identity its encryption protects (--allow-retarget lifts this)",
			s.id, s.file, s.id, got)
	}
	return nil
}

// decryptSealed decrypts the sealed documents, file by file on every core, and maps their
// ciphertexts. The first error, in file order, names its file.
func (r *renderer) decryptSealed(list []*sealed) error {
	var files []string
	byFile := map[string][]*sealed{}
	for _, s := range list {
		if byFile[s.file] == nil {
			files = append(files, s.file)
		}
		byFile[s.file] = append(byFile[s.file], s)
	}
	errs := make([]error, len(files))
	parallel.Each(len(files), func(i int) { errs[i] = r.decryptFile(files[i], byFile[files[i]]) })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) decryptFile(file string, list []*sealed) error {
	var stream bytes.Buffer
	for _, s := range list {
		stream.WriteString("---\n")
		stream.WriteString(s.text)
		if !strings.HasSuffix(s.text, "\n") {
			stream.WriteByte('\n')
		}
	}
	plain, err := r.o.Decrypt(stream.Bytes())
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	docs, err := (&kio.ByteReader{Reader: bytes.NewReader(plain), OmitReaderAnnotations: true}).Read()
	if err != nil || len(docs) != len(list) {
		return fmt.Errorf("%s: reading the decrypted documents: %d for %d (%v)", file, len(docs), len(list), err)
	}
	for i, s := range list {
		mapCiphertext(s.doc.YNode(), docs[i].YNode(), s.plain)
	}
	return nil
}

// mapCiphertext walks an encrypted node and its plaintext side by side (sops keeps the
// order of keys) and maps each encrypted scalar to its plaintext.
func mapCiphertext(enc, plain *yaml.Node, m map[string]*yaml.Node) {
	if enc == nil || plain == nil {
		return
	}
	switch enc.Kind {
	case yaml.ScalarNode:
		if isCiphertext(enc.Value) && plain.Kind == yaml.ScalarNode {
			m[enc.Value] = plain
		}
	case yaml.MappingNode:
		pv := map[string]*yaml.Node{}
		for i := 0; i+1 < len(plain.Content); i += 2 {
			pv[plain.Content[i].Value] = plain.Content[i+1]
		}
		for i := 0; i+1 < len(enc.Content); i += 2 {
			if k := enc.Content[i].Value; k != "sops" {
				mapCiphertext(enc.Content[i+1], pv[k], m)
			}
		}
	case yaml.SequenceNode:
		for i := 0; i < len(enc.Content) && i < len(plain.Content); i++ {
			mapCiphertext(enc.Content[i], plain.Content[i], m)
		}
	}
}

func isCiphertext(s string) bool { return strings.HasPrefix(s, "ENC[") }

// replaceCiphertext puts the plaintext in place of every ciphertext of n; a ciphertext
// that n's own sealed document does not hold is an error.
func replaceCiphertext(n *yaml.Node, m map[string]*yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if !isCiphertext(n.Value) {
			return nil
		}
		p, ok := m[n.Value]
		if !ok {
			return fmt.Errorf("a value is encrypted in another document: render decrypts each value only in the object it was encrypted for")
		}
		n.Value, n.Tag, n.Style = p.Value, p.Tag, p.Style
	default:
		for _, c := range n.Content {
			if err := replaceCiphertext(c, m); err != nil {
				return err
			}
		}
	}
	return nil
}
