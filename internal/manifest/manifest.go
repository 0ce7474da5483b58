// Package manifest builds the Kubernetes objects pullgen generates (image pull Secrets,
// ServiceAccounts, system:image-puller RoleBindings) and knows where pod-bearing kinds keep
// their pod spec. Objects are built from ordered structs so that their bytes are stable.
package manifest

import (
	"encoding/base64"
	"fmt"
	"sort"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Labels and annotations that mark what pullgen generated.
const (
	// LabelManagedBy is set to ManagedBy on every generated object.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "pullgen"
	// AnnotationPullAccess names the PullAccess that generated an object, so that a later
	// run replaces it instead of adding a copy.
	AnnotationPullAccess = "pullgen.dev/pull-access"
	// AnnotationRegistries lists, comma-separated, the auths keys of a generated Secret:
	// keys only, never credentials, so that the pull check works on encrypted Secrets.
	AnnotationRegistries = "pullgen.dev/registries"
)

// Image puller role and the OpenShift global pull secret.
const (
	ImagePullerRole          = "system:image-puller"
	RBACGroup                = "rbac.authorization.k8s.io"
	GlobalPullSecretName     = "pull-secret"
	GlobalPullSecretNS       = "openshift-config"
	serviceAccountsGroupPref = "system:serviceaccounts:"
)

// Meta is object metadata with its fields in kubectl's order.
type Meta struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// Owner says which PullAccess generates an object and what it adds to its metadata.
type Owner struct {
	// Name of the PullAccess.
	Name string
	// Labels and Annotations from spec.secret, for Secrets only.
	Labels, Annotations map[string]string
}

// meta builds the metadata of a generated object.
func (o Owner) meta(name, ns string, labels, annotations map[string]string) Meta {
	m := Meta{Name: name, Namespace: ns, Labels: map[string]string{}, Annotations: map[string]string{}}
	for k, v := range labels {
		m.Labels[k] = v
	}
	for k, v := range annotations {
		m.Annotations[k] = v
	}
	m.Labels[LabelManagedBy] = ManagedBy
	m.Annotations[AnnotationPullAccess] = o.Name
	return m
}

type secret struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   Meta              `yaml:"metadata"`
	Type       string            `yaml:"type"`
	Data       map[string]string `yaml:"data"`
}

// Secret builds an image pull Secret of type typ in ns whose data key dataKey holds
// payload; registries are its auths keys, written to AnnotationRegistries.
func (o Owner) Secret(name, ns, typ, dataKey string, payload []byte, registries []string) *yaml.RNode {
	keys := append([]string(nil), registries...)
	sort.Strings(keys)
	ann := map[string]string{AnnotationRegistries: joinComma(keys)}
	for k, v := range o.Annotations {
		ann[k] = v
	}
	return mustNode(secret{
		APIVersion: "v1",
		Kind:       "Secret",
		Metadata:   o.meta(name, ns, o.Labels, ann),
		Type:       typ,
		Data:       map[string]string{dataKey: base64.StdEncoding.EncodeToString(payload)},
	})
}

// LocalObjectReference is an entry of imagePullSecrets.
type LocalObjectReference struct {
	Name string `yaml:"name"`
}

type serviceAccount struct {
	APIVersion       string                 `yaml:"apiVersion"`
	Kind             string                 `yaml:"kind"`
	Metadata         Meta                   `yaml:"metadata"`
	ImagePullSecrets []LocalObjectReference `yaml:"imagePullSecrets"`
}

// ServiceAccount builds a ServiceAccount that carries just the given pull secrets.
func (o Owner) ServiceAccount(name, ns string, secrets ...string) *yaml.RNode {
	sa := serviceAccount{APIVersion: "v1", Kind: "ServiceAccount", Metadata: o.meta(name, ns, nil, nil)}
	for _, s := range secrets {
		sa.ImagePullSecrets = append(sa.ImagePullSecrets, LocalObjectReference{Name: s})
	}
	return mustNode(sa)
}

// Subject is a RoleBinding subject.
type Subject struct {
	Kind      string `yaml:"kind"`
	APIGroup  string `yaml:"apiGroup,omitempty"`
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace,omitempty"`
}

// ServiceAccountSubject is the subject `oc policy add-role-to-user ROLE
// system:serviceaccount:NS:NAME` writes.
func ServiceAccountSubject(ns, name string) Subject {
	return Subject{Kind: "ServiceAccount", Name: name, Namespace: ns}
}

// NamespaceGroupSubject is the subject `oc policy add-role-to-group ROLE
// system:serviceaccounts:NS` writes: every ServiceAccount of ns.
func NamespaceGroupSubject(ns string) Subject {
	return Subject{Kind: "Group", APIGroup: RBACGroup, Name: serviceAccountsGroupPref + ns}
}

type roleRef struct {
	APIGroup string `yaml:"apiGroup"`
	Kind     string `yaml:"kind"`
	Name     string `yaml:"name"`
}

type roleBinding struct {
	APIVersion string    `yaml:"apiVersion"`
	Kind       string    `yaml:"kind"`
	Metadata   Meta      `yaml:"metadata"`
	RoleRef    roleRef   `yaml:"roleRef"`
	Subjects   []Subject `yaml:"subjects"`
}

// ImagePullerBindingName is the name of the RoleBinding a PullAccess writes in each
// image namespace: "<pullaccess>-image-puller".
func ImagePullerBindingName(pullAccess string) string {
	return pullAccess + "-image-puller"
}

// ImagePullerBinding binds system:image-puller in ns to subjects, sorted and without
// duplicates: ServiceAccounts first, then groups.
func (o Owner) ImagePullerBinding(ns string, subjects []Subject) *yaml.RNode {
	seen := map[Subject]bool{}
	var subs []Subject
	for _, s := range subjects {
		if !seen[s] {
			seen[s] = true
			subs = append(subs, s)
		}
	}
	sort.Slice(subs, func(i, j int) bool {
		a, b := subs[i], subs[j]
		if a.Kind != b.Kind {
			return a.Kind > b.Kind // ServiceAccount before Group
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return mustNode(roleBinding{
		APIVersion: RBACGroup + "/v1",
		Kind:       "RoleBinding",
		Metadata:   o.meta(ImagePullerBindingName(o.Name), ns, nil, nil),
		RoleRef:    roleRef{APIGroup: RBACGroup, Kind: "ClusterRole", Name: ImagePullerRole},
		Subjects:   subs,
	})
}

func joinComma(keys []string) string {
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += ","
		}
		out += k
	}
	return out
}

// mustNode encodes one of this package's structs as a YAML node; they always encode.
func mustNode(v any) *yaml.RNode {
	b, err := yaml.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encoding %T: %v", v, err))
	}
	return yaml.MustParse(string(b))
}
