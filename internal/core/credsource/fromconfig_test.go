package credsource

import (
	"encoding/base64"
	"reflect"
	"testing"

	"pullgen.dev/pullgen/schema/v1alpha1"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// dockerConfig is a config.json as docker login writes it, with a Docker Hub key, a
// key with a port, an entry carrying username/password fields instead of auth, and a
// password containing ':'.
var dockerConfig = `{
  "auths": {
    "https://index.docker.io/v1/": {"auth": "` + b64("hubuser:"+secret) + `", "email": "ops@acme.io"},
    "registry.example.com:5000": {"username": "fielduser", "password": "` + secret + `"},
    "ghcr.io": {"auth": "` + b64("gh:"+secret+":with:colons") + `"}
  },
  "HttpHeaders": {"User-Agent": "Docker-Client/24.0"}
}`

// podmanAuth is a podman auth.json: the same format, keys with paths.
var podmanAuth = `{
	"auths": {
		"quay.io/org": {"auth": "` + b64("org+robot:"+secret) + `"},
		"quay.io": {"auth": "` + b64("quayuser:"+secret) + `"},
		"registry.redhat.io": {"auth": "` + b64("rh:"+secret) + `"}
	}
}`

func TestFromConfig(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"config.json":       dockerConfig,
		"auth.json":         podmanAuth,
		"hubforms.json":     `{"auths": {"docker.io": {"auth": "` + b64("a:"+secret) + `"}, "quay.io": {"auth": "` + b64("q:"+secret) + `"}}}`,
		"helpers-used.json": `{"auths": {"quay.io": {}, "ghcr.io": {"auth": "` + b64("gh:"+secret) + `"}}, "credsStore": "desktop", "credHelpers": {"gcr.io": "gcloud"}}`,
		"padless.json":      `{"auths": {"quay.io": {"auth": "` + base64.RawStdEncoding.EncodeToString([]byte("ab:"+secret)) + `"}}}`,
	})
	r := &Resolver{BaseDir: dir}
	hub := Entry{Key: "https://index.docker.io/v1/", Username: "hubuser", Password: secret, Email: "ops@acme.io"}
	ghcr := Entry{Key: "ghcr.io", Username: "gh", Password: secret + ":with:colons"}
	port := Entry{Key: "registry.example.com:5000", Username: "fielduser", Password: secret}
	org := Entry{Key: "quay.io/org", Username: "org+robot", Password: secret}
	quay := Entry{Key: "quay.io", Username: "quayuser", Password: secret}
	rh := Entry{Key: "registry.redhat.io", Username: "rh", Password: secret}
	tests := []struct {
		name string
		fc   v1alpha1.FromConfig
		want []Entry
	}{
		{"docker config.json, every entry sorted", v1alpha1.FromConfig{File: "config.json"}, []Entry{ghcr, hub, port}},
		{"podman auth.json, keys with paths", v1alpha1.FromConfig{File: "auth.json"}, []Entry{quay, org, rh}},
		{"filter exact", v1alpha1.FromConfig{File: "auth.json", Registries: []string{"quay.io/org"}}, []Entry{org}},
		{"filter exact host does not take the path key", v1alpha1.FromConfig{File: "auth.json", Registries: []string{"quay.io"}}, []Entry{quay}},
		{"filter normalized scheme and slash", v1alpha1.FromConfig{File: "auth.json", Registries: []string{"https://quay.io/org/", "REGISTRY.redhat.io"}}, []Entry{org, rh}},
		{"filter docker.io finds the v1 key", v1alpha1.FromConfig{File: "config.json", Registries: []string{"docker.io"}}, []Entry{hub}},
		{"filter index.docker.io", v1alpha1.FromConfig{File: "config.json", Registries: []string{"index.docker.io"}}, []Entry{hub}},
		{"filter registry-1.docker.io", v1alpha1.FromConfig{File: "config.json", Registries: []string{"registry-1.docker.io"}}, []Entry{hub}},
		{"filter v1 URL finds docker.io key", v1alpha1.FromConfig{File: "hubforms.json", Registries: []string{"https://index.docker.io/v1/"}}, []Entry{{Key: "docker.io", Username: "a", Password: secret}}},
		{"filter repeated", v1alpha1.FromConfig{File: "config.json", Registries: []string{"ghcr.io", "https://ghcr.io"}}, []Entry{ghcr}},
		{"store entries not wanted are not asked", v1alpha1.FromConfig{File: "helpers-used.json", Registries: []string{"ghcr.io"}}, []Entry{{Key: "ghcr.io", Username: "gh", Password: secret}}},
		{"auth without padding", v1alpha1.FromConfig{File: "padless.json"}, []Entry{{Key: "quay.io", Username: "ab", Password: secret}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.FromConfig(tt.fc)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestFromConfigErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"config.json":     dockerConfig,
		"token.json":      `{"auths": {"quay.io": {"identitytoken": "` + secret + `"}}}`,
		"token-auth.json": `{"auths": {"https://index.docker.io/v1/": {"auth": "` + b64("me:") + `", "identitytoken": "` + secret + `"}}}`,
		"token-user.json": `{"auths": {"quay.io": {"auth": "` + b64("<token>:"+secret) + `"}}}`,
		"regtoken.json":   `{"auths": {"quay.io": {"registrytoken": "` + secret + `"}}}`,
		"store.json":      `{"auths": {"quay.io": {}, "ghcr.io": {"auth": "` + b64("gh:"+secret) + `"}}, "credsStore": "desktop"}`,
		"credhelp.json":   `{"auths": {}, "credHelpers": {"gcr.io": "gcloud"}}`,
		"nocreds.json":    `{"auths": {"quay.io": {}}}`,
		"useronly.json":   `{"auths": {"quay.io": {"username": "robot"}}}`,
		"badb64.json":     `{"auths": {"quay.io": {"auth": "` + secret + `!!"}}}`,
		"nocolon.json":    `{"auths": {"quay.io": {"auth": "` + b64(secret) + `"}}}`,
		"notjson.json":    `{"auths": ` + secret,
		"notconfig.json":  `{"apiVersion": "v1", "kind": "Secret"}`,
		"empty.json":      `{"auths": {}}`,
	})
	r := &Resolver{BaseDir: dir, AllowHelpers: true}
	noHelpers := &Resolver{BaseDir: dir}
	tests := []struct {
		name string
		r    *Resolver
		fc   v1alpha1.FromConfig
		want []string
	}{
		{"no file", r, v1alpha1.FromConfig{}, []string{"file is not set"}},
		{"missing file", r, v1alpha1.FromConfig{File: "nope.json"}, []string{"reading nope.json", "no such file"}},
		{"filter matches nothing", r, v1alpha1.FromConfig{File: "config.json", Registries: []string{"ghcr.io", "quay.io", "nvcr.io"}}, []string{"config.json", "quay.io, nvcr.io", "match no entry", "ghcr.io"}},
		{"identity token only", r, v1alpha1.FromConfig{File: "token.json"}, []string{"token.json", "quay.io", "identity token cannot be used by the kubelet"}},
		{"identity token with empty password", r, v1alpha1.FromConfig{File: "token-auth.json", Registries: []string{"docker.io"}}, []string{"token-auth.json", "https://index.docker.io/v1/", "identity token"}},
		{"token username", r, v1alpha1.FromConfig{File: "token-user.json"}, []string{"token-user.json", "quay.io", "identity token"}},
		{"registry token", r, v1alpha1.FromConfig{File: "regtoken.json"}, []string{"regtoken.json", "quay.io", "registry token"}},
		{"store without credentialHelpers", r, v1alpha1.FromConfig{File: "store.json"}, []string{"store.json", "registry quay.io", "credentialHelpers: true"}},
		{"store filter not in auths", r, v1alpha1.FromConfig{File: "store.json", Registries: []string{"nvcr.io"}}, []string{"store.json", "nvcr.io", "credentialHelpers: true"}},
		{"credHelpers without credentialHelpers", r, v1alpha1.FromConfig{File: "credhelp.json"}, []string{"credhelp.json", "gcr.io", "credentialHelpers: true"}},
		{"helpers not allowed (render)", noHelpers, v1alpha1.FromConfig{File: "store.json", CredentialHelpers: true}, []string{"store.json", "quay.io", "not run here"}},
		{"entry without credentials", r, v1alpha1.FromConfig{File: "nocreds.json"}, []string{"nocreds.json", "quay.io", "no credentials"}},
		{"username without password", r, v1alpha1.FromConfig{File: "useronly.json"}, []string{"useronly.json", "quay.io", "no password"}},
		{"bad base64", r, v1alpha1.FromConfig{File: "badb64.json"}, []string{"badb64.json", "quay.io", "base64"}},
		{"auth without colon", r, v1alpha1.FromConfig{File: "nocolon.json"}, []string{"nocolon.json", "quay.io", "username:password"}},
		{"invalid JSON", r, v1alpha1.FromConfig{File: "notjson.json"}, []string{"notjson.json", "parsing", "invalid JSON at byte 11"}},
		{"not a config", r, v1alpha1.FromConfig{File: "notconfig.json"}, []string{"notconfig.json", "not a docker config.json"}},
		{"no entries", r, v1alpha1.FromConfig{File: "empty.json"}, []string{"empty.json", "no registry entries"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.r.FromConfig(tt.fc)
			checkErr(t, err, tt.want...)
			if got != nil {
				t.Errorf("entries returned with an error: %d", len(got))
			}
		})
	}
}

func TestNormalizeKey(t *testing.T) {
	for key, want := range map[string]string{
		"docker.io":                   "docker.io",
		"index.docker.io":             "docker.io",
		"registry-1.docker.io":        "docker.io",
		"https://index.docker.io/v1/": "docker.io",
		"https://index.docker.io/v1":  "docker.io",
		"http://docker.io/":           "docker.io",
		"docker.io/library":           "docker.io/library",
		"https://Quay.IO/Org/":        "quay.io/Org",
		"registry.example.com:5000":   "registry.example.com:5000",
	} {
		if got := NormalizeKey(key); got != want {
			t.Errorf("NormalizeKey(%q) = %q, want %q", key, got, want)
		}
	}
}
