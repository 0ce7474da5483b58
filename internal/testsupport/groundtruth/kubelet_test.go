package groundtruth

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/pkg/credentialprovider/plugin"

	"pullgen.dev/pullgen/internal/check/nodecred"
	"pullgen.dev/pullgen/internal/check/pullcheck"
)

// The kubelet registers credential provider plugins once per process, in a global list
// that refuses a name twice; every provider of these tests has a name of its own, and the
// providers of the validation corpus match no image of the matching test.

func init() {
	// The kubelet's code logs each plugin run and each missing annotation to stderr.
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)
}

// pluginScript is a credential provider plugin: it answers every request with a
// credential for the requested image, in the request's API version, whose user name is
// its own file name, so that a lookup tells which providers the kubelet ran.
const pluginScript = `#!/bin/sh
request=$(cat)
image=$(printf '%s' "$request" | sed -n 's/.*"image":"\([^"]*\)".*/\1/p')
version=$(printf '%s' "$request" | sed -n 's/.*"apiVersion":"\([^"]*\)".*/\1/p')
printf '{"kind":"CredentialProviderResponse","apiVersion":"%s","cacheKeyType":"Image","cacheDuration":"0s","auth":{"%s":{"username":"%s","password":"p"}}}' "$version" "$image" "$(basename "$0")"
`

// serviceAccounts are the ServiceAccounts the kubelet may look up, in namespace ns.
var serviceAccounts = map[string]map[string]string{
	"annotated": {"azure.workload.identity/client-id": "c", "example.com/role": "r"},
	"partial":   {"example.com/role": "r"},
	"plain":     nil,
}

func getServiceAccount(namespace, name string) (*v1.ServiceAccount, error) {
	ann, ok := serviceAccounts[name]
	if !ok || namespace != "ns" {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "serviceaccounts"}, name)
	}
	return &v1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, UID: types.UID("uid-" + name), Annotations: ann}}, nil
}

func getServiceAccountToken(_, _ string, tr *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error) {
	out := tr.DeepCopy()
	out.Status.Token = "projected-token"
	return out, nil
}

// register writes a config and a plugin executable for each of names, and registers the
// config with the kubelet's own code.
func register(t *testing.T, doc string, names []string) error {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if strings.ContainsAny(n, "/ ") || n == "." || n == ".." {
			continue // no file can have that name: the config is refused before
		}
		if err := os.WriteFile(filepath.Join(bin, n), []byte(pluginScript), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return plugin.RegisterCredentialProviderPlugins(path, bin, getServiceAccountToken, getServiceAccount)
}

// decodeAndValidate is pullgen's verdict on a config: refused or not, and why.
func decodeAndValidate(doc string) (nodecred.ProviderConfig, []string) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		return nodecred.ProviderConfig{}, []string{err.Error()}
	}
	c, err := nodecred.DecodeProviderConfig(&n)
	if err != nil {
		return nodecred.ProviderConfig{}, []string{err.Error()}
	}
	return c, c.Validate()
}

// TestCredentialProvidersAgainstTheKubelet registers one config of providers with the
// kubelet's plugin code and checks, for every image and ServiceAccount, that the providers
// nodecred says the kubelet runs (matchImages under pullcheck's URL glob match, less those
// whose required ServiceAccount annotations are missing) are the providers whose
// credentials the kubelet's keyring returns, in order.
func TestCredentialProvidersAgainstTheKubelet(t *testing.T) {
	const doc = `apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
- {name: m-ecr, apiVersion: credentialprovider.kubelet.k8s.io/v1, defaultCacheDuration: 0s,
   matchImages: ["*.dkr.ecr.*.amazonaws.com", "*.dkr.ecr.*.amazonaws.com.cn"]}
- {name: m-gcp, apiVersion: credentialprovider.kubelet.k8s.io/v1, defaultCacheDuration: 0s,
   matchImages: ["*.pkg.dev", "gcr.io", "*.gcr.io", "us-*.pkg.dev"]}
- name: m-acr
  apiVersion: credentialprovider.kubelet.k8s.io/v1
  defaultCacheDuration: 0s
  matchImages: ["*.azurecr.io"]
  tokenAttributes:
    serviceAccountTokenAudience: api://AzureADTokenExchange
    cacheType: ServiceAccount
    requireServiceAccount: true
    requiredServiceAccountAnnotationKeys: [azure.workload.identity/client-id, example.com/role]
- name: m-token
  apiVersion: credentialprovider.kubelet.k8s.io/v1
  defaultCacheDuration: 0s
  matchImages: [token.example.org, "*.example.com"]
  tokenAttributes: {serviceAccountTokenAudience: aud, cacheType: Token, requireServiceAccount: false,
    optionalServiceAccountAnnotationKeys: [example.com/role]}
- {name: m-path, apiVersion: credentialprovider.kubelet.k8s.io/v1beta1, defaultCacheDuration: 1m,
   matchImages: [registry.example.com/team, "localhost:5000", docker.io, "*.example.com"]}
- {name: m-oddities, apiVersion: credentialprovider.kubelet.k8s.io/v1, defaultCacheDuration: 0s,
   matchImages: ["https://scheme.example.net", "r?.example.net", "q.example.net:443", "*"]}
`
	c, problems := decodeAndValidate(doc)
	if len(problems) > 0 {
		t.Fatalf("pullgen refuses the config: %v", problems)
	}
	var names []string
	for _, p := range c.Providers {
		names = append(names, p.Name)
	}
	if err := register(t, doc, names); err != nil {
		t.Fatalf("the kubelet refuses the config: %v", err)
	}
	images := []string{
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app",
		"dkr.ecr.us-east-1.amazonaws.com/app", "us-docker.pkg.dev/p/r/i", "europe-docker.pkg.dev/p/r/i", "pkg.dev/x",
		"gcr.io/p/i", "eu.gcr.io/p/i", "team.azurecr.io/app", "team.azurecr.io:443/app", "a.b.azurecr.io/app",
		"token.example.org/app", "x.example.com/app", "x.y.example.com/app", "registry.example.com/team/app",
		"registry.example.com/teams/app", "registry.example.com/other", "localhost:5000/app", "localhost/app",
		"nginx", "docker.io/team/app", "scheme.example.net/app", "r1.example.net/app", "a.example.net/app",
		"q.example.net/app", "q.example.net:443/app", "singlelabel/app", "quay.io/org/app",
	}
	compared := 0
	for _, image := range images {
		repo, err := pullcheck.NormalizeImage(image)
		if err != nil {
			t.Fatal(err)
		}
		for sa, annotations := range serviceAccounts {
			keyring := plugin.NewExternalCredentialProviderDockerKeyring("ns", "pod", "pod-uid", sa)
			tracked, _ := keyring.Lookup(repo)
			var want []string
			for _, a := range tracked {
				want = append(want, a.Username)
			}
			var got []string
			for _, p := range c.For(repo, pullcheck.MatchKey) {
				if len(p.MissingAnnotations(annotations)) == 0 {
					got = append(got, p.Name)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s as %s: providers (-kubelet +nodecred):\n%s", repo, sa, diff)
			}
			compared++
		}
	}
	t.Logf("%d lookups compared", compared)
}

// TestCredentialProviderConfigValidationAgainstTheKubelet checks that pullgen refuses a
// CredentialProviderConfig exactly when the kubelet's own reading and validation refuse it
// (the kubelet then does not start). Each document's provider names are made unique with
// the case's number, and the valid ones match no image the other test uses.
func TestCredentialProviderConfigValidationAgainstTheKubelet(t *testing.T) {
	const head = "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n"
	const p = "- name: NAME\n  matchImages: [validation.invalid]\n  defaultCacheDuration: 1m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n"
	const token = "  tokenAttributes:\n    serviceAccountTokenAudience: aud\n    cacheType: ServiceAccount\n    requireServiceAccount: true\n    requiredServiceAccountAnnotationKeys: [example.com/role]\n"
	swap := func(s, old, new string) string {
		if !strings.Contains(s, old) {
			panic("corpus: no " + old)
		}
		return strings.Replace(s, old, new, 1)
	}
	docs := []string{
		head + p,
		head + p + token,
		head + p + swap(p, "NAME", "NAME-2"),
		swap(head, "/v1\n", "/v1beta1\n") + p,
		swap(head, "/v1\n", "/v1alpha1\n") + swap(p, "/v1\n", "/v1alpha1\n"),
		head + swap(p, "1m", "0s"),
		head + swap(p, "[validation.invalid]", `["*.validation.invalid", "validation.invalid:5000/x"]`),
		head + swap(p, "NAME", "NAME/x"),
		head + swap(p, "NAME", "NAME x"),
		head + p + p,
		head + swap(p, "  apiVersion: credentialprovider.kubelet.k8s.io/v1\n", ""),
		head + swap(p, "/v1\n", "/v2\n"),
		head + swap(p, "[validation.invalid]", "[]"),
		head + swap(p, "  matchImages: [validation.invalid]\n", ""),
		head + swap(p, "[validation.invalid]", `["validation.invalid/%zz"]`),
		head + swap(p, "[validation.invalid]", `["[ab].validation.invalid"]`),
		head + swap(p, "  defaultCacheDuration: 1m\n", ""),
		head + swap(p, "1m", "-1m"),
		head + swap(p, "1m", "one minute"),
		head,
		head + p + swap(token, "    serviceAccountTokenAudience: aud\n", ""),
		head + p + swap(token, "    requireServiceAccount: true\n", ""),
		head + p + swap(token, "true", "false"),
		head + swap(p, "/v1\n", "/v1beta1\n") + token,
		head + p + swap(token, "[example.com/role]", "[-bad]"),
		head + p + swap(token, "[example.com/role]", "[Example.COM/Role]"),
		head + p + swap(token, "[example.com/role]", "[a, a]"),
		head + p + token + "    optionalServiceAccountAnnotationKeys: [example.com/role]\n",
		head + p + swap(token, "    cacheType: ServiceAccount\n", ""),
		head + p + swap(token, "ServiceAccount", "Forever"),
		head + p + swap(token, "ServiceAccount", "Token"),
		swap(head, "/v1\n", "/v1beta1\n") + p + token,
		head + p + "  unknown: x\n",
		head + swap(p, "matchImages", "MatchImages"),
		head + p + "  name: again\n",
		head + swap(p, "[validation.invalid]", "validation.invalid"),
		head + p + "  env: [{name: A, value: b}]\n  args: [x]\n",
		head + p + "  env: [{name: A, valu: b}]\n",
		swap(head, "kind: CredentialProviderConfig", "kind: KubeletConfiguration") + p,
		swap(head, "kubelet.config.k8s.io/v1", "kubelet.config.k8s.io/v2") + p,
	}
	for i, doc := range docs {
		doc = strings.ReplaceAll(doc, "NAME", fmt.Sprintf("v%02d", i))
		t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
			c, problems := decodeAndValidate(doc)
			var names []string
			for _, p := range c.Providers {
				names = append(names, p.Name)
			}
			err := register(t, doc, names)
			if (err != nil) != (len(problems) > 0) {
				t.Errorf("the kubelet says %v; pullgen says %q\n%s", err, problems, doc)
			}
		})
	}
}
