package fn

import (
	"bytes"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"pullgen.dev/pullgen/internal/core/clusterpullsecret"
	"pullgen.dev/pullgen/internal/core/credsource"
	"pullgen.dev/pullgen/internal/core/dockercfg"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// credentials are the auths the spec's registries make, keyed as they will be written.
type credentials struct {
	// all holds every entry: the global pull secret gets them all.
	all dockercfg.Auths
	// field is the field that wrote each key.
	field map[string]string
	// mirrorOnly holds the keys that only mirror registries write: they stay out of the
	// namespace Secrets.
	mirrorOnly map[string]bool
}

// namespaced are the auths of the namespace Secrets: all but the mirrors'.
func (c credentials) namespaced() dockercfg.Auths {
	if len(c.mirrorOnly) == 0 {
		return c.all
	}
	out := dockercfg.Auths{}
	for k, v := range c.all {
		if !c.mirrorOnly[k] {
			out[k] = v
		}
	}
	return out
}

// resolve reads every credential of the spec's registries. It reports every source that
// cannot be read and every auths key that two registries would give different
// credentials. With keysOnly, a user name or password that cannot be read becomes a
// placeholder instead.
func resolve(pa *v1alpha1.PullAccess, r *credsource.Resolver, keysOnly bool) (credentials, Problems) {
	var p Problems
	if keysOnly {
		keys := *r
		keys.KeysOnly = true // a credential store is never asked
		r = &keys
	}
	c := credentials{all: dockercfg.Auths{}, field: map[string]string{}, mirrorOnly: map[string]bool{}}
	auths, owner := c.all, c.field
	mirror := false // whether the registry being read is a mirror
	put := func(f, key string, e dockercfg.Entry) {
		key = dockercfg.NormalizeKey(key)
		before, ok := auths[key]
		auths.Set(key, e)
		if ok && !bytes.Equal(before, auths[key]) {
			p.addf(f, "writes auths key %q with another credential than %s: docker and podman hold one entry per registry path", key, owner[key])
			auths[key] = before
			return
		}
		if !ok {
			owner[key] = f
			c.mirrorOnly[key] = mirror
		} else if !mirror {
			c.mirrorOnly[key] = false
		}
	}
	for i, reg := range pa.Spec.Registries {
		f := fmt.Sprintf("spec.registries[%d]", i)
		mirror = reg.Mirror
		if reg.FromConfig != nil {
			entries, err := r.FromConfig(*reg.FromConfig)
			if err != nil {
				p.add(f+".fromConfig", err.Error())
				continue
			}
			for _, e := range entries {
				put(f+".fromConfig", e.Key, dockercfg.NewEntry(e.Username, e.Password, e.Email))
			}
			continue
		}
		user := reg.Username
		ok := true
		value := func(field string, src *v1alpha1.Source) string {
			v, err := r.Value(*src)
			switch {
			case err == nil:
				return v
			case keysOnly:
				return credsource.KeysOnlyPlaceholder
			}
			p.add(field, err.Error())
			ok = false
			return ""
		}
		if reg.UsernameFrom != nil {
			user = value(f+".usernameFrom", reg.UsernameFrom)
		}
		var pass string
		if reg.PasswordFrom != nil {
			pass = value(f+".passwordFrom", reg.PasswordFrom)
		}
		if !ok {
			continue
		}
		if user == "<token>" {
			p.add(f, "username <token> marks an identity token, which the kubelet cannot use: give a robot account or access token with its user name")
			continue
		}
		e := dockercfg.NewEntry(user, pass, reg.Email)
		put(f+".server", reg.Server, e)
		for j, a := range reg.Aliases {
			put(fmt.Sprintf("%s.aliases[%d]", f, j), a, e)
		}
		if reg.AuthServer != "" {
			put(f+".authServer", reg.AuthServer, e)
		}
	}
	for k, only := range c.mirrorOnly {
		if !only {
			delete(c.mirrorOnly, k)
		}
	}
	return c, p
}

// mirrorNotes say, for each mirror registry, where its credential goes and why.
func mirrorNotes(pa *v1alpha1.PullAccess) Problems {
	var p Problems
	for i, reg := range pa.Spec.Registries {
		if reg.Mirror {
			p = append(p, Problem{Severity: framework.Info, Field: fmt.Sprintf("spec.registries[%d].mirror", i), Message: "written to the global pull secret " +
				"only: the container runtime authenticates a pull from a mirror with the node's credentials, never with the pod's pull secrets"})
		}
	}
	return p
}

// globalPullSecret is the global pull secret of the spec: for target cluster, the base
// read from spec.globalPullSecret.base with every credential of the spec merged in under
// onConflict; for target hosted, the spec's credentials alone, which the hosted cluster
// merges into its original pull secret itself. It reports what the hosted merge and the
// platform make of it.
func globalPullSecret(pa *v1alpha1.PullAccess, r *credsource.Resolver, creds credentials) (dockercfg.Auths, Problems) {
	var p Problems
	g := pa.Spec.GlobalPullSecret
	var base dockercfg.Auths
	if g.HasBase() {
		raw, err := r.Value(g.Base)
		if err == nil {
			base, err = dockercfg.ParseDockerConfigJSON([]byte(raw))
		}
		if err != nil {
			p.add("spec.globalPullSecret.base", err.Error())
			return nil, p
		}
	}
	if g.TargetValue() == v1alpha1.TargetHosted {
		p = append(p, hostedProblems(g, base, creds)...)
		return creds.all, p
	}
	merged, conflicts := dockercfg.Merge(base, creds.all, g.OnConflict)
	for _, k := range conflicts {
		p.addf("spec.globalPullSecret.onConflict", "registry %q is in the base pull secret and in spec.registries with another credential: set onConflict to replace or keep", k)
	}
	if g.Platform == v1alpha1.PlatformARO {
		p = append(p, aroProblems(clusterpullsecret.CheckARO(base, merged))...)
	}
	return merged, p
}

// hostedProblems says which of the spec's keys a hosted cluster ignores: those its
// original pull secret has (the base when given, else the keys every Red Hat pull secret
// has), since the original wins.
func hostedProblems(g *v1alpha1.GlobalPullSecret, base dockercfg.Auths, creds credentials) Problems {
	var p Problems
	if err := clusterpullsecret.ValidateAdditional(creds.all); err != nil {
		p.add("spec.registries", err.Error())
		return p
	}
	original := base
	of := "the hosted cluster's original pull secret (spec.globalPullSecret.base),"
	if original == nil {
		original = dockercfg.Auths{}
		for _, k := range clusterpullsecret.RedHatPullSecretKeys {
			original[k] = nil
		}
		of = "every Red Hat pull secret, and so the hosted cluster's original pull secret,"
	}
	merged, ignored := clusterpullsecret.MergeAdditional(original, creds.all)
	for _, k := range ignored {
		p = append(p, Problem{Severity: framework.Warning, Field: creds.field[k], Message: fmt.Sprintf(
			"auths key %q is in %s whose entry wins on the nodes: this credential is ignored; write it for a path instead (%s)",
			k, of, clusterpullsecret.PathKeyHint(k))})
	}
	if g.Platform == v1alpha1.PlatformARO && base != nil { // merged is then the base's merge
		if clusterpullsecret.CheckARO(base, merged).Telemetry {
			p = append(p, telemetryWarning())
		}
	}
	return p
}

// aroProblems turns what Azure Red Hat OpenShift makes of a global pull secret into
// problems.
func aroProblems(c clusterpullsecret.AROCheck) Problems {
	var p Problems
	if c.Dropped {
		p.addf("spec.globalPullSecret.onConflict", "Azure Red Hat OpenShift needs the base's %s entry as it is: keep it out of spec.registries (or set onConflict keep)", clusterpullsecret.AROServiceRegistry)
	}
	if c.Missing {
		p.addf("spec.globalPullSecret.base", "has no %s entry, which every Azure Red Hat OpenShift cluster's pull secret has: it is not this cluster's pull secret, and writing it would drop the cluster's own credential", clusterpullsecret.AROServiceRegistry)
	}
	if c.Telemetry {
		p = append(p, telemetryWarning())
	}
	return p
}

func telemetryWarning() Problem {
	return Problem{Severity: framework.Warning, Field: "spec.registries", Message: fmt.Sprintf(
		"adds %s, which turns on the cluster's telemetry and Insights reporting to Red Hat", clusterpullsecret.TelemetryRegistry)}
}
