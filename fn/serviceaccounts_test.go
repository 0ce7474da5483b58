package fn

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
)

// linkSpec is a PullAccess named name whose Secret is secret, linking team-a/default with
// serviceAccounts item sa.
func linkSpec(name, secret, sa string) *yaml.RNode {
	return yaml.MustParse("apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: " + name + "}\nspec:\n" +
		"  secret: {name: " + secret + "}\n  namespaces: [team-a]\n" +
		"  registries: [{server: " + name + ".example, username: u, passwordFrom: {env: T}}]\n" +
		"  serviceAccounts: [" + sa + "]\n  output: {encrypt: false}\n  check: off\n")
}

// chain runs PullAccesses one after the other, each over the output of the one before, as
// kpt mutators and kustomize transformers do.
func chain(t *testing.T, items []*yaml.RNode, specs ...*yaml.RNode) []*yaml.RNode {
	t.Helper()
	for _, s := range specs {
		out, results := Run(s, items, Options{Sources: Sources{LookupEnv: func(string) (string, bool) { return "tok", true }}})
		if results.ExitCode() != 0 {
			t.Fatalf("PullAccess %s: %v", s.GetName(), results)
		}
		items = out
	}
	return items
}

func encode(t *testing.T, objs []*yaml.RNode) string {
	t.Helper()
	var b bytes.Buffer
	if err := (kio.ByteWriter{Writer: &b}).Write(objs); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// sorted returns objs in kind, namespace, name order.
func sorted(objs []*yaml.RNode) []*yaml.RNode {
	out := slices.Clone(objs)
	slices.SortStableFunc(out, func(a, b *yaml.RNode) int { return strings.Compare(objectKey(a), objectKey(b)) })
	return out
}

// defaultSA returns team-a/default of objs, failing when there is not exactly one.
func defaultSA(t *testing.T, objs []*yaml.RNode) *yaml.RNode {
	t.Helper()
	var found []*yaml.RNode
	for _, o := range objs {
		if manifest.IsServiceAccount(o) && o.GetName() == "default" && o.GetNamespace() == "team-a" {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d ServiceAccounts team-a/default, want one:\n%s", len(found), encode(t, objs))
	}
	return found[0]
}

const inputDefault = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: team-a}\nimagePullSecrets: [{name: default-dockercfg-x7k2q}, {name: by-hand}]\n"

// TestServiceAccountUnion chains two and three PullAccesses on one ServiceAccount, with and
// without it in the input and with keep: one object with every entry, in a fixed order,
// and a second run over the output (kpt render again) changes nothing.
func TestServiceAccountUnion(t *testing.T) {
	a, b, c := linkSpec("a", "a-pull", "default"), linkSpec("b", "b-pull", "{name: default, keep: [other-pull]}"), linkSpec("c", "c-pull", "default")
	tests := []struct {
		name  string
		input string
		specs []*yaml.RNode
		want  string
	}{
		{"two, not in the input", "", []*yaml.RNode{a, b}, "a-pull other-pull b-pull"},
		{"two, in the input", inputDefault, []*yaml.RNode{a, b}, "default-dockercfg-x7k2q by-hand a-pull other-pull b-pull"},
		{"three, not in the input", "", []*yaml.RNode{a, b, c}, "a-pull other-pull b-pull c-pull"},
		{"three, in the input", inputDefault, []*yaml.RNode{a, b, c}, "default-dockercfg-x7k2q by-hand a-pull other-pull b-pull c-pull"},
		{"three in another order", inputDefault, []*yaml.RNode{c, a, b}, "default-dockercfg-x7k2q by-hand c-pull a-pull other-pull b-pull"},
		{"a keep entry the input has keeps its place", strings.Replace(inputDefault, "by-hand", "other-pull", 1), []*yaml.RNode{b, a},
			"default-dockercfg-x7k2q other-pull b-pull a-pull"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var items []*yaml.RNode
			if tt.input != "" {
				items = []*yaml.RNode{yaml.MustParse(tt.input)}
			}
			first := chain(t, items, tt.specs...)
			if got := strings.Join(manifest.PullSecretNames(defaultSA(t, first)), " "); got != tt.want {
				t.Errorf("imagePullSecrets = %s, want %s", got, tt.want)
			}
			// Objects of the earlier run are input now and keep their place (kpt writes
			// each back to its file): compare them in one order.
			again := chain(t, first, tt.specs...)
			if f, s := encode(t, sorted(first)), encode(t, sorted(again)); f != s {
				t.Errorf("a second run changed the output:\n%s\n---- first:\n%s", s, f)
			}
		})
	}
}

// TestServiceAccountRelink reruns one PullAccess of a chain with a changed spec: its old
// entries go, the input's and the others' stay; a ServiceAccount pullgen created that no
// PullAccess links any more goes.
func TestServiceAccountRelink(t *testing.T) {
	a, b := linkSpec("a", "a-pull", "default"), linkSpec("b", "b-pull", "{name: default, keep: [other-pull]}")
	for _, tt := range []struct {
		name   string
		input  string
		change *yaml.RNode
		want   string
	}{
		{"b renames its Secret and keeps less", inputDefault, linkSpec("b", "b2-pull", "default"), "default-dockercfg-x7k2q by-hand a-pull b2-pull"},
		{"b links another ServiceAccount", inputDefault, linkSpec("b", "b-pull", "builder"), "default-dockercfg-x7k2q by-hand a-pull"},
		{"created by a, b renamed", "", linkSpec("b", "b2-pull", "default"), "a-pull b2-pull"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var items []*yaml.RNode
			if tt.input != "" {
				items = []*yaml.RNode{yaml.MustParse(tt.input)}
			}
			out := chain(t, chain(t, items, a, b), a, tt.change)
			if got := strings.Join(manifest.PullSecretNames(defaultSA(t, out)), " "); got != tt.want {
				t.Errorf("imagePullSecrets = %s, want %s", got, tt.want)
			}
		})
	}
	// A ServiceAccount only b created goes when b stops linking it; one a links too stays.
	created := chain(t, nil, a, b)
	out := chain(t, created, linkSpec("b", "b-pull", "builder"))
	if got := strings.Join(manifest.PullSecretNames(defaultSA(t, out)), " "); got != "a-pull" {
		t.Errorf("after b moved: %s, want a-pull", got)
	}
	out = chain(t, out, linkSpec("a", "a-pull", "builder"))
	for _, o := range out {
		if manifest.IsServiceAccount(o) && o.GetName() == "default" {
			t.Errorf("ServiceAccount default, which no PullAccess links any more, is still there:\n%s", encode(t, out))
		}
	}
}
