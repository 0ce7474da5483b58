package render

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/fn"
	"pullgen.dev/pullgen/internal/untrusted/bound"
	"pullgen.dev/pullgen/internal/untrusted/yamlcap"
)

// seeds adds the repository's examples whose names match, and hostile inputs, to a corpus.
func seeds(f *testing.F, name string, hostile ...string) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "examples", "*", name))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	for _, h := range hostile {
		f.Add([]byte(h))
	}
}

// fileFields are the strings of a kustomization, decoded as kustomize decodes it, that
// kustomize loads files (or bases) from.
func fileFields(k *types.Kustomization) []string {
	var out []string
	out = append(out, k.Resources...)
	out = append(out, k.Components...)
	out = append(out, k.Crds...)
	out = append(out, k.Generators...)
	out = append(out, k.Transformers...)
	out = append(out, k.Validators...)
	out = append(out, k.Configurations...)
	for _, p := range k.PatchesStrategicMerge {
		out = append(out, string(p))
	}
	for _, p := range k.Patches {
		out = append(out, p.Path)
	}
	for _, p := range k.PatchesJson6902 {
		out = append(out, p.Path)
	}
	for _, r := range k.Replacements {
		out = append(out, r.Path)
	}
	out = append(out, k.OpenAPI["path"])
	for _, g := range append(configMapArgs(k.ConfigMapGenerator), secretArgs(k.SecretGenerator)...) {
		out = append(out, g.FileSources...)
		out = append(out, g.EnvSources...)
		out = append(out, g.EnvSource)
	}
	return out
}

// FuzzKustomizationDecoding decodes arbitrary kustomizations as render does: measured
// first, then searched for remote forms. Nothing panics; every error is short; and when
// render finds no remote form, kustomize's own decoding of the same bytes holds none in any
// field it loads from (the search, which knows no field, misses none).
func FuzzKustomizationDecoding(f *testing.F) {
	seeds(f, "kustomization.yaml",
		"resources: [https://example.com/x]\n", "Resources: [GitHub.com/org/repo]\n",
		"configMapGenerator: [{name: x, files: [a=http://169.254.169.254/]}]\n",
		"resources: [!!binary aHR0cDovL2V4YW1wbGUuY29tLw==]\n", "a: &a [x]\nresources: *a\n",
		"patchesStrategicMerge: ['{\"a\": \"https://x\"}']\n", "openapi: {path: git::u@h:r}\n")
	limits := DefaultLimits().yaml()
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := yamlcap.Measure(data, limits); err != nil {
			if len(err.Error()) > bound.ExcerptLen {
				t.Fatalf("long error: %v", err)
			}
			return
		}
		field, value, err := findRemote(data)
		if err != nil {
			return // kustomize cannot decode it either
		}
		if field != "" {
			if !remoteForm(value) && !remoteFormInPair(value) {
				t.Fatalf("%s: %q reported but not a remote form", field, value)
			}
			if msg := bound.Message(remoteError("kustomization.yaml", field, value).Error()); len(msg) > bound.MaxLineLen+10 {
				t.Fatalf("long error: %d bytes", len(msg))
			}
			return
		}
		var k types.Kustomization
		if err := k.Unmarshal(data); err != nil {
			return
		}
		k.FixKustomization()
		for _, s := range fileFields(&k) {
			if remoteForm(s) || remoteFormInPair(s) {
				t.Fatalf("kustomize would load %q, which the search did not find", s)
			}
		}
	})
}

// FuzzPullAccessDecoding decodes arbitrary PullAccess documents as render does: measured,
// parsed, decoded once and checked against the caps and the sandbox's rules. Nothing
// panics, errors are short once bounded, and when the check finds no remote file source,
// the decoded PullAccess has none (aliases and merge keys included), whatever field holds
// it.
func FuzzPullAccessDecoding(f *testing.F) {
	seeds(f, "pullaccess.yaml",
		"apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: x}\nspec:\n  namespaces: [a]\n  registries: [{server: quay.io, username: u, passwordFrom: {file: https://x}}]\n",
		"apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: x}\nspec: {globalPullSecret: {base: {file: GIT::u@h:r}}}\n",
		"apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: x}\nspec: {namespaces: ["+strings.Repeat("a, ", 100)+"a]}\n",
		"apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: &u \"https://x\"}\nspec:\n  registries: [{server: quay.io, username: u, passwordFrom: {file: *u}, aliases: &ns [a, b]}]\n  namespaces: *ns\n",
		"apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: x}\nspec:\n  registries: [&r {server: quay.io, passwordFrom: {file: https://x}}, {<<: *r, server: ghcr.io}]\n")
	limits := DefaultLimits()
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := yamlcap.Measure(data, limits.yaml()); err != nil {
			return
		}
		node, err := yaml.Parse(string(data))
		if err != nil || node.YNode().Kind != yaml.MappingNode {
			return
		}
		pa, problems := fn.Decode(node)
		for _, p := range problems {
			if len(bound.Message(p.Message)) > bound.MaxLines*(bound.MaxLineLen+10) {
				t.Fatalf("long message")
			}
		}
		if pa == nil {
			return
		}
		untrusted := &renderer{o: Options{AllowEnv: []string{"X"}}, limits: limits}
		if err := untrusted.checkPullAccess("pullaccess.yaml: PullAccess x", pa, problems.HasErrors()); err != nil &&
			len(bound.Message(err.Error())) > bound.MaxLines*(bound.MaxLineLen+10) {
			t.Fatalf("long error")
		}
		trusted := &renderer{o: Options{Trusted: true}, limits: limits} // the remote check alone
		if trusted.checkPullAccess("pullaccess.yaml: PullAccess x", pa, problems.HasErrors()) != nil {
			return
		}
		var sources []string
		var walk func(v reflect.Value)
		walk = func(v reflect.Value) {
			switch v.Kind() {
			case reflect.Pointer, reflect.Interface:
				if !v.IsNil() {
					walk(v.Elem())
				}
			case reflect.Struct:
				for i := 0; i < v.NumField(); i++ {
					if ft := v.Type().Field(i); ft.Name == "File" && ft.Type.Kind() == reflect.String {
						sources = append(sources, v.Field(i).String())
					} else if ft.IsExported() {
						walk(v.Field(i))
					}
				}
			case reflect.Slice:
				for i := 0; i < v.Len(); i++ {
					walk(v.Index(i))
				}
			}
		}
		walk(reflect.ValueOf(pa))
		for _, s := range sources {
			if remoteForm(s) {
				t.Fatalf("file source %q is remote, and the search did not find it", s)
			}
		}
	})
}
