package fn

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/schema/v1alpha1"
)

// Decode reads a PullAccess from its YAML node. Fields the API does not know, and values
// of the wrong shape, are problems naming their field path; Decode reports all of them and
// decodes the rest, so that validation can report its own findings too.
func Decode(node *yaml.RNode) (*v1alpha1.PullAccess, Problems) {
	if node == nil || node.YNode() == nil {
		return nil, Problems{{Severity: framework.Error, Message: "no PullAccess given (the function config is empty)"}}
	}
	node = node.Copy()
	doc := node.YNode()
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	var problems Problems
	if !checkShape(doc, reflect.TypeOf(v1alpha1.PullAccess{}), "", &problems) {
		return nil, problems
	}
	// Through JSON with YAML 1.2 scalars: `check: off` stays the string "off".
	data, err := node.MarshalJSON()
	if err != nil {
		return nil, Problems{{Severity: framework.Error, Message: fmt.Sprintf("encoding the PullAccess: %v", err)}}
	}
	pa := &v1alpha1.PullAccess{}
	if err := json.Unmarshal(data, pa); err != nil {
		return nil, append(problems, Problem{Severity: framework.Error, Message: fmt.Sprintf("decoding the PullAccess: %v", err)})
	}
	return pa, problems
}

// shorthandType is the interface of API types that may be written as one string.
var shorthandType = reflect.TypeOf((*v1alpha1.Shorthand)(nil)).Elem()

// hints explain fields that users write by mistake.
var hints = map[string]string{
	"password": "a password never appears literally in a spec: use passwordFrom (env or file)",
	"auth":     "a credential never appears literally in a spec: use username or usernameFrom, and passwordFrom",
}

// checkShape walks n against the Go type t (by json tags), records unknown fields and
// values of the wrong kind, and removes them from n so that the rest decodes. It returns
// false when n itself has the wrong kind.
func checkShape(n *yaml.Node, t reflect.Type, path string, problems *Problems) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Tag == "!!null" {
		return true
	}
	wrong := func(want string) {
		problems.add(path, fmt.Sprintf("must be %s", want))
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind == yaml.ScalarNode && t.Implements(shorthandType) {
			n.Tag = "!!str" // the name alone
			return true
		}
		if n.Kind != yaml.MappingNode {
			if t.Implements(shorthandType) {
				wrong("a name or an object")
			} else {
				wrong("an object")
			}
			return false
		}
		fields := jsonFields(t)
		var keep []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			name := n.Content[i].Value
			sub := joinPath(path, name)
			ft, ok := fields[name]
			if !ok {
				msg := "unknown field"
				if h, ok := hints[name]; ok {
					msg += ": " + h
				}
				problems.add(sub, msg)
				continue
			}
			if checkShape(n.Content[i+1], ft, sub, problems) {
				keep = append(keep, n.Content[i], n.Content[i+1])
			}
		}
		n.Content = keep
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			wrong("a list")
			return false
		}
		for i, item := range n.Content {
			if !checkShape(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), problems) {
				*item = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			wrong("an object")
			return false
		}
		var keep []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if checkShape(n.Content[i+1], t.Elem(), joinPath(path, n.Content[i].Value), problems) {
				keep = append(keep, n.Content[i], n.Content[i+1])
			}
		}
		n.Content = keep
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			wrong("a string")
			return false
		}
		n.Tag = "!!str" // 1.0 or yes is a string to the API
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			wrong("true or false")
			return false
		}
	}
	return true
}

// jsonFields maps the json names of t's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	return fields
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
