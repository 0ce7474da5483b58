package pullcheck

import (
	"fmt"
	"strings"

	"pullgen.dev/pullgen/internal/check/nodecred"
	"pullgen.dev/pullgen/internal/check/registriesconf"
)

// A pull through mirrors: the runtime tries the image's pull sources in order (its mirrors,
// then the image itself unless NeverContactSource blocks it) and takes the first that
// serves it. The kubelet's credential, chosen for the image's own host, goes to a source
// on that host only; a source on another host gets what the node's auth file has for it,
// looked up as the runtime looks it up, and nothing else.

// maxMirrors is the most mirrors of one image the check follows: beyond, it reports what
// it cannot see as unknown, and an image's work and message stay in proportion to it.
const maxMirrors = 16

// mirrorResolution is an image's pull sources, resolved once.
type mirrorResolution struct {
	prefix  string
	sources []registriesconf.Source
	// omitted counts the mirrors past maxMirrors, tried before the last source.
	omitted int
	err     error
}

// sourceInfo is what the check knows of one pull source's repository.
type sourceInfo struct {
	target urlParts
	// private are the declarations of its registry, nil when it is not private.
	private []Credential
	// nodeKey and nodeState are what the runtime finds for it in the node's auth file.
	nodeKey   string
	nodeState nodecred.EntryState
}

// resolution returns an image's pull sources, found once; nil when no registries.conf
// entry applies.
func (a *analyzer) resolution(image string, info *imageInfo) *mirrorResolution {
	if info.mirrorDone {
		return info.mirror
	}
	info.mirrorDone = true
	_, remainder := splitDockerDomain(image)
	_, tag, digest := splitReference(remainder)
	ref := registriesconf.Reference{Name: info.repo}
	if tag != nil {
		ref.Tag = *tag
	}
	if digest != nil {
		ref.Digest = *digest
	}
	res, err := a.mirrors.resolver.ResolveFirst(ref, maxMirrors)
	if err == nil && res.Prefix == "" {
		return nil // no registries.conf entry applies
	}
	info.mirror = &mirrorResolution{prefix: res.Prefix, sources: res.Sources, omitted: res.Omitted, err: err}
	return info.mirror
}

// changesPull tells whether the registries.conf changes how an image is pulled: it has a
// mirror for it, or blocks it, or cannot rewrite it. Otherwise the image is pulled from
// where it names, as without mirror sets.
func (r *mirrorResolution) changesPull() bool {
	if r == nil {
		return false
	}
	return r.err != nil || len(r.sources) != 1 || r.sources[0].Mirror || r.sources[0].Blocked
}

// source returns what the check knows of a pull source's repository, found once.
func (a *analyzer) source(name string) *sourceInfo {
	m := a.mirrors
	if s, ok := m.sources[name]; ok {
		return s
	}
	s := &sourceInfo{nodeState: nodecred.EntryEmpty}
	if t, ok := repoParts(name); ok {
		s.target = t
		s.private = a.ix.private.lookup(name, t)
	}
	if a.node != nil {
		if key, state, ok := a.node.Runtime.Lookup(name); ok {
			s.nodeKey, s.nodeState = key, state
		}
	}
	m.sources[name] = s
	return s
}

// attempt is what becomes of one pull source's attempt.
type attempt uint8

const (
	attemptBlocked   attempt = iota // the registries.conf blocks it
	attemptKubelet                  // the kubelet's credential, on the image's own host
	attemptUnknown                  // a private registry, and the node's credentials unknown
	attemptBroken                   // the node's entry for it is not base64 of user:password
	attemptNode                     // the node's credential for it
	attemptPrivate                  // a private registry without a credential: fails
	attemptAnonymous                // a registry not known to be private, anonymously
)

// attemptOf says what becomes of a pull source's attempt; kubelet tells whether the kubelet
// chose a credential for the image.
func (a *analyzer) attemptOf(info *imageInfo, src registriesconf.Source, s *sourceInfo, kubelet bool) attempt {
	name := src.Reference.Name
	switch {
	case src.Blocked:
		return attemptBlocked
	case kubelet && nodecred.KubeletCredentialSent(info.repo, name):
		return attemptKubelet
	case a.node == nil && s.private != nil:
		return attemptUnknown
	case s.nodeKey != "" && s.nodeState == nodecred.EntryBroken:
		return attemptBroken
	case s.nodeKey != "" && s.nodeState != nodecred.EntryEmpty:
		return attemptNode
	case s.private != nil:
		return attemptPrivate
	}
	return attemptAnonymous
}

// mirrorIssues says how a pod pulls an image through its pull sources. creds are the
// credentials the kubelet chose for the image (the pod's, then the node's); pk is the
// pod's keyring. The list of sources is written only where it is shown: with an error, or
// alone (a warning's message replaces it, as combine keeps no info beside one).
func (a *analyzer) mirrorIssues(info *imageInfo, res *mirrorResolution, creds []Credential, pk *podKeyring) []issue {
	key := mirrorIssuesKey{res, len(creds) > 0, pk}
	if issues, ok := a.mirrors.issues[key]; ok {
		return issues
	}
	issues := a.findMirrorIssues(info, res, key.kubelet, pk)
	a.mirrors.issues[key] = issues
	return issues
}

// mirrorIssuesKey is what mirrorIssues depends on: pods that pull one image with the same
// pull secrets get the same issues.
type mirrorIssuesKey struct {
	res     *mirrorResolution
	kubelet bool
	pk      *podKeyring
}

// findMirrorIssues is mirrorIssues, uncached; kubelet tells whether the kubelet chose a
// credential for the image.
func (a *analyzer) findMirrorIssues(info *imageInfo, res *mirrorResolution, kubelet bool, pk *podKeyring) []issue {
	if res.err != nil {
		return []issue{{SeverityError, RuleNoPullSource, "the container runtime cannot rewrite " + info.repo + " for its mirrors (" + res.err.Error() + "): the pull fails"}}
	}
	var issues []issue
	works, maybe := false, res.omitted > 0 // a mirror not followed may serve the image
	for _, src := range res.sources {
		s := a.source(src.Reference.Name)
		switch a.attemptOf(info, src, s, kubelet) {
		case attemptKubelet, attemptNode, attemptAnonymous:
			works = true
		case attemptUnknown:
			maybe = true
		case attemptPrivate:
			if src.Mirror && !nodecred.KubeletCredentialSent(info.repo, src.Reference.Name) {
				issues = append(issues, a.mirrorCredentialIssue(src.Reference.Name, s, pk))
			}
		}
	}
	switch {
	case !works && !maybe:
		return append([]issue{{SeverityError, RuleNoPullSource, "every pull source of " + info.repo + " fails: the runtime tries " + a.describeSources(info, res, kubelet)}}, issues...)
	case len(issues) > 0:
		return issues
	}
	return []issue{{SeverityInfo, RuleMirrorPull, "pulled through mirrors (registries.conf entry " + res.prefix + "): the runtime tries " + a.describeSources(info, res, kubelet)}}
}

// describeSources lists an image's pull sources in order, each with what its attempt
// sends.
func (a *analyzer) describeSources(info *imageInfo, res *mirrorResolution, kubelet bool) string {
	var b strings.Builder
	for i, src := range res.sources {
		if i > 0 {
			b.WriteString("; then ")
		}
		if i > 0 && i == len(res.sources)-1 && res.omitted > 0 {
			fmt.Fprintf(&b, "%d more mirrors, which the check does not follow (it follows %d); then ", res.omitted, maxMirrors)
		}
		if src.Mirror {
			b.WriteString("mirror ")
		} else {
			b.WriteString("the image itself, ")
		}
		b.WriteString(src.Reference.String())
		b.WriteByte(' ')
		s := a.source(src.Reference.Name)
		switch a.attemptOf(info, src, s, kubelet) {
		case attemptBlocked:
			b.WriteString("blocked (NeverContactSource, or a blocked registry)")
		case attemptKubelet:
			b.WriteString("with the kubelet's credentials")
		case attemptUnknown:
			b.WriteString("with the node's credentials, which the check was not given")
		case attemptBroken:
			fmt.Fprintf(&b, "failing: entry %q of %s is not base64 of user:password", s.nodeKey, a.node.Name)
		case attemptNode:
			fmt.Fprintf(&b, "with %s (%s)", a.node.Name, s.nodeKey)
		case attemptPrivate:
			fmt.Fprintf(&b, "anonymously, which fails: registry %s is private (declared by %s)", s.private[0].Registry, s.private[0].Secret)
		default:
			b.WriteString("anonymously")
		}
	}
	if a.node == nil {
		b.WriteString(" (the nodes' own credentials, a global pull secret, were not considered)")
	}
	return b.String()
}

// mirrorCredentialIssue says why a private mirror on another host gets no credential: the
// node's auth file has none for it, and a pull secret of the pod that matches it is never
// sent there.
func (a *analyzer) mirrorCredentialIssue(name string, s *sourceInfo, pk *podKeyring) issue {
	if unused := pk.kr.lookup(name, s.target); len(unused) > 0 {
		return issue{SeverityWarning, RuleMirrorSecretUnused, fmt.Sprintf(
			"the pod's pull secret %s matches mirror %s, but the container runtime never sends a pod's pull secrets to a mirror on another host than the image's: put the credential in the global pull secret (a PullAccess registry with mirror: true)",
			describeCreds(unused), nodecred.Host(name))}
	}
	return issue{SeverityWarning, RuleMirrorCredentialMissing, fmt.Sprintf(
		"mirror %s is private (declared by %s), but %s has no entry for %s: the container runtime tries it anonymously; add its credential to the global pull secret (a PullAccess registry with mirror: true)",
		nodecred.Host(name), s.private[0].Secret, a.node.Name, name)}
}
