package mirrorset

import (
	"fmt"
	"sort"
	"strings"

	"pullgen.dev/pullgen/internal/check/registriesconf"
)

// merged is one source's mirrors after merging every rule that names it.
type merged struct {
	source  string
	mirrors []string
	never   bool
}

// mergeRules merges the rules of digest sets (byDigest) or of tag sets, source by source in
// source order. A rule whose mirrors are only its source is no mirror rule and is skipped,
// its policy with it; NeverContactSource on any rule of a source blocks the source.
func mergeRules(sets []Set, byDigest bool) []merged {
	lists := map[string][][]string{}
	never := map[string]bool{}
	for _, s := range sets {
		if s.ByDigest() != byDigest {
			continue
		}
		for _, r := range s.Rules {
			if !r.hasRealMirror() {
				continue
			}
			lists[r.Source] = append(lists[r.Source], r.Mirrors)
			never[r.Source] = never[r.Source] || r.NeverContact()
		}
	}
	sources := make([]string, 0, len(lists))
	for s := range lists {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	out := make([]merged, len(sources))
	for i, s := range sources {
		out[i] = merged{source: s, mirrors: mergeOrder(s, lists[s]), never: never[s]}
	}
	return out
}

// Translate writes the registries.conf the Machine Config Operator renders for these mirror
// sets and registry sources (on the node's base file, which has no [[registry]] table):
//
//   - one entry per source, digest mirrors marked pull-from-mirror = "digest-only" and tag
//     mirrors "tag-only", the source blocked when a rule says NeverContactSource;
//   - entries for insecure and blocked scopes, the flag spread to the entries (and, for
//     insecure, the mirrors) nested inside each scope;
//   - an entry nested in a source's scope that has no mirrors of its own (a blocked or
//     insecure namespace) gets the source's mirrors with its extra path appended, since
//     only the most specific entry applies to an image.
//
// It fails where the operator fails: a nested entry inside a wildcard source, which the
// operator cannot give mirrors to. The sets are expected to pass Validate.
func Translate(sets []Set, rs RegistrySources) (registriesconf.Config, error) {
	var c registriesconf.Config
	entry := func(scope string) *registriesconf.Registry {
		for i := range c.Registries {
			if scopeOf(&c.Registries[i]) == scope {
				return &c.Registries[i]
			}
		}
		reg := registriesconf.Registry{}
		if isWildcard(scope) {
			reg.Prefix = scope
		} else {
			reg.Location = scope
		}
		c.Registries = append(c.Registries, reg)
		return &c.Registries[len(c.Registries)-1]
	}
	digest, tag := mergeRules(sets, true), mergeRules(sets, false)
	for _, group := range []struct {
		sets []merged
		mode string
	}{{digest, registriesconf.MirrorByDigestOnly}, {tag, registriesconf.MirrorByTagOnly}} {
		for _, m := range group.sets {
			reg := entry(m.source)
			reg.Blocked = reg.Blocked || m.never
			for _, loc := range m.mirrors {
				reg.Mirrors = append(reg.Mirrors, registriesconf.Endpoint{Location: loc, PullFromMirror: group.mode})
			}
		}
	}
	for _, scope := range rs.Blocked {
		entry(scope)
	}
	for _, scope := range rs.Insecure {
		entry(scope).Insecure = true
		for i := range c.Registries {
			reg := &c.Registries[i]
			if nested(scopeOf(reg), scope) {
				reg.Insecure = true
			}
			for j := range reg.Mirrors {
				if nested(reg.Mirrors[j].Location, scope) {
					reg.Mirrors[j].Insecure = true
				}
			}
		}
	}
	for _, scope := range rs.Blocked {
		entry(scope).Blocked = true
		for i := range c.Registries {
			if nested(scopeOf(&c.Registries[i]), scope) {
				c.Registries[i].Blocked = true
			}
		}
	}
	for _, m := range append(digest, tag...) {
		parent := entry(m.source)
		scope := scopeOf(parent)
		mirrors := parent.Mirrors
		for i := range c.Registries {
			reg := &c.Registries[i]
			sub := scopeOf(reg)
			if sub == scope || !nested(sub, scope) || len(reg.Mirrors) > 0 {
				continue
			}
			if isWildcard(scope) {
				return registriesconf.Config{}, fmt.Errorf("%q is inside the wildcard source %q, which the Machine Config Operator cannot give mirrors to", sub, scope)
			}
			suffix := sub[len(scope):]
			for _, mirror := range mirrors {
				mirror.Location += suffix
				reg.Mirrors = append(reg.Mirrors, mirror)
			}
		}
	}
	return c, nil
}

// scopeOf is the scope an entry was created for: its prefix if set, else its location.
func scopeOf(reg *registriesconf.Registry) string {
	if reg.Prefix != "" {
		return reg.Prefix
	}
	return reg.Location
}

// nested tells whether scope sub lies inside scope super, as the Machine Config Operator
// decides it: equal; a namespace or repository under super; or, for super *.domain, a
// sub whose host ends in .domain (a wildcard sub included; with a port, only a bare
// host:port).
func nested(sub, super string) bool {
	if sub == super || strings.HasPrefix(sub, super+"/") {
		return true
	}
	if !isWildcard(super) {
		return false
	}
	if host, _, found := strings.Cut(sub, ":"); found {
		return strings.HasSuffix(host, super[1:]) && !strings.Contains(host, "/")
	}
	host, _, _ := strings.Cut(sub, "/")
	return strings.HasSuffix(host, super[1:])
}
