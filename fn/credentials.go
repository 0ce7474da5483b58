package fn

import (
	"bytes"
	"fmt"

	"pullgen.dev/pullgen/internal/core/credsource"
	"pullgen.dev/pullgen/internal/core/dockercfg"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// resolve reads every credential of the spec's registries and returns the auths they
// make, keyed as they will be written. It reports every source that cannot be read and
// every auths key that two registries would give different credentials. With keysOnly, a
// user name or password that cannot be read becomes a placeholder instead.
func resolve(pa *v1alpha1.PullAccess, r *credsource.Resolver, keysOnly bool) (dockercfg.Auths, Problems) {
	var p Problems
	if keysOnly {
		keys := *r
		keys.KeysOnly = true // a credential store is never asked
		r = &keys
	}
	auths := dockercfg.Auths{}
	owner := map[string]string{} // auths key → field that wrote it
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
		}
	}
	for i, reg := range pa.Spec.Registries {
		f := fmt.Sprintf("spec.registries[%d]", i)
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
	return auths, p
}

// globalPullSecret merges the spec's auths into the cluster's pull secret read from
// spec.globalPullSecret.base, under its onConflict policy.
func globalPullSecret(pa *v1alpha1.PullAccess, r *credsource.Resolver, auths dockercfg.Auths) (dockercfg.Auths, Problems) {
	var p Problems
	g := pa.Spec.GlobalPullSecret
	raw, err := r.Value(g.Base)
	if err != nil {
		p.add("spec.globalPullSecret.base", err.Error())
		return nil, p
	}
	base, err := dockercfg.ParseDockerConfigJSON([]byte(raw))
	if err != nil {
		p.add("spec.globalPullSecret.base", err.Error())
		return nil, p
	}
	merged, conflicts := dockercfg.Merge(base, auths, g.OnConflict)
	for _, k := range conflicts {
		p.addf("spec.globalPullSecret.onConflict", "registry %q is in the base pull secret and in spec.registries with another credential: set onConflict to replace or keep", k)
	}
	return merged, p
}
