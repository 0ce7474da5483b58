package render

import (
	"bytes"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/parallel"
	"pullgen.dev/pullgen/internal/core/scope"
	"pullgen.dev/pullgen/internal/untrusted/yamlstream"
)

// Encrypted documents. An encrypted document goes through kustomize as ciphertext, and
// render decrypts it afterwards from its copy in the repository, where its SOPS MAC covers
// every value, the name and the namespace included (unless mac_only_encrypted). Its values
// get the scope of that copy (scope.OfDocument): its namespace, and its kind and name.
// Values are decrypted by ciphertext, and put in place (place.go) only in an object of
// that scope: another tenant's Secret copied into a kustomization cannot come out decrypted
// in the attacker's namespace through `namespace:`, a prefix or suffix, a patch or a
// replacement, nor a ciphertext copied into another object.

// sealed is an encrypted document of a resource file as the repository holds it.
type sealed struct {
	file string
	// text is the document as the file holds it; doc is it parsed.
	text  string
	doc   *yaml.RNode
	scope scope.Scope
	// opened: the document is decrypted, its values in renderer.plain.
	opened bool
}

// identity is what an object is, as far as who may read it goes.
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
	if !r.o.Decrypt || r.recorded[p] || !bytes.Contains(data, []byte("sops")) {
		return
	}
	r.recorded[p] = true
	for _, d := range yamlstream.Split(string(data)) {
		text := d.Body()
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
			file := r.fs.rel(p)
			r.sealed[mac] = &sealed{file: file, text: text, doc: n,
				scope: r.operatorScope(scope.OfDocument(file, n.YNode(), sopsField(n, "mac_only_encrypted") == "true"))}
		}
	}
}

// sopsField is a scalar of a document's top-level sops block.
func sopsField(n *yaml.RNode, field string) string {
	v, err := n.Pipe(yaml.Lookup("sops", field))
	if err != nil || v == nil {
		return ""
	}
	return v.YNode().Value
}

// openSealed decrypts the encrypted documents of the build's objects, each from its copy
// in the repository, and maps their ciphertexts to their plaintexts (renderer.plain).
func (r *renderer) openSealed(nodes []*yaml.RNode) error {
	var used []*sealed
	for _, n := range nodes {
		if n.Field("sops") == nil {
			continue
		}
		s := r.sealed[sopsField(n, "mac")]
		if s == nil {
			return fmt.Errorf("%s is encrypted, but no resource file of the repository holds it so: render decrypts what kustomizations list in resources", identityOf(n))
		}
		if !s.opened {
			s.opened = true
			used = append(used, s)
		}
	}
	return r.decryptSealed(used)
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
	plain, err := r.o.Keys.DecryptStream(stream.Bytes())
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	docs, err := (&kio.ByteReader{Reader: bytes.NewReader(plain), OmitReaderAnnotations: true}).Read()
	if err != nil || len(docs) != len(list) {
		return fmt.Errorf("%s: reading the decrypted documents: %d for %d (%v)", file, len(docs), len(list), err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, s := range list {
		mapCiphertext(s.doc.YNode(), docs[i].YNode(), func(ciphertext string, plain *yaml.Node) {
			r.plain[ciphertext] = heldValue{node: *plain, scope: s.scope}
		})
	}
	return nil
}

// mapCiphertext walks an encrypted node and its plaintext side by side (sops keeps the
// order of keys) and calls put with each encrypted scalar and its plaintext.
func mapCiphertext(enc, plain *yaml.Node, put func(string, *yaml.Node)) {
	if enc == nil || plain == nil {
		return
	}
	switch enc.Kind {
	case yaml.ScalarNode:
		if isCiphertext(enc.Value) && plain.Kind == yaml.ScalarNode {
			put(enc.Value, plain)
		}
	case yaml.MappingNode:
		pv := map[string]*yaml.Node{}
		for i := 0; i+1 < len(plain.Content); i += 2 {
			pv[plain.Content[i].Value] = plain.Content[i+1]
		}
		for i := 0; i+1 < len(enc.Content); i += 2 {
			if k := enc.Content[i].Value; k != "sops" {
				mapCiphertext(enc.Content[i+1], pv[k], put)
			}
		}
	case yaml.SequenceNode:
		for i := 0; i < len(enc.Content) && i < len(plain.Content); i++ {
			mapCiphertext(enc.Content[i], plain.Content[i], put)
		}
	}
}

func isCiphertext(s string) bool { return strings.HasPrefix(s, "ENC[") }
