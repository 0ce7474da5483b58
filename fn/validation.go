package fn

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/core/sealed"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

var (
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`) // at most 63
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	schemeRE     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://`)
)

// Validate checks every rule of the PullAccess API that needs no file or variable, and
// reports every failure, not the first only.
func Validate(pa *v1alpha1.PullAccess) Problems {
	var p Problems
	if pa.APIVersion != v1alpha1.APIVersion {
		p.addf("apiVersion", "must be %s", v1alpha1.APIVersion)
	}
	if pa.Kind != v1alpha1.Kind {
		p.addf("kind", "must be %s", v1alpha1.Kind)
	}
	name(&p, "metadata.name", pa.Metadata.Name, true)
	s := pa.Spec
	if s.Secret.Name != "" {
		name(&p, "spec.secret.name", s.Secret.Name, false)
	}
	switch s.Secret.Type {
	case "", v1alpha1.SecretTypeDockerConfigJSON, v1alpha1.SecretTypeDockercfg:
	case "kubernetes.io/podmanconfigjson":
		p.add("spec.secret.type", "kubernetes.io/podmanconfigjson is not a Kubernetes Secret type and the kubelet ignores it; "+
			"a podman auth.json has the docker config format, so import it with fromConfig into a kubernetes.io/dockerconfigjson Secret")
	default:
		p.addf("spec.secret.type", "must be %s or %s", v1alpha1.SecretTypeDockerConfigJSON, v1alpha1.SecretTypeDockercfg)
	}
	ownedMetadata(&p, s.Secret)
	namespaces(&p, "spec.namespaces", s.Namespaces)
	if len(s.Registries) > 0 && len(s.Namespaces) == 0 && s.NamespaceSelector == nil && s.GlobalPullSecret == nil {
		p.add("spec.namespaces", "list at least one namespace to put the image pull Secret in, or select them with spec.namespaceSelector (or merge the registries into spec.globalPullSecret)")
	}
	namespaced := slices.IndexFunc(s.Registries, func(r v1alpha1.Registry) bool { return !r.Mirror }) >= 0
	if !namespaced && (len(s.Namespaces) > 0 || s.NamespaceSelector != nil || len(s.ServiceAccounts) > 0 || s.Workloads != nil) {
		if len(s.Registries) == 0 {
			p.add("spec.registries", "list at least one registry: namespaces, serviceAccounts and workloads need a Secret to link")
		} else {
			p.add("spec.registries", "every registry is a mirror, whose credential goes to the global pull secret only: namespaces, serviceAccounts and workloads need a Secret to link")
		}
	}
	if len(s.Registries) == 0 && len(s.ImagePullers) == 0 && s.GlobalPullSecret == nil {
		p.add("spec", "nothing to generate: give registries, imagePullers or globalPullSecret")
	}
	for i, r := range s.Registries {
		registry(&p, fmt.Sprintf("spec.registries[%d]", i), r)
		if r.Mirror && s.GlobalPullSecret == nil {
			p.addf(fmt.Sprintf("spec.registries[%d].mirror", i), "a mirror's credential works only from the nodes' own credentials: configure spec.globalPullSecret")
		}
	}
	validateLinks(&p, s.ServiceAccounts, pa.SecretName())
	if s.SyncWave != nil && *s.SyncWave != "" {
		if _, err := strconv.Atoi(*s.SyncWave); err != nil {
			p.addf("spec.syncWave", "%q is not an integer: Argo CD sync waves are integers such as \"-1\" (\"\" sets none)", *s.SyncWave)
		}
	}
	if w := s.Workloads; w != nil {
		for i, k := range w.Kinds {
			if !manifest.IsPodBearing(k) {
				p.addf(fmt.Sprintf("spec.workloads.kinds[%d]", i), "%q is not a pod-bearing kind (one of %s)", k, strings.Join(manifest.PodBearingKinds(), ", "))
			}
		}
		if w.LabelSelector != nil {
			labelSelector(&p, "spec.workloads.labelSelector", w.LabelSelector)
		}
	}
	fleetAndExpiry(&p, s)
	for i, ip := range s.ImagePullers {
		f := fmt.Sprintf("spec.imagePullers[%d]", i)
		namespace(&p, f+".namespace", ip.Namespace)
		if len(ip.ServiceAccounts) == 0 && len(ip.Namespaces) == 0 {
			p.add(f, "give serviceAccounts or namespaces to bind system:image-puller to")
		}
		for j, sa := range ip.ServiceAccounts {
			namespace(&p, fmt.Sprintf("%s.serviceAccounts[%d].namespace", f, j), sa.Namespace)
			name(&p, fmt.Sprintf("%s.serviceAccounts[%d].name", f, j), sa.Name, true)
		}
		namespaces(&p, f+".namespaces", ip.Namespaces)
	}
	if g := s.GlobalPullSecret; g != nil {
		validateGlobalPullSecret(&p, g)
	}
	if s.Output.Sealed != nil {
		sealedOutput(&p, s)
	}
	switch s.Check {
	case "", v1alpha1.CheckError, v1alpha1.CheckWarn, v1alpha1.CheckOff:
	default:
		p.add("spec.check", "must be error, warn or off")
	}
	if s.SOPS != nil && s.SOPS.EncryptedRegex != "" {
		re, err := regexp.Compile(s.SOPS.EncryptedRegex)
		switch {
		case err != nil:
			p.addf("spec.sops.encryptedRegex", "is not a regular expression: %v", err)
		case re.MatchString("metadata") || re.MatchString("sops"):
			p.add("spec.sops.encryptedRegex", "must not match metadata (the Secret's name and namespace would be encrypted)")
		}
	}
	return p
}

// validateGlobalPullSecret checks spec.globalPullSecret: a base for target cluster (optional for
// hosted), and the enums.
func validateGlobalPullSecret(p *Problems, g *v1alpha1.GlobalPullSecret) {
	switch g.Target {
	case "", v1alpha1.TargetCluster:
		source(p, "spec.globalPullSecret.base", &g.Base)
	case v1alpha1.TargetHosted:
		if g.HasBase() {
			source(p, "spec.globalPullSecret.base", &g.Base)
		}
		if g.OnConflict != "" {
			p.add("spec.globalPullSecret.onConflict", "applies to target cluster only: on a hosted cluster the original pull secret's entry always wins")
		}
	default:
		p.add("spec.globalPullSecret.target", "must be cluster or hosted")
	}
	switch g.OnConflict {
	case "", v1alpha1.ConflictError, v1alpha1.ConflictReplace, v1alpha1.ConflictKeep:
	default:
		p.add("spec.globalPullSecret.onConflict", "must be error, replace or keep")
	}
	switch g.Platform {
	case "", v1alpha1.PlatformARO:
	default:
		p.add("spec.globalPullSecret.platform", "must be aro or unset")
	}
}

// validateLinks checks spec.serviceAccounts: names, keep entries, no duplicates.
func validateLinks(p *Problems, links []v1alpha1.ServiceAccountLink, secretName string) {
	seen := map[string]bool{}
	for i, sa := range links {
		f := fmt.Sprintf("spec.serviceAccounts[%d]", i)
		name(p, f+sa.NameField(), sa.Name, true)
		if seen[sa.Name] && sa.Name != "" {
			p.addf(f+sa.NameField(), "%q is listed twice", sa.Name)
		}
		seen[sa.Name] = true
		kept := map[string]bool{}
		for j, k := range sa.Keep {
			fk := fmt.Sprintf("%s.keep[%d]", f, j)
			name(p, fk, k, true)
			switch {
			case k == secretName:
				p.addf(fk, "%q is the Secret this PullAccess links: keep lists the other entries to keep", k)
			case kept[k]:
				p.addf(fk, "%q is listed twice", k)
			case manifest.IsOpenShiftDockercfg("", k):
				*p = append(*p, Problem{Severity: framework.Warning, Field: fk, Message: fmt.Sprintf(
					"%q looks like OpenShift's managed pull secret, whose name differs in every cluster and which OpenShift adds back itself: "+
						"keeping it in git is not needed, and it defeats Argo CD's ignoreDifferences recipe for these entries", k)})
			}
			kept[k] = true
		}
	}
}

// labelSelector checks the expressions of a label selector as the API server does.
func labelSelector(p *Problems, f string, ls *v1alpha1.LabelSelector) {
	for i, e := range ls.MatchExpressions {
		fi := fmt.Sprintf("%s.matchExpressions[%d]", f, i)
		switch e.Operator {
		case "In", "NotIn":
			if len(e.Values) == 0 {
				p.add(fi+".values", "In and NotIn need values")
			}
		case "Exists", "DoesNotExist":
			if len(e.Values) > 0 {
				p.add(fi+".values", "Exists and DoesNotExist take no values")
			}
		default:
			p.add(fi+".operator", "must be In, NotIn, Exists or DoesNotExist")
		}
	}
}

func registry(p *Problems, f string, r v1alpha1.Registry) {
	if r.FromConfig != nil {
		if r.Server != "" || r.Username != "" || r.UsernameFrom != nil || r.PasswordFrom != nil || r.Email != "" || len(r.Aliases) > 0 || r.AuthServer != "" {
			p.add(f, "fromConfig takes its servers and credentials from the file: give either fromConfig or server with its credential, not both")
		}
		if r.FromConfig.File == "" {
			p.add(f+".fromConfig.file", "is required")
		}
		return
	}
	if r.Server == "" {
		p.add(f+".server", "is required (or give fromConfig)")
	} else {
		registryKey(p, f+".server", r.Server)
	}
	for i, a := range r.Aliases {
		registryKey(p, fmt.Sprintf("%s.aliases[%d]", f, i), a)
	}
	if r.AuthServer != "" {
		registryKey(p, f+".authServer", r.AuthServer)
	}
	switch {
	case r.Username != "" && r.UsernameFrom != nil:
		p.add(f, "give username or usernameFrom, not both")
	case r.Username == "" && r.UsernameFrom == nil:
		p.add(f+".username", "is required (or usernameFrom)")
	}
	if r.UsernameFrom != nil {
		source(p, f+".usernameFrom", r.UsernameFrom)
	}
	if r.PasswordFrom == nil {
		p.add(f+".passwordFrom", "is required: a password or token comes from env or file")
	} else {
		source(p, f+".passwordFrom", r.PasswordFrom)
	}
}

func source(p *Problems, f string, s *v1alpha1.Source) {
	switch {
	case s.Env != "" && s.File != "":
		p.add(f, "give exactly one of env and file, not both")
	case s.Env == "" && s.File == "":
		p.add(f, "give exactly one of env and file")
	case s.Env != "" && s.Key != "":
		p.add(f+".key", "selects a value inside a file; it does not apply to env")
	}
}

func registryKey(p *Problems, f, key string) {
	if strings.ContainsAny(key, " \t\r\n") {
		p.add(f, "must not contain whitespace")
		return
	}
	if m := schemeRE.FindString(key); m != "" && m != "http://" && m != "https://" {
		p.addf(f, "scheme %q is not allowed: give host[:port][/path], optionally with http:// or https://", strings.TrimSuffix(m, "://"))
		return
	}
	host := strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	if h, _, _ := strings.Cut(host, "/"); h == "" {
		p.add(f, "must start with a host name")
	}
}

func name(p *Problems, f, v string, required bool) {
	switch {
	case v == "" && required:
		p.add(f, "is required")
	case v != "" && (len(v) > 253 || !dnsSubdomain.MatchString(v)):
		p.addf(f, "%q is not a valid name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit", v)
	}
}

func namespace(p *Problems, f, v string) {
	switch {
	case v == "":
		p.add(f, "is required")
	case !dnsLabel.MatchString(v):
		p.addf(f, "%q is not a valid namespace: a DNS label (lower-case letters, digits and '-', at most 63)", v)
	}
}

func namespaces(p *Problems, f string, list []string) {
	seen := map[string]bool{}
	for i, ns := range list {
		fi := fmt.Sprintf("%s[%d]", f, i)
		namespace(p, fi, ns)
		if seen[ns] {
			p.addf(fi, "%q is listed twice", ns)
		}
		seen[ns] = true
	}
}

// ownedMetadata refuses spec.secret labels and annotations that would overwrite those
// pullgen writes itself: a second run finds its objects by them, and spec.syncWave sets the
// sync wave.
func ownedMetadata(p *Problems, s v1alpha1.SecretSpec) {
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		if k == manifest.LabelManagedBy {
			p.addf("spec.secret.labels["+k+"]", "pullgen sets %s itself, to find what it generated on the next run", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Annotations)) {
		switch {
		case k == manifest.AnnotationSyncWave:
			p.addf("spec.secret.annotations["+k+"]", "set the sync wave with spec.syncWave (default \"-1\"; \"\" for none)")
		case strings.HasPrefix(k, v1alpha1.Group+"/"):
			p.addf("spec.secret.annotations["+k+"]", "the %s/ annotations are pullgen's own, written from the spec", v1alpha1.Group)
		}
	}
}

// sealedOutput checks spec.output.sealed: its sources and scope, and that nothing else in
// the spec asks for another output or another scope.
func sealedOutput(p *Problems, s v1alpha1.Spec) {
	so := s.Output.Sealed
	source(p, "spec.output.sealed.certificate", &so.Certificate)
	if so.Seed != nil {
		source(p, "spec.output.sealed.seed", so.Seed)
	}
	switch so.Scope {
	case "", v1alpha1.SealedScopeStrict, v1alpha1.SealedScopeNamespaceWide, v1alpha1.SealedScopeClusterWide:
	default:
		p.addf("spec.output.sealed.scope", "must be %s, %s or %s", v1alpha1.SealedScopeStrict, v1alpha1.SealedScopeNamespaceWide, v1alpha1.SealedScopeClusterWide)
	}
	if s.Output.Encrypt != nil && !*s.Output.Encrypt {
		p.add("spec.output.encrypt", "false asks for plaintext Secrets and spec.output.sealed for SealedSecrets: give one of them")
	}
	for _, k := range slices.Sorted(maps.Keys(s.Secret.Annotations)) {
		if k == sealed.AnnotationNamespaceWide || k == sealed.AnnotationClusterWide {
			p.addf("spec.secret.annotations["+k+"]", "set the scope with spec.output.sealed.scope")
		}
	}
}
