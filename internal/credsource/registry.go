package credsource

import "strings"

// DockerHubKey is the auths key docker and kubectl write for Docker Hub.
const DockerHubKey = "https://index.docker.io/v1/"

// dockerHubHosts are the host names that all mean Docker Hub.
var dockerHubHosts = map[string]bool{
	"docker.io":            true,
	"index.docker.io":      true,
	"registry-1.docker.io": true,
}

// NormalizeKey reduces an auths key to the form used to compare keys: no http(s) scheme,
// no trailing slash, a lower-case host, and every Docker Hub spelling (docker.io,
// index.docker.io, registry-1.docker.io, https://index.docker.io/v1/) as "docker.io".
func NormalizeKey(key string) string {
	k := strings.TrimSpace(key)
	lower := strings.ToLower(k)
	for _, scheme := range []string{"https://", "http://"} {
		if strings.HasPrefix(lower, scheme) {
			k = k[len(scheme):]
			break
		}
	}
	k = strings.TrimRight(k, "/")
	host, path, _ := strings.Cut(k, "/")
	host = strings.ToLower(host)
	if dockerHubHosts[host] && (path == "" || path == "v1" || path == "v2") {
		return "docker.io"
	}
	if path == "" {
		return host
	}
	return host + "/" + path
}

// IsDockerHub reports whether key is one of the spellings of Docker Hub.
func IsDockerHub(key string) bool {
	return NormalizeKey(key) == "docker.io"
}

// matchKeys returns the keys that want selects: the key equal to want when there is one,
// else every key equal to it after NormalizeKey.
func matchKeys(want string, keys []string) []string {
	for _, k := range keys {
		if k == want {
			return []string{k}
		}
	}
	var out []string
	n := NormalizeKey(want)
	for _, k := range keys {
		if NormalizeKey(k) == n {
			out = append(out, k)
		}
	}
	return out
}
