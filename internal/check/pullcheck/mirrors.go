package pullcheck

import (
	"fmt"
	"slices"
	"strings"

	"pullgen.dev/pullgen/internal/core/glob"

	"pullgen.dev/pullgen/internal/check/mirrorset"
	"pullgen.dev/pullgen/internal/check/nodecred"
	"pullgen.dev/pullgen/internal/check/registriesconf"
)

// mirrorConfig is the registries.conf the nodes get from the mirror sets and the image
// configuration of the input and the cluster.
type mirrorConfig struct {
	resolver *registriesconf.Resolver
	// sources caches what the check knows of each pull source's repository.
	sources map[string]*sourceInfo
	// issues caches mirrorIssues.
	issues map[mirrorIssuesKey][]issue
}

// buildMirrors reads the mirror sets and the image configuration, reports what the API
// server or the Machine Config Operator refuses, and translates the rest into the
// registries.conf the operator writes. a.mirrors stays nil when there is nothing to
// translate, or when the operator would refuse (the nodes then keep a registries.conf the
// check does not know).
func (a *analyzer) buildMirrors() {
	ix := a.ix
	if len(ix.mirrorSets) == 0 && ix.imageConfig == nil {
		return
	}
	var sets []mirrorset.Set
	refs := map[string]objRef{}
	for _, ref := range ix.mirrorSets {
		set, err := mirrorset.Decode(ref.obj.Node.YNode())
		if err != nil {
			field, msg := splitFieldError(err)
			a.objectFinding(ref, field, 0, RuleInvalidMirrorSet, SeverityError, msg+": the API server refuses the object")
			continue
		}
		refs[set.String()] = ref
		sets = append(sets, set)
	}
	var rs mirrorset.RegistrySources
	problems := []mirrorset.Problem{}
	if ic := ix.imageConfig; ic != nil {
		var err error
		if rs, err = mirrorset.DecodeImageConfig(ic.obj.Node.YNode()); err != nil {
			field, msg := splitFieldError(err)
			a.objectFinding(*ic, field, 0, RuleInvalidMirrorSet, SeverityError, msg+": the API server refuses the object")
			return
		}
		refs[mirrorset.KindImage+"/cluster"] = *ic
		problems = append(problems, rs.Validate()...)
	}
	refused := map[string]bool{} // sets the API server refuses: they never reach the cluster
	for _, p := range mirrorset.Validate(sets) {
		if p.RefusedBy == mirrorset.RefusedByAPI {
			refused[p.Set] = true
		}
		problems = append(problems, p)
	}
	operatorRefuses := false
	for _, p := range problems {
		ref := refs[p.Set]
		msg := p.Message + ": the API server refuses the object"
		if p.RefusedBy == mirrorset.RefusedByMCO {
			operatorRefuses = true
			msg = p.Message + ": the Machine Config Operator refuses to write the nodes' registries.conf, so no mirror set takes effect until this is fixed"
		}
		a.objectFinding(ref, p.Field, ref.line(p.Line), RuleInvalidMirrorSet, SeverityError, msg)
	}
	if operatorRefuses {
		return
	}
	kept := sets[:0:0]
	for _, s := range sets {
		if !refused[s.String()] {
			kept = append(kept, s)
		}
	}
	conf, err := mirrorset.Translate(kept, rs)
	var r *registriesconf.Resolver
	if err == nil {
		r, err = registriesconf.New(conf)
	}
	if err != nil {
		ref := ix.mirrorSets[0]
		if ix.imageConfig != nil {
			ref = *ix.imageConfig
		}
		a.objectFinding(ref, "spec", 0, RuleInvalidMirrorSet, SeverityError,
			"the Machine Config Operator cannot write the nodes' registries.conf: "+err.Error())
		return
	}
	a.mirrors = &mirrorConfig{resolver: r, sources: map[string]*sourceInfo{}, issues: map[mirrorIssuesKey][]issue{}}
	a.mirrorKeysOfPullAccesses(r)
}

// splitFieldError splits "field.path: message" as package mirrorset's decoders write
// their errors.
func splitFieldError(err error) (field, msg string) {
	field, msg, ok := strings.Cut(err.Error(), ": ")
	if !ok {
		return "", err.Error()
	}
	return field, msg
}

// mirrorLocation is a mirror on another host than its source.
type mirrorLocation struct {
	location, source string
	// target and below are the location and a repository under it, split as the kubelet
	// compares them.
	target, below urlParts
}

// mirrorIndex holds mirrors in registries.conf order, indexed by host[:port].
type mirrorIndex struct {
	all    []mirrorLocation
	byHost map[string][]int
}

// otherHostMirrors lists the mirrors of the registries.conf whose host is not their
// source's: the runtime sends them the node's credentials only.
func otherHostMirrors(r *registriesconf.Resolver) mirrorIndex {
	x := mirrorIndex{byHost: map[string][]int{}}
	for _, reg := range r.Registries() {
		for _, m := range reg.Mirrors {
			host := nodecred.Host(m.Location)
			if host == nodecred.Host(reg.Prefix) {
				continue
			}
			target, ok := repoParts(m.Location)
			below, okBelow := repoParts(m.Location + "/x")
			if !ok || !okBelow {
				continue
			}
			x.byHost[host] = append(x.byHost[host], len(x.all))
			x.all = append(x.all, mirrorLocation{location: m.Location, source: reg.Prefix, target: target, below: below})
		}
	}
	return x
}

// mirrorKeysOfPullAccesses reports the registry keys of PullAccesses without a global pull
// secret (their credentials go to namespace Secrets only) that serve a mirror on another
// host than its source: the runtime never sends a pod's pull secrets there.
func (a *analyzer) mirrorKeysOfPullAccesses(r *registriesconf.Resolver) {
	mirrors := otherHostMirrors(r)
	if len(mirrors.all) == 0 {
		return
	}
	for _, ref := range a.ix.pullAccesses {
		n := ref.obj.Node.YNode()
		if path(n, "spec", "globalPullSecret") != nil {
			continue
		}
		for i, reg := range items(path(n, "spec", "registries")) {
			if scalar(field(reg, "mirror")) == "true" {
				continue
			}
			f := fmt.Sprintf("spec.registries[%d]", i)
			keys := []struct{ field, key string }{{f + ".server", scalar(field(reg, "server"))}}
			for j, al := range items(field(reg, "aliases")) {
				keys = append(keys, struct{ field, key string }{fmt.Sprintf("%s.aliases[%d]", f, j), scalar(al)})
			}
			for j, k := range items(path(reg, "fromConfig", "registries")) {
				keys = append(keys, struct{ field, key string }{fmt.Sprintf("%s.fromConfig.registries[%d]", f, j), scalar(k)})
			}
			for _, k := range keys {
				if m, ok := mirrors.served(k.key); ok {
					a.objectFinding(ref, k.field, 0, RuleMirrorSecretUnused, SeverityWarning, fmt.Sprintf(
						"registry key %q is for mirror %s (of %s), but it goes to namespace Secrets, which the container runtime never sends to a mirror on another host than the image's: mark the registry mirror: true, with spec.globalPullSecret, so that it goes to the nodes' credentials",
						k.key, m.location, m.source))
				}
			}
		}
	}
}

// served returns the first mirror an auths key serves: one whose repositories the key
// matches under the kubelet's rules, or one inside whose location the key lies. A key
// without wildcards in its host can serve mirrors on that host only.
func (x mirrorIndex) served(key string) (mirrorLocation, bool) {
	norm, ok := NormalizeKey(key)
	if !ok || key == "" {
		return mirrorLocation{}, false
	}
	g, ok := parseSchemeless(norm)
	if !ok || !g.compileGlobs() {
		return mirrorLocation{}, false
	}
	serves := func(m mirrorLocation) bool {
		return urlsMatch(g, m.target) || urlsMatch(g, m.below) || strings.HasPrefix(norm, m.location+"/")
	}
	if slices.ContainsFunc(g.globs, func(l *glob.Glob) bool { return l != nil }) {
		if i := slices.IndexFunc(x.all, serves); i >= 0 {
			return x.all[i], true
		}
		return mirrorLocation{}, false
	}
	for _, i := range x.byHost[nodecred.Host(norm)] {
		if serves(x.all[i]) {
			return x.all[i], true
		}
	}
	return mirrorLocation{}, false
}
