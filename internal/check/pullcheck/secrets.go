package pullcheck

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
)

// Secret types and data keys the kubelet reads pull credentials from.
const (
	SecretTypeDockerConfigJSON = "kubernetes.io/dockerconfigjson"
	SecretTypeDockercfg        = "kubernetes.io/dockercfg"
	DockerConfigJSONKey        = ".dockerconfigjson"
	DockercfgKey               = ".dockercfg"
)

// secretInfo is what the check knows of one Secret.
type secretInfo struct {
	name string
	// registries are the auths keys as written, sorted.
	registries []string
	// err is set when the kubelet fails to parse the Secret: every pull of a pod that uses
	// it fails.
	err error
	// unknown says why the keys are unknown (encrypted without annotation), or "".
	unknown string
	// ignored says why the kubelet takes no credential from it (wrong type, no data), or "".
	ignored string
	// plain is the Secret the keys were read from: the Secret itself, or its decryption;
	// nil when it is encrypted and was not decrypted (decryptErr says why, when decryption
	// was tried). --online reads the credentials' values from it.
	plain      *yaml.Node
	decryptErr error
	// sealed: it is a SealedSecret's, whose values only its controller opens.
	sealed bool
}

// SecretRegistries returns the auths keys of a plain image pull Secret as written in it,
// sorted. It fails, naming the keys, where the kubelet fails to parse the Secret (invalid
// JSON, an auth field that is not base64 of user:password), which makes every pull of a pod
// using it fail. A Secret of another type, or without its data key, has no keys: the kubelet
// ignores it. Error messages never contain a credential.
func SecretRegistries(secret *yaml.RNode) ([]string, error) {
	info := readPlainSecret(secret.YNode(), "")
	if info.err != nil {
		return nil, info.err
	}
	return info.registries, nil
}

// readSecret reads a Secret, decrypting it with decrypt when it is SOPS-encrypted and a
// decrypter is given, else reading the manifest.AnnotationRegistries.
func readSecret(n *yaml.Node, name string, decrypt func(*yaml.RNode) (*yaml.RNode, error)) secretInfo {
	if held(n) {
		// pullgen render keeps its values out of the build until it prints them.
		if ann, ok := annotationValue(n, manifest.AnnotationRegistries); ok && !manifest.IsHeld(ann) {
			return secretInfo{name: name, registries: splitRegistries(ann)}
		}
		return secretInfo{name: name, unknown: "pullgen render keeps its values out of the build until it prints them"}
	}
	if field(n, "sops") == nil {
		return readPlainSecret(n, name)
	}
	var decryptErr error
	if decrypt != nil {
		plain, err := decrypt(yaml.NewRNode(n))
		if err == nil && plain != nil {
			return readPlainSecret(plain.YNode(), name)
		}
		decryptErr = err
	}
	if ann, ok := annotationValue(n, manifest.AnnotationRegistries); ok {
		return secretInfo{name: name, registries: splitRegistries(ann), decryptErr: decryptErr}
	}
	reason := "it is SOPS-encrypted and has no " + manifest.AnnotationRegistries + " annotation"
	if decryptErr != nil {
		reason = fmt.Sprintf("it could not be decrypted (%v) and has no %s annotation", decryptErr, manifest.AnnotationRegistries)
	}
	return secretInfo{name: name, unknown: reason, decryptErr: decryptErr}
}

// held tells whether a Secret's data or stringData holds a stand-in of pullgen render's.
func held(n *yaml.Node) bool {
	for _, f := range []string{"data", "stringData"} {
		m := field(n, f)
		for i := 1; m != nil && i < len(m.Content); i += 2 {
			if manifest.IsHeld(m.Content[i].Value) {
				return true
			}
		}
	}
	return false
}

// annotationValue returns an annotation and whether it is present.
func annotationValue(n *yaml.Node, key string) (string, bool) {
	v := path(n, "metadata", "annotations", key)
	if v == nil {
		return "", false
	}
	return scalar(v), true
}

// splitRegistries splits the manifest.AnnotationRegistries value.
func splitRegistries(s string) []string {
	var out []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// readPlainSecret reads the auths keys of an unencrypted Secret as the kubelet's
// MakeDockerKeyring does (see dockerConfig).
func readPlainSecret(n *yaml.Node, name string) secretInfo {
	info := secretInfo{name: name, plain: n}
	raw, dataKey, ignored, err := dockerConfig(n)
	switch {
	case err != nil:
		info.err = err
		return info
	case ignored != "":
		info.ignored = ignored
		return info
	}
	registries, err := parseDockerConfig(raw, dataKey == DockerConfigJSONKey)
	if err != nil {
		info.err = fmt.Errorf("%s: %w", dataKey, err)
		return info
	}
	info.registries = registries
	return info
}

// dockerConfig returns the docker config of an unencrypted Secret and its data key, as the
// kubelet reads them: the data key must match the type; stringData wins over data, as the
// API server merges it. ignored says why the kubelet takes nothing from the Secret (another
// type, no data); err is set when its data is not base64.
func dockerConfig(n *yaml.Node) (raw []byte, dataKey, ignored string, err error) {
	typ := scalar(field(n, "type"))
	switch typ {
	case SecretTypeDockerConfigJSON:
		dataKey = DockerConfigJSONKey
	case SecretTypeDockercfg:
		dataKey = DockercfgKey
	default:
		if typ == "" {
			typ = "Opaque"
		}
		return nil, "", fmt.Sprintf("its type is %s, not %s or %s", typ, SecretTypeDockerConfigJSON, SecretTypeDockercfg), nil
	}
	if v := field(field(n, "stringData"), dataKey); v != nil {
		raw = []byte(scalar(v))
	} else if v := field(field(n, "data"), dataKey); v != nil {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(scalar(v)))
		if err != nil {
			return nil, dataKey, "", fmt.Errorf("data.%s is not valid base64", dataKey)
		}
		raw = b
	}
	if len(raw) == 0 {
		return nil, dataKey, fmt.Sprintf("it has no %s data", dataKey), nil
	}
	return raw, dataKey, "", nil
}

// dockerConfigJSON mirrors the kubelet's DockerConfigJSON.
type dockerConfigJSON struct {
	Auths       map[string]json.RawMessage `json:"auths"`
	HTTPHeaders map[string]string          `json:"HttpHeaders,omitempty"`
}

// dockerConfigEntry mirrors the kubelet's dockerConfigEntryWithAuth.
type dockerConfigEntry struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Email    string `json:"email,omitempty"`
	Auth     string `json:"auth,omitempty"`
}

// parseDockerConfig returns the sorted auths keys of a .dockerconfigjson ({"auths":{…}}) or a
// .dockercfg (a bare map), validating every entry the way the kubelet decodes it.
func parseDockerConfig(raw []byte, wrapped bool) ([]string, error) {
	auths, err := dockerAuths(raw, wrapped)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(auths))
	for k := range auths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var bad []string
	for _, k := range keys {
		if _, _, err := decodeEntry(auths[k]); err != nil {
			bad = append(bad, fmt.Sprintf("registry %q: %v", k, err))
		}
	}
	if len(bad) > 0 {
		return keys, errors.New(strings.Join(bad, "; "))
	}
	return keys, nil
}

// dockerAuths returns the auths entries of a .dockerconfigjson or a .dockercfg.
func dockerAuths(raw []byte, wrapped bool) (map[string]json.RawMessage, error) {
	var auths map[string]json.RawMessage
	if wrapped {
		var cfg dockerConfigJSON
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, describeJSONError(err)
		}
		return cfg.Auths, nil
	}
	if err := json.Unmarshal(raw, &auths); err != nil {
		return nil, describeJSONError(err)
	}
	return auths, nil
}

// decodeEntry decodes one auths entry as the kubelet's DockerConfigEntry.UnmarshalJSON
// does: auth, when set, wins over username and password. Errors never quote the entry.
func decodeEntry(raw json.RawMessage) (user, pass string, err error) {
	var e dockerConfigEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return "", "", describeJSONError(err)
	}
	if e.Auth == "" {
		return e.Username, e.Password, nil
	}
	var decoded []byte
	if strings.HasSuffix(strings.TrimSpace(e.Auth), "=") {
		decoded, err = base64.StdEncoding.DecodeString(e.Auth)
	} else {
		decoded, err = base64.RawStdEncoding.DecodeString(e.Auth)
	}
	if err != nil {
		return "", "", errors.New("auth is not valid base64")
	}
	user, pass, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return "", "", errors.New("auth is not base64 of user:password")
	}
	return user, pass, nil
}

// describeJSONError describes a JSON decoding error without quoting the input.
func describeJSONError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		where := typ.Field
		if where == "" {
			where = "top level"
		}
		return fmt.Errorf("not valid docker config JSON: %s is a JSON %s, not a %s", where, typ.Value, typ.Type)
	default:
		return errors.New("not valid docker config JSON")
	}
}
