package groundtruth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/sirupsen/logrus"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/docker/config"
	"go.podman.io/image/v5/types"

	"pullgen.dev/pullgen/internal/check/nodecred"
	"pullgen.dev/pullgen/internal/core/dockercfg"
)

// TestAuthFileLookupAgainstTheRuntime checks, for every pair of auth file and repository,
// that nodecred.AuthFile.Lookup predicts what containers/image's GetCredentialsForRef
// returns when it reads that file as CRI-O's global auth file: the credential of the key
// Lookup names (each key's entry carries its own user name), none for an empty entry or
// no key, an error for a broken one.
func TestAuthFileLookupAgainstTheRuntime(t *testing.T) {
	logrus.SetOutput(io.Discard) // containers/image warns about the entries without a colon
	files := []map[string]string{
		{"mirror.local": "ok"},
		{"mirror.local": "ok", "mirror.local/ns": "ok", "mirror.local/ns/app": "ok"},
		{"mirror.local": "ok", "mirror.local/ns": "empty"},
		{"mirror.local": "nocolon"},
		{"mirror.local": "broken", "other.local": "ok"},
		{"mirror.local": "unpadded"},
		{"*.local": "ok", "mirror.local:5000": "ok"},
		{"https://mirror.local/v2/": "ok", "http://m2.local": "ok", "m3.local/v2/": "ok"},
		{"https://mirror.local": "ok", "mirror.local": "empty"},
		{"https://index.docker.io/v1/": "ok"},
		{"index.docker.io": "ok", "docker.io/library": "ok"},
		{"registry-1.docker.io": "ok"},
		{"docker.io": "ok", "quay.io/org": "ok"},
		{"mirror.local": "ok", "other.local": "notastring"},
	}
	repos := []string{"mirror.local/ns/app", "mirror.local/app", "mirror.local:5000/ns/app", "m2.local/x", "m3.local/x",
		"other.local/x", "docker.io/library/nginx", "docker.io/team/app", "quay.io/org/app", "quay.io/organization/app"}
	compared := 0
	for i, spec := range files {
		auths, users := authFile(spec)
		path := filepath.Join(t.TempDir(), "config.json")
		if err := os.WriteFile(path, auths.DockerConfigJSON(), 0o600); err != nil {
			t.Fatal(err)
		}
		sys := &types.SystemContext{AuthFilePath: path, SystemRegistriesConfPath: emptyFile(t), SystemRegistriesConfDirPath: t.TempDir()}
		file := nodecred.NewAuthFile(auths)
		for _, repo := range repos {
			ref, err := reference.ParseNamed(repo)
			if err != nil {
				t.Fatal(err)
			}
			creds, runtimeErr := config.GetCredentialsForRef(sys, ref)
			key, state, found := file.Lookup(repo)
			var want string
			switch {
			case runtimeErr != nil:
				want = "error"
			case creds == (types.DockerAuthConfig{}):
				want = "none"
			default:
				want = "credential of " + users[creds.Username]
			}
			got := "none"
			switch {
			case found && state == nodecred.EntryBroken:
				got = "error"
			case found && state == nodecred.EntryUsable:
				got = "credential of " + key
			}
			if got != want {
				t.Errorf("file %d %v, %s: Lookup gives %s (key %q, %v); containers/image %s (%v)", i, spec, repo, got, key, state, want, runtimeErr)
			}
			compared++
		}
	}
	t.Logf("%d lookups compared", compared)
}

// authFile builds an auths map from key → kind of entry: ok (a user named after the key),
// empty (no auth), nocolon, broken (not base64), unpadded (base64 without padding),
// notastring (auth a number, which makes the whole file unreadable).
func authFile(spec map[string]string) (dockercfg.Auths, map[string]string) {
	auths := dockercfg.Auths{}
	users := map[string]string{}
	n := 0
	for key, kind := range spec {
		n++
		user := fmt.Sprintf("user%d", n)
		users[user] = key
		var auth string
		switch kind {
		case "ok":
			auth = base64.StdEncoding.EncodeToString([]byte(user + ":secret"))
		case "nocolon":
			auth = base64.StdEncoding.EncodeToString([]byte(user))
		case "broken":
			auth = "%%%"
		case "unpadded":
			auth = base64.RawStdEncoding.EncodeToString([]byte(user + ":s"))
		}
		entry := map[string]any{}
		if auth != "" {
			entry["auth"] = auth
		}
		if kind == "notastring" {
			entry["auth"] = 1
		}
		b, _ := json.Marshal(entry)
		auths[key] = b
	}
	return auths, users
}

func emptyFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "registries.conf")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
