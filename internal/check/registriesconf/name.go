package registriesconf

import (
	"errors"
	"regexp"
	"strings"
)

// nameMaxLength is the longest repository name the reference grammar accepts.
const nameMaxLength = 255

// canonicalName is the reference grammar's name (distribution/reference) with its domain
// required: host (a domain name or a bracketed IPv6 address) and optional port, then one or
// more path components.
var canonicalName = regexp.MustCompile(`^` +
	`(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])` +
	`(?::[0-9]+)?` +
	`(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$`)

// checkName accepts what the runtime's reference.ParseNamed accepts as a repository
// name: valid, not longer than 255 characters, and canonical, that is unchanged by Docker
// normalization (a first component that is a host: with a '.' or ':', localhost, or upper
// case; not index.docker.io; docker.io with a namespace).
func checkName(name string) error {
	first, rest, found := strings.Cut(name, "/")
	if !found {
		return errors.New("not a canonical repository name: it has no host")
	}
	if !strings.ContainsAny(first, ".:") && first != "localhost" && strings.ToLower(first) == first {
		return errors.New("not a canonical repository name: its first component is not a host")
	}
	if first == "index.docker.io" || first == "docker.io" && !strings.Contains(rest, "/") {
		return errors.New("not a canonical repository name: Docker Hub names it otherwise")
	}
	if len(name) > nameMaxLength {
		return errors.New("repository name longer than 255 characters")
	}
	if !canonicalName.MatchString(name) {
		return errors.New("not a valid repository name")
	}
	return nil
}
