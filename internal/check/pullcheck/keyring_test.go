package pullcheck

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// secretKeys is one Secret's auths keys, as written.
type secretKeys struct {
	secret string
	keys   []string
}

func one(key string) []secretKeys { return []secretKeys{{"s", []string{key}}} }

func cred(secret, registry string) Credential { return Credential{Secret: secret, Registry: registry} }

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestKeyringLookup checks credential matching against the kubelet's rules
// (pkg/credentialprovider: BasicDockerKeyring.Add and Lookup, URLsMatch,
// isDefaultRegistryMatch) after image normalization (parsers.ParseImageName).
func TestKeyringLookup(t *testing.T) {
	hub := "https://index.docker.io/v1/"
	tests := []struct {
		name    string
		secrets []secretKeys
		image   string
		want    []Credential
	}{
		// Per-label globs.
		{"glob first label", one("*.gcr.io"), "us.gcr.io/proj/img", []Credential{cred("s", "*.gcr.io")}},
		{"glob needs same label count (fewer)", one("*.gcr.io"), "gcr.io/proj/img", nil},
		{"glob needs same label count (more)", one("*.gcr.io"), "a.b.gcr.io/proj/img", nil},
		{"two glob labels", one("*.*.io"), "us.gcr.io/proj/img", []Credential{cred("s", "*.*.io")}},
		{"two glob labels vs two-label host", one("*.*.io"), "quay.io/org/app", nil},
		{"glob label matches two-label host", one("*.io"), "quay.io/org/app", []Credential{cred("s", "*.io")}},
		{"partial label glob", one("us-*.pkg.dev"), "us-east1.pkg.dev/p/r/i", []Credential{cred("s", "us-*.pkg.dev")}},
		{"partial label glob mismatch", one("us-*.pkg.dev"), "europe-west1.pkg.dev/p/r/i", nil},
		{"glob with port", one("*.example.com:5000"), "reg.example.com:5000/x", []Credential{cred("s", "*.example.com:5000")}},
		{"glob without port vs image with port", one("*.example.com"), "reg.example.com:5000/x", nil},
		{"question mark starts a URL query, so the key is host reg", one("reg?.example.com"), "reg1.example.com/x", nil},
		{"bracket host does not parse as a URL: key ignored", one("[abc].example.com"), "b.example.com/x", nil},
		{"character class in a host is not a URL: key ignored", one("reg[0-9].example.com"), "reg7.example.com/x", nil},
		{"malformed glob never matches", one("[.example.com"), "a.example.com/x", nil},
		{"glob does not cross labels", one("*.com"), "reg.example.com/x", nil},
		{"labels are case sensitive", one("Quay.io"), "quay.io/org/app", nil},
		{"glob over docker.io", one("*.io"), "nginx", []Credential{cred("s", "*.io")}},

		// Ports, compared as strings.
		{"localhost with port", one("localhost:5000"), "localhost:5000/app", []Credential{cred("s", "localhost:5000")}},
		{"key without port vs image with port", one("localhost"), "localhost:5000/app", nil},
		{"key with port vs image without port", one("localhost:5000"), "localhost/app", nil},
		{"localhost without port", one("localhost"), "localhost/app:1", []Credential{cred("s", "localhost")}},
		{"single-label host with port", one("myregistry:5000"), "myregistry:5000/app", []Credential{cred("s", "myregistry:5000")}},
		{"explicit 443 is not the default port", one("registry.example.com:443"), "registry.example.com/app", nil},
		{"ports compared as strings", one("localhost:05000"), "localhost:5000/app", nil},
		{"IP with port", one("127.0.0.1:5000"), "127.0.0.1:5000/app", []Credential{cred("s", "127.0.0.1:5000")}},
		{"scheme and /v2/ with port", one("https://registry.example.com:5000/v2/"), "registry.example.com:5000/app", []Credential{cred("s", "https://registry.example.com:5000/v2/")}},

		// Paths: a plain string prefix.
		{"path prefix", one("quay.io/org"), "quay.io/org/app", []Credential{cred("s", "quay.io/org")}},
		{"path prefix matches org2", one("quay.io/org"), "quay.io/org2/app", []Credential{cred("s", "quay.io/org")}},
		{"path prefix matches organisation", one("quay.io/org"), "quay.io/organisation/x", []Credential{cred("s", "quay.io/org")}},
		{"longer key path does not match", one("quay.io/org2"), "quay.io/org/app", nil},
		{"trailing slash limits the prefix", one("quay.io/org/"), "quay.io/organisation/x", nil},
		{"trailing slash still matches below", one("quay.io/org/"), "quay.io/org/app", []Credential{cred("s", "quay.io/org/")}},
		{"full repository key", one("quay.io/org/app"), "quay.io/org/app:1", []Credential{cred("s", "quay.io/org/app")}},
		{"full repository key is a prefix too", one("quay.io/org/app"), "quay.io/org/application", []Credential{cred("s", "quay.io/org/app")}},
		{"other path", one("quay.io/other"), "quay.io/org/app", nil},
		{"host key matches every path", one("quay.io"), "quay.io/org/app", []Credential{cred("s", "quay.io")}},
		{"https scheme dropped", one("https://quay.io/org"), "quay.io/org/app", []Credential{cred("s", "https://quay.io/org")}},
		{"http scheme dropped", one("http://quay.io"), "quay.io/org/app", []Credential{cred("s", "http://quay.io")}},
		{"host differs", one("quay.io"), "ghcr.io/org/app", nil},

		// /v1/ and /v2/ trimming.
		{"/v1/ trimmed", one("https://quay.io/v1/"), "quay.io/org/app", []Credential{cred("s", "https://quay.io/v1/")}},
		{"/v2/ trimmed", one("https://quay.io/v2/"), "quay.io/org/app", []Credential{cred("s", "https://quay.io/v2/")}},
		{"/v2/ trimmed before a path", one("quay.io/v2/org"), "quay.io/org/app", []Credential{cred("s", "quay.io/v2/org")}},
		{"/v1 without slash kept", one("quay.io/v1"), "quay.io/org/app", nil},
		{"/v3/ kept", one("quay.io/v3/"), "quay.io/org/app", nil},
		{"/v1/ trimmed only at the start", one("quay.io/org/v1/"), "quay.io/org/app", nil},

		// Docker Hub names and the index.docker.io fallback.
		{"hub key with nginx", one(hub), "nginx", []Credential{cred("s", hub)}},
		{"hub key with library/nginx", one(hub), "library/nginx", []Credential{cred("s", hub)}},
		{"hub key with docker.io/library/nginx:1.27", one(hub), "docker.io/library/nginx:1.27", []Credential{cred("s", hub)}},
		{"hub key with index.docker.io/library/nginx", one(hub), "index.docker.io/library/nginx", []Credential{cred("s", hub)}},
		{"hub key with index.docker.io/nginx", one(hub), "index.docker.io/nginx", []Credential{cred("s", hub)}},
		{"hub key with user repository", one(hub), "acme/app:2", []Credential{cred("s", hub)}},
		{"hub key with registry-1.docker.io", one(hub), "registry-1.docker.io/library/nginx", nil},
		{"hub key with another registry", one(hub), "quay.io/acme/app", nil},
		{"hub key applies to localhost/ (no dot or colon)", one(hub), "localhost/app", []Credential{cred("s", hub)}},
		{"hub key with localhost:5000", one(hub), "localhost:5000/app", nil},
		{"schemeless index.docker.io", one("index.docker.io"), "nginx", []Credential{cred("s", "index.docker.io")}},
		{"index.docker.io/v1/ without scheme", one("index.docker.io/v1/"), "nginx:latest", []Credential{cred("s", "index.docker.io/v1/")}},
		{"docker.io key matches directly", one("docker.io"), "nginx", []Credential{cred("s", "docker.io")}},
		{"docker.io path key", one("docker.io/acme"), "acme/app", []Credential{cred("s", "docker.io/acme")}},
		{"docker.io path key vs library", one("docker.io/acme"), "nginx", nil},
		{"registry-1.docker.io key vs nginx", one("registry-1.docker.io"), "nginx", nil},
		{"registry-1.docker.io key vs its own name", one("registry-1.docker.io"), "registry-1.docker.io/library/nginx", []Credential{cred("s", "registry-1.docker.io")}},
		{"glob over index.docker.io gives no fallback", one("*.docker.io"), "nginx", nil},

		// Digests and tags are dropped.
		{"digest", one("quay.io/org"), "quay.io/org/app@" + digest, []Credential{cred("s", "quay.io/org")}},
		{"tag and digest", one("quay.io/org/app"), "quay.io/org/app:1.0@" + digest, []Credential{cred("s", "quay.io/org/app")}},
		{"hub digest", one(hub), "nginx@" + digest, []Credential{cred("s", hub)}},
		{"localhost:5000 with digest", one("localhost:5000/app"), "localhost:5000/app@" + digest, []Credential{cred("s", "localhost:5000/app")}},

		// Order: unique keys in reverse lexical order, every match tried.
		{"reverse lexical order", []secretKeys{{"a", []string{"quay.io"}}, {"b", []string{"quay.io/org"}}, {"c", []string{"quay.io/org/app"}}},
			"quay.io/org/app", []Credential{cred("c", "quay.io/org/app"), cred("b", "quay.io/org"), cred("a", "quay.io")}},
		{"same key in two secrets keeps secret order", []secretKeys{{"b", []string{"quay.io"}}, {"a", []string{"quay.io"}}},
			"quay.io/org/app", []Credential{cred("b", "quay.io"), cred("a", "quay.io")}},
		{"same key written two ways", []secretKeys{{"a", []string{"quay.io"}}, {"b", []string{"https://quay.io/v1/"}}},
			"quay.io/x", []Credential{cred("a", "quay.io"), cred("b", "https://quay.io/v1/")}},
		{"literal host sorts before glob", []secretKeys{{"g", []string{"*.example.com"}}, {"r", []string{"reg.example.com"}}},
			"reg.example.com/x", []Credential{cred("r", "reg.example.com"), cred("g", "*.example.com")}},
		{"non-matching keys skipped", []secretKeys{{"a", []string{"ghcr.io", "quay.io/org", "quay.io/zzz"}}},
			"quay.io/org/app", []Credential{cred("a", "quay.io/org")}},
		{"fallback only when nothing matched", []secretKeys{{"hub", []string{hub}}, {"dh", []string{"docker.io"}}},
			"nginx", []Credential{cred("dh", "docker.io")}},
		{"fallback when other keys do not match", []secretKeys{{"q", []string{"quay.io"}}, {"hub", []string{hub}}},
			"nginx", []Credential{cred("hub", hub)}},
		{"glob match suppresses the fallback", []secretKeys{{"hub", []string{hub}}, {"g", []string{"*.io"}}},
			"nginx", []Credential{cred("g", "*.io")}},
		{"fallback gives every hub credential", []secretKeys{{"a", []string{hub}}, {"b", []string{"index.docker.io"}}},
			"library/nginx", []Credential{cred("a", hub), cred("b", "index.docker.io")}},
		{"no secrets", nil, "quay.io/org/app", nil},
		{"invalid key ignored", one("quay.io/%zz"), "quay.io/org/app", nil},
	}
	if len(tests) < 60 {
		t.Fatalf("only %d cases", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var kr Keyring
			for _, s := range tt.secrets {
				kr.Add(s.secret, s.keys)
			}
			repo, err := NormalizeImage(tt.image)
			if err != nil {
				t.Fatalf("NormalizeImage(%q): %v", tt.image, err)
			}
			got := kr.Lookup(repo)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Lookup(%q) (-want +got):\n%s", repo, diff)
			}
		})
	}
}

func TestNormalizeKey(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"quay.io", "quay.io", true},
		{"https://quay.io", "quay.io", true},
		{"https://quay.io/", "quay.io", true},
		{"http://quay.io/v1/", "quay.io", true},
		{"https://index.docker.io/v1/", "index.docker.io", true},
		{"quay.io/v2/org/app", "quay.io/org/app", true},
		{"quay.io/org/", "quay.io/org/", true},
		{"localhost:5000", "localhost:5000", true},
		{"user@quay.io/org", "quay.io/org", true},
		{"quay.io/%zz", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeKey(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeKey(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestKeyringKeys(t *testing.T) {
	var kr Keyring
	kr.Add("a", []string{"quay.io", "https://quay.io/v1/", "*.gcr.io", "quay.io/org"})
	want := []string{"quay.io/org", "quay.io", "*.gcr.io"}
	if diff := cmp.Diff(want, kr.Keys()); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	if kr.Len() != 3 {
		t.Errorf("Len = %d", kr.Len())
	}
	if !MatchKey("*.gcr.io", "eu.gcr.io/p/i") || MatchKey("index.docker.io", "docker.io/library/nginx") {
		t.Error("MatchKey")
	}
}

func TestNormalizeImage(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"nginx", "docker.io/library/nginx", false},
		{"nginx:1.27", "docker.io/library/nginx", false},
		{"library/nginx", "docker.io/library/nginx", false},
		{"docker.io/nginx", "docker.io/library/nginx", false},
		{"docker.io/library/nginx:1.27", "docker.io/library/nginx", false},
		{"index.docker.io/nginx", "docker.io/library/nginx", false},
		{"index.docker.io/acme/app", "docker.io/acme/app", false},
		{"registry-1.docker.io/library/nginx", "registry-1.docker.io/library/nginx", false},
		{"acme/app", "docker.io/acme/app", false},
		{"localhost/app", "localhost/app", false},
		{"localhost:5000/app:1", "localhost:5000/app", false},
		{"quay.io/org/app@" + digest, "quay.io/org/app", false},
		{"quay.io/org/app:v1@" + digest, "quay.io/org/app", false},
		{"Registry.Example.com/app", "Registry.Example.com/app", false},
		{"[::1]:5000/app", "[::1]:5000/app", false},
		{"a.b/c/d/e/f", "a.b/c/d/e/f", false},
		{"quay.io/a__b/c-d--e/f.g", "quay.io/a__b/c-d--e/f.g", false},
		{"quay.io/a___b", "", true},
		{"quay.io/-a", "", true},
		{"quay.io/a.", "", true},
		{"quay.io:abc/x", "", true},
		{"-bad.io/x", "", true},
		{"my-reg.io:5000/x:Tag_1.0-rc", "my-reg.io:5000/x", false},
		{"quay.io/x:" + strings.Repeat("t", 129), "", true},
		{"quay.io/x:.tag", "", true},
		{"quay.io/x@sha256+b64u:0123456789abcdef0123456789abcdef", "quay.io/x", false},
		{"quay.io/x@sha256:0123", "", true},
		{"quay.io/x@1sha:0123456789abcdef0123456789abcdef", "", true},
		{"quay.io/Org/app", "", true},
		{"Nginx", "", true},
		{"", "", true},
		{"quay.io/org/app:", "", true},
		{"quay.io/org/app@sha256:abc", "", true},
		{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "", true},
		{"quay.io//app", "", true},
		{"quay.io/app name", "", true},
	}
	for _, tt := range tests {
		got, err := NormalizeImage(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("NormalizeImage(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
