package render

import (
	"strings"
	"testing"
)

// remoteForms are the strings kustomize's loader would fetch (an http(s) URL in any field
// that names a file) or clone with git (a resources or components entry), in the forms
// its remote loader accepts, and the markers of its remote bases.
var remoteForms = []string{
	"http://169.254.169.254/latest/meta-data/iam/security-credentials/ROLE",
	"https://example.com/x.yaml",
	"HTTPS://EXAMPLE.COM/x.yaml",
	"hTTp://example.com/x.yaml",
	"https:example.com/x.yaml",
	"git@github.com:org/repo",
	"evil@host:org/repo",
	"evil@host/org/repo/base",
	"GIT::u@host:r",
	"git::https://example.com/org/repo",
	"github.com/org/repo",
	"GitHub.com/org/repo",
	"github.com:org/repo",
	"ssh://git@example.com/org/repo",
	"SSH://example.com/org/repo",
	"file:///tmp/repo",
	"git://example.com/org/repo",
	"example.com/org/repo?ref=v1",
	"example.com/org/repo?version=v1",
	"example.com/org/repo?timeout=1s",
	"example.com/org/repo?submodules=false",
	"dev.azure.com/org/project/_git/repo",
	" https://example.com/x.yaml",
	"creds=http://169.254.169.254/latest",
}

// localForms are paths and inline content kustomize reads from the repository.
var localForms = []string{
	"base", "../base", "deployment.yaml", "./a/b/c.yaml", "config.json",
	"key=path/to/file", "a:b", "my-app.yaml", "{\"op\": \"add\"}", "[1, 2]",
	"apiVersion: v1\nkind: ConfigMap\n", "quay.io/acme/web", "mirror.gcr.io/library/nginx",
}

func TestRemoteForm(t *testing.T) {
	for _, s := range remoteForms {
		if !remoteForm(s) && !remoteFormInPair(s) {
			t.Errorf("%q is not recognised as remote", s)
		}
	}
	for _, s := range localForms {
		if remoteForm(s) {
			t.Errorf("%q is taken for remote", s)
		}
	}
}

// TestFindRemoteEveryField puts a URL in every field of a kustomization and of the
// built-in configurations that names a file, and in fields nobody listed: each is found,
// with its path; the data fields (names, labels, annotations, inline patches) may hold
// URLs.
func TestFindRemoteEveryField(t *testing.T) {
	const u = "http://127.0.0.1:1/x"
	for _, c := range []struct {
		doc, field string
	}{
		{"resources: [" + u + "]", "resources[0]"},
		{"components: [" + u + "]", "components[0]"},
		{"crds: [" + u + "]", "crds[0]"},
		{"generators: [" + u + "]", "generators[0]"},
		{"transformers: [" + u + "]", "transformers[0]"},
		{"validators: [" + u + "]", "validators[0]"},
		{"configurations: [" + u + "]", "configurations[0]"},
		{"openapi: {path: " + u + "}", "openapi.path"},
		{"patches: [{path: " + u + "}]", "patches[0].path"},
		{"patchesStrategicMerge: [" + u + "]", "patchesStrategicMerge[0]"},
		{"patchesJson6902: [{path: " + u + ", target: {kind: X}}]", "patchesJson6902[0].path"},
		{"replacements: [{path: " + u + "}]", "replacements[0].path"},
		{"configMapGenerator: [{name: x, files: [creds=" + u + "]}]", "configMapGenerator[0].files[0]"},
		{"configMapGenerator: [{name: x, envs: [" + u + "]}]", "configMapGenerator[0].envs[0]"},
		{"configMapGenerator: [{name: x, env: " + u + "}]", "configMapGenerator[0].env"},
		{"secretGenerator: [{name: x, files: [" + u + "]}]", "secretGenerator[0].files[0]"},
		{"Resources: [" + u + "]", "Resources[0]"}, // kustomize matches field names in any case
		{"aFieldOfTomorrow: {somewhere: [" + u + "]}", "aFieldOfTomorrow.somewhere[0]"},
		{"resources: [!!binary aHR0cDovLzEyNy4wLjAuMToxL3g=]", "resources[0]"}, // what kustomize decodes
		{"x: &u " + u + "\nresources: [*u]", "resources[0]"},
		// Built-in configurations.
		{"apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: " + u, "path"},
		{"apiVersion: builtin\nkind: PatchStrategicMergeTransformer\nmetadata: {name: p}\npaths: [" + u + "]", "paths[0]"},
		{"apiVersion: builtin\nkind: PatchJson6902Transformer\nmetadata: {name: p}\npath: " + u, "path"},
		{"apiVersion: builtin\nkind: ReplacementTransformer\nmetadata: {name: p}\nreplacements: [{path: " + u + "}]", "replacements[0].path"},
		{"apiVersion: builtin\nkind: ValueAddTransformer\nmetadata: {name: p}\ntargetFilePath: " + u, "targetFilePath"},
		{"apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: p}\nenvs: [" + u + "]", "envs[0]"},
		// Data only.
		{"commonAnnotations: {docs: " + u + "}\nlabels: [{pairs: {a: b}}]\nnamespace: x", ""},
		{"patches: [{patch: '{\"metadata\": {\"annotations\": {\"a\": \"" + u + "\"}}}', target: {kind: X}}]", ""},
		{"images: [{name: nginx, newName: quay.io/acme/nginx}]", ""},
		{"configMapGenerator: [{name: x, literals: [url=" + u + "]}]", ""},
	} {
		t.Run(c.field, func(t *testing.T) {
			field, value, err := findRemote([]byte(c.doc))
			if err != nil {
				t.Fatal(err)
			}
			if field != c.field {
				t.Errorf("found %q (%q), want %q", field, value, c.field)
			}
			if c.field != "" && !strings.Contains(value, "127.0.0.1") {
				t.Errorf("value %q", value)
			}
		})
	}
}
