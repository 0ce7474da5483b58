package fn

import (
	"bytes"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
)

// fleet is the input of the selector tests: Namespaces and Projects with labels.
var fleet = []string{
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a, labels: {pull: acme, tier: prod}}\n",
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: team-b, labels: {pull: acme, tier: dev}}\n",
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: team-c, labels: {tier: prod}}\n",
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: plain}\n",
	"apiVersion: project.openshift.io/v1\nkind: Project\nmetadata: {name: proj-x, labels: {pull: acme}}\n",
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system, labels: {pull: acme}}\n",
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: openshift-config, labels: {pull: acme}}\n",
	// Neither a Namespace nor a Project, though named and labelled like one.
	"apiVersion: example.com/v1\nkind: Project\nmetadata: {name: not-a-project, labels: {pull: acme}}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: not-a-namespace, namespace: team-a, labels: {pull: acme}}\n",
}

// runSpec runs a PullAccess (the spec lines, indented by two spaces) over YAML documents.
func runSpec(t *testing.T, specLines string, docs []string, opts Options) ([]*yaml.RNode, framework.Results) {
	t.Helper()
	spec := "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: acme}\nspec:\n" +
		"  registries: [{server: quay.io/acme, username: robot, passwordFrom: {env: TOKEN}}]\n" +
		"  output: {encrypt: false}\n  check: off\n" + specLines
	var items []*yaml.RNode
	if len(docs) > 0 {
		var err error
		items, err = (&kio.ByteReader{Reader: strings.NewReader(strings.Join(docs, "---\n")), OmitReaderAnnotations: true}).Read()
		if err != nil {
			t.Fatal(err)
		}
	}
	opts.Sources.LookupEnv = func(string) (string, bool) { return "tok", true }
	return Run(yaml.MustParse(spec), items, opts)
}

// secretNamespaces lists the namespaces of the generated Secrets, and those the selector
// alone chose (marked with its annotation).
func secretNamespaces(out []*yaml.RNode) (all, selected []string) {
	for _, o := range out {
		if o.GetKind() != "Secret" {
			continue
		}
		all = append(all, o.GetNamespace())
		if _, ok := o.GetAnnotations()[manifest.AnnotationNamespaceSelector]; ok {
			selected = append(selected, o.GetNamespace())
		}
	}
	return all, selected
}

func messages(results framework.Results) string {
	var b bytes.Buffer
	PrintResults(&b, results)
	return b.String()
}

func TestNamespaceSelector(t *testing.T) {
	tests := []struct {
		name     string
		spec     string
		docs     []string
		want     []string // namespaces of the Secrets
		selected []string // of which the selector alone chose
		message  string   // a substring of the results
	}{
		{"matchLabels", "  namespaceSelector: {matchLabels: {pull: acme}}\n", fleet,
			[]string{"kube-system", "openshift-config", "proj-x", "team-a", "team-b"}, []string{"kube-system", "openshift-config", "proj-x", "team-a", "team-b"}, ""},
		{"two matchLabels", "  namespaceSelector: {matchLabels: {pull: acme, tier: prod}}\n", fleet,
			[]string{"team-a"}, []string{"team-a"}, ""},
		{"In", "  namespaceSelector: {matchExpressions: [{key: tier, operator: In, values: [prod, qa]}]}\n", fleet,
			[]string{"team-a", "team-c"}, []string{"team-a", "team-c"}, ""},
		{"NotIn matches a missing label", "  namespaceSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [prod]}]}\n", fleet,
			[]string{"kube-system", "openshift-config", "plain", "proj-x", "team-b"}, []string{"kube-system", "openshift-config", "plain", "proj-x", "team-b"}, ""},
		{"Exists", "  namespaceSelector: {matchExpressions: [{key: tier, operator: Exists}]}\n", fleet,
			[]string{"team-a", "team-b", "team-c"}, []string{"team-a", "team-b", "team-c"}, ""},
		{"DoesNotExist", "  namespaceSelector: {matchExpressions: [{key: pull, operator: DoesNotExist}]}\n", fleet,
			[]string{"plain", "team-c"}, []string{"plain", "team-c"}, ""},
		{"labels and expressions together", "  namespaceSelector:\n    matchLabels: {pull: acme}\n    matchExpressions: [{key: tier, operator: In, values: [dev]}]\n", fleet,
			[]string{"team-b"}, []string{"team-b"}, ""},
		{"empty selector selects every one", "  namespaceSelector: {}\n", fleet,
			[]string{"kube-system", "openshift-config", "plain", "proj-x", "team-a", "team-b", "team-c"},
			[]string{"kube-system", "openshift-config", "plain", "proj-x", "team-a", "team-b", "team-c"}, ""},
		{"exclusions", "  namespaceSelector: {matchLabels: {pull: acme}}\n  excludeNamespaces: [\"kube-*\", \"openshift-*\", \"proj-?\"]\n", fleet,
			[]string{"team-a", "team-b"}, []string{"team-a", "team-b"}, ""},
		{"overlap with namespaces", "  namespaces: [team-a, elsewhere]\n  namespaceSelector: {matchLabels: {pull: acme, tier: dev}}\n", fleet,
			[]string{"elsewhere", "team-a", "team-b"}, []string{"team-b"}, ""},
		{"listed and selected", "  namespaces: [team-b]\n  namespaceSelector: {matchLabels: {pull: acme, tier: dev}}\n", fleet,
			[]string{"team-b"}, nil, ""},
		{"no namespaceSelector: the input is not read", "  namespaces: [team-c]\n", fleet,
			[]string{"team-c"}, nil, ""},
		{"nothing matches", "  namespaceSelector: {matchLabels: {pull: nobody}}\n", fleet,
			nil, nil, "spec.namespaceSelector: warning: matches none of the 7 Namespace and Project objects of the input"},
		{"no Namespace in the input", "  namespaceSelector: {}\n", fleet[len(fleet)-1:],
			nil, nil, "matches none of the 0 Namespace and Project objects of the input"},
		{"a name of 63 characters, the most a DNS label has", "  namespaces: [" + strings.Repeat("b", 63) + "]\n  namespaceSelector: {}\n",
			[]string{"apiVersion: v1\nkind: Namespace\nmetadata: {name: " + strings.Repeat("a", 63) + "}\n"},
			[]string{strings.Repeat("a", 63), strings.Repeat("b", 63)}, []string{strings.Repeat("a", 63)}, ""},
		{"a Project and a Namespace of one name", "  namespaceSelector: {matchLabels: {pull: acme}}\n  excludeNamespaces: [\"kube-*\", \"openshift-*\"]\n",
			append([]string{"apiVersion: project.openshift.io/v1\nkind: Project\nmetadata: {name: team-a, labels: {pull: acme}}\n"}, fleet...),
			[]string{"proj-x", "team-a", "team-b"}, []string{"proj-x", "team-a", "team-b"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, results := runSpec(t, tt.spec, tt.docs, Options{})
			msgs := messages(results)
			if results.ExitCode() != 0 {
				t.Fatalf("errors:\n%s", msgs)
			}
			all, selected := secretNamespaces(out)
			if !slices.Equal(all, tt.want) || !slices.Equal(selected, tt.selected) {
				t.Errorf("Secrets in %v (selected %v), want %v (selected %v)", all, selected, tt.want, tt.selected)
			}
			if !strings.Contains(msgs, tt.message) {
				t.Errorf("results lack %q:\n%s", tt.message, msgs)
			}
		})
	}
}

func TestNamespaceSelectorErrors(t *testing.T) {
	tests := []struct {
		name string
		spec string
		docs []string
		want []string // result lines
	}{
		{"generator position", "  namespaceSelector: {matchLabels: {pull: acme}}\n", nil,
			[]string{"acme: spec.namespaceSelector: selects among the Namespace and Project objects of the input, and a generator gets none: list the PullAccess under the kustomization's transformers: instead of generators:"}},
		{"generator position under kustomize, which gives the config as the one item", "  namespaceSelector: {}\n",
			[]string{"apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: acme, annotations: {config.kubernetes.io/local-config: 'true'}}\n"},
			[]string{"spec.namespaceSelector: selects among the Namespace and Project objects of the input, and a generator gets none"}},
		{"bad operator and values", "  namespaceSelector:\n    matchExpressions:\n    - {key: a, operator: Equals, values: [x]}\n    - {key: b, operator: In}\n    - {key: c, operator: Exists, values: [x]}\n", fleet,
			[]string{
				"spec.namespaceSelector.matchExpressions[0].operator: must be In, NotIn, Exists or DoesNotExist",
				"spec.namespaceSelector.matchExpressions[1].values: In and NotIn need values",
				"spec.namespaceSelector.matchExpressions[2].values: Exists and DoesNotExist take no values",
			}},
		{"bad glob and empty glob", "  namespaceSelector: {}\n  excludeNamespaces: [\"kube-[\", \"\"]\n", fleet,
			[]string{`spec.excludeNamespaces[0]: "kube-[" is not a glob`, "spec.excludeNamespaces[1]: must not be empty"}},
		{"a listed namespace excluded", "  namespaces: [team-a, kube-system]\n  excludeNamespaces: [\"kube-*\"]\n", fleet,
			[]string{`spec.namespaces[1]: "kube-system" is excluded by spec.excludeNamespaces ("kube-*"): remove it from one of the two`}},
		{"a Namespace with an invalid name", "  namespaceSelector: {}\n", []string{"apiVersion: v1\nkind: Namespace\nmetadata: {name: Bad_Name}\n"},
			[]string{`Namespace Bad_Name: metadata.name: "Bad_Name" is not a valid namespace name: a DNS label`}},
		{"names of 64 characters", "  namespaces: [" + strings.Repeat("b", 64) + "]\n  namespaceSelector: {}\n",
			[]string{"apiVersion: v1\nkind: Namespace\nmetadata: {name: " + strings.Repeat("a", 64) + "}\n"},
			[]string{
				`spec.namespaces[0]: "` + strings.Repeat("b", 64) + `" is not a valid namespace: a DNS label`,
			}},
		{"a Namespace name of 64 characters", "  namespaceSelector: {}\n",
			[]string{"apiVersion: v1\nkind: Namespace\nmetadata: {name: " + strings.Repeat("a", 64) + "}\n"},
			[]string{`Namespace ` + strings.Repeat("a", 64) + `: metadata.name: "` + strings.Repeat("a", 64) + `" is not a valid namespace name: a DNS label`}},
		{"no namespaces and no selector", "", fleet,
			[]string{"spec.namespaces: list at least one namespace to put the image pull Secret in, or select them with spec.namespaceSelector"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, results := runSpec(t, tt.spec, tt.docs, Options{})
			msgs := messages(results)
			if results.ExitCode() == 0 || out != nil {
				t.Fatalf("no error; results:\n%s", msgs)
			}
			for _, w := range tt.want {
				if !strings.Contains(msgs, w) {
					t.Errorf("results lack %q:\n%s", w, msgs)
				}
			}
		})
	}
}

// TestNamespaceSelectorInventory: generate and diff give the Namespaces as an inventory
// besides the items, and a run with no items is then no generator's.
func TestNamespaceSelectorInventory(t *testing.T) {
	inv, err := (&kio.ByteReader{Reader: strings.NewReader(strings.Join(fleet, "---\n")), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	out, results := runSpec(t, "  namespaceSelector: {matchLabels: {tier: prod}}\n", nil, Options{Inventory: inv, InventoryFrom: "the YAML files under x"})
	if results.ExitCode() != 0 {
		t.Fatal(messages(results))
	}
	if all, _ := secretNamespaces(out); !slices.Equal(all, []string{"team-a", "team-c"}) {
		t.Errorf("Secrets in %v", all)
	}
	// The inventory is not output.
	for _, o := range out {
		if o.GetKind() != "Secret" {
			t.Errorf("output holds %s %s", o.GetKind(), o.GetName())
		}
	}
	_, results = runSpec(t, "  namespaceSelector: {matchLabels: {tier: none}}\n", nil, Options{Inventory: inv, InventoryFrom: "the YAML files under x"})
	if m := messages(results); !strings.Contains(m, "matches none of the 7 Namespace and Project objects of the YAML files under x") {
		t.Errorf("results:\n%s", m)
	}
}

// TestNamespaceSelectorOrder: the output is the same bytes whatever the order of the
// Namespaces, the spec's lists and the other items.
func TestNamespaceSelectorOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	var first string
	for round := 0; round < 15; round++ {
		docs := append([]string(nil), fleet...)
		rng.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
		excludes := []string{`"kube-*"`, `"openshift-*"`, `"plain"`}
		rng.Shuffle(len(excludes), func(i, j int) { excludes[i], excludes[j] = excludes[j], excludes[i] })
		listed := []string{"zeta", "alpha", "team-a"}
		rng.Shuffle(len(listed), func(i, j int) { listed[i], listed[j] = listed[j], listed[i] })
		spec := "  namespaces: [" + strings.Join(listed, ", ") + "]\n  namespaceSelector: {}\n  excludeNamespaces: [" + strings.Join(excludes, ", ") + "]\n  serviceAccounts: [default]\n"
		out, results := runSpec(t, spec, docs, Options{})
		if results.ExitCode() != 0 {
			t.Fatal(messages(results))
		}
		var generated []*yaml.RNode
		for _, o := range out {
			if o.GetLabels()["app.kubernetes.io/managed-by"] == "pullgen" {
				generated = append(generated, o)
			}
		}
		var b bytes.Buffer
		if err := (kio.ByteWriter{Writer: &b}).Write(generated); err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			first = b.String()
			if n := strings.Count(first, "kind: Secret"); n != 6 {
				t.Fatalf("%d Secrets:\n%s", n, first)
			}
			continue
		}
		if b.String() != first {
			t.Fatalf("round %d differs:\n%s\nfirst:\n%s", round, b.String(), first)
		}
	}
}

// TestNamespaceSelectorTransformer runs the selector over Namespaces and a Deployment of
// the input, as a kustomize transformer sees them: the workload of a selected namespace
// gets the Secret, the Namespaces stay in the output untouched.
func TestNamespaceSelectorTransformer(t *testing.T) {
	docs := append([]string{"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team-b}\nspec: {template: {spec: {containers: [{name: w, image: quay.io/acme/w}]}}}\n"}, fleet...)
	out, results := runSpec(t, "  namespaceSelector: {matchLabels: {tier: dev}}\n  workloads: {}\n", docs, Options{Sources: Sources{}})
	if results.ExitCode() != 0 {
		t.Fatal(messages(results))
	}
	for _, o := range out {
		switch o.GetKind() {
		case "Deployment":
			if n, _ := o.Pipe(yaml.Lookup("spec", "template", "spec", "imagePullSecrets", "[name=acme]")); n == nil {
				s, _ := o.String()
				t.Errorf("workload not linked:\n%s", s)
			}
		case "Namespace", "Project":
			if _, ok := o.GetAnnotations()[manifest.AnnotationNamespaceSelector]; ok {
				t.Errorf("%s %s annotated", o.GetKind(), o.GetName())
			}
		}
	}
	if n := len(out); n != len(docs)+1 {
		t.Errorf("%d objects, want the %d of the input and one Secret", n, len(docs))
	}
}
