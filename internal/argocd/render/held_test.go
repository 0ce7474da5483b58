package render

import (
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/core/scope"
)

// TestNoPlaintextInsideTheBuild renders a PullAccess in a kustomization that transforms
// what it made, and looks at what kustomize built before render put the values in place:
// the credential appears nowhere in it (neither in clear, nor in base64, nor as the
// docker config's auth), only stand-ins; after placement, the output has it.
func TestNoPlaintextInsideTheBuild(t *testing.T) {
	const token = "inside-build-token-9"
	root := t.TempDir()
	app := filepath.Join(root, "app")
	write(t, filepath.Join(app, "pa.yaml"), "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: acme}\n"+
		"spec:\n  namespaces: [team-a]\n  registries: [{server: r.example, username: u, passwordFrom: {env: ARGOCD_ENV_TOKEN}}]\n")
	write(t, filepath.Join(app, "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: copy, namespace: team-a}\ndata: {x: y}\n")
	write(t, filepath.Join(app, "kustomization.yaml"), "generators: [pa.yaml]\nresources: [cm.yaml]\nlabels: [{pairs: {team: a}}]\n"+
		"replacements:\n- source: {kind: Secret, name: acme, fieldPath: data.\\.dockerconfigjson}\n  targets:\n  - select: {kind: ConfigMap, name: copy}\n    fieldPaths: [data.x]\n")
	lookup := func(name string) (string, bool) {
		if name == "ARGOCD_ENV_TOKEN" {
			return token, true
		}
		return "", false
	}
	limits := DefaultLimits()
	fsys, err := newRepoFS(root, nil, limits)
	if err != nil {
		t.Fatal(err)
	}
	r := newRenderer(Options{Dir: app, Root: root, LookupEnv: lookup}, limits, fsys)
	if err := r.prepare(app); err != nil {
		t.Fatal(err)
	}
	m, err := r.buildMap(app)
	if err != nil {
		t.Fatal(err)
	}
	built, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	auth := base64.StdEncoding.EncodeToString([]byte("u:" + token))
	if holds(string(built), token, auth) {
		t.Errorf("the build holds the credential:\n%s", built)
	}
	if strings.Count(string(built), manifest.HeldPrefix) < 2 {
		t.Errorf("the build holds no stand-in in the Secret and its copy:\n%s", built)
	}
	out, err := Render(Options{Dir: app, Root: root, LookupEnv: lookup})
	if err != nil {
		t.Fatal(err)
	}
	if !holds(string(out), auth) || strings.Contains(string(out), manifest.HeldPrefix) {
		t.Errorf("the output lacks the credential, or kept a stand-in:\n%s", out)
	}
}

// holds tells whether text holds any of values, in clear or in a base64 word of it.
func holds(text string, values ...string) bool {
	for _, w := range strings.Fields(text) {
		if b, err := base64.StdEncoding.DecodeString(w); err == nil {
			text += "\n" + string(b)
		}
	}
	for _, v := range values {
		if strings.Contains(text, v) {
			return true
		}
	}
	return false
}

// TestHeldLookup: a stand-in is found whole; cut, joined or forged ones are refused.
func TestHeldLookup(t *testing.T) {
	h := newHeld()
	n := mustScalar("secret")
	h.hold(n, anywhereScope())
	stand := n.Value
	if len(stand)%4 != 0 {
		t.Errorf("stand-in %q is not valid base64 in length", stand)
	}
	if _, err := base64.StdEncoding.DecodeString(stand); err != nil {
		t.Errorf("stand-in %q is not base64: %v", stand, err)
	}
	for _, c := range []struct {
		name, value string
		found, bad  bool
	}{
		{"whole", stand, true, false},
		{"plain text", "nothing here", false, false},
		{"cut", stand[:len(stand)-2], true, true},
		{"joined", "x-" + stand, true, true},
		{"another render's", strings.Replace(stand, h.nonce, strings.Repeat("0", len(h.nonce)), 1), true, true},
		{"an index out of range", strings.TrimSuffix(stand, "0") + "9", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, found, err := h.lookup(c.value)
			if found != c.found || (err != nil) != c.bad {
				t.Fatalf("found %v, error %v", found, err)
			}
			if found && !c.bad && v.node.Value != "secret" {
				t.Errorf("value %q", v.node.Value)
			}
		})
	}
}

func mustScalar(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

func anywhereScope() scope.Scope { return scope.Anywhere() }
