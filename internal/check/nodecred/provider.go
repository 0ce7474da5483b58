package nodecred

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"pullgen.dev/pullgen/internal/core/yamlnode"
)

// The kubelet's CredentialProviderConfig (kubelet.config.k8s.io) and the plugin API
// versions a provider may name (credentialprovider.kubelet.k8s.io).
const (
	providerConfigKind  = "CredentialProviderConfig"
	providerConfigGroup = "kubelet.config.k8s.io"
	pluginAPIv1         = "credentialprovider.kubelet.k8s.io/v1"
)

// pluginAPIVersions are the provider apiVersions the kubelet accepts.
var pluginAPIVersions = []string{"credentialprovider.kubelet.k8s.io/v1", "credentialprovider.kubelet.k8s.io/v1alpha1", "credentialprovider.kubelet.k8s.io/v1beta1"}

// configVersions are the versions of CredentialProviderConfig the kubelet decodes, with
// whether they have tokenAttributes.
var configVersions = map[string]bool{"v1": true, "v1beta1": false, "v1alpha1": false}

// ProviderConfig is a kubelet's CredentialProviderConfig: its providers in order.
type ProviderConfig struct {
	Providers []Provider
}

// Provider is one credential provider plugin.
type Provider struct {
	Name        string
	MatchImages []string
	// DefaultCacheDuration is nil when unset.
	DefaultCacheDuration *time.Duration
	APIVersion           string
	// TokenAttributes is set when the plugin gets the pod's ServiceAccount token.
	TokenAttributes *TokenAttributes
	// Field is the provider's path in the file (providers[0]).
	Field string
}

// TokenAttributes are a provider's projected ServiceAccount token settings.
type TokenAttributes struct {
	ServiceAccountTokenAudience string
	CacheType                   string
	// RequireServiceAccount is nil when unset.
	RequireServiceAccount *bool
	// RequiredServiceAccountAnnotationKeys must all be on the pod's ServiceAccount, or the
	// kubelet does not run the plugin for the pod.
	RequiredServiceAccountAnnotationKeys []string
	OptionalServiceAccountAnnotationKeys []string
}

// fields of each object, for strict decoding.
var (
	configFields   = []string{"apiVersion", "kind", "providers"}
	providerFields = []string{"name", "matchImages", "defaultCacheDuration", "apiVersion", "args", "env"}
	envFields      = []string{"name", "value"}
	tokenFields    = []string{"serviceAccountTokenAudience", "cacheType", "requireServiceAccount",
		"requiredServiceAccountAnnotationKeys", "optionalServiceAccountAnnotationKeys"}
)

// DecodeProviderConfig reads a CredentialProviderConfig (YAML or JSON) as the kubelet's
// strict decoder does: the kind and a version it knows, no unknown or repeated field, each
// value of its type (a duration as Go parses one). Errors name the field.
func DecodeProviderConfig(n *yaml.Node) (ProviderConfig, error) {
	n = yamlnode.Deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return ProviderConfig{}, fmt.Errorf("not a %s object", providerConfigKind)
	}
	apiVersion, err := yamlnode.String(n, "apiVersion", "")
	if err != nil {
		return ProviderConfig{}, err
	}
	group, version, _ := strings.Cut(apiVersion, "/")
	tokens, known := configVersions[version]
	if group != providerConfigGroup || !known {
		return ProviderConfig{}, fmt.Errorf("apiVersion %q is not %s/v1, v1beta1 or v1alpha1", apiVersion, providerConfigGroup)
	}
	if kind, err := yamlnode.String(n, "kind", ""); err != nil || kind != providerConfigKind {
		return ProviderConfig{}, fmt.Errorf("kind: must be %s", providerConfigKind)
	}
	if err := strictFields(n, "", configFields); err != nil {
		return ProviderConfig{}, err
	}
	items, err := yamlnode.Items(n, "providers", "")
	if err != nil {
		return ProviderConfig{}, err
	}
	var c ProviderConfig
	for i, item := range items {
		p, err := decodeProvider(item, yamlnode.Index("providers", i), tokens)
		if err != nil {
			return ProviderConfig{}, err
		}
		c.Providers = append(c.Providers, p)
	}
	return c, nil
}

func decodeProvider(n *yaml.Node, path string, tokens bool) (Provider, error) {
	allowed := providerFields
	if tokens {
		allowed = append(slices.Clone(providerFields), "tokenAttributes")
	}
	if err := object(n, path, allowed); err != nil {
		return Provider{}, err
	}
	p := Provider{Field: path}
	var err error
	if p.Name, err = yamlnode.String(n, "name", path); err != nil {
		return Provider{}, err
	}
	if p.APIVersion, err = yamlnode.String(n, "apiVersion", path); err != nil {
		return Provider{}, err
	}
	if p.MatchImages, err = yamlnode.Strings(n, "matchImages", path); err != nil {
		return Provider{}, err
	}
	if _, err = yamlnode.Strings(n, "args", path); err != nil {
		return Provider{}, err
	}
	if p.DefaultCacheDuration, err = duration(n, "defaultCacheDuration", path); err != nil {
		return Provider{}, err
	}
	env, err := yamlnode.Items(n, "env", path)
	if err != nil {
		return Provider{}, err
	}
	for i, e := range env {
		ep := yamlnode.Index(yamlnode.Join(path, "env"), i)
		if err := object(e, ep, envFields); err != nil {
			return Provider{}, err
		}
		for _, f := range envFields {
			if _, err := yamlnode.String(e, f, ep); err != nil {
				return Provider{}, err
			}
		}
	}
	ta, err := yamlnode.Mapping(n, "tokenAttributes", path)
	if err != nil || ta == nil {
		return p, err
	}
	p.TokenAttributes, err = decodeTokenAttributes(ta, yamlnode.Join(path, "tokenAttributes"))
	return p, err
}

func decodeTokenAttributes(n *yaml.Node, path string) (*TokenAttributes, error) {
	if err := strictFields(n, path, tokenFields); err != nil {
		return nil, err
	}
	var t TokenAttributes
	var err error
	if t.ServiceAccountTokenAudience, err = yamlnode.String(n, "serviceAccountTokenAudience", path); err != nil {
		return nil, err
	}
	if t.CacheType, err = yamlnode.String(n, "cacheType", path); err != nil {
		return nil, err
	}
	if t.RequiredServiceAccountAnnotationKeys, err = yamlnode.Strings(n, "requiredServiceAccountAnnotationKeys", path); err != nil {
		return nil, err
	}
	if t.OptionalServiceAccountAnnotationKeys, err = yamlnode.Strings(n, "optionalServiceAccountAnnotationKeys", path); err != nil {
		return nil, err
	}
	if v := yamlnode.Field(n, "requireServiceAccount"); !yamlnode.Absent(v) {
		if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
			return nil, fmt.Errorf("%s.requireServiceAccount: must be true or false", path)
		}
		b := v.Value == "true"
		t.RequireServiceAccount = &b
	}
	return &t, nil
}

// object checks that n is a mapping with only the allowed fields, each once.
func object(n *yaml.Node, path string, allowed []string) error {
	if n == nil || n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: must be an object", path)
	}
	return strictFields(n, path, allowed)
}

// strictFields refuses a field the kubelet does not know, or one given twice.
func strictFields(n *yaml.Node, path string, allowed []string) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("%s: unknown field", yamlnode.Join(path, k))
		}
		if seen[k] {
			return fmt.Errorf("%s: given twice", yamlnode.Join(path, k))
		}
		seen[k] = true
	}
	return nil
}

// duration reads an optional Go duration string.
func duration(n *yaml.Node, key, path string) (*time.Duration, error) {
	s, err := yamlnode.String(n, key, path)
	if err != nil || yamlnode.Absent(yamlnode.Field(n, key)) {
		return nil, err
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %q is not a duration", yamlnode.Join(path, key), s)
	}
	return &d, nil
}

// Merge joins configs read from the files of a directory, in order, as the kubelet does;
// a provider name given twice is an error.
func Merge(configs []ProviderConfig) (ProviderConfig, error) {
	var out ProviderConfig
	seen := map[string]bool{}
	for _, c := range configs {
		for _, p := range c.Providers {
			if seen[p.Name] {
				return ProviderConfig{}, fmt.Errorf("provider %q is named in more than one file", p.Name)
			}
			seen[p.Name] = true
			out.Providers = append(out.Providers, p)
		}
	}
	return out, nil
}

// Validate returns what the kubelet's validation refuses (it then does not start), each
// "field: message", with the ServiceAccount token feature on (its default since 1.34).
func (c ProviderConfig) Validate() []string {
	var out []string
	add := func(field, format string, args ...any) { out = append(out, field+": "+fmt.Sprintf(format, args...)) }
	if len(c.Providers) == 0 {
		add("providers", "at least one provider is required")
	}
	seen := map[string]bool{}
	for _, p := range c.Providers {
		f := func(name string) string { return yamlnode.Join(p.Field, name) }
		switch {
		case strings.Contains(p.Name, "/"), strings.Contains(p.Name, " "), p.Name == ".", p.Name == "..":
			add(f("name"), "%q cannot be a plugin's file name", p.Name)
		}
		if seen[p.Name] {
			add(f("name"), "%q is given twice", p.Name)
		}
		seen[p.Name] = true
		if p.APIVersion == "" {
			add(f("apiVersion"), "required")
		} else if !slices.Contains(pluginAPIVersions, p.APIVersion) {
			add(f("apiVersion"), "%q is not one of %s", p.APIVersion, strings.Join(pluginAPIVersions, ", "))
		}
		if len(p.MatchImages) == 0 {
			add(f("matchImages"), "at least one image pattern is required")
		}
		for _, m := range p.MatchImages {
			if _, err := url.Parse("https://" + m); err != nil {
				add(f("matchImages"), "%q is not a URL", m)
			}
		}
		if p.DefaultCacheDuration == nil {
			add(f("defaultCacheDuration"), "required")
		} else if *p.DefaultCacheDuration < 0 {
			add(f("defaultCacheDuration"), "must not be negative")
		}
		if p.TokenAttributes != nil {
			out = append(out, p.TokenAttributes.validate(f("tokenAttributes"), p.APIVersion)...)
		}
	}
	return out
}

func (t *TokenAttributes) validate(path, apiVersion string) []string {
	var out []string
	add := func(field, format string, args ...any) { out = append(out, field+": "+fmt.Sprintf(format, args...)) }
	f := func(name string) string { return yamlnode.Join(path, name) }
	if t.ServiceAccountTokenAudience == "" {
		add(f("serviceAccountTokenAudience"), "required")
	}
	if t.RequireServiceAccount == nil {
		add(f("requireServiceAccount"), "required")
	}
	if apiVersion != pluginAPIv1 {
		add(path, "only for providers of %s", pluginAPIv1)
	}
	if t.RequireServiceAccount != nil && !*t.RequireServiceAccount && len(t.RequiredServiceAccountAnnotationKeys) > 0 {
		add(f("requiredServiceAccountAnnotationKeys"), "needs requireServiceAccount: true")
	}
	for _, list := range []struct {
		name string
		keys []string
	}{{"requiredServiceAccountAnnotationKeys", t.RequiredServiceAccountAnnotationKeys}, {"optionalServiceAccountAnnotationKeys", t.OptionalServiceAccountAnnotationKeys}} {
		seen := map[string]bool{}
		for _, k := range list.keys {
			if !isQualifiedName(strings.ToLower(k)) {
				add(f(list.name), "%q is not an annotation key", k)
			}
			if seen[k] {
				add(f(list.name), "%q is given twice", k)
			}
			seen[k] = true
		}
	}
	var both []string
	for _, k := range t.RequiredServiceAccountAnnotationKeys {
		if slices.Contains(t.OptionalServiceAccountAnnotationKeys, k) && !slices.Contains(both, k) {
			both = append(both, k)
		}
	}
	if len(both) > 0 {
		sort.Strings(both)
		add(path, "annotation keys %q are both required and optional", both)
	}
	switch t.CacheType {
	case "":
		add(f("cacheType"), "required: ServiceAccount or Token")
	case "ServiceAccount", "Token":
	default:
		add(f("cacheType"), "%q is not ServiceAccount or Token", t.CacheType)
	}
	return out
}

// For returns the providers the kubelet runs for an image repository (as the kubelet
// normalizes it: docker.io/library/nginx), in order: those with a matchImages pattern that
// matches. match is the kubelet's URL glob match (pattern, repository).
func (c ProviderConfig) For(repo string, match func(pattern, repo string) bool) []Provider {
	var out []Provider
	for _, p := range c.Providers {
		for _, m := range p.MatchImages {
			if match(m, repo) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// MissingAnnotations returns the required ServiceAccount annotation keys a ServiceAccount
// lacks, in the provider's order: with any missing, the kubelet does not run the plugin for
// the pod, and the image gets no credential from it.
func (p Provider) MissingAnnotations(annotations map[string]string) []string {
	if p.TokenAttributes == nil {
		return nil
	}
	var out []string
	for _, k := range p.TokenAttributes.RequiredServiceAccountAnnotationKeys {
		if _, ok := annotations[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}
