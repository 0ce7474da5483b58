// Package manifest is the contract of the objects pullgen generates: the labels and
// annotations that mark them (AnnotationRegistries, AnnotationExpiresAt, ...), the names
// of the files and kustomizations generate writes, Docker Hub's names, the stand-in of a
// value render keeps out of its build; and the builders of the objects themselves (image
// pull Secrets, ServiceAccounts, system:image-puller RoleBindings), with where pod-bearing
// kinds keep their pod spec. The function writes what this package names, and the check,
// diff, render and the command line read it from here: a name of the contract is defined
// here and nowhere else.
//
// Objects are built as YAML nodes directly, fields in kubectl's order and maps sorted, so
// that their bytes are stable and building thousands stays cheap. The package reads no
// file, holds no credential beyond the payload it is given to wrap, and must not depend
// on any surface of pullgen (function, render, check, command line).
package manifest

import (
	"encoding/base64"
	"sort"
	"strings"

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
	// AnnotationExpiresAt is when the credentials of a generated Secret expire (RFC 3339,
	// UTC): the soonest expiry of its registries. The check warns of it.
	AnnotationExpiresAt = "pullgen.dev/expires-at"
	// AnnotationSealingCertificateExpiresAt is on each SealedSecret (not on the Secret it
	// opens into): when the controller certificate it was sealed with expires (RFC 3339,
	// UTC). pullgen refuses to seal with an expired certificate, so rotating a credential
	// then needs the controller's current one; the check warns of it.
	AnnotationSealingCertificateExpiresAt = "pullgen.dev/sealing-certificate-expires-at"
	// AnnotationNamespaceSelector marks a Secret put in its namespace because
	// spec.namespaceSelector chose it (spec.namespaces does not list it); its value is the
	// selector in kubectl's -l syntax.
	AnnotationNamespaceSelector = "pullgen.dev/namespace-selector"
	// AnnotationPrefix starts every annotation of pullgen's own.
	AnnotationPrefix = "pullgen.dev/"
	// AnnotationSyncWave orders Argo CD's sync: generated Secrets and ServiceAccounts are
	// applied, and healthy, before the workloads of wave 0.
	AnnotationSyncWave = "argocd.argoproj.io/sync-wave"
)

// Image puller role and the OpenShift global pull secret.
const (
	ImagePullerRole          = "system:image-puller"
	RBACGroup                = "rbac.authorization.k8s.io"
	GlobalPullSecretName     = "pull-secret"
	GlobalPullSecretNS       = "openshift-config"
	serviceAccountsGroupPref = "system:serviceaccounts:"
)

// The pull secrets of a hosted control plane (HyperShift), in the hosted cluster's
// HostedPullSecretNS: the additional pull secret that spec.globalPullSecret.target hosted
// writes, the copy of the original pull secret (HostedCluster spec.pullSecret) and the
// merge of the two that HyperShift writes to the nodes.
const (
	HostedPullSecretNS         = "kube-system"
	AdditionalPullSecretName   = "additional-pull-secret"
	OriginalPullSecretName     = "original-pull-secret"
	HostedGlobalPullSecretName = "global-pull-secret"
)

// Owner says which PullAccess generates an object and what it adds to its metadata.
type Owner struct {
	// Name of the PullAccess.
	Name string
	// Labels and Annotations of Secrets only: spec.secret's, and pullgen's own that depend
	// on the run (when the credentials expire, the namespace selector).
	Labels, Annotations map[string]string
	// SyncWave is the Argo CD sync wave of Secrets and ServiceAccounts; "" for none.
	SyncWave string
}

// meta builds the metadata of a generated object: the given labels and annotations plus
// pullgen's own.
func (o Owner) meta(name, ns string, labels, annotations map[string]string) *yaml.Node {
	l := map[string]string{LabelManagedBy: ManagedBy}
	for k, v := range labels {
		l[k] = v
	}
	a := map[string]string{AnnotationPullAccess: o.Name}
	for k, v := range annotations {
		a[k] = v
	}
	m := mapping("name", str(name))
	if ns != "" {
		m.Content = append(m.Content, str("namespace"), str(ns))
	}
	m.Content = append(m.Content, str("labels"), strMap(l), str("annotations"), strMap(a))
	return m
}

// object starts an object with its apiVersion, kind and metadata.
func object(apiVersion, kind string, meta *yaml.Node, rest ...any) *yaml.RNode {
	return yaml.NewRNode(mapping(append([]any{"apiVersion", str(apiVersion), "kind", str(kind), "metadata", meta}, rest...)...))
}

// Secret builds an image pull Secret of type typ in ns whose data key dataKey holds
// payload; registries are its auths keys, written to AnnotationRegistries.
func (o Owner) Secret(name, ns, typ, dataKey string, payload []byte, registries []string) *yaml.RNode {
	keys := append([]string(nil), registries...)
	sort.Strings(keys)
	ann := map[string]string{AnnotationRegistries: strings.Join(keys, ",")}
	if o.SyncWave != "" {
		ann[AnnotationSyncWave] = o.SyncWave
	}
	for k, v := range o.Annotations {
		ann[k] = v
	}
	return object("v1", "Secret", o.meta(name, ns, o.Labels, ann),
		"type", str(typ),
		"data", mapping(dataKey, str(base64.StdEncoding.EncodeToString(payload))))
}

// ServiceAccount builds a ServiceAccount that carries just the given pull secrets, all of
// them linked by this PullAccess (AnnotationLinks).
func (o Owner) ServiceAccount(name, ns string, secrets ...string) *yaml.RNode {
	list := &yaml.Node{Kind: yaml.SequenceNode}
	for _, s := range secrets {
		list.Content = append(list.Content, mapping("name", str(s)))
	}
	ann := map[string]string{AnnotationLinks: Links{o.Name: secrets}.String()}
	if o.SyncWave != "" {
		ann[AnnotationSyncWave] = o.SyncWave
	}
	return object("v1", "ServiceAccount", o.meta(name, ns, nil, ann), "imagePullSecrets", list)
}

// Subject is a RoleBinding subject.
type Subject struct {
	Kind      string
	APIGroup  string
	Name      string
	Namespace string
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

func (s Subject) node() *yaml.Node {
	n := mapping("kind", str(s.Kind))
	if s.APIGroup != "" {
		n.Content = append(n.Content, str("apiGroup"), str(s.APIGroup))
	}
	n.Content = append(n.Content, str("name"), str(s.Name))
	if s.Namespace != "" {
		n.Content = append(n.Content, str("namespace"), str(s.Namespace))
	}
	return n
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
	list := &yaml.Node{Kind: yaml.SequenceNode}
	for _, s := range subs {
		list.Content = append(list.Content, s.node())
	}
	return object(RBACGroup+"/v1", "RoleBinding", o.meta(ImagePullerBindingName(o.Name), ns, nil, nil),
		"roleRef", mapping("apiGroup", str(RBACGroup), "kind", str("ClusterRole"), "name", str(ImagePullerRole)),
		"subjects", list)
}

// str is a string scalar; the encoder quotes it where YAML would read it as another type.
func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: s}
}

// mapping builds a mapping from alternating keys (strings) and values (nodes).
func mapping(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Content: make([]*yaml.Node, 0, len(kv))}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Content = append(m.Content, str(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return m
}

// strMap builds a mapping of strings with sorted keys.
func strMap(m map[string]string) *yaml.Node {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := &yaml.Node{Kind: yaml.MappingNode, Content: make([]*yaml.Node, 0, 2*len(m))}
	for _, k := range keys {
		n.Content = append(n.Content, str(k), str(m[k]))
	}
	return n
}

// KustomizationFile is the kustomization generate writes beside the objects.
const KustomizationFile = "kustomization.yaml"

// KustomizationFileNames are the names that make a directory a kustomization, in the
// order kustomize looks for them.
func KustomizationFileNames() []string {
	return []string{KustomizationFile, "kustomization.yml", "Kustomization"}
}

// FileName is the file an object is written to by generate:
// <kind>-<namespace>-<name>.yaml in lower case.
func FileName(o *yaml.RNode) string {
	parts := []string{o.GetKind()}
	if ns := o.GetNamespace(); ns != "" {
		parts = append(parts, ns)
	}
	parts = append(parts, o.GetName())
	return strings.NewReplacer(":", "-", "/", "-").Replace(strings.ToLower(strings.Join(parts, "-"))) + ".yaml"
}

// IsGeneratedBy tells whether an object is output of the named PullAccess.
func IsGeneratedBy(o *yaml.RNode, pullAccess string) bool {
	return o.GetAnnotations()[AnnotationPullAccess] == pullAccess && o.GetLabels()[LabelManagedBy] == ManagedBy
}
