// Package registriesconf models the registries.conf (version 2) that CRI-O reads on a node
// and resolves an image's pull sources from it the way the runtime's image library
// (containers/image: pkg/sysregistriesv2 and its docker transport) does:
//
//   - the [[registry]] entry whose prefix matches the image's repository is the one with the
//     longest prefix (a prefix matches at a '/', ':' or '@' boundary, or whole; a prefix
//     *.example.com matches any host ending in .example.com);
//   - its mirrors come first, in order, those marked pull-from-mirror = "digest-only" only
//     for images by digest and "tag-only" only for the others (mirror-by-digest-only on the
//     entry keeps every mirror to digests), then the entry's own location;
//   - each source is the image's reference with the matched prefix replaced by the
//     endpoint's location; a rewritten reference that is not a valid canonical name fails
//     the whole pull;
//   - an attempt on a source fails when the entry matching that source's own repository is
//     blocked (this is how NeverContactSource is written: the source's entry is blocked,
//     its mirrors are not).
//
// New checks a configuration as containers/image does when it loads one, and Encode
// writes it in TOML for the runtime to read. Nothing here reads a file or a credential.
package registriesconf

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Values of Endpoint.PullFromMirror.
const (
	MirrorAll          = "all"
	MirrorByDigestOnly = "digest-only"
	MirrorByTagOnly    = "tag-only"
)

// Endpoint is a location images are pulled from: a registry's own or one of its mirrors.
type Endpoint struct {
	// Location is host[:port][/namespace...]; empty only for a registry whose prefix is a
	// wildcard (*.example.com), which then pulls from the image's own host.
	Location string
	// Insecure allows plain HTTP and unverified TLS.
	Insecure bool
	// PullFromMirror restricts a mirror to images by digest (MirrorByDigestOnly) or by tag
	// (MirrorByTagOnly); empty or MirrorAll for both. Only mirrors may set it.
	PullFromMirror string
}

// Registry is one [[registry]] table.
type Registry struct {
	// Prefix selects the images the entry applies to; empty means Location.
	Prefix string
	Endpoint
	// Mirrors are tried in order before the registry's own location.
	Mirrors []Endpoint
	// Blocked makes any attempt on a repository under this entry fail.
	Blocked bool
	// MirrorByDigestOnly keeps every mirror to images by digest.
	MirrorByDigestOnly bool
}

// Config is a registries.conf: its [[registry]] tables in the order written.
type Config struct {
	Registries []Registry
}

// Resolver answers pull-source questions over a checked Config.
type Resolver struct {
	// registries holds one entry per prefix (the first written wins), sorted by prefix,
	// as containers/image keeps them after loading.
	registries []Registry
	// plain indexes the entries by prefix, wildcards those with a *.domain prefix by
	// .domain.
	plain, wildcards map[string]int
	// locations memoizes, per mirror location, whether names under it are valid.
	mu        sync.Mutex
	locations map[string]error
}

// New checks a configuration the way containers/image does when it loads one and returns
// a Resolver over it. Its errors are those that make the runtime refuse the file (and so
// every pull on the node).
func New(c Config) (*Resolver, error) {
	regs := make([]Registry, len(c.Registries))
	for i, reg := range c.Registries {
		r, err := normalize(reg)
		if err != nil {
			return nil, err
		}
		regs[i] = r
	}
	if err := checkConflicts(regs); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var unique []Registry
	for _, r := range regs {
		if !seen[r.Prefix] {
			seen[r.Prefix] = true
			unique = append(unique, r)
		}
	}
	sort.SliceStable(unique, func(i, j int) bool { return unique[i].Prefix < unique[j].Prefix })
	r := &Resolver{registries: unique, plain: map[string]int{}, wildcards: map[string]int{}, locations: map[string]error{}}
	for i, reg := range unique {
		if isWildcard(reg.Prefix) {
			r.wildcards[reg.Prefix[1:]] = i
		} else {
			r.plain[reg.Prefix] = i
		}
	}
	return r, nil
}

// normalize trims and checks one entry as containers/image's postProcessRegistries and
// loadConfigFile do, and defaults its prefix to its location.
func normalize(reg Registry) (Registry, error) {
	var err error
	if reg.Location, err = trimLocation(reg.Location); err != nil {
		return reg, err
	}
	if reg.Prefix == "" {
		if reg.Location == "" {
			return reg, fmt.Errorf("invalid registry: both location and prefix are unset")
		}
		reg.Prefix = reg.Location
	} else {
		if reg.Prefix, err = trimLocation(reg.Prefix); err != nil {
			return reg, err
		}
		if !isWildcard(reg.Prefix) && reg.Location == "" {
			return reg, fmt.Errorf("invalid registry %q: location is unset and the prefix is not of the form *.example.com", reg.Prefix)
		}
	}
	if isWildcard(reg.Prefix) && strings.ContainsAny(reg.Prefix, "/@:") {
		return reg, fmt.Errorf("invalid registry prefix %q: a wildcard prefix must be of the form *.example.com", reg.Prefix)
	}
	if reg.PullFromMirror != "" {
		return reg, fmt.Errorf("invalid registry %q: pull-from-mirror is for mirrors only", reg.Prefix)
	}
	mirrors := make([]Endpoint, len(reg.Mirrors))
	for j, m := range reg.Mirrors {
		if m.Location, err = trimLocation(m.Location); err != nil {
			return reg, err
		}
		if m.Location == "" {
			return reg, fmt.Errorf("invalid registry %q: a mirror's location is unset", reg.Prefix)
		}
		if reg.MirrorByDigestOnly && m.PullFromMirror != "" {
			return reg, fmt.Errorf("invalid registry %q: mirror-by-digest-only and the pull-from-mirror of mirror %q are both set", reg.Prefix, m.Location)
		}
		switch m.PullFromMirror {
		case "", MirrorAll, MirrorByDigestOnly, MirrorByTagOnly:
		default:
			return reg, fmt.Errorf("invalid registry %q: unsupported pull-from-mirror %q for mirror %q", reg.Prefix, m.PullFromMirror, m.Location)
		}
		mirrors[j] = m
	}
	reg.Mirrors = mirrors
	return reg, nil
}

// trimLocation drops trailing slashes and refuses a URL scheme.
func trimLocation(s string) (string, error) {
	trimmed := strings.TrimRight(s, "/")
	if strings.HasPrefix(trimmed, "http://") || strings.HasPrefix(trimmed, "https://") {
		return "", fmt.Errorf("invalid location %q: URI schemes are not supported", s)
	}
	return trimmed, nil
}

// checkConflicts refuses two entries for one location (or one wildcard prefix) that
// disagree on insecure or blocked.
func checkConflicts(regs []Registry) error {
	byLocation := map[string]Registry{}
	for _, r := range regs {
		key := r.Location
		if key == "" {
			key = r.Prefix
		}
		first, ok := byLocation[key]
		if !ok {
			byLocation[key] = r
			continue
		}
		if first.Insecure != r.Insecure {
			return fmt.Errorf("registry %q is defined more than once with conflicting insecure settings", key)
		}
		if first.Blocked != r.Blocked {
			return fmt.Errorf("registry %q is defined more than once with conflicting blocked settings", key)
		}
	}
	return nil
}

// Registries returns the entries as the runtime keeps them: one per prefix, sorted.
func (r *Resolver) Registries() []Registry {
	return append([]Registry(nil), r.registries...)
}

func isWildcard(prefix string) bool { return strings.HasPrefix(prefix, "*.") }
