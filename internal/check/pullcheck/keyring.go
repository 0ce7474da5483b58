package pullcheck

import (
	"net"
	"net/url"
	"sort"
	"strings"

	"pullgen.dev/pullgen/internal/core/glob"
	"pullgen.dev/pullgen/internal/core/manifest"
)

// Credential is one credential the kubelet would try for an image: the Secret it comes from
// and its auths key exactly as it is written in that Secret. It never holds a password.
type Credential struct {
	Secret   string `json:"secret"`
	Registry string `json:"registry"`
}

// Keyring holds the registry keys of a pod's pull secrets and looks up credentials for an
// image the way the kubelet's pkg/credentialprovider BasicDockerKeyring does.
//
// Keys are parsed as URLs (https:// added when there is no http(s) scheme, the scheme then
// ignored, a leading /v1/ or /v2/ of the path removed); unique keys are tried in reverse
// lexical order and every credential under every matching key is returned; only when no key
// matched do the credentials under index.docker.io apply, and only to Docker Hub images.
// The zero value is an empty keyring ready for use.
type Keyring struct {
	keys  []keyringKey
	creds map[string][]Credential
	dirty bool
}

// keyringKey is one normalized key with its parsed form.
type keyringKey struct {
	key   string
	glob  urlParts
	valid bool
}

// urlParts is a schemeless URL split the way the kubelet compares them.
type urlParts struct {
	labels []string
	port   string
	path   string
	// globs are the labels of a key compiled (package glob), nil for a label without a
	// wildcard (compared as it is) and for a target.
	globs []*glob.Glob
}

// compileGlobs compiles the labels of a key that hold a wildcard; a label the kubelet's
// filepath.Match would refuse, or beyond the caps of package glob (longer than any DNS
// label), makes the key match nothing.
func (u *urlParts) compileGlobs() bool {
	u.globs = make([]*glob.Glob, len(u.labels))
	for i, l := range u.labels {
		if !strings.ContainsAny(l, `*?[\`) {
			continue
		}
		g, err := glob.Compile(l)
		if err != nil {
			return false
		}
		u.globs[i] = g
	}
	return true
}

// Add records the auths keys of one Secret, in the order given. It returns the keys the
// kubelet ignores because they do not parse as a URL.
func (k *Keyring) Add(secret string, registries []string) (ignored []string) {
	for _, reg := range registries {
		if !k.add(secret, reg, reg) {
			ignored = append(ignored, reg)
		}
	}
	return ignored
}

// add records one key, remembering it as written; false when the key is not a URL.
func (k *Keyring) add(secret, registry, written string) bool {
	key, ok := NormalizeKey(registry)
	if !ok {
		return false
	}
	if k.creds == nil {
		k.creds = map[string][]Credential{}
	}
	if _, seen := k.creds[key]; !seen {
		g, valid := parseSchemeless(key)
		valid = valid && g.compileGlobs()
		k.keys = append(k.keys, keyringKey{key: key, glob: g, valid: valid})
		k.dirty = true
	}
	k.creds[key] = append(k.creds[key], Credential{Secret: secret, Registry: written})
	return true
}

// NormalizeKey turns an auths key into the kubelet's keyring key: host, or host and path,
// after adding a scheme, dropping it, and trimming a leading /v1/ or /v2/ of the path. It
// reports false for a key that is not a URL, which the kubelet ignores.
func NormalizeKey(registry string) (string, bool) {
	value := registry
	if !strings.HasPrefix(value, "https://") && !strings.HasPrefix(value, "http://") {
		value = "https://" + value
	}
	parsed, err := url.Parse(value)
	if err != nil {
		return "", false
	}
	path := parsed.Path
	if strings.HasPrefix(path, "/v2/") || strings.HasPrefix(path, "/v1/") {
		path = path[3:]
	}
	if path != "" && path != "/" {
		return parsed.Host + path, true
	}
	return parsed.Host, true
}

// Keys returns the keyring's unique keys in the order the kubelet tries them.
func (k *Keyring) Keys() []string {
	k.sort()
	out := make([]string, len(k.keys))
	for i, kk := range k.keys {
		out[i] = kk.key
	}
	return out
}

// Len returns the number of unique keys.
func (k *Keyring) Len() int { return len(k.keys) }

func (k *Keyring) sort() {
	if !k.dirty {
		return
	}
	sort.Slice(k.keys, func(i, j int) bool { return k.keys[i].key > k.keys[j].key })
	k.dirty = false
}

// Lookup returns the credentials the kubelet tries for an image, in its order. The image is
// a repository as NormalizeImage returns it (docker.io/library/nginx); an unnormalized name
// is matched as written, as the kubelet would match it.
func (k *Keyring) Lookup(repo string) []Credential {
	target, ok := parseSchemeless(repo)
	if !ok {
		return nil
	}
	return k.lookup(repo, target)
}

func (k *Keyring) lookup(repo string, target urlParts) []Credential {
	k.sort()
	var out []Credential
	for _, kk := range k.keys {
		if kk.valid && urlsMatch(kk.glob, target) {
			out = append(out, k.creds[kk.key]...)
		}
	}
	if len(out) > 0 {
		return out
	}
	if isDockerHubImage(repo) {
		if hub := k.creds[manifest.DockerHubIndex]; len(hub) > 0 {
			return append([]Credential(nil), hub...)
		}
	}
	return nil
}

// matchMask returns the set of keys (bit i for the i-th key in the kubelet's order) that
// match an image, with the top bit for the Docker Hub fallback: two images with the same
// mask get the same credentials. ok is false for a keyring too large for a mask.
func (k *Keyring) matchMask(repo string, target urlParts) (mask uint64, ok bool) {
	if len(k.keys) >= 63 {
		return 0, false
	}
	k.sort()
	for i, kk := range k.keys {
		if kk.valid && urlsMatch(kk.glob, target) {
			mask |= 1 << i
		}
	}
	if mask == 0 && isDockerHubImage(repo) {
		mask = 1 << 63
	}
	return mask, true
}

// repoParts splits a repository that NormalizeImage returned as parseSchemeless does,
// without URL parsing: such a repository's host and path hold no character that URL
// parsing changes. A bracketed IPv6 host goes the long way.
func repoParts(repo string) (urlParts, bool) {
	domain, path, _ := strings.Cut(repo, "/")
	if strings.HasPrefix(domain, "[") {
		return parseSchemeless(repo)
	}
	host, port, _ := strings.Cut(domain, ":")
	return urlParts{labels: strings.Split(host, "."), port: port, path: "/" + path}, true
}

// MatchKey reports whether the kubelet would use the credentials under a keyring key
// (as NormalizeKey returns it) for an image repository, without the Docker Hub fallback.
func MatchKey(key, repo string) bool {
	g, ok := parseSchemeless(key)
	if !ok || !g.compileGlobs() {
		return false
	}
	target, ok := parseSchemeless(repo)
	if !ok {
		return false
	}
	return urlsMatch(g, target)
}

// parseSchemeless parses a URL without a scheme and splits it into host labels, port and
// path, as the kubelet's ParseSchemelessURL and SplitURL do.
func parseSchemeless(s string) (urlParts, bool) {
	u, err := url.Parse("https://" + s)
	if err != nil {
		return urlParts{}, false
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, ""
	}
	return urlParts{labels: strings.Split(host, "."), port: port, path: u.Path}, true
}

// urlsMatch is the kubelet's URLsMatch: equal ports (as strings), the same number of host
// labels each matching as a glob (filepath.Match's, here compiled: compileGlobs), and the
// target path starting with the glob path.
func urlsMatch(key, target urlParts) bool {
	if key.port != target.port || len(key.labels) != len(target.labels) {
		return false
	}
	if !strings.HasPrefix(target.path, key.path) {
		return false
	}
	for i, l := range key.labels {
		if g := key.globs[i]; g != nil && !g.Match(target.labels[i]) || g == nil && l != target.labels[i] {
			return false
		}
	}
	return true
}
