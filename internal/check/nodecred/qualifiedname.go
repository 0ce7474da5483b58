package nodecred

import (
	"regexp"
	"strings"
)

// Kubernetes' qualified name: [prefix/]name, the name up to 63 characters of
// [A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9], the prefix a DNS subdomain (RFC 1123) of up to 253.
var (
	qualifiedNamePart = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	dnsSubdomain      = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// isQualifiedName is apimachinery's IsQualifiedName (no message, just the verdict).
func isQualifiedName(s string) bool {
	name := s
	if prefix, rest, found := strings.Cut(s, "/"); found {
		if prefix == "" || len(prefix) > 253 || !dnsSubdomain.MatchString(prefix) {
			return false
		}
		name = rest
	}
	return name != "" && len(name) <= 63 && qualifiedNamePart.MatchString(name)
}
