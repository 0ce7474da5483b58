package registriesconf

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// src is a short way to write an expected source: "M " for a mirror, "S " for the
// registry's own location, then the reference, and " blocked" when the attempt fails.
func src(s string) Source {
	mirror := strings.HasPrefix(s, "M ")
	s = s[2:]
	blocked := strings.HasSuffix(s, " blocked")
	s = strings.TrimSuffix(s, " blocked")
	var ref Reference
	ref.Name, ref.Digest, _ = strings.Cut(s, "@")
	if i := strings.LastIndex(ref.Name, ":"); i > strings.LastIndex(ref.Name, "/") {
		ref.Name, ref.Tag = ref.Name[:i], ref.Name[i+1:]
	}
	return Source{Reference: ref, Mirror: mirror, Blocked: blocked}
}

func srcs(ss ...string) []Source {
	out := make([]Source, len(ss))
	for i, s := range ss {
		out[i] = src(s)
	}
	return out
}

func byDigest(name string) Reference   { return Reference{Name: name, Digest: digest} }
func byTag(name, tag string) Reference { return Reference{Name: name, Tag: tag} }

func mirrors(mode string, locations ...string) []Endpoint {
	out := make([]Endpoint, len(locations))
	for i, l := range locations {
		out[i] = Endpoint{Location: l, PullFromMirror: mode}
	}
	return out
}

// TestResolve checks pull sources against the rules of containers/image's
// sysregistriesv2 (FindRegistry, PullSourcesFromReference, rewriteReference) and of its
// docker transport (a blocked entry fails the attempt on its repositories). The ground
// truth module under internal/testsupport/groundtruth runs the same questions through containers/image
// itself.
func TestResolve(t *testing.T) {
	quayDigest := Registry{Endpoint: Endpoint{Location: "quay.io/org"}, Mirrors: mirrors(MirrorByDigestOnly, "mirror.local/org", "backup.local/quay/org")}
	tests := []struct {
		name       string
		registries []Registry
		ref        Reference
		wantPrefix string
		want       []Source
	}{
		{"no entry: the image itself", nil, byTag("quay.io/org/app", "1"), "",
			srcs("S quay.io/org/app:1")},
		{"digest mirrors for a digest", []Registry{quayDigest}, byDigest("quay.io/org/app"), "quay.io/org",
			srcs("M mirror.local/org/app@"+digest, "M backup.local/quay/org/app@"+digest, "S quay.io/org/app@"+digest)},
		{"digest mirrors skipped for a tag", []Registry{quayDigest}, byTag("quay.io/org/app", "1"), "quay.io/org",
			srcs("S quay.io/org/app:1")},
		{"tag mirrors for a tag", []Registry{{Endpoint: Endpoint{Location: "quay.io/org"}, Mirrors: mirrors(MirrorByTagOnly, "mirror.local/org")}},
			byTag("quay.io/org/app", "1"), "quay.io/org", srcs("M mirror.local/org/app:1", "S quay.io/org/app:1")},
		{"tag mirrors skipped for a digest", []Registry{{Endpoint: Endpoint{Location: "quay.io/org"}, Mirrors: mirrors(MirrorByTagOnly, "mirror.local/org")}},
			byDigest("quay.io/org/app"), "quay.io/org", srcs("S quay.io/org/app@" + digest)},
		{"digest and tag mirrors on one entry, digest", []Registry{{Endpoint: Endpoint{Location: "quay.io/org"},
			Mirrors: append(mirrors(MirrorByDigestOnly, "d.local/org"), mirrors(MirrorByTagOnly, "t.local/org")...)}},
			byDigest("quay.io/org/app"), "quay.io/org", srcs("M d.local/org/app@"+digest, "S quay.io/org/app@"+digest)},
		{"mirror-by-digest-only on the entry", []Registry{{Endpoint: Endpoint{Location: "quay.io"}, MirrorByDigestOnly: true, Mirrors: mirrors("", "m.local")}},
			byTag("quay.io/org/app", "1"), "quay.io", srcs("S quay.io/org/app:1")},
		{"mirrors for all", []Registry{{Endpoint: Endpoint{Location: "quay.io"}, Mirrors: mirrors(MirrorAll, "m.local")}},
			byTag("quay.io/org/app", "1"), "quay.io", srcs("M m.local/org/app:1", "S quay.io/org/app:1")},
		{"blocked source (NeverContactSource)", []Registry{{Endpoint: Endpoint{Location: "quay.io/org"}, Blocked: true, Mirrors: mirrors(MirrorByDigestOnly, "mirror.local/org")}},
			byDigest("quay.io/org/app"), "quay.io/org", srcs("M mirror.local/org/app@"+digest, "S quay.io/org/app@"+digest+" blocked")},
		{"blocked source and a tag: nothing works", []Registry{{Endpoint: Endpoint{Location: "quay.io/org"}, Blocked: true, Mirrors: mirrors(MirrorByDigestOnly, "mirror.local/org")}},
			byTag("quay.io/org/app", "1"), "quay.io/org", srcs("S quay.io/org/app:1 blocked")},
		{"a mirror inside a blocked entry fails", []Registry{quayDigest, {Endpoint: Endpoint{Location: "mirror.local"}, Blocked: true}},
			byDigest("quay.io/org/app"), "quay.io/org", srcs("M mirror.local/org/app@"+digest+" blocked", "M backup.local/quay/org/app@"+digest, "S quay.io/org/app@"+digest)},
		{"longest prefix wins, nested scopes do not combine", []Registry{
			{Endpoint: Endpoint{Location: "quay.io"}, Mirrors: mirrors("", "all.local")},
			{Endpoint: Endpoint{Location: "quay.io/org/app"}, Mirrors: mirrors("", "app.local/x")}},
			byTag("quay.io/org/app", "1"), "quay.io/org/app", srcs("M app.local/x:1", "S quay.io/org/app:1")},
		{"prefix needs a boundary", []Registry{{Endpoint: Endpoint{Location: "quay.io/org"}, Mirrors: mirrors("", "m.local")}},
			byTag("quay.io/organization/app", "1"), "", srcs("S quay.io/organization/app:1")},
		{"a host prefix matches the host with a port", []Registry{{Endpoint: Endpoint{Location: "reg.example.com"}, Mirrors: mirrors("", "m.local")}},
			byTag("reg.example.com:5000/app", "1"), "reg.example.com", srcs("M m.local:5000/app:1", "S reg.example.com:5000/app:1")},
		{"wildcard prefix", []Registry{{Prefix: "*.example.com", Mirrors: mirrors("", "m.local/ex")}},
			byTag("a.b.example.com/team/app", "1"), "*.example.com", srcs("M m.local/ex/team/app:1", "S a.b.example.com/team/app:1")},
		{"wildcard does not match the bare domain", []Registry{{Prefix: "*.example.com", Mirrors: mirrors("", "m.local")}},
			byTag("example.com/app", "1"), "", srcs("S example.com/app:1")},
		{"wildcard is matched in the host only", []Registry{{Prefix: "*.example.com", Mirrors: mirrors("", "m.local")}},
			byTag("quay.io/x.example.com/app", "1"), "", srcs("S quay.io/x.example.com/app:1")},
		{"wildcard matches at the first occurrence only", []Registry{{Prefix: "*.example.com", Mirrors: mirrors("", "m.local")}},
			byTag("a.example.com.example.com/app", "1"), "", srcs("S a.example.com.example.com/app:1")},
		{"wildcard ties with a host of the same length and sorts first", []Registry{
			{Endpoint: Endpoint{Location: "x.a.com"}, Mirrors: mirrors("", "exact.local")},
			{Prefix: "*.a.com", Mirrors: mirrors("", "wild.local")}},
			byTag("x.a.com/app", "1"), "*.a.com", srcs("M wild.local/app:1", "S x.a.com/app:1")},
		{"Docker Hub", []Registry{{Endpoint: Endpoint{Location: "docker.io"}, Mirrors: mirrors("", "m.local/hub")}},
			byTag("docker.io/library/nginx", "1"), "docker.io", srcs("M m.local/hub/library/nginx:1", "S docker.io/library/nginx:1")},
		{"tag and digest: by digest", []Registry{quayDigest}, Reference{Name: "quay.io/org/app", Tag: "1", Digest: digest}, "quay.io/org",
			srcs("M mirror.local/org/app:1@"+digest, "M backup.local/quay/org/app:1@"+digest, "S quay.io/org/app:1@"+digest)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(Config{Registries: tt.registries})
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Resolve(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if got.Prefix != tt.wantPrefix {
				t.Errorf("prefix %q, want %q", got.Prefix, tt.wantPrefix)
			}
			if diff := cmp.Diff(tt.want, got.Sources); diff != "" {
				t.Errorf("sources (-want +got):\n%s", diff)
			}
		})
	}
}

// TestResolveFirst checks that ResolveFirst keeps the first mirrors that apply to the image,
// counts those it leaves out (mirrors that do not apply are not counted), and always ends
// with the registry's own location.
func TestResolveFirst(t *testing.T) {
	reg := Registry{Endpoint: Endpoint{Location: "quay.io"},
		Mirrors: append(mirrors(MirrorByDigestOnly, "d1.local", "d2.local"), mirrors(MirrorByTagOnly, "t1.local", "t2.local", "t3.local")...)}
	r, err := New(Config{Registries: []Registry{reg}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref         Reference
		max         int
		want        []Source
		wantOmitted int
	}{
		{byTag("quay.io/app", "1"), -1, srcs("M t1.local/app:1", "M t2.local/app:1", "M t3.local/app:1", "S quay.io/app:1"), 0},
		{byTag("quay.io/app", "1"), 3, srcs("M t1.local/app:1", "M t2.local/app:1", "M t3.local/app:1", "S quay.io/app:1"), 0},
		{byTag("quay.io/app", "1"), 1, srcs("M t1.local/app:1", "S quay.io/app:1"), 2},
		{byTag("quay.io/app", "1"), 0, srcs("S quay.io/app:1"), 3},
		{byDigest("quay.io/app"), 1, srcs("M d1.local/app@"+digest, "S quay.io/app@"+digest), 1},
	}
	for _, tt := range tests {
		got, err := r.ResolveFirst(tt.ref, tt.max)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got.Sources); diff != "" || got.Omitted != tt.wantOmitted {
			t.Errorf("%s, %d mirrors: omitted %d, want %d; sources (-want +got):\n%s", tt.ref, tt.max, got.Omitted, tt.wantOmitted, diff)
		}
	}
}

// TestResolveRefusesNonCanonicalRewrites checks that a mirror whose rewritten reference
// the runtime's parser refuses fails the pull, and that a valid one (the control) does not.
func TestResolveRefusesNonCanonicalRewrites(t *testing.T) {
	tests := []struct {
		location string
		image    string
		wantErr  string
	}{
		{"mirror.local", "quay.io/org/app", ""},
		{"localhost", "quay.io/org/app", ""},
		{"Mirror/ns", "quay.io/org/app", ""},
		{"[::1]:5000/ns", "quay.io/org/app", ""},
		{"mirror", "quay.io/org/app", "first component is not a host"},
		{"docker.io", "quay.io/app", "Docker Hub names it otherwise"},
		{"index.docker.io/library", "quay.io/app", "Docker Hub names it otherwise"},
		{"mirror.local/" + strings.Repeat("a", 250), "quay.io/org/app", "longer than 255"},
	}
	for _, tt := range tests {
		t.Run(tt.location, func(t *testing.T) {
			r, err := New(Config{Registries: []Registry{{Endpoint: Endpoint{Location: "quay.io"}, Mirrors: mirrors("", tt.location)}}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Resolve(byTag(tt.image, "1"))
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestNewRefusesWhatTheRuntimeRefuses checks the load-time checks, each beside an entry
// that passes.
func TestNewRefusesWhatTheRuntimeRefuses(t *testing.T) {
	tests := []struct {
		name    string
		regs    []Registry
		wantErr string
	}{
		{"valid", []Registry{{Endpoint: Endpoint{Location: "quay.io/"}, Mirrors: mirrors(MirrorByDigestOnly, "m.local/")}}, ""},
		{"valid wildcard", []Registry{{Prefix: "*.example.com"}}, ""},
		{"nothing set", []Registry{{}}, "both location and prefix are unset"},
		{"scheme", []Registry{{Endpoint: Endpoint{Location: "https://quay.io"}}}, "URI schemes"},
		{"prefix without location", []Registry{{Prefix: "quay.io"}}, "location is unset"},
		{"wildcard with a path", []Registry{{Prefix: "*.example.com/x"}}, "wildcard prefix"},
		{"pull-from-mirror on the registry", []Registry{{Endpoint: Endpoint{Location: "quay.io", PullFromMirror: MirrorAll}}}, "for mirrors only"},
		{"mirror without location", []Registry{{Endpoint: Endpoint{Location: "quay.io"}, Mirrors: []Endpoint{{}}}}, "location is unset"},
		{"digest-only twice", []Registry{{Endpoint: Endpoint{Location: "quay.io"}, MirrorByDigestOnly: true, Mirrors: mirrors(MirrorByDigestOnly, "m.local")}}, "both set"},
		{"unknown pull-from-mirror", []Registry{{Endpoint: Endpoint{Location: "quay.io"}, Mirrors: mirrors("sometimes", "m.local")}}, "unsupported pull-from-mirror"},
		{"conflicting blocked", []Registry{{Endpoint: Endpoint{Location: "quay.io"}}, {Prefix: "quay.io/x", Endpoint: Endpoint{Location: "quay.io"}, Blocked: true}}, "conflicting blocked"},
		{"conflicting insecure", []Registry{{Endpoint: Endpoint{Location: "quay.io"}}, {Prefix: "quay.io/x", Endpoint: Endpoint{Location: "quay.io", Insecure: true}}}, "conflicting insecure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Config{Registries: tt.regs})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestNewKeepsTheFirstEntryOfAPrefix checks that of two entries with one prefix the first
// written is the one used, as the runtime does.
func TestNewKeepsTheFirstEntryOfAPrefix(t *testing.T) {
	r, err := New(Config{Registries: []Registry{
		{Endpoint: Endpoint{Location: "quay.io"}, Mirrors: mirrors("", "first.local")},
		{Endpoint: Endpoint{Location: "quay.io"}, Mirrors: mirrors("", "second.local")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Resolve(byTag("quay.io/a/b", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(srcs("M first.local/a/b:1", "S quay.io/a/b:1"), got.Sources); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
}

// TestEncode checks the TOML written for an entry with every field, and its escaping.
func TestEncode(t *testing.T) {
	c := Config{Registries: []Registry{
		{Endpoint: Endpoint{Location: "quay.io/org"}, Blocked: true, Mirrors: []Endpoint{
			{Location: "mirror.local/org", Insecure: true, PullFromMirror: MirrorByDigestOnly},
		}},
		{Prefix: `*.ex"ample\.com`},
	}}
	want := `[[registry]]
prefix = ""
location = "quay.io/org"
blocked = true

  [[registry.mirror]]
  location = "mirror.local/org"
  insecure = true
  pull-from-mirror = "digest-only"

[[registry]]
prefix = "*.ex\"ample\\.com"
`
	if diff := cmp.Diff(want, string(c.Encode())); diff != "" {
		t.Errorf("TOML (-want +got):\n%s", diff)
	}
}

// BenchmarkFindManyEntries looks up 1,000 names among 20,000 entries on one host and
// 10,000 wildcard domains: each lookup costs the depth of its name, not the number of
// entries.
func BenchmarkFindManyEntries(b *testing.B) {
	var c Config
	for i := range 20000 {
		c.Registries = append(c.Registries, Registry{Endpoint: Endpoint{Location: fmt.Sprintf("quay.io/org%d", i)}})
		if i%2 == 0 {
			c.Registries = append(c.Registries, Registry{Prefix: fmt.Sprintf("*.d%d.example.com", i)})
		}
	}
	r, err := New(c)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for i := range 1000 {
			if r.Find(fmt.Sprintf("quay.io/org%d/app", i)) == nil || r.Find(fmt.Sprintf("a.d%d.example.com/app", 2*i)) == nil {
				b.Fatalf("no entry for name %d", i)
			}
		}
	}
}
