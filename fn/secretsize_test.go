package fn

import (
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestSecretSize: a Secret over the API server's 1 MiB, or a PullAccess whose Secrets would
// add up to more than maxGeneratedSecrets, is refused before anything is built, naming the
// field to change; the same spec within the limits generates.
func TestSecretSize(t *testing.T) {
	aliases := func(n int) string {
		var a []string
		for i := range n {
			a = append(a, fmt.Sprintf("mirror-%d.example.com", i))
		}
		return "[" + strings.Join(a, ", ") + "]"
	}
	namespaces := func(n int) string {
		var a []string
		for i := range n {
			a = append(a, fmt.Sprintf("ns-%d", i))
		}
		return "[" + strings.Join(a, ", ") + "]"
	}
	tests := []struct {
		name      string
		password  string
		spec      string
		wantField string
	}{
		{"small", "tok", "  namespaces: [team-a]\n", ""},
		{"password over a Secret's 1 MiB", strings.Repeat("x", maxSecretData), "  namespaces: [team-a]\n", "spec.registries"},
		{"aliases over a Secret's 1 MiB", strings.Repeat("x", 200), "  namespaces: [team-a]\n  registries: [{server: quay.io/acme, aliases: " + aliases(3000) + ", username: robot, passwordFrom: {env: TOKEN}}]\n", "spec.registries"},
		{"a Secret under 1 MiB in too many namespaces", strings.Repeat("x", 300_000), "  namespaces: " + namespaces(700) + "\n", "spec.namespaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: acme}\nspec:\n" +
				"  output: {encrypt: false}\n  check: off\n" + tt.spec
			if !strings.Contains(tt.spec, "registries:") {
				spec += "  registries: [{server: quay.io/acme, username: robot, passwordFrom: {env: TOKEN}}]\n"
			}
			opts := Options{}
			opts.Sources.LookupEnv = func(string) (string, bool) { return tt.password, true }
			out, results := Run(yaml.MustParse(spec), nil, opts)
			var fields []string
			for _, r := range results {
				if r.Field != nil {
					fields = append(fields, r.Field.Path)
				}
				if strings.Contains(r.Message, tt.password) && len(tt.password) > 3 {
					t.Errorf("a result quotes the credential")
				}
			}
			if tt.wantField == "" {
				if results.ExitCode() != 0 || len(out) == 0 {
					t.Fatalf("refused: %v", results)
				}
				return
			}
			if results.ExitCode() == 0 || len(out) != 0 || len(fields) != 1 || fields[0] != tt.wantField {
				t.Errorf("exit %d, %d objects, fields %v; want a refusal naming %s", results.ExitCode(), len(out), fields, tt.wantField)
			}
		})
	}
}
