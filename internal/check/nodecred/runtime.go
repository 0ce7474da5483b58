package nodecred

import "strings"

// KubeletCredentialSent tells whether the container runtime sends the credential the
// kubelet chose for an image (from the pod's Secrets, the node's file or a credential
// provider) to one of its pull sources: only on the image's own host. containers/image
// drops it for a source on another host, such as most mirrors, which then get what the
// node's auth file has for them (AuthFile.Lookup).
func KubeletCredentialSent(imageName, sourceName string) bool {
	return Host(imageName) == Host(sourceName)
}

// Host returns the host[:port] of a repository name, a location or a prefix.
func Host(name string) string {
	h, _, _ := strings.Cut(name, "/")
	return h
}
