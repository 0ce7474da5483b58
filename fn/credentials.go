package fn

import (
	"bytes"
	"fmt"

	"pullgen.dev/pullgen/internal/credsource"
	"pullgen.dev/pullgen/internal/dockercfg"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// Resolve reads every credential of the spec's registries and returns the auths they
// make, keyed as they will be written. It reports every source that cannot be read and
// every auths key that two registries would give different credentials.
func Resolve(pa *v1alpha1.PullAccess, r *credsource.Resolver) (dockercfg.Auths, Problems) {
	var p Problems
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
		if reg.UsernameFrom != nil {
			v, err := r.Value(*reg.UsernameFrom)
			if err != nil {
				p.add(f+".usernameFrom", err.Error())
				ok = false
			}
			user = v
		}
		var pass string
		if reg.PasswordFrom != nil {
			v, err := r.Value(*reg.PasswordFrom)
			if err != nil {
				p.add(f+".passwordFrom", err.Error())
				ok = false
			}
			pass = v
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

// GlobalPullSecret merges the spec's auths into the cluster's pull secret read from
// spec.globalPullSecret.base, under its onConflict policy.
func GlobalPullSecret(pa *v1alpha1.PullAccess, r *credsource.Resolver, auths dockercfg.Auths) (dockercfg.Auths, Problems) {
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
