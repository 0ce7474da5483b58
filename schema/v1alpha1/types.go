// Package v1alpha1 holds the PullAccess API (apiVersion pullgen.dev/v1alpha1): the Go types
// that are the single source of truth for the resource, its defaults and its JSON Schema.
// Processing lives elsewhere (package fn and internal/...); this package only describes.
package v1alpha1

import (
	"encoding/json"
	"fmt"
)

// Group, Version and Kind of the resource.
const (
	Group      = "pullgen.dev"
	Version    = "v1alpha1"
	APIVersion = Group + "/" + Version
	Kind       = "PullAccess"
)

// Secret types a PullAccess may produce.
const (
	SecretTypeDockerConfigJSON = "kubernetes.io/dockerconfigjson"
	SecretTypeDockercfg        = "kubernetes.io/dockercfg"
)

// Check modes of spec.check.
const (
	CheckError = "error"
	CheckWarn  = "warn"
	CheckOff   = "off"
)

// Conflict policies of spec.globalPullSecret.onConflict.
const (
	ConflictError   = "error"
	ConflictReplace = "replace"
	ConflictKeep    = "keep"
)

// Targets of spec.globalPullSecret.target.
const (
	TargetCluster = "cluster"
	TargetHosted  = "hosted"
)

// Platforms of spec.globalPullSecret.platform.
const (
	PlatformARO = "aro"
)

// DefaultEncryptedRegex is the SOPS selector used when spec.sops.encryptedRegex is empty.
// It matches the Secret's data and stringData and never metadata.
const DefaultEncryptedRegex = "^(data|stringData)$"

// PullAccess declares which namespaces and ServiceAccounts may pull from which registries.
type PullAccess struct {
	APIVersion string     `json:"apiVersion" jsonschema:"enum=pullgen.dev/v1alpha1"`
	Kind       string     `json:"kind" jsonschema:"enum=PullAccess"`
	Metadata   ObjectMeta `json:"metadata"`
	Spec       Spec       `json:"spec"`
}

// ObjectMeta is the part of Kubernetes object metadata that a PullAccess uses.
type ObjectMeta struct {
	// Name is the default name of the generated Secret.
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Spec is the desired pull access.
type Spec struct {
	// Secret shapes the generated image pull Secret.
	Secret SecretSpec `json:"secret,omitempty"`
	// Namespaces each get the Secret, the ServiceAccount links and the workload edits.
	Namespaces []string `json:"namespaces,omitempty"`
	// NamespaceSelector adds the Namespace and OpenShift Project objects of the input whose
	// labels match (Kubernetes label selector semantics: {} selects every one). It needs
	// the input: a kustomize or kpt transformer, render, or generate and diff, which read
	// the YAML files under the spec's directory.
	NamespaceSelector *LabelSelector `json:"namespaceSelector,omitempty"`
	// ExcludeNamespaces are globs (kube-*, openshift-*) of namespaces never targeted,
	// selected or listed.
	ExcludeNamespaces []string `json:"excludeNamespaces,omitempty"`
	// Registries are the credentials written into the Secret.
	Registries []Registry `json:"registries,omitempty"`
	// ServiceAccounts get the Secret linked for pull in every namespace: a name, or an
	// object with the entries to keep.
	ServiceAccounts []ServiceAccountLink `json:"serviceAccounts,omitempty"`
	// SyncWave is the argocd.argoproj.io/sync-wave annotation of the generated Secrets and
	// ServiceAccounts, an integer; default "-1", so that Argo CD applies them, and waits for
	// them to be healthy, before the workloads. "" sets none.
	SyncWave *string `json:"syncWave,omitempty"`
	// Workloads selects the pod-bearing objects of the input that get the Secret.
	Workloads *WorkloadSelector `json:"workloads,omitempty"`
	// ImagePullers grant system:image-puller for cross-namespace pulls from the
	// OpenShift internal registry.
	ImagePullers []ImagePuller `json:"imagePullers,omitempty"`
	// GlobalPullSecret produces the cluster-wide pull secret: openshift-config/pull-secret,
	// or kube-system/additional-pull-secret on a hosted control plane.
	GlobalPullSecret *GlobalPullSecret `json:"globalPullSecret,omitempty"`
	// Output controls encryption and the output directory.
	Output Output `json:"output,omitempty"`
	// SOPS sets the encryption keys; without it the nearest .sops.yaml applies.
	SOPS *SOPS `json:"sops,omitempty"`
	// Check runs the pull check over the result: error, warn (default) or off.
	Check string `json:"check,omitempty" jsonschema:"enum=error,enum=warn,enum=off"`
}

// SecretSpec shapes the generated Secret.
type SecretSpec struct {
	// Name of the Secret; default metadata.name.
	Name string `json:"name,omitempty"`
	// Type is kubernetes.io/dockerconfigjson (default) or kubernetes.io/dockercfg.
	Type        string            `json:"type,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Registry is one credential. Either Server with a username and password, or FromConfig.
type Registry struct {
	// Server is the auths key: host[:port][/path]; host labels may glob.
	Server string `json:"server,omitempty"`
	// Aliases are more auths keys that carry the same credential.
	Aliases []string `json:"aliases,omitempty"`
	// AuthServer is the host of a delegated authentication service; the credential is
	// written for it too.
	AuthServer   string  `json:"authServer,omitempty"`
	Username     string  `json:"username,omitempty"`
	UsernameFrom *Source `json:"usernameFrom,omitempty"`
	PasswordFrom *Source `json:"passwordFrom,omitempty"`
	Email        string  `json:"email,omitempty"`
	// ExpiresAt is when the credential expires (RFC 3339). It is written, the soonest of a
	// Secret's registries, to the Secret's pullgen.dev/expires-at annotation.
	ExpiresAt string `json:"expiresAt,omitempty" jsonschema:"format=date-time"`
	// ExpiresAtFrom reads the expiry from a source, such as the token file that carries it
	// (key: expires_at): RFC 3339, a date (YYYY-MM-DD, midnight UTC) or Unix seconds.
	ExpiresAtFrom *Source `json:"expiresAtFrom,omitempty"`
	// FromConfig imports the entries of a docker config.json or a podman auth.json.
	FromConfig *FromConfig `json:"fromConfig,omitempty"`
	// Mirror says that the registry is a mirror, one that OpenShift's image mirror sets
	// (ImageDigestMirrorSet, ImageTagMirrorSet, ImageContentSourcePolicy) send pulls to.
	// The container runtime authenticates a pull from a mirror on another host than the
	// image's with the node's credentials only, never with the pod's pull secrets, so the
	// credential is written to the global pull secret (spec.globalPullSecret, required) and
	// not to the namespace Secrets.
	Mirror bool `json:"mirror,omitempty"`
}

// Source is where a credential value comes from: exactly one of Env or File.
type Source struct {
	// Env names an environment variable.
	Env string `json:"env,omitempty"`
	// File is a path relative to the spec's directory, plain or SOPS-encrypted.
	File string `json:"file,omitempty"`
	// Key selects a value inside a structured file (a.b.c).
	Key string `json:"key,omitempty"`
}

// FromConfig imports credentials from a docker config.json or podman auth.json.
type FromConfig struct {
	// File is the config file, relative to the spec's directory.
	File string `json:"file"`
	// Registries filters the entries; default every entry.
	Registries []string `json:"registries,omitempty"`
	// CredentialHelpers resolves credsStore and credHelpers by running
	// docker-credential-<name> get. Default false.
	CredentialHelpers bool `json:"credentialHelpers,omitempty"`
}

// ServiceAccountLink is a ServiceAccount that gets the Secret linked for pull
// (oc secrets link NAME SECRET --for=pull). It may be written as its name alone.
type ServiceAccountLink struct {
	// Name of the ServiceAccount.
	Name string `json:"name"`
	// Keep are pull secrets the ServiceAccount already lists in the cluster (links made by
	// hand or by another tool) and must keep: imagePullSecrets is replaced whole on every
	// apply, so they are written into the list, before the Secret.
	Keep []string `json:"keep,omitempty"`

	// byName is set when the link was written as its name alone.
	byName bool
}

// Shorthand is implemented by the API types that may also be written as one string, the
// value of the field it names; the JSON Schema allows either form.
type Shorthand interface {
	ShorthandField() string
}

// ShorthandField says that a ServiceAccountLink may be written as its name.
func (ServiceAccountLink) ShorthandField() string { return "name" }

// NameField is the path of the link's name below the link's own path: "" when it was
// written as its name alone, ".name" when written as an object.
func (l ServiceAccountLink) NameField() string {
	if l.byName {
		return ""
	}
	return ".name"
}

// UnmarshalJSON reads a ServiceAccountLink from its name or from an object.
func (l *ServiceAccountLink) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil // as encoding/json leaves a value it reads null into
	}
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		*l = ServiceAccountLink{Name: name, byName: true}
		return nil
	}
	type object ServiceAccountLink // without this method
	var o object
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("a ServiceAccount link is a name or {name, keep}: %w", err)
	}
	*l = ServiceAccountLink(o)
	return nil
}

// WorkloadSelector picks the workloads of the input that get the Secret.
type WorkloadSelector struct {
	// Kinds restricts the kinds; default every pod-bearing kind.
	Kinds []string `json:"kinds,omitempty"`
	// Names restricts the names.
	Names []string `json:"names,omitempty"`
	// LabelSelector restricts by the workload's labels.
	LabelSelector *LabelSelector `json:"labelSelector,omitempty"`
}

// LabelSelector is the Kubernetes label selector.
type LabelSelector struct {
	MatchLabels      map[string]string          `json:"matchLabels,omitempty"`
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorRequirement is one expression of a LabelSelector.
type LabelSelectorRequirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator" jsonschema:"enum=In,enum=NotIn,enum=Exists,enum=DoesNotExist"`
	Values   []string `json:"values,omitempty"`
}

// ImagePuller grants system:image-puller in Namespace.
type ImagePuller struct {
	// Namespace is where the image streams live.
	Namespace string `json:"namespace"`
	// ServiceAccounts are bound one by one (oc policy add-role-to-user).
	ServiceAccounts []ServiceAccountRef `json:"serviceAccounts,omitempty"`
	// Namespaces bind every ServiceAccount of each namespace
	// (group system:serviceaccounts:<ns>, oc policy add-role-to-group).
	Namespaces []string `json:"namespaces,omitempty"`
}

// ServiceAccountRef names a ServiceAccount.
type ServiceAccountRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// GlobalPullSecret is the OpenShift cluster-wide pull secret: the nodes' own credentials.
type GlobalPullSecret struct {
	// Base is the cluster's current .dockerconfigjson (required for target cluster); for
	// target hosted, the hosted cluster's original pull secret (HostedCluster
	// spec.pullSecret), optional, against which the spec's keys are checked.
	Base Source `json:"base,omitempty"`
	// OnConflict decides when a key is in base and in spec: error (default), replace, keep.
	// Target cluster only: on a hosted cluster the original entry always wins.
	OnConflict string `json:"onConflict,omitempty" jsonschema:"enum=error,enum=replace,enum=keep"`
	// Target is where it goes: cluster (default) writes openshift-config/pull-secret, the
	// base with the spec's registries merged in; hosted writes
	// kube-system/additional-pull-secret for a hosted control plane (HyperShift, ROSA HCP,
	// ARO HCP), whose openshift-config/pull-secret is reconciled from the management
	// cluster: the spec's registries alone, which the hosted cluster merges into its
	// original pull secret on the nodes, the original's entries winning a conflict.
	Target string `json:"target,omitempty" jsonschema:"enum=cluster,enum=hosted"`
	// Platform names a managed OpenShift with rules of its own: aro (Azure Red Hat
	// OpenShift) needs the base's arosvc.azurecr.io entry kept as it is, and adding
	// cloud.openshift.com turns its telemetry on.
	Platform string `json:"platform,omitempty" jsonschema:"enum=aro"`
}

// TargetValue is Target with its default.
func (g *GlobalPullSecret) TargetValue() string {
	if g.Target == "" {
		return TargetCluster
	}
	return g.Target
}

// HasBase tells whether a base is given.
func (g *GlobalPullSecret) HasBase() bool { return g.Base != (Source{}) }

// Output controls encryption and where generate writes.
type Output struct {
	// Encrypt SOPS-encrypts the Secrets' data. Default true.
	Encrypt *bool `json:"encrypt,omitempty"`
	// Dir is where generate writes without -o, relative to the spec.
	Dir string `json:"dir,omitempty"`
	// Sealed emits Bitnami SealedSecrets (bitnami.com/v1alpha1) instead of SOPS-encrypted
	// Secrets: sealed with the public certificate of a sealed-secrets controller, opened
	// only by that controller in the destination cluster.
	Sealed *SealedOutput `json:"sealed,omitempty"`
}

// Scopes of spec.output.sealed.scope, as sealed-secrets names them.
const (
	SealedScopeStrict        = "strict"
	SealedScopeNamespaceWide = "namespace-wide"
	SealedScopeClusterWide   = "cluster-wide"
)

// DefaultSealingSeedFile and DefaultSealingSeedKey are the sealing seed's source when
// spec.output.sealed.seed is not set: a SOPS-encrypted dotenv file beside the spec, which
// generate creates on first use (not YAML, which kpt would read as a resource).
const (
	DefaultSealingSeedFile = "sealing-seed.enc.env"
	DefaultSealingSeedKey  = "PULLGEN_SEALING_SEED"
)

// SealedOutput says how Secrets are sealed.
type SealedOutput struct {
	// Certificate is the controller's public certificate (PEM, what kubeseal --fetch-cert
	// prints): a file committed beside the spec, or an environment variable.
	Certificate Source `json:"certificate"`
	// Scope binds each SealedSecret to where the controller may open it: strict (default:
	// its namespace and name), namespace-wide (any name in its namespace) or cluster-wide.
	Scope string `json:"scope,omitempty" jsonschema:"enum=strict,enum=namespace-wide,enum=cluster-wide"`
	// Seed is the secret that keeps sealing byte-stable while the credentials do not
	// change; guard it like the credentials. Default: PULLGEN_SEALING_SEED of
	// sealing-seed.enc.env beside the spec, SOPS-encrypted, which generate creates on
	// first use (as it creates any file: seed that does not exist yet).
	Seed *Source `json:"seed,omitempty"`
}

// SOPS lists the recipients and options of the encryption.
type SOPS struct {
	Age              []string `json:"age,omitempty"`
	PGP              []string `json:"pgp,omitempty"`
	AWSKMS           []string `json:"awsKms,omitempty"`
	GCPKMS           []string `json:"gcpKms,omitempty"`
	AzureKeyVault    []string `json:"azureKeyVault,omitempty"`
	HCVaultTransit   []string `json:"hcVaultTransit,omitempty"`
	EncryptedRegex   string   `json:"encryptedRegex,omitempty"`
	MACOnlyEncrypted bool     `json:"macOnlyEncrypted,omitempty"`
}

// SecretName is the name of the generated Secret.
func (p *PullAccess) SecretName() string {
	if p.Spec.Secret.Name != "" {
		return p.Spec.Secret.Name
	}
	return p.Metadata.Name
}

// SecretType is the type of the generated Secret.
func (p *PullAccess) SecretType() string {
	if p.Spec.Secret.Type != "" {
		return p.Spec.Secret.Type
	}
	return SecretTypeDockerConfigJSON
}

// Encrypt tells whether Secrets are to be SOPS-encrypted.
func (p *PullAccess) Encrypt() bool {
	return p.Spec.Output.Sealed == nil && (p.Spec.Output.Encrypt == nil || *p.Spec.Output.Encrypt)
}

// SealingSeed is the source of the sealing seed of sealed output, with its default; nil
// when the output is not sealed.
func (p *PullAccess) SealingSeed() *Source {
	switch {
	case p.Spec.Output.Sealed == nil:
		return nil
	case p.Spec.Output.Sealed.Seed != nil:
		return p.Spec.Output.Sealed.Seed
	}
	return &Source{File: DefaultSealingSeedFile, Key: DefaultSealingSeedKey}
}

// DefaultSyncWave is the sync wave of generated Secrets and ServiceAccounts when
// spec.syncWave is not set.
const DefaultSyncWave = "-1"

// SyncWaveValue is spec.syncWave with its default; "" means no annotation.
func (p *PullAccess) SyncWaveValue() string {
	if p.Spec.SyncWave == nil {
		return DefaultSyncWave
	}
	return *p.Spec.SyncWave
}

// CheckMode is spec.check with its default.
func (p *PullAccess) CheckMode() string {
	if p.Spec.Check == "" {
		return CheckWarn
	}
	return p.Spec.Check
}
