package pullcheck

import (
	"strings"
	"testing"
)

func namespace(name, labels string) string {
	return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n  labels: {" + labels + "}\n"
}

// generatedSecret is a Secret as pullgen generate writes it, for PullAccess acme; selector
// is its pullgen.dev/namespace-selector, "-" for none.
func generatedSecret(ns, selector string) string {
	s := pullSecret(ns, "acme", "quay.io/acme")
	ann := "  labels: {app.kubernetes.io/managed-by: pullgen}\n  annotations:\n    pullgen.dev/pull-access: acme\n    pullgen.dev/registries: quay.io/acme\n"
	if selector != "-" {
		ann += "    pullgen.dev/namespace-selector: \"" + selector + "\"\n"
	}
	return strings.Replace(s, "\ntype:", "\n"+ann+"type:", 1)
}

func pullAccessSpec(spec string) string {
	return "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: acme}\nspec:\n  registries: [{server: quay.io/acme}]\n" + spec
}

// fleetBrief is what the fleet tests compare of a finding.
type fleetBrief struct{ Rule, Kind, Namespace, Name, Field string }

func fleetBriefs(fs []Finding) []fleetBrief {
	var out []fleetBrief
	for _, f := range fs {
		if f.Rule == RuleSelectedNamespaceGone || f.Rule == RuleNamespaceNotCovered {
			out = append(out, fleetBrief{f.Rule, f.Kind, f.Namespace, f.Name, f.Field})
		}
	}
	return out
}

func TestFleetFindings(t *testing.T) {
	web := func(ns string) string { return deployment(ns, "web", containers("quay.io/acme/web")) }
	gone := func(ns string) fleetBrief {
		return fleetBrief{RuleSelectedNamespaceGone, "Secret", ns, "acme", "metadata.namespace"}
	}
	uncovered := func(ns, name string) fleetBrief {
		return fleetBrief{RuleNamespaceNotCovered, "Deployment", ns, name, c0}
	}
	tests := []struct {
		name string
		in   string
		want []fleetBrief
	}{
		{"selected namespace gone", docs(namespace("team-a", "p: x"), generatedSecret("team-a", "p=x"), generatedSecret("team-b", "p=x")), []fleetBrief{gone("team-b")}},
		{"a Project counts", docs("apiVersion: project.openshift.io/v1\nkind: Project\nmetadata: {name: team-b}\n", namespace("team-a", ""),
			generatedSecret("team-a", "p=x"), generatedSecret("team-b", "")), nil},
		{"listed, not selected", docs(namespace("team-a", ""), generatedSecret("team-b", "-")), nil},
		{"no Namespace in the input", docs(generatedSecret("team-b", "p=x")), nil},
		{"covered by the list", docs(pullAccessSpec("  namespaces: [team-a]\n"), web("team-a")), nil},
		{"not covered by the list", docs(pullAccessSpec("  namespaces: [team-a]\n"), web("team-b"), deployment("team-b", "api", containers("quay.io/acme/api")), web("team-c")),
			[]fleetBrief{uncovered("team-b", "api"), uncovered("team-c", "web")}},
		{"covered by the selector", docs(pullAccessSpec("  namespaceSelector: {matchLabels: {p: x}}\n"), namespace("team-a", "p: x"), web("team-a")), nil},
		{"not covered by the selector", docs(pullAccessSpec("  namespaceSelector: {matchLabels: {p: x}}\n"), namespace("team-a", "p: y"), web("team-a")),
			[]fleetBrief{uncovered("team-a", "web")}},
		{"excluded", docs(pullAccessSpec("  namespaceSelector: {}\n  excludeNamespaces: [\"team-*\"]\n"), namespace("team-a", ""), web("team-a")),
			[]fleetBrief{uncovered("team-a", "web")}},
		{"the global pull secret covers every namespace", docs(pullAccessSpec("  namespaces: [team-a]\n  globalPullSecret: {base: {file: ps.json}}\n"), web("team-b")), nil},
		{"a PullAccess that targets no namespace", docs(pullAccessSpec(""), web("team-b")), nil},
		{"covered by its generated Secret", docs(generatedSecret("team-a", "-"), web("team-a")), nil},
		{"not covered by its generated Secrets", docs(generatedSecret("team-a", "-"), web("team-b")), []fleetBrief{uncovered("team-b", "web")}},
		{"another registry", docs(pullAccessSpec("  namespaces: [team-a]\n"), deployment("team-b", "web", containers("ghcr.io/other/web"))), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := analyzeYAML(t, tt.in, Options{})
			got := fleetBriefs(fs)
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("got %+v, want %+v", got, tt.want)
				}
			}
		})
	}
}

// TestNotCoveredOncePerNamespace: the finding stands on the first image of the namespace
// in the report's order, whatever the input order, and names the namespace and the fix.
func TestNotCoveredOncePerNamespace(t *testing.T) {
	a := deployment("team-b", "a", containers("quay.io/acme/a", "quay.io/acme/b"))
	z := deployment("team-b", "z", containers("quay.io/acme/z"))
	for _, in := range []string{docs(pullAccessSpec("  namespaces: [team-a]\n"), a, z), docs(z, a, pullAccessSpec("  namespaces: [team-a]\n"))} {
		var got []Finding
		for _, f := range analyzeYAML(t, in, Options{}) {
			if f.Rule == RuleNamespaceNotCovered {
				got = append(got, f)
			}
		}
		if len(got) != 1 || got[0].Name != "a" || got[0].Field != c0 {
			t.Fatalf("findings %+v", got)
		}
		want := "namespace team-b pulls quay.io/acme/a from a registry that PullAccess acme declares, but it does not cover the namespace: add team-b to spec.namespaces, or give Namespace team-b labels that spec.namespaceSelector matches"
		if got[0].Message != want || got[0].Severity != SeverityWarning {
			t.Errorf("%s: %s", got[0].Severity, got[0].Message)
		}
	}
}
