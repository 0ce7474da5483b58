package mirrorset

import (
	"fmt"
	"regexp"
	"strings"
)

// The patterns of openshift/api for a source (host, host/namespace..., or *.domain) and a
// mirror (no wildcard). The API server enforces them on ImageDigestMirrorSet and
// ImageTagMirrorSet; the Machine Config Operator checks them again, ImageContentSourcePolicy
// included, before it writes registries.conf.
const (
	hostPattern = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
	repoPattern = `^(` + hostPattern + `(?:(?:\.` + hostPattern + `)+)?(?::[0-9]+)?)(?:(?:/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$`
)

var (
	mirrorRE = regexp.MustCompile(repoPattern)
	sourceRE = regexp.MustCompile(`^\*(?:\.` + hostPattern + `)+$|` + repoPattern)
)

// Who refuses a problem.
const (
	// RefusedByAPI: the API server refuses the object; it cannot be applied.
	RefusedByAPI = "api"
	// RefusedByMCO: the Machine Config Operator refuses to render registries.conf, so no
	// mirror set takes effect on the nodes until it is fixed.
	RefusedByMCO = "mco"
)

// Problem is a mirror set value that the cluster refuses.
type Problem struct {
	// Set names the object (kind/name).
	Set string
	// Field is the path of the value (spec.imageDigestMirrors[0].mirrors[1]).
	Field string
	// Line is the rule's line, 0 when unknown.
	Line int
	// RefusedBy is RefusedByAPI or RefusedByMCO.
	RefusedBy string
	// Message says what is wrong.
	Message string
}

// Validate checks mirror sets as the API server (patterns, mirrorSourcePolicy's values,
// mirrors listed once) and the Machine Config Operator (patterns of legacy policies too,
// one mirrorSourcePolicy per source across all sets, NeverContactSource with the source
// among its mirrors) do, in the order given.
func Validate(sets []Set) []Problem {
	var out []Problem
	policies := map[string]string{}
	for _, s := range sets {
		refusedBy := RefusedByAPI
		if s.Kind == KindICSP {
			refusedBy = RefusedByMCO
		}
		add := func(r Rule, field, by, format string, args ...any) {
			out = append(out, Problem{Set: s.String(), Field: field, Line: r.Line, RefusedBy: by, Message: fmt.Sprintf(format, args...)})
		}
		for _, r := range s.Rules {
			if !sourceRE.MatchString(r.Source) {
				add(r, r.Field+".source", refusedBy, "source %q is not host[:port][/namespace...] or *.domain", r.Source)
			}
			switch r.Policy {
			case "", AllowContactingSource, NeverContactSource:
			default:
				add(r, r.Field+".mirrorSourcePolicy", RefusedByAPI, "mirrorSourcePolicy %q is not AllowContactingSource or NeverContactSource", r.Policy)
			}
			seen := map[string]bool{}
			for j, m := range r.Mirrors {
				f := fmt.Sprintf("%s.mirrors[%d]", r.Field, j)
				if !mirrorRE.MatchString(m) {
					add(r, f, refusedBy, "mirror %q is not host[:port][/namespace...]", m)
				}
				if seen[m] && s.Kind != KindICSP {
					add(r, f, RefusedByAPI, "mirror %q is listed twice", m)
				}
				seen[m] = true
				if r.NeverContact() && m == r.Source {
					add(r, f, RefusedByMCO, "NeverContactSource with the source %q among its own mirrors", m)
				}
			}
			policy := r.Policy
			if policy == "" {
				policy = AllowContactingSource
			}
			if first, ok := policies[r.Source]; ok && first != policy {
				add(r, r.Field+".mirrorSourcePolicy", RefusedByMCO, "source %q has %s here and %s in another rule: one policy per source across all mirror sets", r.Source, policy, first)
			} else if !ok {
				policies[r.Source] = policy
			}
		}
	}
	return out
}

// hasRealMirror tells whether a rule names a mirror other than its source: a rule without
// one is not a mirror rule and its policy is ignored.
func (r Rule) hasRealMirror() bool {
	for _, m := range r.Mirrors {
		if m != r.Source {
			return true
		}
	}
	return false
}

// isWildcard tells whether a scope is *.domain.
func isWildcard(scope string) bool { return strings.HasPrefix(scope, "*.") }
