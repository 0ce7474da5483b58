package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"pullgen.dev/pullgen/internal/testsupport/tripwire"
)

// The hostile-repository suite: repositories generated in t.TempDir() that try every way
// out of render's sandbox through every kustomize field that names a file and every
// PullAccess source, rendered by the real binary the way the Argo CD sidecar runs it
// (ARGOCD_APP_SOURCE_PATH=app pullgen render, from r/app). Each must end with exit 2, an
// empty stdout, a clear error, no credential or outside marker in any output, no contact
// with a loopback HTTP listener, none of the marker programs (git, gpg, helm, ssh, first on
// PATH) run, within 10 s and 1 GiB.

// Markers that must never reach any output.
const (
	outsideMarker = "OUTSIDE-FILE-MARKER-7f3a"
	credMarker    = "CREDENTIAL-MARKER-91bc"
	keyMarker     = "AGE-SECRET-KEY-1HOSTILEMARKERNOTAREALKEY"
)

// hostileWorld is what every hostile case shares: an outside directory, a key file, a
// listener that counts connections (at addr), and marker programs.
type hostileWorld struct {
	outside, keyFile string
	listener         *tripwire.Server
	addr             string
	markers          *tripwire.Programs
	env              []string
}

func newHostileWorld(t *testing.T) *hostileWorld {
	w := &hostileWorld{outside: t.TempDir()}
	writeFile(t, filepath.Join(w.outside, "stolen.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stolen}\ndata: {x: "+outsideMarker+"}\n")
	writeFile(t, filepath.Join(w.outside, "repo", "kustomization.yaml"), "resources: [../stolen.yaml]\n")
	w.keyFile = filepath.Join(t.TempDir(), "keys.txt")
	writeFile(t, w.keyFile, keyMarker+"\n")

	w.listener = tripwire.NewServer(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fetched}\ndata: {x: "+outsideMarker+"}\n")
	w.addr = w.listener.Addr()
	w.markers = tripwire.NewPrograms(t, "git", "gpg", "gpg2", "helm", "ssh", "kustomize", "sops", "docker-credential-evil")
	w.env = []string{
		"PATH=" + w.markers.SearchPath(),
		"ARGOCD_APP_SOURCE_PATH=app", "ARGOCD_APP_NAME=hostile",
		"ARGOCD_ENV_TOKEN=" + credMarker,
		"SOPS_AGE_KEY_FILE=" + w.keyFile,
		"HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir(),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(w.outside, "stolen.yaml"),
		"HTTP_PROXY=", "HTTPS_PROXY=", "NO_PROXY=*",
	}
	return w
}

// hostileRepo is one generated repository: files and links under r/, relative to r/.
type hostileRepo struct {
	files map[string]string
	links map[string]string
	fifos []string
	huge  []string
}

// repoSpec is a PullAccess whose password comes from the Application's environment, or
// from source when given.
func repoSpec(source string) string {
	if source == "" {
		source = "{env: ARGOCD_ENV_TOKEN}"
	}
	return `apiVersion: pullgen.dev/v1alpha1
kind: PullAccess
metadata: {name: acme}
spec:
  namespaces: [team-a]
  registries:
  - {server: quay.io/acme, username: robot, passwordFrom: ` + source + `}
  output: {encrypt: false}
`
}

// hostileField is a kustomize field (or a PullAccess source) that names a file, with the
// repository that uses X there.
type hostileField struct {
	name  string
	files func(x string) map[string]string
}

const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n"

// fill puts x into a field template as a YAML double-quoted string, whatever x holds
// ("creds=X", a generator's key=path entry, is quoted whole).
func fill(template, x string) string {
	template = strings.ReplaceAll(template, "creds=X", strconv.Quote("creds="+x))
	return strings.ReplaceAll(template, "X", strconv.Quote(x))
}

func kustomizationWith(field string) func(string) map[string]string {
	return func(x string) map[string]string {
		return map[string]string{
			"app/kustomization.yaml": "resources: [cm.yaml]\n" + fill(field, x) + "\n",
			"app/cm.yaml":            configMap,
		}
	}
}

func builtinConfig(kind, field string) func(string) map[string]string {
	return func(x string) map[string]string {
		role := "transformers"
		if strings.HasSuffix(kind, "Generator") {
			role = "generators"
		}
		return map[string]string{
			"app/kustomization.yaml": "resources: [cm.yaml]\n" + role + ": [config.yaml]\n",
			"app/cm.yaml":            configMap,
			"app/config.yaml": "apiVersion: builtin\nkind: " + kind + "\nmetadata: {name: c}\n" +
				fill(field, x) + "\n",
		}
	}
}

func pullAccessSource(registry string) func(string) map[string]string {
	return func(x string) map[string]string {
		spec := repoSpec("")
		if strings.Contains(registry, "globalPullSecret") {
			spec += fill(registry, x) + "\n"
		} else {
			spec = strings.Replace(spec, "  - {server: quay.io/acme, username: robot, passwordFrom: {env: ARGOCD_ENV_TOKEN}}\n",
				fill(registry, x)+"\n", 1)
		}
		return map[string]string{
			"app/kustomization.yaml": "generators: [pa.yaml]\n",
			"app/pa.yaml":            spec,
		}
	}
}

var hostileFields = []hostileField{
	{"resources", kustomizationWith("resources: [X]")},
	{"components", kustomizationWith("components: [X]")},
	{"crds", kustomizationWith("crds: [X]")},
	{"generators", kustomizationWith("generators: [X]")},
	{"transformers", kustomizationWith("transformers: [X]")},
	{"validators", kustomizationWith("validators: [X]")},
	{"configurations", kustomizationWith("configurations: [X]")},
	{"openapi.path", kustomizationWith("openapi: {path: X}")},
	{"patches.path", kustomizationWith("patches: [{path: X, target: {kind: ConfigMap}}]")},
	{"patchesStrategicMerge", kustomizationWith("patchesStrategicMerge: [X]")},
	{"patchesJson6902.path", kustomizationWith("patchesJson6902: [{path: X, target: {version: v1, kind: ConfigMap, name: cm}}]")},
	{"replacements.path", kustomizationWith("replacements: [{path: X}]")},
	{"configMapGenerator.files", kustomizationWith("configMapGenerator: [{name: g, files: [creds=X]}]")},
	{"configMapGenerator.envs", kustomizationWith("configMapGenerator: [{name: g, envs: [X]}]")},
	{"configMapGenerator.env", kustomizationWith("configMapGenerator: [{name: g, env: X}]")},
	{"secretGenerator.files", kustomizationWith("secretGenerator: [{name: g, files: [X]}]")},
	{"secretGenerator.envs", kustomizationWith("secretGenerator: [{name: g, envs: [X]}]")},
	{"PatchTransformer.path", builtinConfig("PatchTransformer", "path: X\ntarget: {kind: ConfigMap}")},
	{"PatchStrategicMergeTransformer.paths", builtinConfig("PatchStrategicMergeTransformer", "paths: [X]")},
	{"PatchJson6902Transformer.path", builtinConfig("PatchJson6902Transformer", "path: X\ntarget: {version: v1, kind: ConfigMap, name: cm}")},
	{"ReplacementTransformer.replacements.path", builtinConfig("ReplacementTransformer", "replacements: [{path: X}]")},
	{"ConfigMapGenerator.files", builtinConfig("ConfigMapGenerator", "files: [X]")},
	{"SecretGenerator.envs", builtinConfig("SecretGenerator", "envs: [X]")},
	{"PullAccess.passwordFrom.file", pullAccessSource("  - {server: quay.io/acme, username: robot, passwordFrom: {file: X}}")},
	{"PullAccess.usernameFrom.file", pullAccessSource("  - {server: quay.io/acme, usernameFrom: {file: X}, passwordFrom: {env: ARGOCD_ENV_TOKEN}}")},
	{"PullAccess.fromConfig.file", pullAccessSource("  - fromConfig: {file: X}")},
	{"PullAccess.globalPullSecret.base", pullAccessSource("  globalPullSecret: {base: {file: X}}")},
}

// hostileForm is a value for X, with what the repository needs for it and the words the
// error must use.
type hostileForm struct {
	name  string
	value func(w *hostileWorld) string
	setup func(w *hostileWorld, r *hostileRepo)
	says  string
}

// billionLaughs is a 1 KB YAML document that expands to a billion nodes.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	b.WriteString("data: {x: *l8}\n")
	return b.String()
}

const remoteSays = "names a URL or a git remote"

var hostileForms = []hostileForm{
	{"http", func(w *hostileWorld) string { return "http://" + w.addr + "/x.yaml" }, nil, remoteSays},
	{"https", func(w *hostileWorld) string { return "https://" + w.addr + "/x.yaml" }, nil, remoteSays},
	{"metadata-service", func(w *hostileWorld) string {
		return "HTTP://169.254.169.254/latest/meta-data/iam/security-credentials/ROLE"
	}, nil, remoteSays},
	{"scp", func(w *hostileWorld) string { return "evil@127.0.0.1:org/repo" }, nil, remoteSays},
	{"git-at", func(w *hostileWorld) string { return "git@github.com:org/repo" }, nil, remoteSays},
	{"github-any-case", func(w *hostileWorld) string { return "GitHub.com/org/repo" }, nil, remoteSays},
	{"github-subdir", func(w *hostileWorld) string { return "github.com/org/repo//base?ref=v1" }, nil, remoteSays},
	{"forced-git", func(w *hostileWorld) string { return "GIT::u@host:r" }, nil, remoteSays},
	{"forced-git-http", func(w *hostileWorld) string { return "git::http://" + w.addr + "/org/repo" }, nil, remoteSays},
	{"ssh", func(w *hostileWorld) string { return "ssh://git@" + w.addr + "/org/repo" }, nil, remoteSays},
	{"file-scheme", func(w *hostileWorld) string { return "file://" + filepath.Join(w.outside, "repo") }, nil, remoteSays},
	{"ref-query", func(w *hostileWorld) string { return w.addr + "/org/repo?ref=main" }, nil, remoteSays},
	{"azure-git", func(w *hostileWorld) string { return "dev.azure.com/org/project/_git/repo" }, nil, remoteSays},
	{"absolute", func(w *hostileWorld) string { return filepath.Join(w.outside, "stolen.yaml") }, nil, "outside the repository root"},
	{"dotdot", func(w *hostileWorld) string { return "../../" + filepath.Base(w.outside) + "/stolen.yaml" }, nil, "outside the repository root"},
	{"symlink-out", func(w *hostileWorld) string { return "link.yaml" }, func(w *hostileWorld, r *hostileRepo) {
		r.links["app/link.yaml"] = filepath.Join(w.outside, "stolen.yaml")
	}, "outside the repository root"},
	{"symlink-dir-out", func(w *hostileWorld) string { return "linked/stolen.yaml" }, func(w *hostileWorld, r *hostileRepo) {
		r.links["app/linked"] = w.outside
	}, "outside the repository root"},
	{"key-file", func(w *hostileWorld) string { return "key.txt" }, func(w *hostileWorld, r *hostileRepo) {
		r.links["app/key.txt"] = w.keyFile
	}, "outside the repository root"},
	{"fifo", func(w *hostileWorld) string { return "fifo.yaml" }, func(w *hostileWorld, r *hostileRepo) {
		r.fifos = append(r.fifos, "app/fifo.yaml")
	}, "not a regular file"},
	{"symlink-to-fifo", func(w *hostileWorld) string { return "to-fifo.yaml" }, func(w *hostileWorld, r *hostileRepo) {
		r.fifos = append(r.fifos, "app/fifo.yaml")
		r.links["app/to-fifo.yaml"] = "fifo.yaml"
	}, "not a regular file"},
	{"dev-zero", func(w *hostileWorld) string { return "/dev/zero" }, nil, "outside the repository root"},
	{"symlink-dev", func(w *hostileWorld) string { return "tty.yaml" }, func(w *hostileWorld, r *hostileRepo) {
		r.links["app/tty.yaml"] = "/dev/stdin"
	}, "outside the repository root"},
	{"huge", func(w *hostileWorld) string { return "huge.yaml" }, func(w *hostileWorld, r *hostileRepo) {
		r.huge = append(r.huge, "app/huge.yaml")
	}, "--max-file-size"},
	{"alias-bomb", func(w *hostileWorld) string { return "bomb.yaml" }, func(w *hostileWorld, r *hostileRepo) {
		r.files["app/bomb.yaml"] = billionLaughs()
	}, "aliases expand to more than"},
	{"deep-nesting", func(w *hostileWorld) string { return "deep.yaml" }, func(w *hostileWorld, r *hostileRepo) {
		r.files["app/deep.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: {x: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "}\n"
	}, "nested more than"},
	{"link-loop", func(w *hostileWorld) string { return "loop.yaml" }, func(w *hostileWorld, r *hostileRepo) {
		r.links["app/loop.yaml"] = "loop.yaml"
	}, "too many levels of symbolic links"},
}

// TestHostileRepositories crosses every field with every form.
func TestHostileRepositories(t *testing.T) {
	w := newHostileWorld(t)
	for _, f := range hostileFields {
		for _, form := range hostileForms {
			t.Run(f.name+"/"+form.name, func(t *testing.T) {
				t.Parallel()
				r := &hostileRepo{files: f.files(form.value(w)), links: map[string]string{}}
				if form.setup != nil {
					form.setup(w, r)
				}
				w.refuse(t, r, nil, form.says)
			})
		}
	}
}

// TestHostileRepositoriesBeyondFields are the attacks that are not about one field: caps
// on work, programs, and plugins.
func TestHostileRepositoriesBeyondFields(t *testing.T) {
	w := newHostileWorld(t)
	namespaces := make([]string, 10_001)
	for i := range namespaces {
		namespaces[i] = fmt.Sprintf("ns-%d", i)
	}
	recipients := func(n int, stanzas int) string {
		var b strings.Builder
		b.WriteString("apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: team-a}\ndata: {a: \"ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]\"}\nsops:\n  age:\n")
		for i := 0; i < n; i++ {
			b.WriteString("  - recipient: age1qqqq\n    enc: |\n      -----BEGIN AGE ENCRYPTED FILE-----\n")
			b.WriteString(strings.Repeat("      -> X25519 AAAA\n      AAAA\n", stanzas))
			b.WriteString("      -----END AGE ENCRYPTED FILE-----\n")
		}
		b.WriteString("  mac: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]\n  version: 3.9.0\n")
		return b.String()
	}
	aliasedStanzas := "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: \"ENC[x]\"}\nsops:\n  age:\n  - &r\n    recipient: age1qqqq\n    enc: |\n      -----BEGIN AGE ENCRYPTED FILE-----\n" +
		strings.Repeat("      -> X25519 AAAA\n      AAAA\n", 150) + "      -----END AGE ENCRYPTED FILE-----\n" + strings.Repeat("  - *r\n", 999) + "  mac: x\n"
	var manyDocs strings.Builder
	for i := 0; i < 2500; i++ {
		fmt.Fprintf(&manyDocs, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\n", i)
	}
	longName := strings.Repeat("n", 10<<20)
	// A JSON patch that copies a value into itself, twice per level: 4 MiB becomes 16 GiB.
	var doubling []string
	for i := 0; i < 12; i++ {
		doubling = append(doubling, fmt.Sprintf(`{"op": "add", "path": "/data/d%d", "value": {}}, {"op": "copy", "from": "/data/d%d", "path": "/data/d%d/x"}, {"op": "copy", "from": "/data/d%d", "path": "/data/d%d/y"}`, i+1, i, i+1, i, i+1))
	}
	manyNamespaces := func(n int) string {
		ns := make([]string, n)
		for i := range ns {
			ns[i] = fmt.Sprintf("t%d", i)
		}
		return "[" + strings.Join(ns, ", ") + "]"
	}
	aliases := make([]string, 30_000)
	for i := range aliases {
		aliases[i] = fmt.Sprintf("mirror-%d.example.com", i)
	}
	var targets, fanout strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&targets, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: t%d}\ndata: {v: x}\n", i)
	}
	fanout.WriteString("resources: [big.yaml, targets.yaml]\nreplacements:\n- source: {kind: ConfigMap, name: big, fieldPath: data.v}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [data.v]\n")
	var transformers, generators strings.Builder
	files40 := map[string]string{}
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&transformers, "- t%d.yaml\n", i)
		files40[fmt.Sprintf("app/t%d.yaml", i)] = strings.Replace(repoSpec(""), "name: acme", fmt.Sprintf("name: t%d", i), 1)
	}
	files40["app/kustomization.yaml"] = "resources: [cm.yaml]\ntransformers:\n" + transformers.String()
	files40["app/cm.yaml"] = configMap
	ns := make([]string, 150)
	for i := range ns {
		ns[i] = fmt.Sprintf("ns-%d", i)
	}
	files20 := map[string]string{}
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&generators, "- g%d.yaml\n", i)
		files20[fmt.Sprintf("app/g%d.yaml", i)] = strings.Replace(strings.Replace(repoSpec(""), "name: acme", fmt.Sprintf("name: g%d", i), 1), "[team-a]", "["+strings.Join(ns, ", ")+"]", 1)
	}
	files20["app/kustomization.yaml"] = "generators:\n" + generators.String()
	for _, c := range []struct {
		name  string
		files map[string]string
		args  []string
		says  string
	}{
		{"many-namespaces", map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n",
			"app/pa.yaml": strings.Replace(repoSpec(""), "[team-a]", "["+strings.Join(namespaces, ", ")+"]", 1)}, nil, "more than the 10000 a PullAccess may have"},
		{"many-namespaces-flag", map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n",
			"app/pa.yaml": strings.Replace(repoSpec(""), "[team-a]", "[a, b, c]", 1)}, []string{"--max-namespaces", "2"}, "more than the 2 a PullAccess may have"},
		{"namespaces-through-an-alias", map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n",
			"app/pa.yaml": strings.Replace(strings.Replace(repoSpec(""), "  namespaces: [team-a]\n", "", 1), "ARGOCD_ENV_TOKEN}}\n", "ARGOCD_ENV_TOKEN}, aliases: &ns [team-a, team-b, team-c]}\n  namespaces: *ns\n", 1)},
			[]string{"--max-namespaces", "2"}, "3 namespaces, more than the 2 a PullAccess may have"},
		{"remote-file-through-an-alias", map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n",
			"app/pa.yaml": strings.Replace(repoSpec("{file: *u}"), "metadata: {name: acme}", "metadata: {name: acme, annotations: {x: &u \"http://"+w.addr+"/x\"}}", 1)},
			nil, "spec.registries[0].passwordFrom.file: \"http://"},
		{"ten-MiB-namespace", map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n",
			"app/pa.yaml": strings.Replace(repoSpec(""), "[team-a]", "["+longName+"]", 1)}, []string{"--max-file-size", "32Mi"}, "spec.namespaces[0]"},
		{"many-recipients", map[string]string{"app/kustomization.yaml": "resources: [s.yaml]\n", "app/s.yaml": recipients(1000, 1)}, nil, "more than 100 recipients"},
		{"many-stanzas", map[string]string{"app/kustomization.yaml": "resources: [s.yaml]\n", "app/s.yaml": recipients(1, 2000)}, nil, "more than 200 age stanzas"},
		{"recipients-aliasing-stanzas", map[string]string{"app/kustomization.yaml": "resources: [s.yaml]\n", "app/s.yaml": aliasedStanzas}, nil, "more than 100 recipients"},
		{"many-documents", map[string]string{"app/kustomization.yaml": "resources: [docs.yaml]\n", "app/docs.yaml": manyDocs.String()}, nil, "YAML documents"},
		{"many-nodes", map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\n", "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {" + strings.Repeat("k: v, ", 300_000) + "}\n"}, nil, "YAML nodes"},
		{"long-value-aliased", map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\n", "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\nx: &v " + strings.Repeat("v", 1<<20) + "\ndata: {" + strings.TrimSuffix(strings.Repeat("k: *v, ", 100), ", ") + "}\n"}, nil, "aliases expand to more than"},
		{"replacement-fan-out", map[string]string{"app/kustomization.yaml": fanout.String(), "app/targets.yaml": targets.String(),
			"app/big.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {v: " + strings.Repeat("v", 10<<20) + "}\n"}, nil, "the build holds more than"},
		{"many-transformer-builds", files40, nil, "at most 32 kustomize builds"},
		{"json-patch-copying-itself", map[string]string{"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  d0: {a: " + strings.Repeat("v", 4<<20) + "}\n",
			"app/kustomization.yaml": "resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap, name: big}\n  patch: '[" + strings.Join(doubling, ", ") + "]'\n"}, nil, "--max-memory"},
		// A credential that fits a Secret, in so many namespaces that the Secrets would not.
		{"namespaces-times-credential", map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n", "app/token.txt": strings.Repeat("p", 400<<10),
			"app/pa.yaml": strings.Replace(repoSpec("{file: token.txt}"), "[team-a]", manyNamespaces(1999), 1)}, nil, "one PullAccess may write"},
		{"namespaces-times-registry-keys", map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n",
			"app/pa.yaml": strings.Replace(strings.Replace(repoSpec(""), "[team-a]", manyNamespaces(1500), 1), "ARGOCD_ENV_TOKEN}}", "ARGOCD_ENV_TOKEN}, aliases: ["+strings.Join(aliases, ", ")+"]}", 1)}, nil, "a Kubernetes Secret may hold"},
		{"many-generated-objects", files20, nil, "PullAccess made more than the 2000 objects"},
		{"wide-mapping", map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\n", "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: wide}\ndata:\n" + wideMapping(40_000)}, nil, "a YAML mapping with 40000 keys"},
		{"mapping-widened-by-merges", map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\n", "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: wide}\nx: &a\n" + wideMapping(5000) + "data:\n  <<: [" + strings.TrimSuffix(strings.Repeat("*a, ", 40), ", ") + "]\n"}, nil, "a YAML mapping with 200000 keys"},
		{"annotations-times-objects", map[string]string{"app/kustomization.yaml": "resources: [docs.yaml]\ncommonAnnotations:\n" + wideMapping(1000), "app/docs.yaml": manyDocsUnder(1900)}, nil, "more work than render does"},
		{"wide-env-file", map[string]string{"app/kustomization.yaml": "configMapGenerator: [{name: g, envs: [e.env]}]\n", "app/e.env": strings.Repeat("K=v\n", 50_000)}, nil, "more than the 10000 a mapping may have"},
		{"many-generators", map[string]string{"app/kustomization.yaml": "configMapGenerator:\n" + strings.Repeat("- {name: g, literals: [a=b]}\n", 2500)}, nil, "objects a render may build"},
		{"many-wide-mappings", map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\n", "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: wide}\n" + wideMappings(20, 9999)}, nil, "too wide in all"},
		{"wide-patches", map[string]string{"app/kustomization.yaml": wildcardPatches(200), "app/docs.yaml": targets.String()}, nil, "more than 10 patches whose target selects"},
		{"alias-bomb-kustomization", map[string]string{"app/kustomization.yaml": billionLaughs()}, nil, "aliases expand to more than"},
		{"alias-bomb-pullaccess", map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n", "app/pa.yaml": repoSpec("") + strings.TrimPrefix(billionLaughs(), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\n")}, nil, "aliases expand to more than"},
		{"helm-charts", map[string]string{"app/kustomization.yaml": "helmCharts: [{name: evil, repo: https://example.com}]\n"}, nil, "helmCharts run the helm program"},
		{"helm-generator", map[string]string{"app/kustomization.yaml": "generators: [h.yaml]\n", "app/h.yaml": "apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata: {name: h}\nchartName: evil\n"}, nil, "helm"},
		{"exec-function", map[string]string{"app/kustomization.yaml": "transformers: [f.yaml]\n", "app/f.yaml": "apiVersion: x/v1\nkind: F\nmetadata:\n  name: f\n  annotations:\n    config.kubernetes.io/function: |\n      exec: {path: git}\n"}, nil, "KRM function"},
		{"credential-helper", map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n", "app/config.json": `{"auths":{"quay.io":{}},"credsStore":"evil"}`,
			"app/pa.yaml": strings.Replace(repoSpec(""), "  - {server: quay.io/acme, username: robot, passwordFrom: {env: ARGOCD_ENV_TOKEN}}\n", "  - fromConfig: {file: config.json, credentialHelpers: true}\n", 1)}, nil, "credential helper"},
		{"environment", map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n", "app/pa.yaml": repoSpec("{env: SOPS_AGE_KEY_FILE}")}, nil, "render reads only ARGOCD_ENV_"},
		{"invalid-map-key", map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n", "app/creds.yaml": "? {token: " + credMarker + "}\n: x\n",
			"app/pa.yaml": repoSpec("{file: creds.yaml, key: token}")}, nil, "creds.yaml"},
		{"kustomization-invalid-map-key", map[string]string{"app/kustomization.yaml": "? {resources: " + credMarker + "}\n: x\n"}, nil, "kustomization.yaml"},
		{"timeout", map[string]string{"app/kustomization.yaml": "resources: [docs.yaml]\n", "app/docs.yaml": manyDocs.String()}, []string{"--timeout", "1ms", "--max-documents", "0"}, "ran out of time"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w.refuse(t, &hostileRepo{files: c.files, links: map[string]string{}}, c.args, c.says)
		})
	}
}

// refuse generates the repository, renders it as Argo CD does, and checks that it was
// refused safely.
func (w *hostileWorld) refuse(t *testing.T, r *hostileRepo, args []string, says string) {
	t.Helper()
	top := t.TempDir()
	repo := filepath.Join(top, "r")
	for name, content := range r.files {
		writeFile(t, filepath.Join(repo, name), content)
	}
	for name, target := range r.links {
		os.MkdirAll(filepath.Dir(filepath.Join(repo, name)), 0o755)
		if err := os.Symlink(target, filepath.Join(repo, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range append(append([]string{}, r.fifos...), r.huge...) {
		os.MkdirAll(filepath.Dir(filepath.Join(repo, name)), 0o755)
	}
	for _, name := range r.fifos {
		if err := syscall.Mkfifo(filepath.Join(repo, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range r.huge {
		f, err := os.Create(filepath.Join(repo, name))
		if err != nil {
			t.Fatal(err)
		}
		f.Truncate(2 << 30) // sparse
		f.Close()
	}
	before := w.listener.Hits()
	res := runBounded(t, filepath.Join(repo, "app"), w.env, pullgen(), append([]string{"render"}, args...)...)
	if res.code != 2 {
		t.Errorf("exit %d, want 2; stderr: %s", res.code, res.stderr)
	}
	if res.stdout != "" {
		t.Errorf("stdout is not empty: %.300s", res.stdout)
	}
	if !strings.Contains(res.stderr, says) {
		t.Errorf("stderr does not say %q: %.600s", says, res.stderr)
	}
	if len(res.stderr) > 4000 {
		t.Errorf("stderr is %d bytes long", len(res.stderr))
	}
	for _, m := range []string{outsideMarker, credMarker, keyMarker} {
		if strings.Contains(res.stdout+res.stderr, m) {
			t.Errorf("%s reached the output", m)
		}
	}
	if n := w.listener.Hits() - before; n != 0 {
		t.Errorf("the loopback listener was contacted %d times", n)
	}
	if ran := w.markers.Ran(); len(ran) > 0 {
		t.Errorf("programs ran: %v", ran)
	}
	// Time is measured by the benchmarks (BenchmarkRenderRefusesSmallInputs); a test only
	// holds the run to its 30 s kill, whatever else the machine does.
	if res.maxRSS > 1<<30 {
		t.Errorf("peaked at %d MiB, beyond 1 GiB", res.maxRSS>>20)
	}
}

// boundedResult is a run's result with its peak memory.
type boundedResult struct {
	result
	maxRSS int64
}

// runBounded runs a command, killing it after 30 s, and measures it.
func runBounded(t *testing.T, dir string, env []string, name string, args ...string) boundedResult {
	t.Helper()
	return runBoundedStdin(t, dir, env, "", name, args...)
}

// runBoundedStdin is runBounded with stdin.
func runBoundedStdin(t *testing.T, dir string, env []string, stdin string, name string, args ...string) boundedResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s did not end within 30 s", name)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", name, err)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss << 10 // kilobytes on Linux
	}
	return boundedResult{result{out.String(), errb.String(), code}, rss}
}

// TestHostileKustomizationFile: the kustomization itself is the trap.
func TestHostileKustomizationFile(t *testing.T) {
	w := newHostileWorld(t)
	for _, c := range []struct {
		name string
		repo hostileRepo
		says string
	}{
		{"link-out", hostileRepo{links: map[string]string{"app/kustomization.yaml": filepath.Join(w.outside, "repo", "kustomization.yaml")}}, "outside the repository root"},
		{"fifo", hostileRepo{fifos: []string{"app/kustomization.yaml"}}, "not a regular file"},
		{"huge", hostileRepo{huge: []string{"app/kustomization.yaml"}}, "--max-file-size"},
		{"loop", hostileRepo{links: map[string]string{"app/kustomization.yaml": "kustomization.yaml"}}, "too many levels of symbolic links"},
		{"base-links-out", hostileRepo{files: map[string]string{"app/kustomization.yaml": "resources: [base]\n"}, links: map[string]string{"app/base": filepath.Join(w.outside, "repo")}}, "outside the repository root"},
		{"app-is-a-link-out", hostileRepo{files: map[string]string{"other/kustomization.yaml": "resources: [x.yaml]\n"}, links: map[string]string{"app/kustomization.yaml": "../other/../../" + filepath.Base(w.outside) + "/repo/kustomization.yaml"}}, "outside the repository root"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := c.repo
			if r.files == nil {
				r.files = map[string]string{}
			}
			if r.links == nil {
				r.links = map[string]string{}
			}
			w.refuse(t, &r, nil, c.says)
		})
	}
}

// wideMapping is the body of a mapping with n keys, indented by two spaces.
func wideMapping(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  k%d: v\n", i)
	}
	return b.String()
}

// wildcardPatches is a kustomization of docs.yaml with n JSON patches that each select
// every ConfigMap.
func wildcardPatches(n int) string {
	var b strings.Builder
	b.WriteString("resources: [docs.yaml]\npatches:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "- target: {kind: ConfigMap}\n  patch: '[{\"op\": \"add\", \"path\": \"/metadata/labels\", \"value\": {\"a%d\": \"b\"}}]'\n", i)
	}
	return b.String()
}

// manyDocsUnder is a YAML stream of n ConfigMaps.
func manyDocsUnder(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\n", i)
	}
	return b.String()
}

// wideMappings is n top-level mappings of keys keys each.
func wideMappings(n, keys int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "d%d:\n%s", i, wideMapping(keys))
	}
	return b.String()
}
