package sopsx

import (
	"bytes"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/parallel"
	"pullgen.dev/pullgen/internal/untrusted/yamlstream"
)

// DecryptStream decrypts every document of a YAML stream that carries its own top-level
// sops block (what `kustomize build` prints for encrypted resources, which the sops CLI
// cannot decrypt as it reads one sops block per file), and leaves the other documents as
// they are, byte for byte. It is all or nothing: on any error nothing is returned, and the
// error names the document (its position, kind and name).
func (k Keys) DecryptStream(data []byte) ([]byte, error) {
	docs := splitDocuments(data)
	texts := make([]string, len(docs))
	errs := make([]error, len(docs))
	// Documents decrypt independently: on every core, in order.
	parallel.Each(len(docs), func(i int) { texts[i], errs[i] = k.decryptDocument(i, docs[i]) })
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	var out bytes.Buffer
	n := 0
	for i, doc := range docs {
		if isBlank(doc) {
			continue
		}
		text := texts[i]
		if n > 0 {
			out.WriteString("---\n")
		}
		out.WriteString(text)
		if !strings.HasSuffix(text, "\n") {
			out.WriteByte('\n')
		}
		n++
	}
	return out.Bytes(), nil
}

// decryptDocument returns the plaintext of document i of a stream, or the document
// itself when it carries no sops block.
func (k Keys) decryptDocument(i int, doc string) (string, error) {
	if isBlank(doc) || !mayBeEncrypted(doc) {
		return doc, nil
	}
	rn, err := yaml.Parse(doc)
	if err != nil {
		return "", fmt.Errorf("decrypting document %d of the stream: it does not parse as YAML", i+1)
	}
	if !IsEncrypted(rn) {
		return doc, nil
	}
	plain, err := k.Decrypt(rn)
	if err != nil {
		return "", fmt.Errorf("document %d of the stream: %w", i+1, err)
	}
	text, err := plain.String()
	if err != nil {
		return "", fmt.Errorf("document %d of the stream: writing the plaintext failed", i+1)
	}
	return text, nil
}

// splitDocuments cuts a YAML stream into its documents without their markers
// (yamlstream: the rules every reader of pullgen applies).
func splitDocuments(data []byte) []string {
	docs := yamlstream.Split(string(data))
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.Body()
	}
	return out
}

// isBlank tells whether a document holds nothing but blank lines.
func isBlank(doc string) bool { return strings.TrimSpace(doc) == "" }

// mayBeEncrypted is a cheap test before parsing: a document without "sops" has no sops block.
func mayBeEncrypted(doc string) bool {
	return strings.Contains(doc, "sops")
}
