package pullcheck

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
)

// Analyze runs the pull check over objs and returns its findings, sorted (SortFindings).
// objs are read, never modified. An object without File takes it from its path annotation.
func Analyze(objs []Object, opts Options) []Finding {
	_, findings := analyze(objs, opts)
	return findings
}

// analyze is Analyze; it also returns the index of the input it read.
func analyze(objs []Object, opts Options) (*index, []Finding) {
	a := &analyzer{
		ix:        buildIndex(objs, opts),
		opts:      opts,
		images:    map[string]*imageInfo{},
		keyrings:  map[string]*podKeyring{},
		fields:    map[fieldKey][2]string{},
		now:       opts.now(),
		uncovered: map[string]uncoveredImage{},
	}
	n := 0
	for i := range a.ix.workloads {
		n += len(a.ix.workloads[i].pod.containers)
	}
	a.findings = make([]Finding, 0, n+n/8)
	a.nodeSetup()
	a.buildMirrors()
	for i := range a.ix.workloads {
		a.workload(&a.ix.workloads[i])
	}
	a.unusedLinks()
	a.secretExpiries()
	a.sealingCertificates()
	a.fleetFindings()
	SortFindings(a.findings)
	return a.ix, a.findings
}

// AnalyzeNodes runs the pull check over in-memory resources, such as a KRM function's items;
// each one's file comes from its path annotation.
func AnalyzeNodes(nodes []*yaml.RNode, opts Options) []Finding {
	return Analyze(ObjectsFromNodes(nodes), opts)
}

// analyzer holds the state of one run, with its caches: each image is parsed once and each
// set of pull secrets gets one keyring.
type analyzer struct {
	ix       *index
	opts     Options
	images   map[string]*imageInfo
	keyrings map[string]*podKeyring
	fields   map[fieldKey][2]string
	findings []Finding
	// now is the time expiries are compared with.
	now time.Time
	// uncovered holds, by namespace, the image the namespace-not-covered finding is about.
	uncovered map[string]uncoveredImage
	// node is the nodes' own credentials, nil when unknown; nodeKeyring holds its keys,
	// nodeByMask its credentials by the keys an image matches, joined the pod's and the
	// node's credentials of an image.
	node        *NodeConfig
	nodeKeyring Keyring
	nodeByMask  map[uint64][]Credential
	joined      map[joinedKey]*credMatch
	// mirrors is the nodes' registries.conf, nil when no mirror set applies.
	mirrors *mirrorConfig
}

// fieldKey identifies a field path built from a prefix and an index.
type fieldKey struct {
	prefix string
	list   int // an index of containerLists, or -1 for imagePullSecrets
	index  int
}

// field returns the path of a container and of its image (list >= 0), or of a pull
// secret's name, built once: thousands of pods share a few of them.
func (a *analyzer) field(k fieldKey) [2]string {
	if f, ok := a.fields[k]; ok {
		return f
	}
	var f [2]string
	switch {
	case k.list >= 0:
		f[0] = k.prefix + "." + containerLists[k.list] + "[" + strconv.Itoa(k.index) + "]"
		f[1] = f[0] + ".image"
	case k.prefix == "":
		f[0] = "imagePullSecrets[" + strconv.Itoa(k.index) + "].name"
	default:
		f[0] = k.prefix + ".imagePullSecrets[" + strconv.Itoa(k.index) + "].name"
	}
	a.fields[k] = f
	return f
}

// secretField is the field path of a pull secret reference.
func (a *analyzer) secretField(r pullSecretRef) string {
	return a.field(fieldKey{prefix: r.prefix, list: -1, index: r.index})[0]
}

// imageInfo is an image name, parsed once.
type imageInfo struct {
	repo       string
	err        error
	target     urlParts
	internalNS string
	private    []Credential
	// declaredBy are the PullAccesses of the input that declare the image's registry.
	declaredBy []*coverage
	// node are the credentials of the node's config.json for the image, providers the
	// credential providers that match it, mirror its pull sources (nil when the
	// registries.conf has no entry for it); each found once (nodeDone, providersDone,
	// mirrorDone).
	node                                []Credential
	nodeMask                            uint64
	providers                           []providerMatch
	mirror                              *mirrorResolution
	nodeDone, providersDone, mirrorDone bool
}

// podKeyring is the keyring of one set of pull secrets in one namespace.
type podKeyring struct {
	names   []string
	kr      Keyring
	invalid []string
	unknown []string
	notes   []string
	// dockercfg is set when a secret is OpenShift's <sa>-dockercfg-* and not in the input:
	// it holds the internal registry's credential.
	dockercfg bool
	// matches holds, by the set of keys an image matches, the credentials the kubelet tries
	// and the message that says so: images matching the same keys share them.
	matches map[uint64]*credMatch
	// expiries are the expiries of the secrets that have one, by name.
	expiries map[string]time.Time
}

// credMatch is the outcome of a keyring lookup.
type credMatch struct {
	creds []Credential
	msg   string
	// expiresAt is the soonest expiry of the credentials, "" when none is known.
	expiresAt string
}

// lookup returns the credentials for an image (nil when none), and the message of an
// authenticated pull.
func (pk *podKeyring) lookup(img *imageInfo) *credMatch {
	mask, ok := pk.kr.matchMask(img.repo, img.target)
	if !ok {
		return pk.match(pk.kr.lookup(img.repo, img.target))
	}
	if m, ok := pk.matches[mask]; ok {
		return m
	}
	m := pk.match(pk.kr.lookup(img.repo, img.target))
	if pk.matches == nil {
		pk.matches = map[uint64]*credMatch{}
	}
	pk.matches[mask] = m
	return m
}

// match describes the credentials of a lookup.
func (pk *podKeyring) match(creds []Credential) *credMatch {
	m := &credMatch{creds: creds, msg: "the kubelet tries " + describeCreds(creds)}
	var first time.Time
	for _, c := range creds {
		if t, ok := pk.expiries[c.Secret]; ok && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	if !first.IsZero() {
		m.expiresAt = formatTime(first)
	}
	return m
}

// issue is one thing the check has to say about an image.
type issue struct {
	sev  Severity
	rule string
	msg  string
}

// image parses an image name once.
func (a *analyzer) image(image string) *imageInfo {
	if info, ok := a.images[image]; ok {
		return info
	}
	info := &imageInfo{}
	info.repo, info.err = NormalizeImage(image)
	if info.err == nil {
		var ok bool
		if info.target, ok = repoParts(info.repo); !ok {
			info.err = fmt.Errorf("invalid image name %q", image)
		} else {
			info.internalNS = internalRegistryNamespace(info.repo)
			info.private = a.ix.private.lookup(info.repo, info.target)
			info.declaredBy = a.ix.declaredBy(info)
		}
	}
	a.images[image] = info
	return info
}

// keyring returns the keyring of a pod's pull secrets, built once per namespace and list.
func (a *analyzer) keyring(ns string, refs []pullSecretRef) *podKeyring {
	var b strings.Builder
	b.WriteString(ns)
	for _, r := range refs {
		b.WriteByte(0)
		b.WriteString(r.name)
	}
	key := b.String()
	if pk, ok := a.keyrings[key]; ok {
		return pk
	}
	pk := &podKeyring{names: make([]string, 0, len(refs))}
	for _, r := range refs {
		pk.names = append(pk.names, r.name)
		s := a.ix.secret(ns, r.name, a.opts)
		switch {
		case s == nil && manifest.IsOpenShiftDockercfg("", r.name):
			pk.dockercfg = true
		case s == nil && r.kept:
			pk.unknown = append(pk.unknown, fmt.Sprintf("the registry keys of Secret %s are unknown: a PullAccess keeps it as a live-only entry", r.name))
		case s == nil:
			pk.notes = append(pk.notes, fmt.Sprintf("Secret %s is missing", r.name))
		case s.err != nil:
			pk.invalid = append(pk.invalid, fmt.Sprintf("Secret %s: %v", r.name, s.err))
		case s.unknown != "":
			pk.unknown = append(pk.unknown, fmt.Sprintf("the registry keys of Secret %s are unknown: %s", r.name, s.unknown))
		case s.ignored != "":
			pk.notes = append(pk.notes, fmt.Sprintf("the kubelet ignores Secret %s: %s", r.name, s.ignored))
		default:
			if e := a.ix.secrets[nsName{ns, r.name}]; !e.expiry.at.IsZero() {
				if pk.expiries == nil {
					pk.expiries = map[string]time.Time{}
				}
				pk.expiries[r.name] = e.expiry.at
			}
			if bad := pk.kr.Add(r.name, s.registries); len(bad) > 0 {
				pk.notes = append(pk.notes, fmt.Sprintf("the kubelet ignores registry keys %s of Secret %s: not URLs", quoteList(bad), r.name))
			}
		}
	}
	a.keyrings[key] = pk
	return pk
}

// workload checks every image of one pod-bearing object.
func (a *analyzer) workload(w *workload) {
	ref, pod := w.ref, w.pod
	own := pod.pullSecrets
	saName := pod.serviceAccount
	refs := own
	saUnknown := false
	if len(own) > 0 {
		for _, r := range own {
			if a.ix.secrets[nsName{ref.ns, r.name}] == nil && !manifest.IsOpenShiftDockercfg("", r.name) {
				a.objectFinding(ref, a.secretField(r), ref.line(r.line), RuleMissingSecret, SeverityError,
					fmt.Sprintf("pull secret %s is not in namespace %s: the kubelet pulls without it", r.name, ref.ns))
			}
		}
	} else if sa := a.ix.sas[nsName{ref.ns, saName}]; sa != nil {
		refs = sa.pullSecrets
		if !sa.reported {
			sa.reported = true
			for _, r := range sa.pullSecrets {
				if a.ix.secrets[nsName{ref.ns, r.name}] == nil && !manifest.IsOpenShiftDockercfg("", r.name) && !r.kept {
					a.objectFinding(sa.ref, a.secretField(r), sa.ref.line(r.line), RuleMissingSecret, SeverityError,
						fmt.Sprintf("pull secret %s of ServiceAccount %s is not in namespace %s: its pods pull without it", r.name, saName, ref.ns))
				}
			}
		}
	} else if saName != "default" {
		saUnknown = true
		a.objectFinding(ref, pod.saField, ref.line(pod.saLine), RuleUnknownServiceAccount, SeverityWarning,
			fmt.Sprintf("ServiceAccount %s/%s is not in the input: the pod's pull secrets are unknown", ref.ns, saName))
	}
	pk := a.keyring(ref.ns, refs)
	var used map[string]bool // the secrets with an expiry that the kubelet tries
	for i := range pod.containers {
		m := a.container(w, pk, saName, len(own) > 0, saUnknown, &pod.containers[i])
		if m == nil || m.expiresAt == "" {
			continue
		}
		if used == nil {
			used = map[string]bool{}
		}
		for _, c := range m.creds {
			used[c.Secret] = true
		}
	}
	if used != nil {
		a.workloadExpiries(w, refs, len(own) > 0, used)
	}
}

// objectFinding records a finding not tied to an image.
func (a *analyzer) objectFinding(ref objRef, fieldPath string, line int, rule string, sev Severity, msg string) {
	a.findings = append(a.findings, Finding{
		File: ref.file, Kind: ref.m.kind, Namespace: ref.ns, Name: ref.m.name,
		Field: fieldPath, Line: line, PullSecrets: []string{}, Credentials: []Credential{},
		Severity: sev, Rule: rule, Message: msg,
	})
}

// container checks one container's image; it returns the credentials the kubelet tries,
// nil when the image is not pulled with credentials it looks up.
func (a *analyzer) container(w *workload, pk *podKeyring, saName string, own, saUnknown bool, c *containerRef) *credMatch {
	ref := w.ref
	image := c.image
	fields := a.field(fieldKey{prefix: w.pod.prefix, list: int(c.list), index: c.index})
	name := c.name
	if name == "" {
		name = fields[0]
	}
	f := Finding{
		File: ref.file, Kind: ref.m.kind, Namespace: ref.ns, Name: ref.m.name,
		Container: name, Image: image, Field: fields[1], Line: ref.line(c.line),
		PullSecrets: pk.names, Credentials: []Credential{},
	}
	if strings.TrimSpace(image) == "" {
		if ref.m.kind == "DeploymentConfig" {
			return nil // set by an ImageChange trigger
		}
		f.Severity, f.Rule, f.Message = SeverityError, RuleInvalidImage, "the container has no image"
		a.findings = append(a.findings, f)
		return nil
	}
	info := a.image(image)
	if info.err != nil {
		f.Severity, f.Rule, f.Message = SeverityError, RuleInvalidImage, info.err.Error()+": the kubelet reports InvalidImageName"
		a.findings = append(a.findings, f)
		return nil
	}
	match := pk.lookup(info)
	creds, msg, providerIssues := a.kubeletCreds(match, info, ref.ns, saName)
	if creds != nil {
		f.Credentials = creds
	}
	f.ExpiresAt = match.expiresAt
	var buf [4]issue
	issues := buf[:0]
	for _, msg := range pk.invalid {
		issues = append(issues, issue{SeverityError, RuleInvalidSecret,
			"the kubelet cannot parse the pod's pull secrets (" + msg + "), so every image pull of this pod fails"})
	}
	issues = append(issues, providerIssues...)
	switch {
	case info.internalNS != "":
		issues = append(issues, a.internalIssues(ref, pk, info, saName, own, creds)...)
	case a.mirrors != nil && a.resolution(image, info).changesPull():
		issues = append(issues, a.mirrorIssues(info, a.resolution(image, info), creds, pk)...)
		a.notCovered(&f, info)
	default:
		issues = append(issues, a.registryIssue(pk, info, saUnknown, saName, creds, msg))
		a.notCovered(&f, info)
	}
	f.Severity, f.Rule, f.Message = combine(issues)
	a.findings = append(a.findings, f)
	return match
}

// registryIssue says whether an image of an ordinary registry gets a credential: creds
// are those the kubelet tries, msg says so.
func (a *analyzer) registryIssue(pk *podKeyring, info *imageInfo, saUnknown bool, saName string, creds []Credential, msg string) issue {
	if len(creds) > 0 {
		return issue{SeverityInfo, RuleAuthenticatedPull, msg}
	}
	notes := pk.notes
	if len(info.private) == 0 {
		msg := "anonymous pull: no pull secret matches " + info.repo
		extra := append(append([]string(nil), notes...), pk.unknown...)
		if saUnknown {
			extra = append(extra, "the pull secrets of ServiceAccount "+saName+" are unknown")
		}
		if len(extra) > 0 {
			msg += " (" + strings.Join(extra, "; ") + ")"
		}
		return issue{SeverityInfo, RuleAnonymousPull, msg}
	}
	p := info.private[0]
	msg = fmt.Sprintf("registry %s is private (declared by %s) and ", p.Registry, p.Secret)
	switch {
	case saUnknown:
		return issue{SeverityWarning, RuleUnknownServiceAccount, msg + fmt.Sprintf("no pull secret matches %s, but ServiceAccount %s is not in the input: its pull secrets are unknown", info.repo, saName)}
	case len(pk.unknown) > 0:
		return issue{SeverityWarning, RuleUnknownSecretKeys, msg + "no known pull secret matches " + info.repo + ", but " + strings.Join(pk.unknown, "; ")}
	}
	if len(pk.names) == 0 {
		msg += "the pod has no pull secret: the pull fails"
	} else {
		msg += fmt.Sprintf("none of the pod's pull secrets (%s) has a key matching %s: the pull fails", strings.Join(pk.names, ", "), info.repo)
	}
	if a.node != nil && a.node.Err != nil {
		notes = append(notes, fmt.Sprintf("the kubelet cannot parse %s (%v), so it uses none of it", a.node.Name, a.node.Err))
	}
	if len(notes) > 0 {
		msg += " (" + strings.Join(notes, "; ") + ")"
	}
	return issue{SeverityError, RuleMissingCredential, msg + a.nodeNote()}
}

// internalIssues checks an image of the OpenShift internal registry.
func (a *analyzer) internalIssues(ref objRef, pk *podKeyring, info *imageInfo, saName string, own bool, creds []Credential) []issue {
	var out []issue
	if own && len(creds) == 0 && !pk.dockercfg {
		out = append(out, issue{SeverityError, RuleInternalSecretLost, fmt.Sprintf(
			"the pod's own imagePullSecrets (%s) replace those of ServiceAccount %s, so it no longer gets the internal-registry secret %s-dockercfg-*, and none of them matches %s: the pull fails",
			strings.Join(pk.names, ", "), saName, saName, info.repo)})
	}
	if info.internalNS == ref.ns {
		if len(out) == 0 {
			out = append(out, issue{SeverityInfo, RuleInternalRegistryPull, "pulls from the internal registry of its own namespace " + ref.ns + credsSuffix(creds, saName)})
		}
		return out
	}
	if via, b, ok := a.imagePuller(info.internalNS, ref.ns, saName); ok {
		if len(out) == 0 {
			out = append(out, issue{SeverityInfo, RuleInternalRegistryPull, fmt.Sprintf(
				"pulls from the internal registry of namespace %s, allowed by %s %s (%s)%s", info.internalNS, b.kind, b.name, via, credsSuffix(creds, saName))})
		}
		return out
	}
	return append(out, issue{SeverityError, RuleMissingImagePuller, fmt.Sprintf(
		"pulls from the internal registry of namespace %s, but no RoleBinding there grants %s to ServiceAccount %s/%s (directly, or to system:serviceaccounts:%s, system:serviceaccounts or system:authenticated): the pull fails",
		info.internalNS, ImagePullerRole, ref.ns, saName, ref.ns)})
}

// credsSuffix describes the credentials of an internal-registry pull.
func credsSuffix(creds []Credential, saName string) string {
	if len(creds) > 0 {
		return "; the kubelet tries " + describeCreds(creds)
	}
	return " with ServiceAccount " + saName + "'s dockercfg secret"
}

// imagePuller finds a binding in imageNS (or cluster-wide) that lets podNS/sa pull.
func (a *analyzer) imagePuller(imageNS, podNS, sa string) (string, pullerBinding, bool) {
	for _, list := range [][]pullerBinding{a.ix.bindings[imageNS], a.ix.cluster} {
		for _, b := range list {
			if via, ok := b.covers(podNS, sa); ok {
				return via, b, true
			}
		}
	}
	return "", pullerBinding{}, false
}

// combine merges the issues of one image: the most severe first gives severity and rule.
func combine(issues []issue) (Severity, string, string) {
	if len(issues) == 1 {
		return issues[0].sev, issues[0].rule, issues[0].msg
	}
	best := 0
	for i := range issues {
		if issues[i].sev.rank() > issues[best].sev.rank() {
			best = i
		}
	}
	msgs := []string{issues[best].msg}
	for i := range issues {
		if i != best && issues[i].sev != SeverityInfo {
			msgs = append(msgs, issues[i].msg)
		}
	}
	return issues[best].sev, issues[best].rule, strings.Join(msgs, "; ")
}

// describeCreds lists credentials as "secret (registry), …".
func describeCreds(creds []Credential) string {
	parts := make([]string, len(creds))
	for i, c := range creds {
		parts[i] = c.Secret + " (" + c.Registry + ")"
	}
	return strings.Join(parts, ", ")
}

// quoteList quotes strings for a message.
func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
