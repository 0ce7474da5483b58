package render

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	k8syaml "sigs.k8s.io/yaml"
)

// Remote forms. kustomize's loader fetches a file over HTTP when its path parses as an
// http(s) URL, and clones a base or component with git when its path parses as a git
// remote: a URL with an ssh, https, http or file scheme (any case, after an optional
// "git::" prefix), an scp-style "user@host:path" or "user@host/org/repo", or a GitHub
// address without a scheme ("github.com/org/repo", any case). remoteForm recognises all of
// these, and also the query and path markers of kustomize's remote bases (?ref=,
// ?version=, ?timeout=, ?submodules=, _git/), whatever else the string holds.
var (
	schemePrefix = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)
	userPrefix   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*@`)
	remoteMarks  = []string{"?ref=", "?version=", "?timeout=", "?submodules=", "_git/"}
)

// remoteForm tells whether kustomize could take s for something to fetch over the network.
// Inline content (a patch or a generator written in place, or JSON) is not a path.
func remoteForm(s string) bool {
	if strings.ContainsAny(s, "\n") {
		return false
	}
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return false
	}
	if u, err := url.Parse(t); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		return true
	}
	lower := strings.ToLower(t)
	if strings.HasPrefix(lower, "git::") || schemePrefix.MatchString(t) || userPrefix.MatchString(t) ||
		strings.HasPrefix(lower, "github.com/") || strings.HasPrefix(lower, "github.com:") {
		return true
	}
	for _, m := range remoteMarks {
		if strings.Contains(lower, m) {
			return true
		}
	}
	return false
}

// dataFields are the fields of a kustomization or of a built-in generator or transformer
// configuration whose whole value is data that no loader reads a file from: names, labels,
// annotations, inline patches and replacements, selectors, field specs. Every other field,
// known or not, is taken to name files: its strings may not be remote forms. So a field
// kustomize adds later is checked without anyone listing it here. kustomize matches field
// names without regard to case, and so does this list.
var dataFields = map[string]bool{}

func init() {
	for _, f := range []string{
		"apiVersion", "kind", "metadata", "namespace", "name", "namePrefix", "nameSuffix", "prefix", "suffix",
		"commonLabels", "labels", "commonAnnotations", "annotations", "images", "imageTag", "replicas", "replica",
		"patch", "target", "options", "literals", "generatorOptions", "vars", "source", "targets", "sortOptions",
		"buildMetadata", "fieldSpecs", "jsonOp", "behavior", "type", "unsetOnly", "setRoleBindingSubjects",
		"value", "version", "selector", "fieldPaths", "fieldPath", "pairs", "fields", "includeSelectors",
		"includeTemplates", "immutable", "disableNameSuffixHash", "cloud", "keyName",
	} {
		dataFields[strings.ToLower(f)] = true
	}
}

// findRemote walks a kustomization or a generator or transformer configuration, decoded as
// kustomize decodes it (YAML converted to JSON, so that tags such as !!binary and anchors
// give what kustomize sees), and returns the field path and value of the first string,
// outside the data fields, that is a remote form; "" when there is none.
func findRemote(doc []byte) (field, value string, err error) {
	v, err := decodeJSON(doc)
	if err != nil {
		return "", "", err
	}
	field, value = walkRemote(v, "")
	return field, value, nil
}

// decodeJSON decodes YAML as kustomize decodes a kustomization or a configuration:
// converted to JSON, so that tags such as !!binary and anchors give what kustomize sees.
func decodeJSON(doc []byte) (any, error) {
	j, err := k8syaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(j, &v); err != nil {
		return nil, err
	}
	return v, nil
}

func walkRemote(v any, path string) (string, string) {
	switch x := v.(type) {
	case string:
		if remoteForm(x) || remoteFormInPair(x) {
			return path, x
		}
	case []any:
		for i, e := range x {
			if f, s := walkRemote(e, fmt.Sprintf("%s[%d]", path, i)); f != "" {
				return f, s
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if dataFields[strings.ToLower(k)] {
				continue
			}
			p := k
			if path != "" {
				p = path + "." + k
			}
			if f, s := walkRemote(x[k], p); f != "" {
				return f, s
			}
		}
	}
	return "", ""
}

// remoteFormInPair reads a generator's "key=path" file entry: the path after the first '='.
func remoteFormInPair(s string) bool {
	_, p, ok := strings.Cut(s, "=")
	return ok && remoteForm(p)
}
