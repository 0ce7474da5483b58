package nodecred

import "strings"

// SourceAuth is how the runtime authenticates one pull attempt.
type SourceAuth struct {
	// Kubelet is true when the runtime sends the credential the kubelet chose for the image
	// (from the pod's Secrets, the node's file or a credential provider).
	Kubelet bool
	// NodeKey is the node auth file's key the runtime uses instead; "" for none.
	NodeKey string
	// NodeState is what the node's file gives: EntryEmpty when no key applies (the attempt
	// is anonymous), EntryBroken when the attempt fails before it starts.
	NodeState EntryState
}

// Auth says how the runtime authenticates to a pull source: the kubelet's credential goes
// to the image's own host only (containers/image drops it for a source on another host,
// such as most mirrors); any other attempt, and every attempt when the kubelet had no
// credential to give, uses the node's auth file (CRI-O's global auth file) looked up for
// the source's repository.
func Auth(imageName, sourceName string, kubeletCredential bool, node AuthFile) SourceAuth {
	if kubeletCredential && host(imageName) == host(sourceName) {
		return SourceAuth{Kubelet: true}
	}
	key, state, ok := node.Lookup(sourceName)
	if !ok {
		return SourceAuth{NodeState: EntryEmpty}
	}
	return SourceAuth{NodeKey: key, NodeState: state}
}

// host returns a repository name's host[:port].
func host(name string) string {
	h, _, _ := strings.Cut(name, "/")
	return h
}
