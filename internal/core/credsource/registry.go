package credsource

import (
	"strings"

	"pullgen.dev/pullgen/internal/core/dockercfg"
)

// NormalizeKey reduces an auths key to the form used to compare keys: no http(s) scheme,
// no trailing slash, a lower-case host, and every Docker Hub spelling (docker.io,
// index.docker.io, registry-1.docker.io, https://index.docker.io/v1/) as "docker.io".
func NormalizeKey(key string) string {
	if dockercfg.IsDockerHub(key) {
		return "docker.io"
	}
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
	if path == "" {
		return host
	}
	return host + "/" + path
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
