package scope

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestCheckShape: the shapes kubectl, kustomize, pullgen and the sops CLI write are
// trusted; the forgeries that keep every value in its place (so that the MAC still holds)
// but read as another identity are not.
func TestCheckShape(t *testing.T) {
	const enc = `"ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]"`
	const pullgen = "apiVersion: v1\ndata:\n  .dockerconfigjson: " + enc + "\nkind: Secret\nmetadata:\n  annotations:\n    pullgen.dev/pull-access: acme\n  labels:\n    app.kubernetes.io/managed-by: pullgen\n  name: acme\n  namespace: team-a\nsops: {mac: m}\ntype: kubernetes.io/dockerconfigjson\n"
	for _, c := range []struct {
		name, doc, says string
	}{
		{"pullgen", pullgen, ""},
		{"kubectl", "apiVersion: v1\ndata:\n  token: " + enc + "\nkind: Secret\nmetadata:\n  creationTimestamp: null\n  name: x\n  namespace: y\ntype: Opaque\n", ""},
		{"sops CLI, portable", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: base\ntype: Opaque\ndata:\n  token: " + enc + "\nsops: {mac: m}\n", ""},
		{"ConfigMap", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\ndata: {a: " + enc + "}\n", ""},
		{"namespace moved into a label", strings.Replace(pullgen, "    app.kubernetes.io/managed-by: pullgen\n  name: acme\n  namespace: team-a\n", "    app.kubernetes.io/managed-by: pullgen\n    x: acme\n  name: team-a\n", 1), "nothing in metadata but its name"},
		{"name and namespace swapped", strings.Replace(pullgen, "  name: acme\n  namespace: team-a\n", "  namespace: acme\n  name: team-a\n", 1), "in this order"},
		{"namespace renamed", strings.Replace(pullgen, "  namespace: team-a\n", "  generateName: team-a\n", 1), "metadata.generateName"},
		{"namespace moved to the top", strings.Replace(pullgen, "  namespace: team-a\nsops", "namespace: team-a\nsops", 1), `"namespace" is not one`},
		{"a value moved into type", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: acme\ntype: team-a\ndata: {a: " + enc + "}\n", "type: not a value"},
		{"plaintext data", strings.Replace(pullgen, "  .dockerconfigjson: "+enc, "  .dockerconfigjson: "+enc+"\n  x: team-a", 1), "data: not a value"},
		{"a key twice", pullgen + "type: Opaque\n", "there twice"},
		{"another kind", strings.Replace(pullgen, "kind: Secret", "kind: Deployment", 1), "kind: not a value"},
		{"no name", strings.Replace(pullgen, "  name: acme\n", "", 1), "metadata.name: missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, err := yaml.Parse(c.doc)
			if err != nil {
				t.Fatal(err)
			}
			err = checkShape(n.YNode())
			switch {
			case c.says == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says)):
				t.Errorf("error %v, want %q", err, c.says)
			}
		})
	}
}
