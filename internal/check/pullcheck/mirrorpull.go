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

// mirrorResolution is an image's pull sources, resolved once.
type mirrorResolution struct {
	prefix  string
	sources []registriesconf.Source
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

// resolution returns an image's pull sources; nil when no registries.conf entry applies.
func (a *analyzer) resolution(image string, info *imageInfo) *mirrorResolution {
	m := a.mirrors
	if res, ok := m.images[image]; ok {
		return res
	}
	_, remainder := splitDockerDomain(image)
	_, tag, digest := splitReference(remainder)
	ref := registriesconf.Reference{Name: info.repo}
	if tag != nil {
		ref.Tag = *tag
	}
	if digest != nil {
		ref.Digest = *digest
	}
	r, err := m.resolver.Resolve(ref)
	res := &mirrorResolution{prefix: r.Prefix, sources: r.Sources, err: err}
	if err == nil && r.Prefix == "" {
		res = nil
	}
	m.images[image] = res
	return res
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

// source returns what the check knows of a pull source's repository.
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

// mirrorIssues says how a pod pulls an image through its pull sources. creds are the
// credentials the kubelet chose for the image (the pod's, then the node's); pk is the
// pod's keyring.
func (a *analyzer) mirrorIssues(info *imageInfo, res *mirrorResolution, creds []Credential, pk *podKeyring) []issue {
	if res.err != nil {
		return []issue{{SeverityError, RuleNoPullSource, "the container runtime cannot rewrite " + info.repo + " for its mirrors (" + res.err.Error() + "): the pull fails"}}
	}
	var steps, extra []string
	var issues []issue
	works, maybe := false, false
	for _, src := range res.sources {
		name := src.Reference.Name
		what := "the image itself, " + src.Reference.String()
		if src.Mirror {
			what = "mirror " + src.Reference.String()
		}
		s := a.source(name)
		var how string
		switch {
		case src.Blocked:
			how = "blocked (NeverContactSource, or a blocked registry)"
		case hostOf(name) == hostOf(info.repo) && len(creds) > 0:
			works, how = true, "with the kubelet's credentials"
		case a.node == nil && s.private != nil:
			maybe, how = true, "with the node's credentials, which the check was not given"
		case s.nodeKey != "" && s.nodeState == nodecred.EntryBroken:
			how = fmt.Sprintf("failing: entry %q of %s is not base64 of user:password", s.nodeKey, a.node.Name)
		case s.nodeKey != "" && s.nodeState != nodecred.EntryEmpty:
			works, how = true, fmt.Sprintf("with %s (%s)", a.node.Name, s.nodeKey)
		case s.private != nil:
			how = fmt.Sprintf("anonymously, which fails: registry %s is private (declared by %s)", s.private[0].Registry, s.private[0].Secret)
			if src.Mirror && hostOf(name) != hostOf(info.repo) {
				issues = append(issues, a.mirrorCredentialIssue(name, s, pk))
			}
		default:
			works, how = true, "anonymously"
		}
		steps = append(steps, what+" "+how)
	}
	if a.node == nil {
		extra = append(extra, "the node's own credentials were not considered (give --node-config or the global pull secret)")
	}
	list := strings.Join(steps, "; then ")
	if len(extra) > 0 {
		list += " (" + strings.Join(extra, "; ") + ")"
	}
	if !works && !maybe {
		return append([]issue{{SeverityError, RuleNoPullSource, "every pull source of " + info.repo + " fails: the runtime tries " + list}}, issues...)
	}
	return append([]issue{{SeverityInfo, RuleMirrorPull, "pulled through mirrors (registries.conf entry " + res.prefix + "): the runtime tries " + list}}, issues...)
}

// mirrorCredentialIssue says why a private mirror on another host gets no credential: the
// node's auth file has none for it, and a pull secret of the pod that matches it is never
// sent there.
func (a *analyzer) mirrorCredentialIssue(name string, s *sourceInfo, pk *podKeyring) issue {
	if unused := pk.kr.Lookup(name); len(unused) > 0 {
		return issue{SeverityWarning, RuleMirrorSecretUnused, fmt.Sprintf(
			"the pod's pull secret %s matches mirror %s, but the container runtime never sends a pod's pull secrets to a mirror on another host than the image's: put the credential in the global pull secret (a PullAccess registry with mirror: true)",
			describeCreds(unused), hostOf(name))}
	}
	return issue{SeverityWarning, RuleMirrorCredentialMissing, fmt.Sprintf(
		"mirror %s is private (declared by %s), but %s has no entry for %s: the container runtime tries it anonymously; add its credential to the global pull secret (a PullAccess registry with mirror: true)",
		hostOf(name), s.private[0].Secret, a.node.Name, name)}
}
