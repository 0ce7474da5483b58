package manifest

// Docker Hub's names. Generation writes Docker Hub's credentials under DockerHubKey, as
// kubectl does; Docker and the kubelet normalize an image of Docker Hub to DockerHubDomain,
// and the kubelet keeps Docker Hub's credentials under DockerHubIndex.
const (
	// DockerHubKey is the auths key kubectl writes for Docker Hub.
	DockerHubKey = "https://index.docker.io/v1/"
	// DockerHubDomain is Docker Hub's domain in a normalized image name.
	DockerHubDomain = "docker.io"
	// DockerHubIndex is Docker Hub's legacy host: an image naming it is normalized to
	// DockerHubDomain, and the kubelet's keyring keeps Docker Hub's credentials under it.
	DockerHubIndex = "index.docker.io"
	// DockerHubRegistry is the host Docker Hub's registry API answers at.
	DockerHubRegistry = "registry-1.docker.io"
)

// IsDockerHubHost tells whether host (no scheme, no path) is one of Docker Hub's names, as
// written here: in lower case.
func IsDockerHubHost(host string) bool {
	switch host {
	case DockerHubDomain, DockerHubIndex, DockerHubRegistry:
		return true
	}
	return false
}
