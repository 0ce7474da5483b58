package groundtruth

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	oldregistries "github.com/containers/image/v5/pkg/sysregistriesv2"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	apicfgv1 "github.com/openshift/api/config/v1"
	apioperatorsv1alpha1 "github.com/openshift/api/operator/v1alpha1"
	mco "github.com/openshift/runtime-utils/pkg/registries"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"go.podman.io/image/v5/types"

	"pullgen.dev/pullgen/internal/check/mirrorset"
	"pullgen.dev/pullgen/internal/check/pullcheck"
	"pullgen.dev/pullgen/internal/check/registriesconf"
)

// mirrorCase is one cluster's mirror configuration and the images to resolve under it.
type mirrorCase struct {
	name    string
	sets    []mirrorset.Set
	sources mirrorset.RegistrySources
	images  []string
}

// TestMirrorsAgainstTheRuntime checks, for every case of the corpus (hand-written cases,
// then generated ones), that
//
//   - mirrorset.Translate writes the registries.conf entries that the Machine Config
//     Operator's translation (runtime-utils EditRegistriesConfig) writes, or fails where it
//     fails;
//   - for every image, registriesconf resolves the same pull sources, in the same order,
//     with the same blocked attempts, as containers/image's sysregistriesv2 does when it
//     reads the registries.conf that Translate wrote, and as it does reading the operator's
//     own file.
func TestMirrorsAgainstTheRuntime(t *testing.T) {
	cases := append(handWrittenMirrorCases(), generatedMirrorCases(300)...)
	resolved := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if problems := mirrorset.Validate(c.sets); len(problems) > 0 {
				t.Fatalf("the corpus holds an invalid case: %+v", problems)
			}
			mine, err := mirrorset.Translate(c.sets, c.sources)
			theirs, theirErr := operatorTranslate(c.sets, c.sources)
			if (err != nil) != (theirErr != nil) {
				t.Fatalf("Translate error %v; the operator's %v", err, theirErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(fromOperator(theirs), mine.Registries, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("registries.conf entries (-operator +Translate):\n%s", diff)
			}
			mineSys := systemContext(t, mine.Encode())
			theirSys := systemContext(t, operatorTOML(t, theirs))
			resolver, err := registriesconf.New(mine)
			if err != nil {
				t.Fatalf("registriesconf.New: %v", err)
			}
			for _, image := range c.images {
				want, wantErr := runtimeSources(mineSys, image)
				alsoWant, alsoErr := runtimeSources(theirSys, image)
				if diff := cmp.Diff(want, alsoWant); diff != "" || (wantErr == nil) != (alsoErr == nil) {
					t.Fatalf("%s: containers/image resolves Translate's and the operator's files differently (-Translate +operator):\n%s", image, diff)
				}
				got, err := resolve(resolver, image)
				if (err != nil) != (wantErr != nil) {
					t.Errorf("%s: Resolve error %v; containers/image's %v", image, err, wantErr)
					continue
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: sources (-containers/image +registriesconf):\n%s", image, diff)
				}
				resolved++
			}
		})
	}
	t.Logf("%d cases, %d image resolutions compared", len(cases), resolved)
}

// operatorTranslate runs the Machine Config Operator's translation on an empty
// registries.conf, as the operator does on the node's base file.
func operatorTranslate(sets []mirrorset.Set, rs mirrorset.RegistrySources) (*oldregistries.V2RegistriesConf, error) {
	var idms []*apicfgv1.ImageDigestMirrorSet
	var itms []*apicfgv1.ImageTagMirrorSet
	var icsp []*apioperatorsv1alpha1.ImageContentSourcePolicy
	for _, s := range sets {
		switch s.Kind {
		case mirrorset.KindIDMS:
			o := &apicfgv1.ImageDigestMirrorSet{}
			for _, r := range s.Rules {
				o.Spec.ImageDigestMirrors = append(o.Spec.ImageDigestMirrors, apicfgv1.ImageDigestMirrors{
					Source: r.Source, Mirrors: imageMirrors(r.Mirrors), MirrorSourcePolicy: apicfgv1.MirrorSourcePolicy(r.Policy)})
			}
			idms = append(idms, o)
		case mirrorset.KindITMS:
			o := &apicfgv1.ImageTagMirrorSet{}
			for _, r := range s.Rules {
				o.Spec.ImageTagMirrors = append(o.Spec.ImageTagMirrors, apicfgv1.ImageTagMirrors{
					Source: r.Source, Mirrors: imageMirrors(r.Mirrors), MirrorSourcePolicy: apicfgv1.MirrorSourcePolicy(r.Policy)})
			}
			itms = append(itms, o)
		case mirrorset.KindICSP:
			o := &apioperatorsv1alpha1.ImageContentSourcePolicy{}
			for _, r := range s.Rules {
				o.Spec.RepositoryDigestMirrors = append(o.Spec.RepositoryDigestMirrors, apioperatorsv1alpha1.RepositoryDigestMirrors{Source: r.Source, Mirrors: r.Mirrors})
			}
			icsp = append(icsp, o)
		}
	}
	conf := &oldregistries.V2RegistriesConf{}
	if err := mco.EditRegistriesConfig(conf, rs.Insecure, rs.Blocked, icsp, idms, itms); err != nil {
		return nil, err
	}
	return conf, nil
}

func imageMirrors(ms []string) []apicfgv1.ImageMirror {
	out := make([]apicfgv1.ImageMirror, len(ms))
	for i, m := range ms {
		out[i] = apicfgv1.ImageMirror(m)
	}
	return out
}

// fromOperator restates the operator's entries in registriesconf's types.
func fromOperator(conf *oldregistries.V2RegistriesConf) []registriesconf.Registry {
	var out []registriesconf.Registry
	for _, r := range conf.Registries {
		reg := registriesconf.Registry{
			Prefix:             r.Prefix,
			Endpoint:           registriesconf.Endpoint{Location: r.Location, Insecure: r.Insecure, PullFromMirror: r.PullFromMirror},
			Blocked:            r.Blocked,
			MirrorByDigestOnly: r.MirrorByDigestOnly,
		}
		for _, m := range r.Mirrors {
			reg.Mirrors = append(reg.Mirrors, registriesconf.Endpoint{Location: m.Location, Insecure: m.Insecure, PullFromMirror: m.PullFromMirror})
		}
		out = append(out, reg)
	}
	return out
}

// operatorTOML encodes the operator's configuration as the operator does.
func operatorTOML(t *testing.T, conf *oldregistries.V2RegistriesConf) []byte {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(conf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// systemContext points containers/image at a registries.conf holding data and at an empty
// drop-in directory.
func systemContext(t *testing.T, data []byte) *types.SystemContext {
	dir := t.TempDir()
	conf := filepath.Join(dir, "registries.conf")
	if err := os.WriteFile(conf, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "registries.conf.d"), 0o700); err != nil {
		t.Fatal(err)
	}
	return &types.SystemContext{SystemRegistriesConfPath: conf, SystemRegistriesConfDirPath: filepath.Join(dir, "registries.conf.d")}
}

// runtimeSources is what containers/image's docker transport does with an image: the
// registry entry for its name, the pull sources of that entry (or the image alone), and,
// per source, whether the entry for the source's own name is blocked, which fails the
// attempt (docker_client.go newDockerClient).
func runtimeSources(sys *types.SystemContext, image string) ([]registriesconf.Source, error) {
	ref, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return nil, err
	}
	reg, err := sysregistriesv2.FindRegistry(sys, ref.Name())
	if err != nil {
		return nil, err
	}
	if reg == nil {
		reg = &sysregistriesv2.Registry{Prefix: ref.String(), Endpoint: sysregistriesv2.Endpoint{Location: ref.String()}}
	}
	sources, err := reg.PullSourcesFromReference(ref)
	if err != nil {
		return nil, err
	}
	out := make([]registriesconf.Source, len(sources))
	for i, s := range sources {
		own, err := sysregistriesv2.FindRegistry(sys, s.Reference.Name())
		if err != nil {
			return nil, err
		}
		out[i] = registriesconf.Source{
			Reference: toReference(s.Reference),
			Mirror:    i < len(sources)-1,
			Insecure:  s.Endpoint.Insecure,
			Blocked:   own != nil && own.Blocked,
		}
	}
	return out, nil
}

func toReference(ref reference.Named) registriesconf.Reference {
	out := registriesconf.Reference{Name: ref.Name()}
	if tagged, ok := ref.(reference.Tagged); ok {
		out.Tag = tagged.Tag()
	}
	if digested, ok := ref.(reference.Digested); ok {
		out.Digest = digested.Digest().String()
	}
	return out
}

// resolve is pullgen's side: the image normalized as the check normalizes it, its tag and
// digest, resolved by registriesconf.
func resolve(r *registriesconf.Resolver, image string) ([]registriesconf.Source, error) {
	name, err := pullcheck.NormalizeImage(image)
	if err != nil {
		return nil, err
	}
	ref, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return nil, err
	}
	want := toReference(ref)
	if want.Name != name {
		return nil, fmt.Errorf("pullcheck normalizes %q to %q, containers/image to %q", image, name, want.Name)
	}
	res, err := r.Resolve(want)
	return res.Sources, err
}

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func rule(source, policy string, mirrors ...string) mirrorset.Rule {
	return mirrorset.Rule{Source: source, Policy: policy, Mirrors: mirrors}
}

func set(kind string, rules ...mirrorset.Rule) mirrorset.Set {
	return mirrorset.Set{Kind: kind, Name: "s", Rules: rules}
}

// withForms gives each image by tag, by digest and by both.
func withForms(images ...string) []string {
	var out []string
	for _, i := range images {
		out = append(out, i+":1", i+"@"+digest, i+":1@"+digest)
	}
	return out
}

const (
	never = mirrorset.NeverContactSource
	allow = mirrorset.AllowContactingSource
	idms  = mirrorset.KindIDMS
	itms  = mirrorset.KindITMS
	icsp  = mirrorset.KindICSP
)

// handWrittenMirrorCases name what each case is about.
func handWrittenMirrorCases() []mirrorCase {
	return []mirrorCase{
		{name: "digest mirrors", sets: []mirrorset.Set{set(idms, rule("quay.io/org", "", "mirror.local/org", "backup.local:5000/quay/org"))},
			images: withForms("quay.io/org/app", "quay.io/org/app/sub", "quay.io/organization/app", "quay.io/other/app")},
		{name: "tag mirrors", sets: []mirrorset.Set{set(itms, rule("quay.io/org", "", "mirror.local/org"))},
			images: withForms("quay.io/org/app")},
		{name: "NeverContactSource on digests blocks tags too", sets: []mirrorset.Set{set(idms, rule("quay.io/org", never, "mirror.local/org"))},
			images: withForms("quay.io/org/app", "quay.io/other/app")},
		{name: "AllowContactingSource", sets: []mirrorset.Set{set(itms, rule("quay.io/org", allow, "mirror.local/org"))},
			images: withForms("quay.io/org/app")},
		{name: "nested scopes do not combine", sets: []mirrorset.Set{
			set(idms, rule("quay.io", "", "all.local/quay"), rule("quay.io/org/app", "", "app.local/app")),
		}, images: withForms("quay.io/org/app", "quay.io/org/app/sub", "quay.io/org/other")},
		{name: "wildcard source", sets: []mirrorset.Set{set(idms, rule("*.example.com", "", "mirror.local/example"))},
			images: withForms("a.example.com/app", "b.c.example.com/team/app", "example.com/app", "a.example.com:5000/app", "quay.io/x.example.com/app")},
		{name: "wildcard and exact host of one length", sets: []mirrorset.Set{
			set(idms, rule("*.a.com", "", "wild.local"), rule("x.a.com", "", "exact.local")),
		}, images: withForms("x.a.com/app", "y.a.com/app")},
		{name: "digest and tag sets on one source", sets: []mirrorset.Set{
			set(idms, rule("registry.redhat.io", "", "mirror.local/rh")),
			set(itms, rule("registry.redhat.io", "", "tags.local/rh")),
		}, images: withForms("registry.redhat.io/ubi9/ubi")},
		{name: "legacy policy merged with a digest set", sets: []mirrorset.Set{
			set(icsp, rule("registry.redhat.io", "", "b.local/rh", "c.local/rh")),
			set(idms, rule("registry.redhat.io", "", "a.local/rh", "b.local/rh")),
		}, images: withForms("registry.redhat.io/ubi9/ubi")},
		{name: "source among its mirrors", sets: []mirrorset.Set{
			set(idms, rule("quay.io/org", "", "z.local/org", "quay.io/org", "y.local/org")),
		}, images: withForms("quay.io/org/app")},
		{name: "Docker Hub", sets: []mirrorset.Set{set(itms, rule("docker.io", "", "mirror.local/hub"))},
			images: withForms("nginx", "library/nginx", "docker.io/team/app", "index.docker.io/team/app")},
		{name: "a host source matches the host with a port", sets: []mirrorset.Set{set(itms, rule("reg.local", "", "mirror.local"))},
			images: withForms("reg.local/app", "reg.local:5000/app")},
		{name: "mirror that rewrites to a non-canonical name", sets: []mirrorset.Set{set(itms, rule("quay.io/org", "", "mirrorhost/org", "mirror.local/org"))},
			images: withForms("quay.io/org/app", "quay.io/other/app")},
		{name: "blocked namespace inside a source gets its mirrors", sets: []mirrorset.Set{set(idms, rule("quay.io", "", "mirror.local/quay"))},
			sources: mirrorset.RegistrySources{Blocked: []string{"quay.io/bad"}}, images: withForms("quay.io/bad/app", "quay.io/good/app")},
		{name: "a mirror inside a blocked scope", sets: []mirrorset.Set{set(idms, rule("quay.io", "", "blocked.local/quay", "mirror.local/quay"))},
			sources: mirrorset.RegistrySources{Blocked: []string{"blocked.local"}}, images: withForms("quay.io/org/app")},
		{name: "insecure scopes", sets: []mirrorset.Set{set(idms, rule("quay.io/org", "", "mirror.local/org", "safe.example.com/org"))},
			sources: mirrorset.RegistrySources{Insecure: []string{"*.local", "quay.io"}}, images: withForms("quay.io/org/app")},
		{name: "blocked scope inside a wildcard source", sets: []mirrorset.Set{set(idms, rule("*.example.com", "", "mirror.local"))},
			sources: mirrorset.RegistrySources{Blocked: []string{"bad.example.com"}}},
		{name: "rule without a real mirror", sets: []mirrorset.Set{set(idms, rule("quay.io/org", "", "quay.io/org"), rule("quay.io/other", never))},
			images: withForms("quay.io/org/app", "quay.io/other/app")},
	}
}

// The vocabulary of generated cases: sources, mirrors and scopes that nest, overlap, use
// wildcards and ports, and images across them.
var (
	genSources = []string{"quay.io", "quay.io/org", "quay.io/org/app", "registry.redhat.io", "registry.redhat.io/ubi9",
		"*.example.com", "*.b.example.com", "a.example.com", "reg.local:5000", "reg.local", "docker.io", "docker.io/library"}
	genMirrors = []string{"mirror.local", "mirror.local/x", "m2.local:8443/y", "quay.io/mirror", "backup.local/z/w",
		"a.example.com/mirror", "mirrorhost/x"}
	genScopes = []string{"quay.io/org/bad", "mirror.local", "*.local", "reg.local:5000/team", "backup.local", "*.example.com",
		"registry.redhat.io/ubi9/ubi", "docker.io/library/busybox"}
	genImages = []string{"quay.io/org/app", "quay.io/org/app/sub", "quay.io/org/bad/x", "quay.io/other/x",
		"registry.redhat.io/ubi9/ubi", "registry.redhat.io/rhel9/x", "a.example.com/org/app", "c.b.example.com/app",
		"example.com/app", "reg.local:5000/team/app", "reg.local/app", "nginx", "busybox", "docker.io/team/app"}
)

// generatedMirrorCases draws n configurations from a fixed seed: one to four mirror sets of
// each kind mixed, rules with one to three mirrors (sometimes the source itself), one
// policy per source across all sets (the operator refuses two), sometimes insecure and
// blocked scopes; every generated image in each of its forms.
func generatedMirrorCases(n int) []mirrorCase {
	rng := rand.New(rand.NewPCG(18, 2026))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	var out []mirrorCase
	for i := 0; i < n; i++ {
		policy := map[string]string{}
		c := mirrorCase{name: fmt.Sprintf("generated-%03d", i), images: withForms(genImages...)}
		for s := 0; s < 1+rng.IntN(4); s++ {
			kind := []string{idms, itms, icsp}[rng.IntN(3)]
			var rules []mirrorset.Rule
			for r := 0; r < 1+rng.IntN(3); r++ {
				source := pick(genSources)
				p, ok := policy[source]
				if !ok {
					p = []string{"", allow, never}[rng.IntN(3)]
					policy[source] = p
				}
				if kind == icsp && p != "" && p != allow {
					continue // a legacy policy cannot say never; it would conflict
				}
				var mirrors []string
				for m := 0; m < 1+rng.IntN(3); m++ {
					mirror := pick(genMirrors)
					if rng.IntN(8) == 0 && !strings.HasPrefix(source, "*") && p != never {
						mirror = source
					}
					if !slices.Contains(mirrors, mirror) {
						mirrors = append(mirrors, mirror)
					}
				}
				rulePolicy := p
				if kind == icsp {
					rulePolicy = ""
				}
				rules = append(rules, rule(source, rulePolicy, mirrors...))
			}
			c.sets = append(c.sets, set(kind, rules...))
		}
		if rng.IntN(3) == 0 {
			c.sources.Blocked = []string{pick(genScopes)}
		}
		if rng.IntN(3) == 0 {
			c.sources.Insecure = []string{pick(genScopes)}
		}
		out = append(out, c)
	}
	return out
}
