package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
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
