package dockercfg

import (
	"encoding/json"
	"testing"

	"pullgen.dev/pullgen/internal/core/manifest"
)

func TestNormalizeKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"docker.io", manifest.DockerHubKey},
		{"index.docker.io", manifest.DockerHubKey},
		{"registry-1.docker.io", manifest.DockerHubKey},
		{"https://index.docker.io/v1/", manifest.DockerHubKey},
		{"https://docker.io", manifest.DockerHubKey},
		{"docker.io/", manifest.DockerHubKey},
		{"docker.io/acme", "docker.io/acme"}, // a path is a narrower key: kept as written
		{"quay.io", "quay.io"},
		{"quay.io/acme", "quay.io/acme"},
		{"https://registry.acme.io/v2/", "https://registry.acme.io/v2/"},
		{"localhost:5000", "localhost:5000"},
	} {
		if got := NormalizeKey(c.in); got != c.want {
			t.Errorf("NormalizeKey(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDockerConfigJSONBytes(t *testing.T) {
	a := Auths{}
	a.Set("quay.io", NewEntry("u", "p", ""))
	a.Set("a.example.com", NewEntry("robot", "p<&>", "ops@x.io"))
	// kubectl's shape: keys sorted, fields username, password, email, auth; no spaces.
	want := `{"auths":{"a.example.com":{"username":"robot","password":"p\u003c\u0026\u003e","email":"ops@x.io","auth":"cm9ib3Q6cDwmPg=="},"quay.io":{"username":"u","password":"p","auth":"dTpw"}}}`
	if got := string(a.DockerConfigJSON()); got != want {
		t.Errorf("DockerConfigJSON\n got %s\nwant %s", got, want)
	}
	if got, want := string(a.Dockercfg()), want[len(`{"auths":`):len(want)-1]; got != want {
		t.Errorf("Dockercfg\n got %s\nwant %s", got, want)
	}
	var doc map[string]map[string]map[string]string
	if err := json.Unmarshal(a.DockerConfigJSON(), &doc); err != nil {
		t.Fatal(err)
	}
}

func TestMerge(t *testing.T) {
	base, err := ParseDockerConfigJSON([]byte(`{"auths":{"cloud.openshift.com":{"auth":"b3A6eA==",  "email":"x@y.z"},"quay.io":{"auth":"b2xkOm9sZA=="}}}`))
	if err != nil {
		t.Fatal(err)
	}
	add := Auths{}
	add.Set("quay.io", NewEntry("new", "new", ""))
	add.Set("registry.acme.io", NewEntry("r", "s", ""))
	same := Auths{}
	same.Set("cloud.openshift.com", Entry{Auth: "b3A6eA==", Email: "x@y.z"})

	for _, c := range []struct {
		name, policy  string
		add           Auths
		quay          string
		wantConflicts int
	}{
		{"replace", "replace", add, `{"username":"new","password":"new","auth":"bmV3Om5ldw=="}`, 0},
		{"keep", "keep", add, `{"auth":"b2xkOm9sZA=="}`, 0},
		{"error", "error", add, `{"auth":"b2xkOm9sZA=="}`, 1},
		{"error-default", "", add, `{"auth":"b2xkOm9sZA=="}`, 1},
		{"same-credential-is-no-conflict", "error", same, `{"auth":"b2xkOm9sZA=="}`, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, conflicts := Merge(base, c.add, c.policy)
			if len(conflicts) != c.wantConflicts {
				t.Errorf("conflicts %v, want %d", conflicts, c.wantConflicts)
			}
			if got := string(m["quay.io"]); got != c.quay {
				t.Errorf("quay.io = %s, want %s", got, c.quay)
			}
			// Base entries the spec does not touch keep their bytes, spacing included.
			if got := string(m["cloud.openshift.com"]); got != `{"auth":"b3A6eA==",  "email":"x@y.z"}` {
				t.Errorf("base entry rewritten: %s", got)
			}
		})
	}
	if _, err := ParseDockerConfigJSON([]byte(`{"other":{}}`)); err == nil {
		t.Errorf("a document without auths must be refused")
	}
}
