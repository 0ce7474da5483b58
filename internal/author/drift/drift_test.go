package drift

import (
	"encoding/base64"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

const password = "hunter2-drift-test"

func secret(auths string, extra string) *yaml.RNode {
	payload := base64.StdEncoding.EncodeToString([]byte(`{"auths":{` + auths + `}}`))
	return yaml.MustParse("apiVersion: v1\nkind: Secret\nmetadata:\n  name: acme\n  namespace: team-a\n" + extra +
		"type: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: " + payload + "\n")
}

func entry(key, user, pass string) string {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	return `"` + key + `":{"username":"` + user + `","password":"` + pass + `","auth":"` + auth + `"}`
}

func sa(secrets ...string) *yaml.RNode {
	s := "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: team-a}\nimagePullSecrets:\n"
	for _, x := range secrets {
		s += "- name: " + x + "\n"
	}
	return yaml.MustParse(s)
}

func objs(nodes ...*yaml.RNode) []Object {
	var out []Object
	for _, n := range nodes {
		out = append(out, Object{File: strings.ToLower(n.GetKind()) + ".yaml", Node: n})
	}
	return out
}

func TestCompare(t *testing.T) {
	base := secret(entry("quay.io", "robot", password), "")
	encrypted := yaml.MustParse("apiVersion: v1\nkind: Secret\nmetadata: {name: acme, namespace: team-a}\ntype: kubernetes.io/dockerconfigjson\n" +
		"data: {.dockerconfigjson: 'ENC[AES256_GCM,data:xyz,iv:abc,tag:def,type:str]'}\nsops: {mac: 'ENC[x]', version: 3.13.3}\n")
	decryptTo := func(plain *yaml.RNode) Options {
		return Options{Decrypt: func(*yaml.RNode) (*yaml.RNode, error) { return plain, nil }}
	}
	cases := []struct {
		name       string
		want, have []Object
		opts       Options
		changes    []string // summaries
		unverified int
	}{
		{"in-step", objs(base, sa("acme")), objs(base, sa("acme")), Options{}, nil, 0},
		{"style-and-order-do-not-count", objs(base), objs(yaml.MustParse(`{"kind":"Secret","apiVersion":"v1","data":{".dockerconfigjson":"` +
			base.GetDataMap()[".dockerconfigjson"] + `"},"type":"kubernetes.io/dockerconfigjson","metadata":{"namespace":"team-a","name":"acme"}}`)), Options{}, nil, 0},
		{"password-changed", objs(secret(entry("quay.io", "robot", "new-"+password), "")), objs(base), Options{},
			[]string{"changed Secret team-a/acme (secret.yaml): credentials changed: quay.io"}, 0},
		{"registry-added", objs(secret(entry("quay.io", "robot", password)+","+entry("ghcr.io", "robot", password), "")), objs(base), Options{},
			[]string{"changed Secret team-a/acme (secret.yaml): registry keys added: ghcr.io"}, 0},
		{"link-removed", objs(sa("other")), objs(sa("other", "acme")), Options{},
			[]string{"changed ServiceAccount team-a/default (serviceaccount.yaml): links removed: acme"}, 0},
		{"object-added-and-removed", objs(sa("acme")), objs(base), Options{},
			[]string{"removed Secret team-a/acme (secret.yaml)", "added ServiceAccount team-a/default (serviceaccount.yaml)"}, 0},
		{"re-encrypted-same-plaintext", objs(base), objs(encrypted), decryptTo(base), nil, 0},
		{"encrypted-changed-plaintext", objs(secret(entry("quay.io", "robot", "new"), "")), objs(encrypted), decryptTo(base),
			[]string{"changed Secret team-a/acme (secret.yaml): credentials changed: quay.io"}, 0},
		{"no-key-values-not-verified", objs(base), objs(encrypted), Options{}, nil, 1},
		{"no-key-metadata-still-compared", objs(secret(entry("quay.io", "robot", password), "  labels: {team: x}\n")), objs(encrypted), Options{},
			[]string{"changed Secret team-a/acme (secret.yaml): fields changed"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Compare(c.want, c.have, c.opts)
			var got []string
			for _, ch := range r.Changes {
				got = append(got, ch.Summary())
				for _, leak := range []string{password, base64.StdEncoding.EncodeToString([]byte(password)), base64.StdEncoding.EncodeToString([]byte("robot:" + password))} {
					if strings.Contains(ch.Diff+ch.Summary(), leak) {
						t.Errorf("the diff shows a credential:\n%s", ch.Diff)
					}
				}
				if !strings.HasPrefix(ch.Diff, "--- ") || !strings.Contains(ch.Diff, "@@ ") {
					t.Errorf("not a unified diff:\n%s", ch.Diff)
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.changes, "\n") {
				t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.changes, "\n"))
			}
			if len(r.Unverified) != c.unverified {
				t.Errorf("unverified %v, want %d", r.Unverified, c.unverified)
			}
		})
	}
}

func TestPasswordChangeShowsAsMaskedLine(t *testing.T) {
	r := Compare(objs(secret(entry("quay.io", "robot", "new-"+password), "")), objs(secret(entry("quay.io", "robot", password), "")), Options{})
	if len(r.Changes) != 1 {
		t.Fatalf("%d changes", len(r.Changes))
	}
	d := r.Changes[0].Diff
	if !strings.Contains(d, "-        password: <masked>\n") || !strings.Contains(d, "+        password: '<masked: changed>'\n") {
		t.Errorf("diff does not show the masked change:\n%s", d)
	}
}

func TestUnified(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	b := "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk\n"
	want := "--- x\n+++ y\n@@ -1,10 +1,11 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n h\n i\n j\n+k\n"
	if got := unified("x", "y", a, b); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
