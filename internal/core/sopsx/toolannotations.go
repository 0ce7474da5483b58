package sopsx

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Tools that pass objects around (kpt, kustomize, the KRM function framework) add
// bookkeeping annotations to them: an encrypted object read back from a ResourceList
// carries annotations that were not there when it was encrypted, and its MAC, which covers
// the fields in clear, no longer matches. When the MAC does not match, decryption is tried
// once more without these annotations (and only these); they are put back on the result.

// isToolAnnotation tells whether an annotation is tool bookkeeping.
func isToolAnnotation(key string) bool {
	if strings.HasPrefix(key, "internal.config.kubernetes.io/") {
		return true
	}
	switch key {
	case "config.kubernetes.io/index", "config.kubernetes.io/path", "config.kubernetes.io/id",
		"config.k8s.io/id", "kustomize.config.k8s.io/id", "config.kubernetes.io/origin",
		"alpha.config.kubernetes.io/transformations":
		return true
	}
	return false
}

// withoutToolAnnotations returns a copy of obj without tool annotations (and without an
// annotations field left empty), and the annotations removed; nil when there are none.
func withoutToolAnnotations(obj *yaml.RNode) (*yaml.RNode, map[string]string) {
	removed := map[string]string{}
	for k, v := range obj.GetAnnotations() {
		if isToolAnnotation(k) {
			removed[k] = v
		}
	}
	if len(removed) == 0 {
		return nil, nil
	}
	out := obj.Copy()
	ann, err := out.Pipe(yaml.Lookup("metadata", "annotations"))
	if err != nil || ann == nil {
		return nil, nil
	}
	for k := range removed {
		if _, err := ann.Pipe(yaml.Clear(k)); err != nil {
			return nil, nil
		}
	}
	if len(ann.YNode().Content) == 0 {
		if _, err := out.Pipe(yaml.Lookup("metadata"), yaml.Clear("annotations")); err != nil {
			return nil, nil
		}
	}
	return out, removed
}

// restoreToolAnnotations puts removed annotations back on obj.
func restoreToolAnnotations(obj *yaml.RNode, removed map[string]string) error {
	if len(removed) == 0 {
		return nil
	}
	ann := obj.GetAnnotations()
	for k, v := range removed {
		ann[k] = v
	}
	return obj.SetAnnotations(ann)
}
