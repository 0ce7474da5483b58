package scope

import (
	"fmt"
	"pullgen.dev/pullgen/internal/untrusted/bound"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The shape of a sealed document. SOPS's MAC authenticates the values of a document, in
// order, but not its keys: whoever holds an encrypted file can rename keys, or move a value
// from metadata.namespace to a key of their choice, and it still decrypts. So the identity
// render reads from keys is trusted only in a shape where no value can stand under another
// key than the one it was written under: an object of kind Secret or ConfigMap, apiVersion
// v1; top-level keys among apiVersion, kind, metadata, type, immutable, data, stringData,
// binaryData and sops, each once; every value under data, stringData and binaryData
// encrypted; a type that is Opaque or has a slash (a name or namespace has neither), an
// immutable that is a boolean; metadata keys in alphabetical order (as kubectl, kustomize
// and pullgen write them) among annotations, creationTimestamp (null), labels, name and
// namespace, each once, so that name and namespace are its last values; and, without a
// namespace, nothing in metadata but the name, since a namespace moved into a label would
// otherwise turn a team's Secret into a portable one named after its namespace.

var shapeTopKeys = map[string]bool{"apiVersion": true, "kind": true, "metadata": true, "type": true, "immutable": true,
	"data": true, "stringData": true, "binaryData": true, "sops": true}

var shapeMetadataKeys = []string{"annotations", "creationTimestamp", "labels", "name", "namespace"}

// OfDocument is the scope of a SOPS-encrypted YAML document, read from the document as
// the repository holds it (before decryption): its namespace, bound to its apiVersion, kind
// and name, when its shape lets render trust them; unscoped when it has no namespace, when
// its MAC covers the encrypted values only (macOnly), or when its shape lets a value stand
// under another key than it was written under.
func OfDocument(from string, doc *yaml.Node, macOnly bool) Scope {
	if macOnly {
		return Unscoped(from, "is encrypted with mac_only_encrypted, so its name and namespace are not protected")
	}
	if err := checkShape(doc); err != nil {
		return Unscoped(from, fmt.Sprintf("has a shape whose name and namespace SOPS does not protect (%v)", err))
	}
	n := yaml.NewRNode(doc)
	if n.YNode().Kind == yaml.DocumentNode {
		n = yaml.NewRNode(doc.Content[0])
	}
	o := Object{n.GetApiVersion(), n.GetKind(), n.GetName()}
	if n.GetNamespace() == "" {
		return Unscoped(from, "is encrypted without a namespace").BoundTo(o)
	}
	return Namespaces(from, n.GetNamespace()).BoundTo(o)
}

// checkShape tells why the identity of a sealed document cannot be trusted, if it cannot.
func checkShape(doc *yaml.Node) error {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return fmt.Errorf("not an object")
	}
	seen := map[string]bool{}
	var metadata *yaml.Node
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if !shapeTopKeys[k.Value] || seen[k.Value] || k.Kind != yaml.ScalarNode {
			return fmt.Errorf("the field %q is not one render trusts in an encrypted object (or it is there twice)", bound.Excerpt(k.Value))
		}
		seen[k.Value] = true
		var bad bool
		switch k.Value {
		case "apiVersion":
			bad = v.Value != "v1"
		case "kind":
			bad = v.Value != "Secret" && v.Value != "ConfigMap"
		case "type":
			bad = v.Kind != yaml.ScalarNode || (v.Value != "Opaque" && !strings.Contains(v.Value, "/"))
		case "immutable":
			bad = v.Kind != yaml.ScalarNode || (v.Value != "true" && v.Value != "false")
		case "data", "stringData", "binaryData":
			bad = !allEncrypted(v)
		case "metadata":
			metadata = v
		}
		if bad {
			return fmt.Errorf("%s: not a value render trusts in an encrypted object (only v1 Secrets and ConfigMaps, data fully encrypted)", k.Value)
		}
	}
	if metadata == nil || metadata.Kind != yaml.MappingNode {
		return fmt.Errorf("metadata: missing")
	}
	next, hasName, hasNamespace, values := 0, false, false, 0
	for i := 0; i+1 < len(metadata.Content); i += 2 {
		k, v := metadata.Content[i], metadata.Content[i+1]
		at := -1
		for j := next; j < len(shapeMetadataKeys); j++ {
			if shapeMetadataKeys[j] == k.Value {
				at = j
			}
		}
		if at < 0 {
			return fmt.Errorf("metadata.%s: render trusts, in this order, only annotations, creationTimestamp, labels, name and namespace, each once", bound.Excerpt(k.Value))
		}
		next = at + 1
		switch k.Value {
		case "annotations", "labels":
			if v.Kind != yaml.MappingNode {
				return fmt.Errorf("metadata.%s: not a mapping", k.Value)
			}
			values += len(v.Content) / 2
		case "creationTimestamp":
			if v.Tag != "!!null" {
				return fmt.Errorf("metadata.creationTimestamp: not null")
			}
		default:
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("metadata.%s: not a string", k.Value)
			}
			hasName = hasName || k.Value == "name"
			hasNamespace = hasNamespace || k.Value == "namespace"
		}
	}
	if !hasName {
		return fmt.Errorf("metadata.name: missing")
	}
	if !hasNamespace && values > 0 {
		return fmt.Errorf("metadata: an object encrypted without a namespace may hold nothing in metadata but its name (add labels and annotations with kustomize)")
	}
	return nil
}

// allEncrypted tells whether every value of a mapping is a SOPS ciphertext.
func allEncrypted(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 1; i < len(n.Content); i += 2 {
		if v := n.Content[i]; v.Kind != yaml.ScalarNode || !isCiphertext(v.Value) {
			return false
		}
	}
	return true
}

// isCiphertext tells whether a value is a SOPS ciphertext.
func isCiphertext(s string) bool { return strings.HasPrefix(s, "ENC[") }
