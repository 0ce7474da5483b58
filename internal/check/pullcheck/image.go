package pullcheck

import (
	"errors"
	"fmt"
	"strings"

	"pullgen.dev/pullgen/internal/core/manifest"
)

// identifierLength is the length of a hexadecimal image ID, which is not a name.
const identifierLength = 64

const (
	officialRepoPrefix = "library/"
	maxNameLength      = 255
)

// NormalizeImage returns the repository the kubelet looks credentials up for, as its
// parsers.ParseImageName does: the name is normalized the Docker way (nginx becomes
// docker.io/library/nginx, index.docker.io becomes docker.io, localhost:5000/x keeps its
// host) and the tag and digest are dropped. It fails where the kubelet fails with
// InvalidImageName.
func NormalizeImage(image string) (string, error) {
	if image == "" {
		return "", errors.New("image name is empty")
	}
	if isHexIdentifier(image) {
		return "", fmt.Errorf("invalid image name %q: a 64-character hexadecimal string is an image ID, not a name", image)
	}
	domain, remainder := splitDockerDomain(image)
	name, tag, digest := splitReference(remainder)
	if strings.ToLower(name) != name {
		return "", fmt.Errorf("invalid image name %q: repository name must be lowercase", image)
	}
	if !validDomain(domain) || !validPath(name) || (tag != nil && !validTag(*tag)) || (digest != nil && !validDigest(*digest)) {
		return "", fmt.Errorf("invalid image name %q: not a valid image reference", image)
	}
	repo := domain + "/" + name
	if len(repo) > maxNameLength {
		return "", fmt.Errorf("invalid image name %q: repository name longer than %d characters", image, maxNameLength)
	}
	return repo, nil
}

// splitDockerDomain splits a name into its registry domain and the rest, the way Docker
// decides whether the first component is a host: it is one when it holds a "." or a ":",
// is "localhost", or has upper-case letters.
func splitDockerDomain(name string) (domain, remainder string) {
	i := strings.IndexRune(name, '/')
	if i == -1 || (!strings.ContainsAny(name[:i], ".:") && name[:i] != "localhost" && strings.ToLower(name[:i]) == name[:i]) {
		domain, remainder = manifest.DockerHubDomain, name
	} else {
		domain, remainder = name[:i], name[i+1:]
	}
	if domain == manifest.DockerHubIndex {
		domain = manifest.DockerHubDomain
	}
	if domain == manifest.DockerHubDomain && !strings.ContainsRune(remainder, '/') {
		remainder = officialRepoPrefix + remainder
	}
	return domain, remainder
}

// isDockerHubImage reports whether a normalized repository pulls from Docker Hub, by the
// kubelet's isDefaultRegistryMatch: no host-like first component, or docker.io or
// index.docker.io.
func isDockerHubImage(repo string) bool {
	first, _, found := strings.Cut(repo, "/")
	if first == "" {
		return false
	}
	if !found {
		return true
	}
	if first == manifest.DockerHubDomain || first == manifest.DockerHubIndex {
		return true
	}
	return !strings.ContainsAny(first, ".:")
}
