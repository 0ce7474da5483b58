// Package yamlnode reads typed values out of YAML nodes (go.yaml.in/yaml/v3, which kyaml's
// nodes are) with errors that name the field's path, for decoders of configuration objects
// that report what is wrong where.
package yamlnode

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Deref unwraps document and alias nodes; nil for an empty document.
func Deref(n *yaml.Node) *yaml.Node {
	for n != nil && (n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			return nil
		}
	}
	return n
}

// Field returns the value of key in a mapping node, or nil (also for a node that is not a
// mapping).
func Field(n *yaml.Node, key string) *yaml.Node {
	n = Deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return Deref(n.Content[i+1])
		}
	}
	return nil
}

// Absent tells whether a value is missing or null.
func Absent(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// Scalar returns a scalar's value, or "" for anything else.
func Scalar(n *yaml.Node) string {
	n = Deref(n)
	if Absent(n) || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// Mapping returns the mapping at key: nil when absent, an error naming path.key when it is
// not a mapping.
func Mapping(n *yaml.Node, key, path string) (*yaml.Node, error) {
	v := Field(n, key)
	if Absent(v) {
		return nil, nil
	}
	if v.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: must be an object", Join(path, key))
	}
	return v, nil
}

// String reads an optional string at key ("" when absent); a value that is not a string is
// an error naming path.key.
func String(n *yaml.Node, key, path string) (string, error) {
	v := Field(n, key)
	if Absent(v) {
		return "", nil
	}
	if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
		return "", fmt.Errorf("%s: must be a string", Join(path, key))
	}
	return v.Value, nil
}

// Strings reads an optional list of strings at key.
func Strings(n *yaml.Node, key, path string) ([]string, error) {
	v := Field(n, key)
	if Absent(v) {
		return nil, nil
	}
	p := Join(path, key)
	if v.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s: must be a list", p)
	}
	out := make([]string, 0, len(v.Content))
	for i, item := range v.Content {
		item = Deref(item)
		if item == nil || item.Kind != yaml.ScalarNode || item.Tag != "!!str" {
			return nil, fmt.Errorf("%s[%d]: must be a string", p, i)
		}
		out = append(out, item.Value)
	}
	return out, nil
}

// Items returns the elements of an optional list at key.
func Items(n *yaml.Node, key, path string) ([]*yaml.Node, error) {
	v := Field(n, key)
	if Absent(v) {
		return nil, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s: must be a list", Join(path, key))
	}
	out := make([]*yaml.Node, len(v.Content))
	for i, item := range v.Content {
		out[i] = Deref(item)
	}
	return out, nil
}

// Join appends a key to a path ("" for the root).
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index names the i-th element of the list at path.
func Index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }
