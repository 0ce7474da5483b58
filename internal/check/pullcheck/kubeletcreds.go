package pullcheck

import (
	"fmt"

	"pullgen.dev/pullgen/internal/check/nodecred"
)

// The credentials of the node's own that the kubelet tries after the pod's: those of the
// node's config.json (the global pull secret on OpenShift) that match the image, then
// those of the credential providers whose matchImages match it, in the order of the
// kubelet's CredentialProviderConfig. A provider that takes the pod's ServiceAccount token
// (tokenAttributes) runs only when the ServiceAccount has every annotation it requires.

// nodeSetup reads the nodes' credentials: the node's keyring, built once.
func (a *analyzer) nodeSetup() {
	a.node = a.nodeConfig()
	if a.node == nil || a.node.Err != nil {
		return
	}
	a.nodeKeyring.Add(a.node.Name, a.node.Runtime.Keys())
}

// nodeCreds returns the node's config.json credentials the kubelet tries for an image:
// images that match the same keys share one list (see Keyring.matchMask), which also
// keys the pod's and the node's credentials together (kubeletCreds).
func (a *analyzer) nodeCreds(info *imageInfo) []Credential {
	if a.node == nil || a.node.Err != nil || info.nodeDone {
		return info.node
	}
	info.nodeDone = true
	mask, ok := a.nodeKeyring.matchMask(info.repo, info.target)
	if creds, seen := a.nodeByMask[mask]; ok && seen {
		info.node, info.nodeMask = creds, mask
		return creds
	}
	var creds []Credential
	for _, c := range a.nodeKeyring.lookup(info.repo, info.target) {
		c.Source = CredentialFromNode
		creds = append(creds, c)
	}
	if ok {
		if a.nodeByMask == nil {
			a.nodeByMask = map[uint64][]Credential{}
		}
		a.nodeByMask[mask] = creds
		info.nodeMask = mask
	} else {
		info.nodeMask = noMask
	}
	info.node = creds
	return creds
}

// noMask marks node credentials that no mask identifies (a keyring too large for one).
const noMask = 1<<63 - 1

// kubeletCreds returns the credentials the kubelet tries for an image of a pod in ns
// running as ServiceAccount sa: the pod's (match), then the node's own; the message that
// lists them; and the issues of the credential providers that do not run for the pod.
// Without providers, a pod's and a node's lists are joined once.
func (a *analyzer) kubeletCreds(match *credMatch, info *imageInfo, ns, sa string) ([]Credential, string, []issue) {
	own, issues := a.ownCreds(info, ns, sa)
	if len(own) == 0 {
		return match.creds, match.msg, issues
	}
	key := joinedKey{match, info.nodeMask}
	if a.opts.Providers == nil && info.nodeMask != noMask {
		if j, ok := a.joined[key]; ok {
			return j.creds, j.msg, issues
		}
	}
	creds := append(match.creds[:len(match.creds):len(match.creds)], own...)
	j := &credMatch{creds: creds, msg: "the kubelet tries " + describeCreds(creds)}
	if a.opts.Providers == nil && info.nodeMask != noMask {
		if a.joined == nil {
			a.joined = map[joinedKey]*credMatch{}
		}
		a.joined[key] = j
	}
	return j.creds, j.msg, issues
}

// joinedKey identifies a pod's credentials for an image and the node's.
type joinedKey struct {
	pod  *credMatch
	node uint64
}

// providerMatch is a credential provider that serves an image, and the pattern that
// matched.
type providerMatch struct {
	provider nodecred.Provider
	pattern  string
}

// providers returns the credential providers whose matchImages match an image.
func (a *analyzer) providers(info *imageInfo) []providerMatch {
	if a.opts.Providers == nil || info.providersDone {
		return info.providers
	}
	info.providersDone = true
	for _, p := range a.opts.Providers.For(info.repo, MatchKey) {
		for _, m := range p.MatchImages {
			if MatchKey(m, info.repo) {
				info.providers = append(info.providers, providerMatch{p, m})
				break
			}
		}
	}
	return info.providers
}

// ownCreds returns the node's credentials the kubelet tries for an image of a pod in ns
// running as ServiceAccount sa, after the pod's own, and the issues of the providers that
// do not run for the pod.
func (a *analyzer) ownCreds(info *imageInfo, ns, sa string) ([]Credential, []issue) {
	creds := a.nodeCreds(info)
	matches := a.providers(info)
	if len(matches) == 0 {
		return creds, nil
	}
	creds = creds[:len(creds):len(creds)]
	var issues []issue
	entry := a.ix.sas[nsName{ns, sa}]
	for _, m := range matches {
		name := "credential provider " + m.provider.Name
		if entry != nil {
			if missing := m.provider.MissingAnnotations(entry.annotations); len(missing) > 0 {
				issues = append(issues, issue{SeverityError, RuleProviderAnnotationMissing, fmt.Sprintf(
					"%s serves %s (matchImages %q) with the pod's ServiceAccount token, but ServiceAccount %s/%s lacks its required annotation %s: the kubelet does not run it for this pod",
					name, info.repo, m.pattern, ns, sa, quoteList(missing))})
				continue
			}
		}
		creds = append(creds, Credential{Secret: name, Registry: m.pattern, Source: CredentialFromProvider})
	}
	return creds, issues
}

// nodeNote says, for a message, that the node's own credentials were not considered.
func (a *analyzer) nodeNote() string {
	if a.node != nil || a.opts.Providers != nil {
		return ""
	}
	return "; the nodes' own credentials (a global pull secret, credential providers) were not considered"
}
