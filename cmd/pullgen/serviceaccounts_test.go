package main

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// Three PullAccesses that link ServiceAccount team-a/default, each with its own Secret; b
// keeps a live-only entry. Their tokens come from token.txt beside them.
var unionSpecs = map[string]string{
	"a.yaml": unionSpec("a", "default"),
	"b.yaml": unionSpec("b", "{name: default, keep: [other-pull]}"),
	"c.yaml": unionSpec("c", "default"),
}

func unionSpec(name, sa string) string {
	return `apiVersion: pullgen.dev/v1alpha1
kind: PullAccess
metadata:
  name: ` + name + `
  annotations:
    config.kubernetes.io/local-config: "true"
%s
spec:
  secret: {name: ` + name + `-pull}
  namespaces: [team-a]
  registries:
    - server: ` + name + `.registry.example
      username: robot
      passwordFrom: {file: token.txt}
  serviceAccounts: [` + sa + `]
  output: {encrypt: false, dir: generated}
`
}

// unionInput is team-a/default as it is in the kustomization or package, with an entry
// OpenShift added and one linked by hand.
const unionInput = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: default
  namespace: team-a
imagePullSecrets:
- name: default-dockercfg-x7k2q
- name: by-hand
`

// writeUnion writes the given specs (with the function annotation when exec) and the token
// into dir.
func writeUnion(t *testing.T, dir string, exec bool, specs ...string) {
	t.Helper()
	for _, s := range specs {
		ann := ""
		if exec {
			ann = execAnnotation
		}
		writeFile(t, filepath.Join(dir, s), strings.Replace(unionSpecs[s], "%s\n", ann+"\n", 1))
	}
	writeFile(t, filepath.Join(dir, "token.txt"), testToken+"\n")
}

// serviceAccountEntries finds the ServiceAccounts team-a/default among objs: there must be
// one, and its entries are returned as "[x y]".
func serviceAccountEntries(t *testing.T, objs []*yaml.RNode) string {
	t.Helper()
	var found []string
	for _, o := range objs {
		if o.GetKind() == "ServiceAccount" && o.GetNamespace() == "team-a" && o.GetName() == "default" {
			found = append(found, pullSecretNames(t, o, "imagePullSecrets"))
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d ServiceAccounts team-a/default, want 1: %v", len(found), ids(objs))
	}
	return found[0]
}

var unionCases = []struct {
	name  string
	specs []string
	input bool
	want  string
}{
	{"two", []string{"a.yaml", "b.yaml"}, false, "[a-pull other-pull b-pull]"},
	{"two with the ServiceAccount in the input", []string{"a.yaml", "b.yaml"}, true, "[default-dockercfg-x7k2q by-hand a-pull other-pull b-pull]"},
	{"three", []string{"a.yaml", "b.yaml", "c.yaml"}, false, "[a-pull other-pull b-pull c-pull]"},
	{"three with the ServiceAccount in the input", []string{"a.yaml", "b.yaml", "c.yaml"}, true, "[default-dockercfg-x7k2q by-hand a-pull other-pull b-pull c-pull]"},
}

// TestServiceAccountUnionKustomizeTransformers chains PullAccesses as kustomize
// transformers (real kustomize, pullgen as exec function): one ServiceAccount with every
// entry; and pullgen render gives the same.
func TestServiceAccountUnionKustomizeTransformers(t *testing.T) {
	kustomize := tool(t, "kustomize")
	for _, c := range unionCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeUnion(t, dir, true, c.specs...)
			k := "transformers: [" + strings.Join(c.specs, ", ") + "]\n"
			if c.input {
				writeFile(t, filepath.Join(dir, "sa.yaml"), unionInput)
				k = "resources: [sa.yaml]\n" + k
			}
			writeFile(t, filepath.Join(dir, "kustomization.yaml"), k)
			out := parseObjects(t, mustRun(t, dir, nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "."))
			if got := serviceAccountEntries(t, out); got != c.want {
				t.Errorf("kustomize build: imagePullSecrets %s, want %s", got, c.want)
			}
			rendered := parseObjects(t, mustRun(t, dir, nil, pullgen(), "render"))
			if got, want := semantic(t, rendered), semantic(t, out); !reflect.DeepEqual(got, want) {
				t.Errorf("pullgen render differs from kustomize build:\n%v\n%v", got, want)
			}
		})
	}
}

// TestServiceAccountUnionKpt runs the PullAccesses as a kpt pipeline (real kpt): the second
// finds the first's ServiceAccount and adds to it; a second render changes no byte.
func TestServiceAccountUnionKpt(t *testing.T) {
	kpt := tool(t, "kpt")
	for _, c := range unionCases {
		t.Run(c.name, func(t *testing.T) {
			pkg := t.TempDir()
			writeUnion(t, pkg, false, c.specs...)
			kptfile := "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n"
			for _, s := range c.specs {
				kptfile += "  - exec: " + pullgen() + "\n    configPath: " + s + "\n"
			}
			writeFile(t, filepath.Join(pkg, "Kptfile"), kptfile)
			if c.input {
				writeFile(t, filepath.Join(pkg, "sa.yaml"), unionInput)
			}
			mustRun(t, t.TempDir(), nil, kpt, "fn", "render", pkg, "--allow-exec")
			first := snapshot(t, pkg)
			var objs []*yaml.RNode
			for _, name := range keys(first) {
				if strings.HasSuffix(name, ".yaml") && name != "Kptfile" {
					objs = append(objs, parseObjects(t, first[name])...)
				}
			}
			if got := serviceAccountEntries(t, objs); got != c.want {
				t.Errorf("imagePullSecrets %s, want %s", got, c.want)
			}
			mustRun(t, t.TempDir(), nil, kpt, "fn", "render", pkg, "--allow-exec")
			if second := snapshot(t, pkg); !reflect.DeepEqual(first, second) {
				t.Errorf("a second render changed the package:\n%v\n%v", first, second)
			}
		})
	}
}

// TestServiceAccountUnionGenerate generates several specs, in any order, or their
// directory, into one output: one ServiceAccount file with every entry, the same bytes
// whatever the order, and pullgen diff in step.
func TestServiceAccountUnionGenerate(t *testing.T) {
	for _, c := range unionCases {
		if c.input {
			continue // generate has no input objects
		}
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeUnion(t, filepath.Join(dir, "specs"), false, c.specs...)
			var paths, reversed []string
			for _, s := range c.specs {
				paths = append(paths, filepath.Join("specs", s))
				reversed = append([]string{filepath.Join("specs", s)}, reversed...)
			}
			mustRun(t, dir, nil, pullgen(), append([]string{"generate", "-o", "out"}, paths...)...)
			mustRun(t, dir, nil, pullgen(), append([]string{"generate", "-o", "reversed"}, reversed...)...)
			mustRun(t, dir, nil, pullgen(), "generate", "-o", "bydir", "specs")
			out := snapshot(t, filepath.Join(dir, "out"))
			b, ok := out["serviceaccount-team-a-default.yaml"]
			if !ok {
				t.Fatalf("no ServiceAccount file: %v", keys(out))
			}
			if got := serviceAccountEntries(t, parseObjects(t, b)); got != c.want {
				t.Errorf("imagePullSecrets %s, want %s", got, c.want)
			}
			for _, other := range []string{"reversed", "bydir"} {
				if got := snapshot(t, filepath.Join(dir, other)); !reflect.DeepEqual(got, out) {
					t.Errorf("%s differs from out:\n%v\n%v", other, got, out)
				}
			}
			// Each spec's own spec.output.dir: the same directory, so diff compares the union.
			mustRun(t, dir, nil, pullgen(), append([]string{"generate"}, paths...)...)
			if r := run(t, dir, nil, "", pullgen(), "diff", "specs"); r.code != 0 {
				t.Errorf("diff after generate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			// The directory without -o: the specs that have spec.output.dir, a spec named besides
			// its directory counted once, a PullAccess without an output directory left out (as
			// diff leaves it out): the same bytes.
			generated := snapshot(t, filepath.Join(dir, "specs", "generated"))
			nodir := strings.Replace(strings.Replace(unionSpec("z", "default"), "%s\n", "", 1), "dir: generated", "dir: \"\"", 1)
			writeFile(t, filepath.Join(dir, "specs", "nodir.yaml"), nodir)
			mustRun(t, dir, nil, pullgen(), "generate", paths[len(paths)-1], "specs")
			if got := snapshot(t, filepath.Join(dir, "specs", "generated")); !reflect.DeepEqual(got, generated) {
				t.Errorf("generate over the directory differs from generate of the files:\n%v\n%v", got, generated)
			}
			// Dropping a PullAccess from the directory is drift on the ServiceAccount.
			os.Remove(filepath.Join(dir, "specs", c.specs[len(c.specs)-1]))
			r := run(t, dir, nil, "", pullgen(), "diff", "specs")
			if r.code != 1 || !strings.Contains(r.stdout, "ServiceAccount team-a/default") {
				t.Errorf("diff without %s: exit %d, want 1 and the ServiceAccount changed\n%s%s", c.specs[len(c.specs)-1], r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestServiceAccountGeneratorsCollide puts two PullAccesses that link the same
// ServiceAccount in generators: kustomize cannot merge them, and render says why, names
// both and gives the fix.
func TestServiceAccountGeneratorsCollide(t *testing.T) {
	kustomize := tool(t, "kustomize")
	dir := t.TempDir()
	writeUnion(t, dir, true, "a.yaml", "b.yaml")
	writeFile(t, filepath.Join(dir, "kustomization.yaml"), "generators: [a.yaml, b.yaml]\n")
	if r := run(t, dir, nil, "", kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "."); r.code == 0 {
		t.Errorf("kustomize merged two generated ServiceAccounts:\n%s", r.stdout)
	}
	r := run(t, dir, nil, "", pullgen(), "render")
	want := "generators: PullAccess a and PullAccess b both emit ServiceAccount team-a/default, which kustomize cannot merge: list them under transformers:"
	if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, want) {
		t.Errorf("render: exit %d, stdout %q, stderr %q; want exit 2 and %q", r.code, r.stdout, r.stderr, want)
	}
}

// liveDump is what `kubectl get serviceaccounts -A -o yaml` prints for a cluster where
// team-a/default has OpenShift's managed entry (named by its annotation), an older one, and
// links made by hand; team-a/builder runs on an OpenShift without the annotation.
const liveDump = `apiVersion: v1
items:
- apiVersion: v1
  kind: ServiceAccount
  metadata:
    annotations:
      openshift.io/internal-registry-pull-secret-ref: default-dockercfg-x7k2q
    name: default
    namespace: team-a
    resourceVersion: "4012"
    uid: 0d1c8a55-8f4e-4a57-9a43-5b0a3a1f6d21
  imagePullSecrets:
  - name: default-dockercfg-x7k2q
  - name: by-hand
  - name: a-pull
  - name: default-dockercfg-b4d7z
  - name: other-pull
- apiVersion: v1
  kind: ServiceAccount
  metadata:
    name: builder
    namespace: team-a
  imagePullSecrets:
  - name: builder-dockercfg-9fj2s
  - name: builder-dockercfg-notes
- apiVersion: v1
  kind: ServiceAccount
  metadata:
    name: default
    namespace: team-b
  imagePullSecrets:
  - name: elsewhere
kind: List
metadata:
  resourceVersion: ""
`

// TestDiffLive compares what the PullAccesses would apply with a live dump: the entries
// applying would remove are listed, one line per ServiceAccount, but not OpenShift's
// managed one nor kept ones; exit 1 while any would go, 0 once they are kept.
func TestDiffLive(t *testing.T) {
	dir := t.TempDir()
	specs := filepath.Join(dir, "specs")
	writeUnion(t, specs, false, "a.yaml", "b.yaml")
	// b links builder too, and no output directory: render-time specs count as well.
	b := strings.Replace(strings.Replace(unionSpecs["b.yaml"], "%s\n", "", 1), "keep: [other-pull]}]", "keep: [other-pull]}, builder]", 1)
	writeFile(t, filepath.Join(specs, "b.yaml"), strings.Replace(b, "output: {encrypt: false, dir: generated}", "output: {encrypt: false}", 1))
	// No token at hand: the live check needs none.
	os.Remove(filepath.Join(specs, "token.txt"))
	writeFile(t, filepath.Join(dir, "live.yaml"), liveDump)
	asJSON, err := sigsyaml.YAMLToJSON([]byte(liveDump))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "live.json"), string(asJSON))
	want := []string{
		"ServiceAccount team-a/builder: applying removes builder-dockercfg-notes (linked by PullAccess b); list them in keep of spec.serviceAccounts to keep them",
		"ServiceAccount team-a/default: applying removes by-hand, default-dockercfg-b4d7z (linked by PullAccesses a, b); list them in keep of spec.serviceAccounts to keep them",
	}
	for _, c := range []struct {
		name, live, stdin string
	}{
		{"a List", "live.yaml", ""},
		{"kubectl -o json", "live.json", ""},
		{"a stream on stdin", "-", strings.ReplaceAll(strings.Replace(strings.Replace(liveDump, "apiVersion: v1\nitems:\n", "", 1), "kind: List\nmetadata:\n  resourceVersion: \"\"\n", "", 1), "- apiVersion: v1\n  kind", "---\n  apiVersion: v1\n  kind")},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, dir, nil, c.stdin, pullgen(), "diff", "--live", c.live, "specs")
			got := strings.Split(strings.TrimSpace(r.stdout), "\n")
			sort.Strings(got)
			if r.code != 1 || !reflect.DeepEqual(got, want) {
				t.Errorf("exit %d, want 1; stdout:\n%s\nwant:\n%s\nstderr: %s", r.code, r.stdout, strings.Join(want, "\n"), r.stderr)
			}
			if !strings.Contains(r.stderr, "2 ServiceAccounts compared with "+c.live+"; 2 ServiceAccounts would lose entries") {
				t.Errorf("summary: %s", r.stderr)
			}
		})
	}
	// Keeping them (and dropping the stale OpenShift entry on purpose: not kept) leaves one.
	writeFile(t, filepath.Join(specs, "a.yaml"), strings.Replace(strings.Replace(unionSpecs["a.yaml"], "%s\n", "", 1), "serviceAccounts: [default]", "serviceAccounts: [{name: default, keep: [by-hand]}, {name: builder, keep: [builder-dockercfg-notes]}]", 1))
	r := run(t, dir, nil, "", pullgen(), "diff", "--live", "live.yaml", "specs")
	if r.code != 1 || strings.TrimSpace(r.stdout) != "ServiceAccount team-a/default: applying removes default-dockercfg-b4d7z (linked by PullAccesses a, b); list them in keep of spec.serviceAccounts to keep them" {
		t.Errorf("with keep: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Nothing to lose: exit 0.
	writeFile(t, filepath.Join(dir, "calm.yaml"), "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: team-a}\nimagePullSecrets: [{name: a-pull}, {name: default-dockercfg-x7k2q}]\n")
	if r := run(t, dir, nil, "", pullgen(), "diff", "--live", "calm.yaml", "specs"); r.code != 0 || r.stdout != "" {
		t.Errorf("nothing to remove: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A file without ServiceAccounts is an input error.
	writeFile(t, filepath.Join(dir, "empty.yaml"), "apiVersion: v1\nkind: List\nitems: []\n")
	if r := run(t, dir, nil, "", pullgen(), "diff", "--live", "empty.yaml", "specs"); r.code != 2 || !strings.Contains(r.stderr, "empty.yaml: no ServiceAccount") {
		t.Errorf("empty dump: exit %d\n%s", r.code, r.stderr)
	}
}
