package sealed

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestOpensAsTheController: what Opens says a SealedSecret becomes is what kubeseal
// --recovery-unseal (the controller's own unsealing) makes of it: name and namespace of
// the SealedSecret, type, labels and annotations of the template, and data keys, for
// pullgen's output in each scope, a cluster-wide copy moved and renamed (its template
// still naming the old place), and a template whose data adds a key and removes one.
func TestOpensAsTheController(t *testing.T) {
	open := kubesealOpener(t)
	s := testSealer(t)
	secret := pullSecret("team-a", "acme-pull", map[string]string{"quay.io/acme": "quay-token"})
	seal := func(scope Scope, edit ...yaml.Filter) *yaml.RNode {
		ss := mustSeal(t, s, secret, scope)
		for _, f := range edit {
			if err := ss.PipeE(f); err != nil {
				t.Fatal(err)
			}
		}
		return ss
	}
	inSpec := func(path ...string) yaml.Filter {
		return yaml.LookupCreate(yaml.MappingNode, append([]string{"spec"}, path...)...)
	}
	tests := map[string]*yaml.RNode{
		"strict":         seal(Strict),
		"namespace-wide": seal(NamespaceWide),
		"cluster-wide, moved and renamed": seal(ClusterWide,
			yaml.Tee(yaml.SetK8sNamespace("team-b")), yaml.Tee(yaml.SetK8sName("copied"))),
		"template data": seal(Strict, yaml.Tee(inSpec("template", "data"), yaml.SetField("extra", yaml.NewStringRNode("static"))),
			yaml.Tee(inSpec("template", "data"), yaml.SetField(".dockerconfigjson", yaml.MakeNullNode()))),
	}
	for name, ss := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Opens(ss)
			if err != nil {
				t.Fatal(err)
			}
			out, err := open(ss)
			if err != nil {
				t.Fatal(err)
			}
			made := yaml.MustParse(string(out))
			if got.Name != made.GetName() || got.Namespace != made.GetNamespace() || got.Type != stringField(made, "type") {
				t.Errorf("Opens: %s/%s type %s; the controller makes %s", got.Namespace, got.Name, got.Type, identity(made))
			}
			if !maps.Equal(got.Labels, made.GetLabels()) || !maps.Equal(got.Annotations, made.GetAnnotations()) {
				t.Errorf("Opens: labels %v, annotations %v; the controller makes %v, %v", got.Labels, got.Annotations, made.GetLabels(), made.GetAnnotations())
			}
			var keys []string
			if data := made.Field("data"); data != nil {
				keys, _ = data.Value.Fields()
			}
			sort.Strings(keys)
			if !slices.Equal(got.DataKeys, keys) {
				t.Errorf("Opens: data keys %v; the controller makes %v", got.DataKeys, keys)
			}
		})
	}
}

func TestOpensScopeAndErrors(t *testing.T) {
	s := testSealer(t)
	secret := pullSecret("team-a", "acme-pull", map[string]string{"quay.io/acme": "quay-token"})
	for _, scope := range []Scope{Strict, NamespaceWide, ClusterWide} {
		if got, err := Opens(mustSeal(t, s, secret, scope)); err != nil || got.Scope != scope {
			t.Errorf("Opens of a %s SealedSecret: scope %s, %v", scope, got.Scope, err)
		}
	}
	tests := []struct{ name, yaml, want string }{
		{"a Secret", "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n", "not a bitnami.com/v1alpha1 SealedSecret"},
		{"no name", "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {namespace: a}\n", "metadata.name: missing"},
		{"encryptedData a list", "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a}\nspec: {encryptedData: [a]}\n", "spec.encryptedData: not a map"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Opens(yaml.MustParse(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Opens: error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
