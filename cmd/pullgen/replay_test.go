package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderNoReplay copies a team's encrypted Secrets into another application and tries
// to get them out decrypted under another identity: through `namespace:`, a prefix, a
// suffix, a patch of the namespace or of the kind, a replacement that moves ciphertext
// into another encrypted object. Each is refused with an error naming where the value
// may go and where it was put. --allow-retarget lets names change, never the namespace;
// Secrets whose identity SOPS does not protect (no namespace, mac_only_encrypted, a forged
// shape) render only under --allow-unscoped, which is also the control showing that each
// refused case would otherwise decrypt.
func TestRenderNoReplay(t *testing.T) {
	sops := tool(t, "sops")
	key, rcpt := ageKey(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "pa.yaml"), encryptedSpec(rcpt))
	writePasswords(t, src, "")
	env := append(noKeyEnv(t), "SOPS_AGE_KEY_FILE="+key)
	mustRun(t, src, env, pullgen(), "generate", "--quiet", "pa.yaml")
	victim := snapshot(t, filepath.Join(src, "out"))["secret-team-a-acme.yaml"]
	attacker := snapshot(t, filepath.Join(src, "out"))["secret-team-b-acme.yaml"]

	// A Secret encrypted by the sops CLI without a namespace, and one with mac_only_encrypted.
	plain := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: portable\ntype: Opaque\ndata:\n  token: " + "cG9ydGFibGUtc2VjcmV0LXZhbHVl" + "\n"
	writeFile(t, filepath.Join(src, "portable.yaml"), plain)
	portable := mustRun(t, src, env, sops, "-e", "--age", rcpt, "--encrypted-regex", "^(data|stringData)$", "portable.yaml")
	writeFile(t, filepath.Join(src, "maconly.yaml"), strings.Replace(plain, "name: portable", "name: maconly\n  namespace: team-a", 1))
	macOnly := mustRun(t, src, env, sops, "-e", "--mac-only-encrypted", "--age", rcpt, "--encrypted-regex", "^(data|stringData)$", "maconly.yaml")

	// A forgery: the name's value moved under a label key, the namespace's under name. SOPS's MAC
	// covers values, not keys, so it still decrypts; it reads as a portable Secret named
	// after the team's namespace.
	metadata := "    app.kubernetes.io/managed-by: pullgen\n  name: acme\n  namespace: team-a\n"
	if !strings.Contains(victim, metadata) {
		t.Fatalf("the generated Secret's metadata changed:\n%s", victim)
	}
	forged := strings.Replace(victim, metadata, "    app.kubernetes.io/managed-by: pullgen\n    x: acme\n  name: team-a\n", 1)

	jsonPatch := func(op string) string {
		return "patches:\n- target: {kind: Secret, name: acme}\n  patch: '[" + op + "]'\n"
	}
	for _, c := range []struct {
		name          string
		kustomization string
		args          []string
		says          string // "" when the render succeeds
		wantID        string // an object the successful output holds
	}{
		{"unchanged", "resources: [../victim/acme]\n", nil, "", "Secret team-a/acme"},
		{"labels", "resources: [../victim/acme]\nlabels: [{pairs: {team: a}}]\n", nil, "", "Secret team-a/acme"},
		{"namespace", "resources: [../victim/acme]\nnamespace: attacker\n", nil, "allows namespace team-a only, not namespace attacker", ""},
		{"prefix", "resources: [../victim/acme]\nnamePrefix: stolen-\n", nil, "encrypted for Secret acme, not Secret stolen-acme", ""},
		{"suffix", "resources: [../victim/acme]\nnameSuffix: -x\n", nil, "not Secret acme-x", ""},
		{"patch-namespace", "resources: [../victim/acme]\n" + jsonPatch(`{"op": "replace", "path": "/metadata/namespace", "value": "attacker"}`), nil, "not namespace attacker", ""},
		{"patch-kind", "resources: [../victim/acme]\n" + jsonPatch(`{"op": "replace", "path": "/kind", "value": "ConfigMap"}`), nil, "not ConfigMap acme", ""},
		{"ciphertext-moved", "resources: [../victim/acme, own.yaml]\nreplacements:\n- source: {kind: Secret, namespace: team-a, name: acme, fieldPath: data.\\.dockerconfigjson}\n  targets:\n  - select: {kind: Secret, namespace: team-b}\n    fieldPaths: [data.\\.dockerconfigjson]\n", nil, "not namespace team-b", ""},
		{"allow-retarget-renames", "resources: [../victim/acme]\nnamePrefix: stolen-\n", []string{"--allow-retarget"}, "", "Secret team-a/stolen-acme"},
		{"allow-retarget-keeps-the-namespace", "resources: [../victim/acme]\nnamespace: elsewhere\n", []string{"--allow-retarget", "--allow-unscoped"}, "not namespace elsewhere", ""},
		{"portable", "resources: [../victim/portable]\nnamespace: team-c\n", nil, "encrypted without a namespace", ""},
		{"portable-allowed", "resources: [../victim/portable]\nnamespace: team-c\n", []string{"--allow-unscoped"}, "", "Secret team-c/portable"},
		{"portable-required", "resources: [../victim/portable]\nnamespace: team-c\n", []string{"--require-namespace"}, "encrypted without a namespace", ""},
		{"portable-renamed", "resources: [../victim/portable]\nnamePrefix: x-\n", []string{"--allow-unscoped"}, "not Secret x-portable", ""},
		{"mac-only", "resources: [../victim/maconly]\n", nil, "mac_only_encrypted", ""},
		{"mac-only-allowed", "resources: [../victim/maconly]\n", []string{"--allow-unscoped"}, "", "Secret team-a/maconly"},
		{"forged-portable", "resources: [../victim/forged]\nnamespace: attacker\n", nil, "nothing in metadata but its name", ""},
		{"forged-decrypts-when-allowed", "resources: [../victim/forged]\nnamespace: attacker\n", []string{"--allow-unscoped"}, "", "Secret attacker/team-a"},
	} {
		t.Run(c.name, func(t *testing.T) {
			repo := t.TempDir()
			for name, content := range map[string]string{"acme": victim, "portable": portable, "maconly": macOnly, "forged": forged} {
				writeFile(t, filepath.Join(repo, "victim", name, "secret.yaml"), content)
				writeFile(t, filepath.Join(repo, "victim", name, "kustomization.yaml"), "resources: [secret.yaml]\n")
			}
			writeFile(t, filepath.Join(repo, "app", "own.yaml"), attacker)
			writeFile(t, filepath.Join(repo, "app", "kustomization.yaml"), c.kustomization)
			r := run(t, filepath.Join(repo, "app"), append(env, "ARGOCD_APP_SOURCE_PATH=app"), "", pullgen(), append([]string{"render"}, c.args...)...)
			if c.says != "" {
				if r.code != 2 || r.stdout != "" {
					t.Fatalf("exit %d, stdout:\n%s", r.code, r.stdout)
				}
				if !strings.Contains(r.stderr, c.says) {
					t.Errorf("stderr does not say %q: %s", c.says, r.stderr)
				}
				if strings.Contains(r.stderr, testToken) {
					t.Errorf("a password reached stderr")
				}
				return
			}
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := ids(parseObjects(t, r.stdout))
			if !contains(got, c.wantID) {
				t.Errorf("output %v lacks %s", got, c.wantID)
			}
			if strings.Contains(r.stdout, "ENC[") || strings.Contains(r.stdout, "sops:") {
				t.Errorf("output left ciphertext:\n%s", r.stdout)
			}
			if c.name == "labels" && !strings.Contains(r.stdout, "team: a") {
				t.Errorf("the label is lost:\n%s", r.stdout)
			}
		})
	}
}
