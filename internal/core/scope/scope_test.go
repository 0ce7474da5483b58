package scope

import (
	"strings"
	"testing"
)

func TestParseAndMarker(t *testing.T) {
	for _, c := range []struct {
		marker, describe, err string
	}{
		{Marker("team-b", "team-a", "team-a"), "namespaces team-a, team-b only", ""},
		{Marker(), "every namespace", ""},
		{"pullgen.dev/scope=team-a", "namespace team-a only", ""},
		{"pullgen.dev/scope=team-a, team-b", "namespaces team-a, team-b only", ""},
		{"pullgen.dev/scope=", "", "not a namespace name"},
		{"pullgen.dev/scope=Team_A", "", "not a namespace name"},
		{"pullgen.dev/scope=a,*", "", "not a namespace name"},
		{"scope=a", "", "not a scope marker"},
	} {
		t.Run(c.marker, func(t *testing.T) {
			s, err := Parse("f", c.marker)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || s.Describe() != c.describe {
				t.Fatalf("%q, %v; want %q", s.Describe(), err, c.describe)
			}
		})
	}
}

func TestAllowsAndIntersect(t *testing.T) {
	a := Namespaces("a.yaml", "team-a", "shared")
	b := Namespaces("b.yaml", "team-b", "shared")
	secret := Namespaces("s.yaml", "team-a").BoundTo(Object{"v1", "Secret", "acme"})
	none := Unscoped("u.yaml", "names no scope")
	for _, c := range []struct {
		name                      string
		s                         Scope
		apiVersion, kind, ns, obj string
		says                      string // "" when allowed
	}{
		{"in scope", a, "v1", "Secret", "team-a", "x", ""},
		{"out of scope", a, "v1", "Secret", "team-b", "x", "allows namespaces shared, team-a only, not namespace team-b"},
		{"cluster-scoped", a, "v1", "Namespace", "", "x", "not a cluster-scoped object"},
		{"anywhere", Anywhere(), "v1", "Secret", "any", "x", ""},
		{"unscoped", none, "v1", "Secret", "team-a", "x", "names no scope"},
		{"allowed unscoped", none.Allow(), "v1", "Secret", "team-a", "x", ""},
		{"intersection", Intersect(a, b), "v1", "Secret", "shared", "x", ""},
		{"intersection, one side only", Intersect(a, b), "v1", "Secret", "team-a", "x", "not namespace team-a"},
		{"intersection with anywhere", Intersect(Anywhere(), a), "v1", "Secret", "team-a", "x", ""},
		{"intersection with unscoped", Intersect(a, none), "v1", "Secret", "team-a", "x", "names no scope"},
		{"bound object", secret, "v1", "Secret", "team-a", "acme", ""},
		{"bound object renamed", secret, "v1", "Secret", "team-a", "stolen", "encrypted for Secret acme, not Secret stolen"},
		{"bound object, another kind", secret, "v1", "ConfigMap", "team-a", "acme", "not ConfigMap acme"},
		{"loose", secret.Loose(), "v1", "ConfigMap", "team-a", "stolen", ""},
		{"two objects", Intersect(secret, Namespaces("t.yaml", "team-a").BoundTo(Object{"v1", "Secret", "other"})), "v1", "Secret", "team-a", "other", "not namespace team-a"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.s.Allows(c.apiVersion, c.kind, c.ns, c.obj)
			switch {
			case c.says == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says)):
				t.Errorf("error %v, want %q", err, c.says)
			}
		})
	}
}

func TestOfFile(t *testing.T) {
	const enc = `"ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]"`
	secret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: acme\n  namespace: team-a\ndata:\n  a: " + enc + "\nsops: {mac: m}\n"
	for _, c := range []struct {
		name, data, format string
		markers            []string
		describe, err      string
	}{
		{"a marker", "x: 1", "yaml", []string{Marker("team-b")}, "namespace team-b only", ""},
		{"the same marker twice", "x: 1", "json", []string{Marker("team-b"), Marker("team-b")}, "namespace team-b only", ""},
		{"two markers", "x: 1", "dotenv", []string{Marker("team-b"), Marker("team-c")}, "", "2 different scope markers"},
		{"a Secret", secret, "yaml", nil, "namespace team-a only", ""},
		{"a Secret without namespace", strings.Replace(secret, "  namespace: team-a\n", "", 1), "yaml", nil, "no namespace named", ""},
		{"mac_only_encrypted", strings.Replace(secret, "{mac: m}", "{mac: m, mac_only_encrypted: true}", 1), "yaml", nil, "no namespace named", ""},
		{"a YAML credential file", "password: " + enc + "\nsops: {mac: m}\n", "yaml", nil, "no namespace named", ""},
		{"a binary file", "{}", "binary", nil, "no namespace named", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := OfFile("f", []byte(c.data), c.format, c.markers)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || s.Describe() != c.describe {
				t.Fatalf("%q, %v; want %q", s.Describe(), err, c.describe)
			}
		})
	}
}
