package main

import (
	"maps"
	"path/filepath"
	"strings"
	"testing"
)

// TestScopeRoundTripsWithSops gives an existing SOPS-encrypted file of every format a
// scope: the sops CLI still decrypts it (its MAC verifies) to the same content plus the
// marker (a binary file's content alone), and pullgen scope shows the scope. (A marker
// forged by hand is refused by sops and render alike: TestForgedScopeMarker.)
func TestScopeRoundTripsWithSops(t *testing.T) {
	sops := tool(t, "sops")
	key, rcpt := ageKey(t)
	env := append(noKeyEnv(t), "SOPS_AGE_KEY_FILE="+key)
	for _, c := range []struct {
		file, plain string
		args        []string // sops's format flags
		keep        string   // how sops -d shows the credential
		marker      string   // how sops -d shows the marker; "" for none
	}{
		{file: "creds.enc.yaml", plain: "password: p1\n", keep: "password: p1", marker: "pullgen_scope: pullgen.dev/scope=team-a,team-b"},
		{file: "auth.enc.json", plain: `{"auths":{"r.example":{"auth":"dTpw"}}}`, keep: `"auth": "dTpw"`, marker: `"pullgen_scope": "pullgen.dev/scope=team-a,team-b"`},
		{file: "token.enc.env", plain: "TOKEN=p1\n", keep: "TOKEN=p1", marker: "pullgen_scope=pullgen.dev/scope=team-a,team-b"},
		{file: "creds.enc.ini", plain: "[registry]\npassword = p1\n", keep: "password = p1", marker: "scope = pullgen.dev/scope=team-a,team-b"},
		{file: "token.enc.bin", plain: "p1-binary", keep: "p1-binary", args: []string{"--input-type", "binary", "--output-type", "binary"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, c.file), c.plain)
			mustRun(t, dir, env, sops, append(append([]string{"-e", "-i", "--age", rcpt}, c.args...), c.file)...)
			if got := mustRun(t, dir, env, pullgen(), "scope", c.file); !strings.Contains(got, "unscoped") {
				t.Errorf("before: %s", got)
			}
			mustRun(t, dir, env, pullgen(), "scope", "--namespace", "team-b", "--namespace", "team-a", c.file)
			plain := mustRun(t, dir, env, sops, append(append([]string{"-d"}, c.args...), c.file)...)
			if !strings.Contains(plain, c.keep) || c.marker != "" && !strings.Contains(plain, c.marker) {
				t.Errorf("sops -d after pullgen scope:\n%s", plain)
			}
			if c.marker == "" && plain != c.plain {
				t.Errorf("sops -d of the binary file: %q, want %q", plain, c.plain)
			}
			if got := mustRun(t, dir, env, pullgen(), "scope", c.file); !strings.Contains(got, "namespaces team-a, team-b only") {
				t.Errorf("after: %s", got)
			}
			// Another scope replaces the first.
			mustRun(t, dir, env, pullgen(), "scope", "--any", c.file)
			if got := mustRun(t, dir, env, pullgen(), "scope", c.file); !strings.Contains(got, "every namespace") {
				t.Errorf("after --any: %s", got)
			}
		})
	}
}

// TestScopeRefuses: what pullgen scope will not do, each with an error naming the file,
// and nothing written.
func TestScopeRefuses(t *testing.T) {
	sops := tool(t, "sops")
	key, rcpt := ageKey(t)
	_, other := ageKey(t)
	env := append(noKeyEnv(t), "SOPS_AGE_KEY_FILE="+key)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "plain.yaml"), "password: p1\n")
	writeFile(t, filepath.Join(dir, "secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nstringData: {a: b}\n")
	mustRun(t, dir, env, sops, "-e", "-i", "--encrypted-regex", "^(data|stringData)$", "--age", rcpt, "secret.yaml")
	writeFile(t, filepath.Join(dir, "theirs.yaml"), "password: p1\n")
	mustRun(t, dir, env, sops, "-e", "-i", "--age", other, "theirs.yaml")
	writeFile(t, filepath.Join(dir, "maconly.yaml"), "password: p1\n")
	mustRun(t, dir, env, sops, "-e", "-i", "--mac-only-encrypted", "--encrypted-regex", "^password$", "--age", rcpt, "maconly.yaml")
	for _, c := range []struct{ args, says string }{
		{"--namespace team-a plain.yaml", "not SOPS-encrypted"},
		{"--namespace team-a secret.yaml", "its scope is its metadata.namespace"},
		{"--namespace team-a theirs.yaml", "theirs.yaml"},
		{"--namespace team-a maconly.yaml", "mac_only_encrypted"},
		{"--namespace Team_A plain.yaml", "not a namespace name"},
		{"--any --namespace a plain.yaml", "exclude each other"},
	} {
		t.Run(c.args, func(t *testing.T) {
			before := snapshot(t, dir)
			r := run(t, dir, env, "", pullgen(), append([]string{"scope"}, strings.Fields(c.args)...)...)
			if r.code != 2 || !strings.Contains(r.stderr, c.says) {
				t.Errorf("exit %d, stderr: %s", r.code, r.stderr)
			}
			if after := snapshot(t, dir); !maps.Equal(after, before) {
				t.Errorf("a file changed")
			}
		})
	}
}
