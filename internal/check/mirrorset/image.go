package mirrorset

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"pullgen.dev/pullgen/internal/core/yamlnode"
)

// KindImage is the kind of the cluster's image configuration (config.openshift.io/v1,
// named cluster), whose registrySources the Machine Config Operator also writes into
// registries.conf.
const KindImage = "Image"

// IsImageConfig tells whether an object is the cluster's image configuration.
func IsImageConfig(apiVersion, kind, name string) bool {
	return kind == KindImage && group(apiVersion) == configGroup && name == "cluster"
}

// RegistrySources are the scopes of spec.registrySources that shape registries.conf.
type RegistrySources struct {
	// Insecure scopes allow plain HTTP and unverified TLS.
	Insecure []string
	// Blocked scopes fail every pull from them (their mirrors still serve).
	Blocked []string
}

// DecodeImageConfig reads spec.registrySources.insecureRegistries and blockedRegistries.
func DecodeImageConfig(n *yaml.Node) (RegistrySources, error) {
	const path = "spec.registrySources"
	src := yamlnode.Field(yamlnode.Field(n, "spec"), "registrySources")
	var rs RegistrySources
	var err error
	if rs.Insecure, err = yamlnode.Strings(src, "insecureRegistries", path); err != nil {
		return RegistrySources{}, err
	}
	if rs.Blocked, err = yamlnode.Strings(src, "blockedRegistries", path); err != nil {
		return RegistrySources{}, err
	}
	return rs, nil
}

// Validate checks the scopes as the Machine Config Operator does: not empty, and a
// wildcard only as a leading *. before a host.
func (rs RegistrySources) Validate() []Problem {
	var out []Problem
	check := func(key string, scopes []string) {
		for i, s := range scopes {
			if s == "" || strings.Contains(s, "*") && (!isWildcard(s) || strings.ContainsAny(s[2:], "/@:*")) {
				out = append(out, Problem{Set: KindImage + "/cluster", Field: fmt.Sprintf("spec.registrySources.%s[%d]", key, i),
					RefusedBy: RefusedByMCO, Message: fmt.Sprintf("scope %q is not host[:port][/namespace...] or *.domain", s)})
			}
		}
	}
	check("insecureRegistries", rs.Insecure)
	check("blockedRegistries", rs.Blocked)
	return out
}
