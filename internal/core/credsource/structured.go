package credsource

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"pullgen.dev/pullgen/internal/core/dockercfg"
)

// structuredKey returns the string (or, with numbers, the number) at the dotted key of a
// YAML or JSON document.
// Dots walk nested maps; a numeric part indexes a list (a.0.b). A map key that itself
// contains dots is found too (the longest matching key is tried first).
func structuredKey(data []byte, format, key string, numbers bool) (string, error) {
	var doc any
	if format == FormatJSON {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return "", fmt.Errorf("parsing as JSON: %w", dockercfg.JSONError(err))
		}
	} else if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("parsing as YAML: %w", dockercfg.YAMLError(err))
	}
	leaf, ok := walk(doc, strings.Split(key, "."))
	if !ok {
		return "", fmt.Errorf("key %s not found", key)
	}
	switch v := leaf.(type) {
	case string:
		return v, nil
	case nil:
		return "", fmt.Errorf("key %s is null, not a string", key)
	case bool:
		return "", fmt.Errorf("key %s is a boolean, not a string (quote it)", key)
	case float64, json.Number, int, int64:
		if f, ok := v.(float64); ok && numbers {
			return strconv.FormatFloat(f, 'f', -1, 64), nil
		} else if numbers {
			return fmt.Sprint(v), nil
		}
		return "", fmt.Errorf("key %s is a number, not a string (quote it)", key)
	case map[string]any:
		return "", fmt.Errorf("key %s is a map, not a string", key)
	case []any:
		return "", fmt.Errorf("key %s is a list, not a string", key)
	default:
		return "", fmt.Errorf("key %s is not a string", key)
	}
}

// walk follows segs from node. At a map it tries the longest run of segments joined by
// dots first, so that keys such as ".dockerconfigjson" or "a.b" are reachable.
func walk(node any, segs []string) (any, bool) {
	if len(segs) == 0 {
		return node, true
	}
	switch n := node.(type) {
	case map[string]any:
		for i := len(segs); i >= 1; i-- {
			child, ok := n[strings.Join(segs[:i], ".")]
			if !ok {
				continue
			}
			if leaf, ok := walk(child, segs[i:]); ok {
				return leaf, true
			}
		}
	case []any:
		idx, err := strconv.Atoi(segs[0])
		if err == nil && idx >= 0 && idx < len(n) {
			return walk(n[idx], segs[1:])
		}
	}
	return nil, false
}
