package mirrorset

import (
	"fmt"
	"slices"
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
	index := map[string]int{} // scope → its entry in c.Registries
	entry := func(scope string) *registriesconf.Registry {
		if i, ok := index[scope]; ok {
			return &c.Registries[i]
		}
		reg := registriesconf.Registry{}
		if isWildcard(scope) {
			reg.Prefix = scope
		} else {
			reg.Location = scope
		}
		index[scope] = len(c.Registries)
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
	insecure, blocked := scopeSet(rs.Insecure), scopeSet(rs.Blocked)
	for _, scope := range rs.Blocked {
		entry(scope)
	}
	for _, scope := range rs.Insecure {
		entry(scope)
	}
	for i := range c.Registries {
		reg := &c.Registries[i]
		reg.Insecure = reg.Insecure || insecure.encloses(scopeOf(reg))
		reg.Blocked = reg.Blocked || blocked.encloses(scopeOf(reg))
		for j := range reg.Mirrors {
			reg.Mirrors[j].Insecure = reg.Mirrors[j].Insecure || insecure.encloses(reg.Mirrors[j].Location)
		}
	}
	// An entry without mirrors inside a source's scope gets the mirrors of the first source
	// (digest sources, then tag sources, each in source order) that encloses it.
	sources := scopes{}
	for k, m := range append(digest, tag...) {
		if _, ok := sources[m.source]; !ok {
			sources[m.source] = k
		}
	}
	type inherit struct{ reg, source int }
	var inherits []inherit
	for i := range c.Registries {
		if len(c.Registries[i].Mirrors) > 0 {
			continue
		}
		sub, first := scopeOf(&c.Registries[i]), -1
		for _, scope := range candidateScopes(sub) {
			if k, ok := sources[scope]; ok && scope != sub && nested(sub, scope) && (first < 0 || k < first) {
				first = k
			}
		}
		if first >= 0 {
			inherits = append(inherits, inherit{i, first})
		}
	}
	// The operator fails at the first source, in that order, that would have to give a
	// wildcard's mirrors.
	slices.SortStableFunc(inherits, func(a, b inherit) int { return a.source - b.source })
	order := append(digest, tag...)
	for _, in := range inherits {
		if scope := order[in.source].source; isWildcard(scope) {
			return registriesconf.Config{}, fmt.Errorf("%q is inside the wildcard source %q, which the Machine Config Operator cannot give mirrors to", scopeOf(&c.Registries[in.reg]), scope)
		}
	}
	for _, in := range inherits {
		scope := order[in.source].source
		reg := &c.Registries[in.reg]
		suffix := scopeOf(reg)[len(scope):]
		for _, mirror := range c.Registries[index[scope]].Mirrors {
			mirror.Location += suffix
			reg.Mirrors = append(reg.Mirrors, mirror)
		}
	}
	return c, nil
}

// scopes maps scopes to a value, for finding the scopes that enclose another without a
// scan of all.
type scopes map[string]int

// scopeSet indexes a list of scopes.
func scopeSet(list []string) scopes {
	s := scopes{}
	for i, scope := range list {
		s[scope] = i
	}
	return s
}

// encloses tells whether sub lies inside one of the scopes.
func (s scopes) encloses(sub string) bool {
	if len(s) == 0 {
		return false
	}
	for _, scope := range candidateScopes(sub) {
		if _, ok := s[scope]; ok && nested(sub, scope) {
			return true
		}
	}
	return false
}

// candidateScopes lists every scope that can enclose sub (nested(sub, scope)): sub itself,
// sub up to each '/', and *.domain for each domain its host ends in. Some may not enclose
// it: callers confirm with nested.
func candidateScopes(sub string) []string {
	out := []string{sub}
	for i := range len(sub) {
		if sub[i] == '/' {
			out = append(out, sub[:i])
		}
	}
	host, _, found := strings.Cut(sub, ":")
	if !found {
		host, _, _ = strings.Cut(sub, "/")
	}
	for i := range len(host) {
		if host[i] == '.' {
			out = append(out, "*"+host[i:])
		}
	}
	return out
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
