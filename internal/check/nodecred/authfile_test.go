package nodecred

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"pullgen.dev/pullgen/internal/core/dockercfg"
)

// auths builds an auths map: each key's entry is {"auth": value}.
func auths(kv ...string) dockercfg.Auths {
	a := dockercfg.Auths{}
	for i := 0; i+1 < len(kv); i += 2 {
		b, _ := json.Marshal(map[string]string{"auth": kv[i+1]})
		a[kv[i]] = b
	}
	return a
}

var good = base64.StdEncoding.EncodeToString([]byte("user:pass"))

// TestLookup checks the runtime's lookup of a repository in the node's auth file
// (containers/image pkg/docker/config: authKeyLookupOrder, normalizeAuthFileKey,
// decodeDockerAuth). The ground truth module under internal/testsupport/groundtruth asks
// containers/image itself the same questions.
func TestLookup(t *testing.T) {
	tests := []struct {
		name      string
		file      AuthFile
		repo      string
		wantKey   string
		wantState EntryState
		wantOK    bool
	}{
		{"host key", NewAuthFile(auths("mirror.local", good)), "mirror.local/ns/app", "mirror.local", EntryUsable, true},
		{"most specific path first", NewAuthFile(auths("mirror.local", good, "mirror.local/ns", good)), "mirror.local/ns/app", "mirror.local/ns", EntryUsable, true},
		{"path keys are whole components", NewAuthFile(auths("mirror.local/n", good)), "mirror.local/ns/app", "", 0, false},
		{"the repository itself", NewAuthFile(auths("mirror.local/ns/app", good)), "mirror.local/ns/app", "mirror.local/ns/app", EntryUsable, true},
		{"an empty specific entry shadows the host", NewAuthFile(auths("mirror.local", good, "mirror.local/ns", "")), "mirror.local/ns/app", "mirror.local/ns", EntryEmpty, true},
		{"no colon is empty", NewAuthFile(auths("mirror.local", base64.StdEncoding.EncodeToString([]byte("token")))), "mirror.local/app", "mirror.local", EntryEmpty, true},
		{"bad base64 is broken", NewAuthFile(auths("mirror.local", "%%%")), "mirror.local/app", "mirror.local", EntryBroken, true},
		{"unpadded base64 is broken", NewAuthFile(auths("mirror.local", "dXNlcjpwYXNz0")), "mirror.local/app", "mirror.local", EntryBroken, true},
		{"no glob matching", NewAuthFile(auths("*.local", good)), "mirror.local/app", "", 0, false},
		{"port is part of the host", NewAuthFile(auths("mirror.local", good)), "mirror.local:5000/app", "", 0, false},
		{"scheme key names its host", NewAuthFile(auths("https://mirror.local/v2/", good)), "mirror.local/app", "https://mirror.local/v2/", EntryUsable, true},
		{"a key without scheme keeps its path", NewAuthFile(auths("mirror.local/v2/", good)), "mirror.local/app", "", 0, false},
		{"Docker Hub's v1 key", NewAuthFile(auths("https://index.docker.io/v1/", good)), "docker.io/library/nginx", "https://index.docker.io/v1/", EntryUsable, true},
		{"Docker Hub's bare index host", NewAuthFile(auths("index.docker.io", good)), "docker.io/library/nginx", "index.docker.io", EntryUsable, true},
		{"exact beats scheme", NewAuthFile(auths("https://mirror.local", good, "mirror.local", "")), "mirror.local/app", "mirror.local", EntryEmpty, true},
		{"keys only", AuthFileFromKeys([]string{"mirror.local"}), "mirror.local/app", "mirror.local", EntryUnknown, true},
		{"unreadable entry breaks the file", NewAuthFile(dockercfg.Auths{"other.local": json.RawMessage(`{"auth":1}`), "mirror.local": json.RawMessage(`{"auth":"` + good + `"}`)}), "mirror.local/app", "", EntryBroken, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, state, ok := tt.file.Lookup(tt.repo)
			if key != tt.wantKey || state != tt.wantState || ok != tt.wantOK {
				t.Errorf("Lookup = %q, %v, %v; want %q, %v, %v", key, state, ok, tt.wantKey, tt.wantState, tt.wantOK)
			}
		})
	}
}

// TestAuth checks which credential each pull attempt sends: the kubelet's on the image's
// own host, else what the node's file has for the source, else none.
func TestAuth(t *testing.T) {
	node := NewAuthFile(auths("mirror.local", good, "quay.io", good))
	tests := []struct {
		name    string
		image   string
		source  string
		kubelet bool   // whether the kubelet sends its credential there
		nodeKey string // the node's key for the source, "" for none
	}{
		{"source with the kubelet's credential", "quay.io/org/app", "quay.io/org/app", true, "quay.io"},
		{"same-host mirror keeps the kubelet's credential", "quay.io/org/app", "quay.io/mirror/app", true, "quay.io"},
		{"other-host mirror: the node's file", "quay.io/org/app", "mirror.local/org/app", false, "mirror.local"},
		{"nothing applies: anonymous", "quay.io/org/app", "other.local/app", false, ""},
		{"a port makes another host", "quay.io/org/app", "quay.io:443/org/app", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KubeletCredentialSent(tt.image, tt.source); got != tt.kubelet {
				t.Errorf("KubeletCredentialSent = %v, want %v", got, tt.kubelet)
			}
			key, state, ok := node.Lookup(tt.source)
			if key != tt.nodeKey || ok != (tt.nodeKey != "") || ok && state != EntryUsable {
				t.Errorf("Lookup = %q, %v, %v; want %q", key, state, ok, tt.nodeKey)
			}
		})
	}
}
