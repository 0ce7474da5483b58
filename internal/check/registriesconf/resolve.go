package registriesconf

import (
	"errors"
	"fmt"
	"strings"
)

// Reference is an image reference as the runtime pulls it: a canonical repository name
// (docker.io/library/nginx, quay.io/org/app) and its tag or digest. An image with both is
// pulled by its digest.
type Reference struct {
	Name   string
	Tag    string
	Digest string
}

// String returns name[:tag][@digest].
func (r Reference) String() string {
	s := r.Name
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Source is one place the runtime tries an image from, in order.
type Source struct {
	// Reference is the image's reference rewritten for this endpoint.
	Reference Reference
	// Mirror tells a mirror from the registry's own location.
	Mirror bool
	// Insecure is the endpoint's insecure setting.
	Insecure bool
	// Blocked means an attempt here fails: the entry matching Reference.Name is blocked.
	Blocked bool
}

// Resolution is what the runtime does with one image.
type Resolution struct {
	// Prefix is the prefix of the matched [[registry]] entry; empty when none matched and
	// the image is pulled from where it names.
	Prefix string
	// Sources are tried in order; the pull succeeds at the first that serves the image.
	Sources []Source
	// Omitted counts the mirrors left out of Sources by ResolveFirst, which the runtime
	// tries after those listed and before the last source.
	Omitted int
}

// Find returns the entry with the longest prefix that matches a repository name (the
// first of equal length in prefix order), or nil. Only the prefixes that can match are
// looked up: the name up to each boundary ('/', ':', '@' or its end), and a wildcard for
// each '.' before the first '/', up to the next boundary.
func (r *Resolver) Find(name string) *Registry {
	best := -1
	consider := func(i int, ok bool) {
		if !ok || matchPrefix(name, r.registries[i].Prefix) < 0 {
			return
		}
		if best < 0 || len(r.registries[i].Prefix) > len(r.registries[best].Prefix) ||
			len(r.registries[i].Prefix) == len(r.registries[best].Prefix) && i < best {
			best = i
		}
	}
	for n := range len(name) + 1 {
		if boundary(name, n) == n {
			i, ok := r.plain[name[:n]]
			consider(i, ok)
		}
	}
	host, _, _ := strings.Cut(name, "/")
	for n := range len(host) {
		if host[n] == '.' {
			domain := host[n:]
			if end := strings.IndexAny(domain, ":@"); end >= 0 {
				domain = domain[:end]
			}
			i, ok := r.wildcards[domain]
			consider(i, ok)
		}
	}
	if best < 0 {
		return nil
	}
	return &r.registries[best]
}

// Resolve returns the pull sources of an image in the order the runtime tries them. It
// fails where the runtime fails the whole pull: a rewritten reference that is not a valid
// canonical name.
func (r *Resolver) Resolve(ref Reference) (Resolution, error) {
	return r.ResolveFirst(ref, -1)
}

// ResolveFirst is Resolve with at most maxMirrors mirrors (all when negative) before the
// registry's own location: an image's work and report stay in proportion to it however
// many mirrors an entry has. It does not see what the mirrors left out would fail.
func (r *Resolver) ResolveFirst(ref Reference, maxMirrors int) (Resolution, error) {
	reg := r.Find(ref.Name)
	if reg == nil {
		return Resolution{Sources: []Source{{Reference: ref}}}, nil
	}
	digested := ref.Digest != ""
	var endpoints []Endpoint
	omitted := 0
	for _, m := range reg.Mirrors {
		switch {
		case reg.MirrorByDigestOnly && !digested:
			continue
		case m.PullFromMirror == MirrorByDigestOnly && !digested:
			continue
		case m.PullFromMirror == MirrorByTagOnly && digested:
			continue
		}
		if maxMirrors >= 0 && len(endpoints) == maxMirrors {
			omitted++
			continue
		}
		endpoints = append(endpoints, m)
	}
	mirrors := len(endpoints)
	endpoints = append(endpoints, reg.Endpoint)

	res := Resolution{Prefix: reg.Prefix, Sources: make([]Source, 0, len(endpoints)), Omitted: omitted}
	for i, ep := range endpoints {
		rewritten, err := r.rewrite(ref, reg.Prefix, ep.Location)
		if err != nil {
			return Resolution{}, err
		}
		own := r.Find(rewritten.Name)
		res.Sources = append(res.Sources, Source{
			Reference: rewritten,
			Mirror:    i < mirrors,
			Insecure:  ep.Insecure,
			Blocked:   own != nil && own.Blocked,
		})
	}
	return res, nil
}

// rewrite replaces the part of ref's name that prefix matched by location; an empty
// location (a wildcard entry's own) keeps ref.
func (r *Resolver) rewrite(ref Reference, prefix, location string) (Reference, error) {
	n := matchPrefix(ref.Name, prefix)
	if n < 0 {
		return Reference{}, fmt.Errorf("invalid prefix %q for reference %q", prefix, ref)
	}
	if location == "" {
		return ref, nil
	}
	out := ref
	out.Name = location + ref.Name[n:]
	if err := r.checkRewritten(location, ref.Name[n:], out.Name); err != nil {
		return Reference{}, fmt.Errorf("rewriting %q for %q: %w", ref, location, err)
	}
	return out, nil
}

// checkRewritten checks a rewritten name, location followed by the rest of a valid name.
// When that rest is one or more path components, the name is valid when the location is
// valid in front of a path (checked once per location), the name is not too long, and
// Docker Hub does not name it otherwise (docker.io with one path component).
func (r *Resolver) checkRewritten(location, rest, name string) error {
	if !strings.HasPrefix(rest, "/") {
		return checkName(name)
	}
	r.mu.Lock()
	err, ok := r.locations[location]
	if !ok {
		err = checkName(location + "/x/x") // two components: docker.io takes one below
		r.locations[location] = err
	}
	r.mu.Unlock()
	switch {
	case err != nil:
		return err
	case len(name) > nameMaxLength:
		return errors.New("repository name longer than 255 characters")
	case location == "docker.io" && !strings.Contains(rest[1:], "/"):
		return errors.New("not a canonical repository name: Docker Hub names it otherwise")
	}
	return nil
}

// matchPrefix returns the length of the part of a name that prefix matches, or -1. A plain
// prefix matches the whole name or up to a '/', ':' or '@' (so example.com matches
// example.com:5000/x, as the runtime does); *.example.com matches a host ending in
// .example.com, at the first place that suffix occurs, before any '/'.
func matchPrefix(name, prefix string) int {
	if isWildcard(prefix) {
		suffix := prefix[1:]
		i := strings.Index(name, suffix)
		if i < 0 || strings.Contains(name[:i], "/") {
			return -1
		}
		return boundary(name, i+len(suffix))
	}
	if !strings.HasPrefix(name, prefix) {
		return -1
	}
	return boundary(name, len(prefix))
}

// boundary returns n when name ends at n or continues with '/', ':' or '@'; else -1.
func boundary(name string, n int) int {
	if n == len(name) {
		return n
	}
	switch name[n] {
	case '/', ':', '@':
		return n
	}
	return -1
}
