package sealed

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Secret is what the controller makes of a SealedSecret, its values left out: what the
// pull check and diff need to know of sealed output without the controller's private key.
type Secret struct {
	// Name and Namespace are the SealedSecret's own: the controller gives the Secret those,
	// whatever the template says.
	Name, Namespace string
	// Type, Labels and Annotations come from the template.
	Type                string
	Labels, Annotations map[string]string
	// DataKeys are the Secret's data keys, sorted: encryptedData's and the template's.
	DataKeys []string
	// Scope is where the SealedSecret opens, as the controller reads it.
	Scope Scope
}

// IsSealedSecret tells whether obj is a SealedSecret.
func IsSealedSecret(obj *yaml.RNode) bool {
	return obj.GetApiVersion() == APIVersion && obj.GetKind() == Kind
}

// Opens reads the Secret a SealedSecret opens into, as the controller makes it. Errors
// name the field.
func Opens(obj *yaml.RNode) (Secret, error) {
	if !IsSealedSecret(obj) {
		return Secret{}, fmt.Errorf("not a %s %s", APIVersion, Kind)
	}
	s := Secret{Name: obj.GetName(), Namespace: obj.GetNamespace(), Scope: scopeOf(obj.GetAnnotations())}
	if s.Name == "" {
		return Secret{}, errors.New("metadata.name: missing")
	}
	tmpl, err := obj.Pipe(yaml.Lookup("spec", "template"))
	if err != nil {
		return Secret{}, fmt.Errorf("spec.template: %w", err)
	}
	if tmpl != nil {
		s.Type = stringField(tmpl, "type")
		s.Labels, s.Annotations = tmpl.GetLabels(), tmpl.GetAnnotations()
	}
	keys := map[string]bool{}
	for _, path := range [][]string{{"spec", "encryptedData"}, {"spec", "template", "data"}} {
		m, err := obj.Pipe(yaml.Lookup(path...))
		if err != nil || (m != nil && m.YNode().Kind != yaml.MappingNode) {
			return Secret{}, fmt.Errorf("%s: not a map", strings.Join(path, "."))
		}
		if m == nil {
			continue
		}
		// A template data entry that is null removes the key, as the controller does.
		_ = m.VisitFields(func(f *yaml.MapNode) error {
			keys[f.Key.YNode().Value] = !yaml.IsMissingOrNull(f.Value)
			return nil
		})
	}
	for k, present := range keys {
		if present {
			s.DataKeys = append(s.DataKeys, k)
		}
	}
	sort.Strings(s.DataKeys)
	return s, nil
}

// stringField is the value of a scalar field of obj, or "".
func stringField(obj *yaml.RNode, name string) string {
	if f := obj.Field(name); f != nil {
		return yaml.GetValue(f.Value)
	}
	return ""
}
