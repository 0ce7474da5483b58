package pullcheck

import (
	"slices"
	"strconv"
	"strings"
)

// Severity of a finding.
type Severity string

// Severities, from the most to the least severe.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// rank orders severities, the most severe highest.
func (s Severity) rank() int {
	switch s {
	case SeverityError:
		return 2
	case SeverityWarning:
		return 1
	default:
		return 0
	}
}

// Finding is what the check says about one container image, or about one object's field
// when it is not tied to an image (a missing Secret, an unknown ServiceAccount). Findings of
// the same pod may share their PullSecrets and Credentials slices: treat them as read-only.
type Finding struct {
	// File is the file (or kustomization directory, or "-") the object comes from.
	File string `json:"file"`
	// Kind, Namespace and Name identify the object.
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Container and Image are set for image findings.
	Container string `json:"container,omitempty"`
	Image     string `json:"image,omitempty"`
	// Field is the field path, e.g. spec.template.spec.containers[1].image.
	Field string `json:"field"`
	// Line is the field's line in File, 0 when unknown.
	Line int `json:"line"`
	// PullSecrets are the names of the pod's pull secrets, in order.
	PullSecrets []string `json:"pullSecrets"`
	// Credentials are the credentials the kubelet tries for the image, in its order.
	Credentials []Credential `json:"credentials"`
	// Severity is error, warning or info.
	Severity Severity `json:"severity"`
	// Rule is the identifier of the rule (RuleMissingCredential…).
	Rule string `json:"rule"`
	// Message says what happens, naming Secrets and registry keys, never credentials.
	Message string `json:"message"`
	// ExpiresAt is when the credentials the finding is about expire (RFC 3339, UTC): those
	// of the Secret, or the soonest of those the kubelet tries for the image; empty when
	// unknown.
	ExpiresAt string `json:"expiresAt,omitempty"`
	// Online is set on the findings of `pullgen check --online` (rules online-*): what the
	// registry said of the image.
	Online *OnlineCheck `json:"online,omitempty"`
}

// IsImage reports whether the finding is about a container image.
func (f *Finding) IsImage() bool { return f.Container != "" }

// objectName is namespace/name, or the name of a cluster-scoped object.
func (f *Finding) objectName() string {
	if f.Namespace == "" {
		return f.Name
	}
	return f.Namespace + "/" + f.Name
}

// Rule identifiers.
const (
	RuleMissingCredential     = "missing-credential"
	RuleAuthenticatedPull     = "authenticated-pull"
	RuleAnonymousPull         = "anonymous-pull"
	RuleInvalidImage          = "invalid-image"
	RuleMissingSecret         = "missing-secret"
	RuleInvalidSecret         = "invalid-secret"
	RuleUnknownSecretKeys     = "unknown-secret-keys"
	RuleUnknownServiceAccount = "unknown-service-account"
	RuleMissingImagePuller    = "missing-image-puller"
	RuleInternalSecretLost    = "internal-registry-secret-lost"
	RuleInternalRegistryPull  = "internal-registry-pull"
	// Mirrors, node credentials and credential providers.
	RuleNoPullSource              = "no-pull-source"
	RuleInvalidMirrorSet          = "invalid-mirror-set"
	RuleProviderAnnotationMissing = "provider-annotation-missing"
	RuleMirrorCredentialMissing   = "mirror-credential-missing"
	RuleMirrorSecretUnused        = "mirror-secret-unused"
	RuleMirrorPull                = "mirror-pull"
)

// RuleInfo describes a rule, for SARIF and documentation.
type RuleInfo struct {
	ID          string
	Severity    Severity
	Description string
}

// Rules lists every rule of the check.
var Rules = []RuleInfo{
	{RuleMissingCredential, SeverityError, "An image from a private registry (declared by a PullAccess or --private) gets no credential from the pod's pull secrets."},
	{RuleInvalidSecret, SeverityError, "A pull secret of the pod cannot be parsed by the kubelet (invalid JSON, auth not base64 of user:password), so every pull of the pod fails."},
	{RuleMissingSecret, SeverityError, "A pull secret named by the pod or its ServiceAccount is not in the namespace."},
	{RuleMissingImagePuller, SeverityError, "An image of the OpenShift internal registry in another namespace, with no system:image-puller binding there for the pod's ServiceAccount."},
	{RuleInternalSecretLost, SeverityError, "The pod's own imagePullSecrets replace its ServiceAccount's, so it loses the internal-registry <sa>-dockercfg-* secret, and none of its secrets matches the internal registry."},
	{RuleInvalidImage, SeverityError, "The image name cannot be parsed (InvalidImageName)."},
	{RuleCredentialExpired, SeverityError, "The credentials of a pull secret have expired (its pullgen.dev/expires-at annotation is past): pulls with them fail."},
	{RuleNoPullSource, SeverityError, "An image that image mirror sets send to mirrors, and whose every pull source fails: each mirror without a credential from the node's own (the global pull secret) that its private registry needs, and the image itself blocked (NeverContactSource) or without a credential."},
	{RuleInvalidMirrorSet, SeverityError, "An ImageDigestMirrorSet, ImageTagMirrorSet, ImageContentSourcePolicy or image configuration that the API server refuses, or that keeps the Machine Config Operator from writing the nodes' registries.conf."},
	{RuleProviderAnnotationMissing, SeverityError, "A kubelet credential provider that serves the image with the pod's ServiceAccount token, but the ServiceAccount lacks an annotation the provider requires: the kubelet does not run it for the pod."},
	{RuleUnknownServiceAccount, SeverityWarning, "The pod's ServiceAccount is not in the input, so its pull secrets are unknown."},
	unusedLinkRule,
	{RuleCredentialExpiring, SeverityWarning, "The credentials of a pull secret expire within the --expiring-within window."},
	{RuleSealingCertificateExpired, SeverityWarning, "A SealedSecret was sealed with a controller certificate that has expired (its pullgen.dev/sealing-certificate-expires-at annotation is past): the controller still opens it, but pullgen generate no longer seals with that certificate."},
	{RuleSealingCertificateExpiring, SeverityWarning, "A SealedSecret was sealed with a controller certificate that expires within the --expiring-within window."},
	{RuleSelectedNamespaceGone, SeverityWarning, "A Secret that a namespaceSelector put in a namespace, which is no longer among the Namespaces and Projects of the input."},
	{RuleNamespaceNotCovered, SeverityWarning, "A namespace whose workloads pull from a registry that PullAccesses declare, none of which covers the namespace."},
	{RuleUnknownSecretKeys, SeverityWarning, "A pull secret is encrypted (SOPS) or sealed (a SealedSecret) and carries no pullgen.dev/registries annotation, so its registry keys are unknown."},
	{RuleMirrorCredentialMissing, SeverityWarning, "A mirror of a private registry gets no credential: the container runtime sends a mirror on another host than the image's only the node's own credentials (the global pull secret), which have none for it."},
	{RuleMirrorSecretUnused, SeverityWarning, "A pull secret of the pod, or a registry key that a PullAccess writes into namespace Secrets, is for a mirror on another host than the image's: the container runtime never sends it there."},
	{RuleAuthenticatedPull, SeverityInfo, "The kubelet pulls the image with the listed credentials, in that order: the pod's pull secrets, then the node's own (its config.json, then its credential providers)."},
	{RuleMirrorPull, SeverityInfo, "Image mirror sets send the image to mirrors: the pull sources the container runtime tries, in order, each with the credential it sends."},
	{RuleAnonymousPull, SeverityInfo, "No pull secret matches the image and its registry is not declared private: an anonymous pull."},
	{RuleInternalRegistryPull, SeverityInfo, "An image of the OpenShift internal registry that the pod may pull."},
}

// Summary counts findings.
type Summary struct {
	Images   int `json:"images"`
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

// Summarize counts findings by severity and the image findings (an image verified online
// counts once).
func Summarize(findings []Finding) Summary {
	var s Summary
	for i := range findings {
		if findings[i].IsImage() && findings[i].Online == nil {
			s.Images++
		}
		switch findings[i].Severity {
		case SeverityError:
			s.Errors++
		case SeverityWarning:
			s.Warnings++
		default:
			s.Infos++
		}
	}
	return s
}

// HasErrors reports whether any finding is an error.
func HasErrors(findings []Finding) bool {
	for i := range findings {
		if findings[i].Severity == SeverityError {
			return true
		}
	}
	return false
}

// SortFindings orders findings by file, kind, namespace, name and field (indexes compared
// as numbers), then rule and message, a total deterministic order; equal findings keep
// their order. It sorts indexes and moves each finding once.
func SortFindings(findings []Finding) {
	sorted := true
	for i := 1; i < len(findings) && sorted; i++ {
		sorted = compareFindings(&findings[i-1], &findings[i]) <= 0
	}
	if sorted {
		return
	}
	order := make([]int32, len(findings))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(i, j int32) int { return compareFindings(&findings[i], &findings[j]) })
	// Put each finding in place, following the cycles of the permutation.
	for start := range order {
		if order[start] < 0 || int(order[start]) == start {
			continue
		}
		first := findings[start]
		k := start
		for {
			from := int(order[k])
			order[k] = -1
			if from == start {
				findings[k] = first
				break
			}
			findings[k] = findings[from]
			k = from
		}
	}
}

// compareFindings is the order of SortFindings.
func compareFindings(a, b *Finding) int {
	if c := strings.Compare(a.File, b.File); c != 0 {
		return c
	}
	if c := strings.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
		return c
	}
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if a.Field != b.Field {
		if naturalLess(a.Field, b.Field) {
			return -1
		}
		if naturalLess(b.Field, a.Field) {
			return 1
		}
	}
	if c := strings.Compare(a.Rule, b.Rule); c != 0 {
		return c
	}
	return strings.Compare(a.Message, b.Message)
}

// naturalLess compares strings with runs of digits compared as numbers, so that
// containers[2] comes before containers[10].
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, _ := strconv.ParseUint(a[:da], 10, 64)
			nb, _ := strconv.ParseUint(b[:db], 10, 64)
			if na != nb {
				return na < nb
			}
			if da != db {
				return da < db
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

// digitRun returns the length of the leading run of ASCII digits.
func digitRun(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
