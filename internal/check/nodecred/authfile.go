// Package nodecred models the credentials a node holds itself, beside a pod's Secrets:
//
//   - its auth file (on OpenShift /var/lib/kubelet/config.json, the cluster's global pull
//     secret), as the container runtime reads it: CRI-O's image library (containers/image)
//     looks a repository up in it by exact keys, from the repository up to its host, and
//     sends nothing else to a mirror on another host than the image's (AuthFile, Auth);
//   - the kubelet's credential providers (CredentialProviderConfig: which images a
//     provider serves and which ServiceAccount annotations it requires).
//
// Nothing here keeps or prints a credential: an auth file keeps, per key, only whether its
// entry gives the runtime a credential.
package nodecred

import (
	"pullgen.dev/pullgen/internal/core/manifest"

	"encoding/base64"
	"encoding/json"
	"maps"
	"sort"
	"strings"

	"pullgen.dev/pullgen/internal/core/dockercfg"
)

// EntryState is what the runtime gets from an auth file entry.
type EntryState int

const (
	// EntryUsable: auth is base64 of user:password.
	EntryUsable EntryState = iota
	// EntryUnknown: only the key is known (read from an encrypted Secret's annotation); the
	// entry is taken to be usable.
	EntryUnknown
	// EntryEmpty: no auth, or one without a colon: the runtime pulls anonymously.
	EntryEmpty
	// EntryBroken: auth is not base64, or the file does not parse: the attempt fails.
	EntryBroken
)

// String names the state for messages.
func (s EntryState) String() string {
	switch s {
	case EntryUsable:
		return "usable"
	case EntryUnknown:
		return "unknown"
	case EntryEmpty:
		return "empty"
	default:
		return "broken"
	}
}

// AuthFile is a node's auth file as the runtime reads it: its keys and what each gives.
type AuthFile struct {
	entries map[string]EntryState
	keys    []string // sorted
	// unreadable: an entry is not {"auth": string, ...}; the runtime cannot parse the file.
	unreadable bool
}

// NewAuthFile reads the entries of an auths map as containers/image does: only auth
// counts (username and password fields are not read), decoded as padded standard base64.
func NewAuthFile(auths dockercfg.Auths) AuthFile {
	a := AuthFile{entries: make(map[string]EntryState, len(auths))}
	for k, raw := range auths {
		var e struct {
			Auth string `json:"auth"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			a.unreadable = true
		}
		a.entries[k] = entryState(e.Auth)
	}
	a.keys = sortedKeys(a.entries)
	return a
}

// AuthFileFromKeys is an auth file of which only the keys are known.
func AuthFileFromKeys(keys []string) AuthFile {
	entries := make(map[string]EntryState, len(keys))
	for _, k := range keys {
		entries[k] = EntryUnknown
	}
	return AuthFileFromEntries(entries)
}

// AuthFileFromEntries is an auth file of these keys and states (a merge of two files'
// Entries, say).
func AuthFileFromEntries(entries map[string]EntryState) AuthFile {
	return AuthFile{entries: entries, keys: sortedKeys(entries)}
}

// Entries returns a copy of the file's keys and states; every entry of an unreadable file
// is EntryBroken.
func (a AuthFile) Entries() map[string]EntryState {
	out := maps.Clone(a.entries)
	if a.unreadable {
		for k := range out {
			out[k] = EntryBroken
		}
	}
	return out
}

func entryState(auth string) EntryState {
	decoded, err := base64.StdEncoding.DecodeString(auth)
	switch {
	case err != nil:
		return EntryBroken
	case !strings.Contains(string(decoded), ":"):
		return EntryEmpty
	default:
		return EntryUsable
	}
}

func sortedKeys(m map[string]EntryState) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Keys returns the file's keys, sorted.
func (a AuthFile) Keys() []string { return append([]string(nil), a.keys...) }

// Lookup returns the key whose entry the runtime uses for a repository (host[:port]/path),
// as containers/image's GetCredentialsForRef does with one auth file: the repository, then
// each parent namespace, then the host, as exact keys; failing those, a key that names the
// host with an http(s) scheme (its path dropped), Docker Hub's host names being one. The
// first key found is used even when its entry is empty. ok is false when no key applies;
// an unreadable file gives state EntryBroken and no key.
func (a AuthFile) Lookup(repo string) (key string, state EntryState, ok bool) {
	if a.unreadable {
		return "", EntryBroken, true
	}
	for k := repo; ; {
		if s, found := a.entries[k]; found {
			return k, s, true
		}
		i := strings.LastIndex(k, "/")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	host := hubHost(Host(repo))
	for _, k := range a.keys { // the runtime ranges over a map here; sorted is one of its orders
		if schemeKeyHost(k) == host {
			return k, a.entries[k], true
		}
	}
	return "", 0, false
}

// schemeKeyHost is the host a key names for the second pass of Lookup: a key with an
// http(s) scheme names the host before its path; other keys name themselves.
func schemeKeyHost(key string) string {
	stripped := strings.TrimPrefix(strings.TrimPrefix(key, "http://"), "https://")
	if stripped != key {
		stripped, _, _ = strings.Cut(stripped, "/")
	}
	return hubHost(stripped)
}

// hubHost spells Docker Hub's host names as index.docker.io.
func hubHost(host string) string {
	if manifest.IsDockerHubHost(host) {
		return manifest.DockerHubIndex
	}
	return host
}
