// Package dockercfg writes and reads the payload of image pull Secrets: the
// .dockerconfigjson document ({"auths":{...}}) and the legacy .dockercfg map, in the exact
// shape kubectl create secret docker-registry produces, with deterministic bytes. It must
// not put a credential in an error message.
package dockercfg

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"pullgen.dev/pullgen/internal/core/manifest"
)

// Entry is one registry's credential, with the fields in kubectl's order.
type Entry struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Email    string `json:"email,omitempty"`
	Auth     string `json:"auth,omitempty"`
}

// NewEntry builds the entry kubectl writes for a username, password and email:
// auth is base64(username:password).
func NewEntry(username, password, email string) Entry {
	return Entry{
		Username: username,
		Password: password,
		Email:    email,
		Auth:     base64.StdEncoding.EncodeToString([]byte(username + ":" + password)),
	}
}

// Auths maps an auths key to the raw JSON of its entry. Raw values let a merge keep
// entries it did not write byte for byte.
type Auths map[string]json.RawMessage

// Set stores e under key.
func (a Auths) Set(key string, e Entry) {
	b, _ := json.Marshal(e) // an Entry of strings always marshals
	a[key] = b
}

// Keys returns the auths keys, sorted.
func (a Auths) Keys() []string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// DockerConfigJSON encodes {"auths":{...}} with sorted keys and no spaces, as kubectl does.
func (a Auths) DockerConfigJSON() []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"auths":`)
	buf.Write(a.Dockercfg())
	buf.WriteString(`}`)
	return buf.Bytes()
}

// Dockercfg encodes the bare map of the legacy kubernetes.io/dockercfg Secret.
func (a Auths) Dockercfg() []byte {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range a.Keys() {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(a[k])
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

// ParseDockerConfigJSON reads a .dockerconfigjson document, keeping each entry's bytes.
func ParseDockerConfigJSON(data []byte) (Auths, error) {
	var doc struct {
		Auths Auths `json:"auths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parsing .dockerconfigjson: %w", JSONError(err))
	}
	if doc.Auths == nil {
		return nil, fmt.Errorf(`parsing .dockerconfigjson: no "auths" object`)
	}
	return doc.Auths, nil
}

// IsDockerHub tells whether an auths key is a spelling of Docker Hub: docker.io,
// index.docker.io or registry-1.docker.io, with or without an http(s) scheme, a trailing
// slash or a /v1/ or /v2/ path; the host in any case.
func IsDockerHub(key string) bool {
	s := strings.TrimSpace(key)
	lower := strings.ToLower(s)
	for _, scheme := range []string{"https://", "http://"} {
		lower = strings.TrimPrefix(lower, scheme)
	}
	lower = strings.TrimSuffix(lower, "/")
	lower = strings.TrimSuffix(lower, "/v1")
	lower = strings.TrimSuffix(lower, "/v2")
	return manifest.IsDockerHubHost(lower)
}

// NormalizeKey returns the auths key for a registry server as written in a spec: Docker Hub
// (see IsDockerHub) becomes https://index.docker.io/v1/ as kubectl writes it; any other key
// is kept as written.
func NormalizeKey(server string) string {
	if IsDockerHub(server) {
		return manifest.DockerHubKey
	}
	return server
}

// Merge adds the entries of add to a copy of base. For a key in both with different bytes,
// onConflict decides: "replace" takes add's entry, "keep" keeps base's, and "error" (or "")
// keeps base's and reports the key among conflicts. Base entries are kept byte for byte.
func Merge(base, add Auths, onConflict string) (merged Auths, conflicts []string) {
	merged = make(Auths, len(base)+len(add))
	for k, v := range base {
		merged[k] = v
	}
	for _, k := range add.Keys() {
		old, ok := merged[k]
		switch {
		case !ok, onConflict == "replace":
			merged[k] = add[k]
		case onConflict == "keep":
		case !sameEntry(old, add[k]):
			conflicts = append(conflicts, k)
		}
	}
	return merged, conflicts
}

// sameEntry compares two entries by their decoded fields, ignoring key order and spacing.
func sameEntry(a, b json.RawMessage) bool {
	var x, y Entry
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return x == y
}
