package nodecred_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"pullgen.dev/pullgen/internal/check/nodecred"
	"pullgen.dev/pullgen/internal/check/pullcheck"
)

func decode(t *testing.T, doc string) (nodecred.ProviderConfig, error) {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	return nodecred.DecodeProviderConfig(&n)
}

const ecr = `apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
- name: ecr-credential-provider
  matchImages: ["*.dkr.ecr.*.amazonaws.com", "*.dkr.ecr.*.amazonaws.com.cn"]
  defaultCacheDuration: 12h
  apiVersion: credentialprovider.kubelet.k8s.io/v1
  args: [get-credentials]
  env: [{name: AWS_PROFILE, value: nodes}]
- name: acr-credential-provider
  matchImages: ["*.azurecr.io"]
  defaultCacheDuration: 10m
  apiVersion: credentialprovider.kubelet.k8s.io/v1
  tokenAttributes:
    serviceAccountTokenAudience: api://AzureADTokenExchange
    cacheType: ServiceAccount
    requireServiceAccount: true
    requiredServiceAccountAnnotationKeys: [azure.workload.identity/client-id]
    optionalServiceAccountAnnotationKeys: [azure.workload.identity/tenant-id]
`

// TestProviderConfigFor decodes a config with two providers and checks which the kubelet
// runs for an image (its matchImages, under the kubelet's URL glob matching) and what a
// ServiceAccount lacks for the one with tokenAttributes.
func TestProviderConfigFor(t *testing.T) {
	c, err := decode(t, ecr)
	if err != nil {
		t.Fatal(err)
	}
	if problems := c.Validate(); len(problems) > 0 {
		t.Fatalf("valid config refused: %v", problems)
	}
	tests := []struct {
		repo string
		want []string
	}{
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app", []string{"ecr-credential-provider"}},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app", []string{"ecr-credential-provider"}},
		{"dkr.ecr.us-east-1.amazonaws.com/app", nil},
		{"team.azurecr.io/app", []string{"acr-credential-provider"}},
		{"team.azurecr.io:443/app", nil},
		{"docker.io/library/nginx", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range c.For(tt.repo, pullcheck.MatchKey) {
			got = append(got, p.Name)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.repo, diff)
		}
	}
	acr := c.Providers[1]
	if got := acr.MissingAnnotations(map[string]string{"azure.workload.identity/tenant-id": "t"}); !cmp.Equal(got, []string{"azure.workload.identity/client-id"}) {
		t.Errorf("missing = %v", got)
	}
	if got := acr.MissingAnnotations(map[string]string{"azure.workload.identity/client-id": ""}); got != nil {
		t.Errorf("an empty value is present: missing = %v", got)
	}
	if got := c.Providers[0].MissingAnnotations(nil); got != nil {
		t.Errorf("no tokenAttributes: missing = %v", got)
	}
}

// TestDecodeProviderConfigIsStrict checks the kubelet's strict decoding, field by field.
func TestDecodeProviderConfigIsStrict(t *testing.T) {
	provider := func(extra string) string {
		return "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n- name: p\n  matchImages: [a.io]\n  defaultCacheDuration: 1m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n" + extra
	}
	tests := []struct{ doc, want string }{
		{provider(""), ""},
		{strings.Replace(provider(""), "kubelet.config.k8s.io/v1\n", "kubelet.config.k8s.io/v2\n", 1), `apiVersion "kubelet.config.k8s.io/v2" is not`},
		{strings.Replace(provider(""), "kind: CredentialProviderConfig", "kind: KubeletConfiguration", 1), "kind: must be CredentialProviderConfig"},
		{provider("  matchimages: [b.io]\n"), "providers[0].matchimages: unknown field"},
		{provider("  name: q\n"), "providers[0].name: given twice"},
		{provider("  args: a\n"), "providers[0].args: must be a list"},
		{provider("  env: [{name: A, val: b}]\n"), "providers[0].env[0].val: unknown field"},
		{strings.Replace(provider(""), "1m", "1 minute", 1), `providers[0].defaultCacheDuration: "1 minute" is not a duration`},
		{strings.Replace(provider(""), "[a.io]", "[1]", 1), "providers[0].matchImages[0]: must be a string"},
		{provider("  tokenAttributes: {requireServiceAccount: yes}\n"), "providers[0].tokenAttributes.requireServiceAccount: must be true or false"},
		{provider("  tokenAttributes: {audience: x}\n"), "providers[0].tokenAttributes.audience: unknown field"},
		{strings.Replace(provider("  tokenAttributes: {}\n"), "kubelet.config.k8s.io/v1\n", "kubelet.config.k8s.io/v1beta1\n", 1), "providers[0].tokenAttributes: unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := decode(t, tt.doc)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestProviderConfigValidate checks the kubelet's validation rules.
func TestProviderConfigValidate(t *testing.T) {
	base := "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n"
	p := func(fields string) string {
		return "- " + strings.ReplaceAll(strings.TrimSpace(fields), "\n", "\n  ") + "\n"
	}
	valid := "name: p\nmatchImages: [a.io]\ndefaultCacheDuration: 0s\napiVersion: credentialprovider.kubelet.k8s.io/v1beta1"
	token := "name: t\nmatchImages: [a.io]\ndefaultCacheDuration: 1m\napiVersion: credentialprovider.kubelet.k8s.io/v1\ntokenAttributes:\n  serviceAccountTokenAudience: aud\n  cacheType: Token\n  requireServiceAccount: true\n  requiredServiceAccountAnnotationKeys: [example.com/role]"
	tests := []struct {
		name      string
		providers string
		want      []string
	}{
		{"valid", p(valid) + p(token), nil},
		{"no providers", "", []string{"providers: at least one provider is required"}},
		{"bad names", p(strings.Replace(valid, "name: p", "name: a/b", 1)) + p(strings.Replace(valid, "name: p", "name: a/b", 1)),
			[]string{`providers[0].name: "a/b" cannot be a plugin's file name`, `providers[1].name: "a/b" cannot be a plugin's file name`, `providers[1].name: "a/b" is given twice`}},
		{"missing fields", p("name: p"), []string{"providers[0].apiVersion: required", "providers[0].matchImages: at least one image pattern is required", "providers[0].defaultCacheDuration: required"}},
		{"unknown plugin API", p(strings.Replace(valid, "v1beta1", "v2", 1)), []string{`providers[0].apiVersion: "credentialprovider.kubelet.k8s.io/v2" is not one of`}},
		{"match image not a URL", p(strings.Replace(valid, "[a.io]", `["a.io/%zz"]`, 1)), []string{`providers[0].matchImages: "a.io/%zz" is not a URL`}},
		{"negative duration", p(strings.Replace(valid, "0s", "-1s", 1)), []string{"providers[0].defaultCacheDuration: must not be negative"}},
		{"token attributes on an old plugin API", p(strings.Replace(token, "kubelet.k8s.io/v1\n", "kubelet.k8s.io/v1beta1\n", 1)), []string{"providers[0].tokenAttributes: only for providers of credentialprovider.kubelet.k8s.io/v1"}},
		{"token attributes incomplete", p("name: t\nmatchImages: [a.io]\ndefaultCacheDuration: 1m\napiVersion: credentialprovider.kubelet.k8s.io/v1\ntokenAttributes: {requireServiceAccount: false, requiredServiceAccountAnnotationKeys: [a], cacheType: Forever}"),
			[]string{"providers[0].tokenAttributes.serviceAccountTokenAudience: required", "providers[0].tokenAttributes.requiredServiceAccountAnnotationKeys: needs requireServiceAccount: true", `providers[0].tokenAttributes.cacheType: "Forever" is not ServiceAccount or Token`}},
		{"annotation keys", p(strings.Replace(token, "[example.com/role]", "[Example.COM/Role, -bad, a, a]\n  optionalServiceAccountAnnotationKeys: [a]", 1)),
			[]string{`providers[0].tokenAttributes.requiredServiceAccountAnnotationKeys: "-bad" is not an annotation key`, `providers[0].tokenAttributes.requiredServiceAccountAnnotationKeys: "a" is given twice`, `providers[0].tokenAttributes: annotation keys ["a"] are both required and optional`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decode(t, base+tt.providers)
			if err != nil {
				t.Fatal(err)
			}
			got := c.Validate()
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("problem %q, want %q...", got[i], tt.want[i])
				}
			}
		})
	}
}

// TestMergeProviderConfigs checks the merge of a directory's files.
func TestMergeProviderConfigs(t *testing.T) {
	a := nodecred.ProviderConfig{Providers: []nodecred.Provider{{Name: "a"}}}
	b := nodecred.ProviderConfig{Providers: []nodecred.Provider{{Name: "b"}}}
	got, err := nodecred.Merge([]nodecred.ProviderConfig{a, b})
	if err != nil || len(got.Providers) != 2 || got.Providers[1].Name != "b" {
		t.Fatalf("Merge = %+v, %v", got, err)
	}
	if _, err := nodecred.Merge([]nodecred.ProviderConfig{a, a}); err == nil || !strings.Contains(err.Error(), `provider "a" is named in more than one file`) {
		t.Errorf("error %v", err)
	}
}
