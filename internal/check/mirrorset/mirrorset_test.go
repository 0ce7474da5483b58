package mirrorset

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"pullgen.dev/pullgen/internal/check/registriesconf"
)

func parse(t *testing.T, doc string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	return &n
}

// TestDecode reads each kind, with the field paths and lines findings will name.
func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want Set
	}{
		{"IDMS", `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata: {name: release}
spec:
  imageDigestMirrors:
  - source: quay.io/openshift-release-dev/ocp-release
    mirrors: [mirror.local/ocp/release]
    mirrorSourcePolicy: NeverContactSource
`, Set{Kind: KindIDMS, Name: "release", Rules: []Rule{{Source: "quay.io/openshift-release-dev/ocp-release",
			Mirrors: []string{"mirror.local/ocp/release"}, Policy: NeverContactSource, Field: "spec.imageDigestMirrors[0]", Line: 6}}}},
		{"ITMS", `apiVersion: config.openshift.io/v1
kind: ImageTagMirrorSet
metadata: {name: tags}
spec:
  imageTagMirrors:
  - {source: docker.io, mirrors: [mirror.local/hub, backup.local/hub]}
`, Set{Kind: KindITMS, Name: "tags", Rules: []Rule{{Source: "docker.io",
			Mirrors: []string{"mirror.local/hub", "backup.local/hub"}, Field: "spec.imageTagMirrors[0]", Line: 6}}}},
		{"ICSP has no policy", `apiVersion: operator.openshift.io/v1alpha1
kind: ImageContentSourcePolicy
metadata: {name: legacy}
spec:
  repositoryDigestMirrors:
  - {source: registry.redhat.io, mirrors: [mirror.local/rh], mirrorSourcePolicy: NeverContactSource}
`, Set{Kind: KindICSP, Name: "legacy", Rules: []Rule{{Source: "registry.redhat.io",
			Mirrors: []string{"mirror.local/rh"}, Field: "spec.repositoryDigestMirrors[0]", Line: 6}}}},
		{"empty spec", `{apiVersion: config.openshift.io/v1, kind: ImageDigestMirrorSet, metadata: {name: e}}`,
			Set{Kind: KindIDMS, Name: "e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(parse(t, tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeErrorsNameTheField checks that a value of the wrong shape is refused with its
// path.
func TestDecodeErrorsNameTheField(t *testing.T) {
	head := "apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: x}\n"
	tests := []struct{ spec, want string }{
		{"spec: [a]", "spec: must be an object"},
		{"spec: {imageDigestMirrors: {source: a}}", "spec.imageDigestMirrors: must be a list"},
		{"spec: {imageDigestMirrors: [a]}", "spec.imageDigestMirrors[0]: must be an object"},
		{"spec: {imageDigestMirrors: [{source: [a]}]}", "spec.imageDigestMirrors[0].source: must be a string"},
		{"spec: {imageDigestMirrors: [{source: a, mirrors: b}]}", "spec.imageDigestMirrors[0].mirrors: must be a list"},
		{"spec: {imageDigestMirrors: [{source: a, mirrors: [{b: c}]}]}", "spec.imageDigestMirrors[0].mirrors[0]: must be a string"},
		{"spec: {imageDigestMirrors: [{source: a, mirrorSourcePolicy: [x]}]}", "spec.imageDigestMirrors[0].mirrorSourcePolicy: must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Decode(parse(t, head+tt.spec))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestIs(t *testing.T) {
	tests := []struct {
		apiVersion, kind string
		want             bool
	}{
		{"config.openshift.io/v1", KindIDMS, true},
		{"config.openshift.io/v1", KindITMS, true},
		{"operator.openshift.io/v1alpha1", KindICSP, true},
		{"operator.openshift.io/v1alpha1", KindIDMS, false},
		{"example.com/v1", KindITMS, false},
		{"config.openshift.io/v1", KindImage, false},
	}
	for _, tt := range tests {
		if got := Is(tt.apiVersion, tt.kind); got != tt.want {
			t.Errorf("Is(%q, %q) = %v", tt.apiVersion, tt.kind, got)
		}
	}
}

func rule(source string, policy string, mirrors ...string) Rule {
	return Rule{Source: source, Mirrors: mirrors, Policy: policy, Field: "spec.imageDigestMirrors[0]"}
}

// TestValidate checks the API server's patterns and the Machine Config Operator's checks;
// the first case is the control that passes.
func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		sets []Set
		want []string // field: refusedBy: message start
	}{
		{"valid", []Set{
			{Kind: KindIDMS, Name: "a", Rules: []Rule{rule("quay.io/org", NeverContactSource, "mirror.local:5000/org", "Mirror.Example.com/x")}},
			{Kind: KindITMS, Name: "b", Rules: []Rule{rule("*.example.com", "", "mirror.local")}},
			{Kind: KindICSP, Name: "c", Rules: []Rule{rule("registry.redhat.io", "", "mirror.local/rh", "mirror.local/rh")}},
		}, nil},
		{"bad source", []Set{{Kind: KindIDMS, Name: "a", Rules: []Rule{rule("https://quay.io", "", "m.local")}}},
			[]string{"spec.imageDigestMirrors[0].source: api: source \"https://quay.io\""}},
		{"wildcard mirror", []Set{{Kind: KindITMS, Name: "a", Rules: []Rule{rule("quay.io", "", "*.local")}}},
			[]string{"spec.imageDigestMirrors[0].mirrors[0]: api: mirror \"*.local\""}},
		{"upper-case path", []Set{{Kind: KindICSP, Name: "a", Rules: []Rule{rule("quay.io/Org", "", "m.local")}}},
			[]string{"spec.imageDigestMirrors[0].source: mco: source \"quay.io/Org\""}},
		{"unknown policy", []Set{{Kind: KindIDMS, Name: "a", Rules: []Rule{rule("quay.io", "Sometimes", "m.local")}}},
			[]string{"spec.imageDigestMirrors[0].mirrorSourcePolicy: api: mirrorSourcePolicy \"Sometimes\""}},
		{"mirror twice", []Set{{Kind: KindIDMS, Name: "a", Rules: []Rule{rule("quay.io", "", "m.local", "m.local")}}},
			[]string{"spec.imageDigestMirrors[0].mirrors[1]: api: mirror \"m.local\" is listed twice"}},
		{"never contact, source as mirror", []Set{{Kind: KindIDMS, Name: "a", Rules: []Rule{rule("quay.io", NeverContactSource, "m.local", "quay.io")}}},
			[]string{"spec.imageDigestMirrors[0].mirrors[1]: mco: NeverContactSource with the source"}},
		{"policies disagree across kinds", []Set{
			{Kind: KindIDMS, Name: "a", Rules: []Rule{rule("quay.io", NeverContactSource, "m.local")}},
			{Kind: KindITMS, Name: "b", Rules: []Rule{rule("quay.io", "", "t.local")}},
		}, []string{"spec.imageDigestMirrors[0].mirrorSourcePolicy: mco: source \"quay.io\" has AllowContactingSource here and NeverContactSource"}},
		{"explicit Allow agrees with unset", []Set{
			{Kind: KindIDMS, Name: "a", Rules: []Rule{rule("quay.io", AllowContactingSource, "m.local")}},
			{Kind: KindICSP, Name: "b", Rules: []Rule{rule("quay.io", "", "t.local")}},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Validate(tt.sets)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems %+v, want %d", len(got), got, len(tt.want))
			}
			for i, p := range got {
				s := p.Field + ": " + p.RefusedBy + ": " + p.Message
				if !strings.HasPrefix(s, tt.want[i]) {
					t.Errorf("problem %q, want %q...", s, tt.want[i])
				}
			}
		})
	}
}

// TestRegistrySourcesValidate checks the operator's scope rule with passing controls.
func TestRegistrySourcesValidate(t *testing.T) {
	rs := RegistrySources{
		Insecure: []string{"example.com", "*.example.com", "quay.io/org", "**.example.com", "*.example.com/x"},
		Blocked:  []string{"", "example.*.com", "*.a.com:5000"},
	}
	var got []string
	for _, p := range rs.Validate() {
		got = append(got, p.Field)
	}
	want := []string{"spec.registrySources.insecureRegistries[3]", "spec.registrySources.insecureRegistries[4]",
		"spec.registrySources.blockedRegistries[0]", "spec.registrySources.blockedRegistries[1]", "spec.registrySources.blockedRegistries[2]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestMergeOrder checks how the lists of several rules for one source are merged.
func TestMergeOrder(t *testing.T) {
	tests := []struct {
		name  string
		lists [][]string
		want  []string
	}{
		{"one list keeps its order", [][]string{{"z", "y", "x"}}, []string{"z", "y", "x"}},
		{"chained lists", [][]string{{"a", "b", "c"}, {"c", "d", "e"}}, []string{"a", "b", "c", "d", "e"}},
		{"chained the other way", [][]string{{"b", "c"}, {"a", "b"}}, []string{"a", "b", "c"}},
		{"independent lists interleave by name", [][]string{{"m2", "m1"}, {"k"}}, []string{"k", "m2", "m1"}},
		{"conflicting orders: stable", [][]string{{"a", "b"}, {"b", "a"}}, []string{"a", "b"}},
		{"the source among mirrors stays when not last", [][]string{{"z", "src", "y"}, {"src", "y", "x"}}, []string{"z", "src", "y", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, mergeOrder("src", tt.lists)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func ep(location, mode string) registriesconf.Endpoint {
	return registriesconf.Endpoint{Location: location, PullFromMirror: mode}
}

const (
	digestOnly = registriesconf.MirrorByDigestOnly
	tagOnly    = registriesconf.MirrorByTagOnly
)

// TestTranslate checks the registries.conf written for mirror sets and registry sources.
// The ground truth module under internal/testsupport/groundtruth compares Translate with the Machine
// Config Operator's own code on a larger corpus.
func TestTranslate(t *testing.T) {
	idms := func(rules ...Rule) Set { return Set{Kind: KindIDMS, Name: "d", Rules: rules} }
	itms := func(rules ...Rule) Set { return Set{Kind: KindITMS, Name: "t", Rules: rules} }
	loc := func(l string) registriesconf.Endpoint { return registriesconf.Endpoint{Location: l} }
	tests := []struct {
		name string
		sets []Set
		rs   RegistrySources
		want []registriesconf.Registry
	}{
		{"digest and tag mirrors of one source share an entry", []Set{
			itms(rule("quay.io/org", "", "t.local/org")),
			idms(rule("quay.io/org", "", "d1.local/org", "d2.local/org")),
		}, RegistrySources{}, []registriesconf.Registry{
			{Endpoint: loc("quay.io/org"), Mirrors: []registriesconf.Endpoint{ep("d1.local/org", digestOnly), ep("d2.local/org", digestOnly), ep("t.local/org", tagOnly)}},
		}},
		{"never contact blocks the source for tags too", []Set{idms(rule("quay.io/org", NeverContactSource, "d.local/org"))}, RegistrySources{},
			[]registriesconf.Registry{{Endpoint: loc("quay.io/org"), Blocked: true, Mirrors: []registriesconf.Endpoint{ep("d.local/org", digestOnly)}}}},
		{"no real mirror: no entry, policy ignored", []Set{idms(rule("quay.io/org", NeverContactSource, "quay.io/org"), rule("docker.io", NeverContactSource))}, RegistrySources{}, nil},
		{"sources in order, wildcard as a prefix", []Set{idms(rule("registry.redhat.io", "", "m.local/rh"), rule("*.example.com", "", "m.local/ex"))}, RegistrySources{},
			[]registriesconf.Registry{
				{Prefix: "*.example.com", Mirrors: []registriesconf.Endpoint{ep("m.local/ex", digestOnly)}},
				{Endpoint: loc("registry.redhat.io"), Mirrors: []registriesconf.Endpoint{ep("m.local/rh", digestOnly)}},
			}},
		{"a blocked namespace inside a source gets its mirrors", []Set{idms(rule("quay.io", "", "m.local/quay"))}, RegistrySources{Blocked: []string{"quay.io/bad"}},
			[]registriesconf.Registry{
				{Endpoint: loc("quay.io"), Mirrors: []registriesconf.Endpoint{ep("m.local/quay", digestOnly)}},
				{Endpoint: loc("quay.io/bad"), Blocked: true, Mirrors: []registriesconf.Endpoint{ep("m.local/quay/bad", digestOnly)}},
			}},
		{"insecure spreads to nested entries and mirrors", []Set{idms(rule("quay.io/org", "", "m.local/org"))}, RegistrySources{Insecure: []string{"*.local", "quay.io"}},
			[]registriesconf.Registry{
				{Endpoint: registriesconf.Endpoint{Location: "quay.io/org", Insecure: true}, Mirrors: []registriesconf.Endpoint{{Location: "m.local/org", PullFromMirror: digestOnly, Insecure: true}}},
				{Prefix: "*.local", Endpoint: registriesconf.Endpoint{Insecure: true}},
				{Endpoint: registriesconf.Endpoint{Location: "quay.io", Insecure: true}},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Translate(tt.sets, tt.rs)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.Registries); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestTranslateRefusesNestingInAWildcardSource checks the operator's failure, beside the
// same scope under a plain source (the control).
func TestTranslateRefusesNestingInAWildcardSource(t *testing.T) {
	rs := RegistrySources{Blocked: []string{"bad.example.com"}}
	plain := []Set{{Kind: KindIDMS, Name: "d", Rules: []Rule{rule("bad.example.com", "", "m.local")}}}
	if _, err := Translate(plain, rs); err != nil {
		t.Fatalf("control: %v", err)
	}
	wild := []Set{{Kind: KindIDMS, Name: "d", Rules: []Rule{rule("*.example.com", "", "m.local")}}}
	if _, err := Translate(wild, rs); err == nil || !strings.Contains(err.Error(), "inside the wildcard source") {
		t.Errorf("error %v", err)
	}
}

// TestTranslateThenResolve follows an image from mirror sets to the sources the runtime
// tries.
func TestTranslateThenResolve(t *testing.T) {
	c, err := Translate([]Set{
		{Kind: KindIDMS, Name: "release", Rules: []Rule{rule("quay.io/openshift-release-dev", NeverContactSource, "mirror.local/ocp")}},
		{Kind: KindITMS, Name: "hub", Rules: []Rule{rule("docker.io", "", "mirror.local/hub")}},
	}, RegistrySources{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := registriesconf.New(c)
	if err != nil {
		t.Fatal(err)
	}
	d := "sha256:" + strings.Repeat("a", 64)
	tests := []struct {
		ref  registriesconf.Reference
		want []string
	}{
		{registriesconf.Reference{Name: "quay.io/openshift-release-dev/ocp-release", Digest: d},
			[]string{"mirror mirror.local/ocp/ocp-release@" + d, "source quay.io/openshift-release-dev/ocp-release@" + d + " blocked"}},
		{registriesconf.Reference{Name: "quay.io/openshift-release-dev/ocp-release", Tag: "4.20"},
			[]string{"source quay.io/openshift-release-dev/ocp-release:4.20 blocked"}},
		{registriesconf.Reference{Name: "docker.io/library/nginx", Tag: "1"},
			[]string{"mirror mirror.local/hub/library/nginx:1", "source docker.io/library/nginx:1"}},
		{registriesconf.Reference{Name: "docker.io/library/nginx", Digest: d},
			[]string{"source docker.io/library/nginx@" + d}},
	}
	for _, tt := range tests {
		res, err := r.Resolve(tt.ref)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range res.Sources {
			line := "source "
			if s.Mirror {
				line = "mirror "
			}
			line += s.Reference.String()
			if s.Blocked {
				line += " blocked"
			}
			got = append(got, line)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.ref, diff)
		}
	}
}

// BenchmarkTranslateManySources translates 20,000 sources on one host and under wildcard
// domains, with 1,000 blocked and 1,000 insecure scopes nested in them: the work grows
// with the entries and the depth of their names, not with their product.
func BenchmarkTranslateManySources(b *testing.B) {
	const n = 20000
	var rules []Rule
	var rs RegistrySources
	for i := range n {
		rules = append(rules, rule(fmt.Sprintf("quay.io/org%d", i), "", fmt.Sprintf("m.local/org%d", i)))
		if i%2 == 0 {
			rules = append(rules, rule(fmt.Sprintf("*.d%d.example.com", i), "", fmt.Sprintf("w.local/d%d", i)))
		}
		if i%20 == 0 {
			rs.Blocked = append(rs.Blocked, fmt.Sprintf("quay.io/org%d/blocked", i))
			rs.Insecure = append(rs.Insecure, fmt.Sprintf("quay.io/org%d/insecure", i+1))
		}
	}
	sets := []Set{{Kind: KindITMS, Name: "many", Rules: rules}}
	for b.Loop() {
		c, err := Translate(sets, rs)
		if err != nil || len(c.Registries) != n+n/2+2*(n/20) {
			b.Fatalf("%d entries, %v", len(c.Registries), err)
		}
	}
}
