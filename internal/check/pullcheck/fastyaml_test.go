package pullcheck

import (
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"pullgen.dev/pullgen/internal/testsupport/benchgen"
)

// checkBothWays runs the check over a stream read by the fast reader and by the full
// parser alone, and fails unless both give the same findings (lines included), or the
// same error.
func checkBothWays(t *testing.T, name, in string) []Finding {
	t.Helper()
	fastObjs, fastErr := parseManifests(in, name, true)
	fullObjs, fullErr := parseManifests(in, name, false)
	if (fastErr == nil) != (fullErr == nil) || fastErr != nil && fastErr.Error() != fullErr.Error() {
		t.Fatalf("%s: errors differ: fast %v, full %v", name, fastErr, fullErr)
	}
	if fastErr != nil {
		return nil
	}
	fast, full := Analyze(fastObjs, Options{}), Analyze(fullObjs, Options{})
	if d := cmp.Diff(full, fast); d != "" {
		t.Fatalf("%s: findings differ (-full +fast):\n%s", name, d)
	}
	return fast
}

// fastCount is the number of objects the fast reader read of a stream.
func fastCount(t *testing.T, in string) int {
	t.Helper()
	objs, err := parseManifests(in, "in.yaml", true)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range objs {
		if o.pod != nil {
			n++
		}
	}
	return n
}

// TestFastReaderCorpus: on the benchmark corpus every workload is read by the fast reader,
// and the findings are those of the full parser.
func TestFastReaderCorpus(t *testing.T) {
	in := benchgen.CheckManifests(500)
	if n := fastCount(t, in); n != 500 {
		t.Errorf("the fast reader read %d of 500 workloads", n)
	}
	if fs := checkBothWays(t, "bench.yaml", in); Summarize(fs).Images != 500*benchgen.CheckImages {
		t.Errorf("%d images checked", Summarize(fs).Images)
	}
}

// TestFastReaderRepository: every YAML and JSON file of the repository (examples, golden
// fixtures, the Argo CD kit) gives the same findings both ways.
func TestFastReaderRepository(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	files := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "bin" || strings.HasPrefix(d.Name(), ".") && p != root) {
			return filepath.SkipDir
		}
		switch filepath.Ext(p) {
		case ".yaml", ".yml", ".json":
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files++
			checkBothWays(t, p, string(data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Errorf("compared %d files", files)
	}
}

// TestFastReaderShapes covers the YAML the fast reader reads and what it leaves to the
// full parser: the findings (file, field, line, message) and errors are the same either
// way, and the shapes it is meant to read are read fast.
func TestFastReaderShapes(t *testing.T) {
	sec := pullSecret("a", "quay", "quay.io/acme")
	pa := pullAccess
	tests := []struct {
		name string
		in   string
		fast int // workloads the fast reader must read itself
	}{
		{"block", docs(pa, sec, deployment("a", "web", pullSecrets("quay")+containers("quay.io/acme/web:1", "nginx"))), 1},
		{"flow metadata and lists", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a, labels: {app: web}}\nspec:\n  template:\n    spec:\n      imagePullSecrets: [{name: quay}, {name: missing}]\n      containers: [{name: web, image: 'quay.io/acme/web:1'}, {name: side, image: \"ghcr.io/x/y@sha256:0123456789abcdef0123456789abcdef\"}]\n", 1},
		{"JSON", `{
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "namespace": "a"},
  "spec": {"template": {"spec": {
    "serviceAccountName": "builder",
    "containers": [
      {"name": "web", "image": "quay.io/acme/web:1"},
      {"name": "esc\"aped\u00e9", "image": "quay.io/acme/x/y"}
    ]}}}
}
`, 1},
		{"comments everywhere", "# head\n---\n# doc\napiVersion: v1 # trailing\nkind: Pod\nmetadata:\n  # inside\n  name: p # x\n  namespace: a\nspec:\n  containers:\n    # before item\n    - name: c # one\n      image: quay.io/acme/c:1 # pinned\n  # end\n", 1},
		{"compact sequences", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: a\nspec:\n  imagePullSecrets:\n  - name: quay\n  initContainers:\n  - name: init\n    image: busybox\n  containers:\n  - image: quay.io/acme/app\n    name: app\n  ephemeralContainers:\n  - name: dbg\n    image: quay.io/acme/dbg\n", 1},
		{"block scalars not read", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: a\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n      {\"apiVersion\":\"apps/v1\",\n       \"kind\": \"Deployment\"}\n\n    note: >-\n      folded\n      text\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: quay.io/acme/web:1\n        args:\n        - |\n          #!/bin/sh\n          echo hi\n\n        - -c\n", 1},
		{"block scalar read", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers:\n  - name: c\n    image: |\n      quay.io/acme/c:1\n", 0},
		{"null and empty values", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: a\nspec:\n  serviceAccountName:\n  serviceAccount: ~\n  containers:\n  - name: nothing\n    image:\n  - name: null-image\n    image: null\n  -\n  - plain-string\n  - name: ok\n    image: quay.io/acme/ok\n", 1},
		{"quoted keys and escapes", "\"apiVersion\": 'v1'\n'kind': \"Pod\"\nmetadata: {\"name\": \"p\", 'namespace': 'a'}\nspec:\n  \"containers\":\n  - 'name': 'it''s'\n    \"image\": \"quay.io/acme/\\u0061pp\\t\"\n", 1},
		{"indented document", "  apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: a}\n  spec:\n    containers: [{name: c, image: nginx}]\n", 1},
		{"trailing comma and multi-line flow", "apiVersion: v1\nkind: Pod\nmetadata: {name: p,\n  namespace: a,}\nspec:\n  containers: [\n    {name: c, image: nginx}, # first\n    {name: d,\n     image: quay.io/acme/d},\n  ]\n", 1},
		{"unicode", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers:\n  - name: café\n    image: quay.io/acme/été\n", 1},
		{"anchors and aliases", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers:\n  - &c {name: c, image: quay.io/acme/c}\n  - *c\n", 0},
		{"tags", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers:\n  - name: !!str c\n    image: quay.io/acme/c\n", 0},
		{"multi-line plain scalar", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers:\n  - name: c\n    image: quay.io/acme/\n      c\n", 0},
		{"multi-line quoted scalar", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers:\n  - name: c\n    image: \"quay.io/acme/\n      c\"\n", 0},
		{"tabs", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers:\n  - name: c\n    image:\tquay.io/acme/c\n", 0},
		{"carriage returns", "apiVersion: v1\r\nkind: Pod\r\nmetadata: {name: p, namespace: a}\r\nspec:\r\n  containers:\r\n  - name: c\r\n    image: quay.io/acme/c\r\n", 0},
		{"duplicate keys", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a, name: q}\nspec:\n  containers:\n  - name: c\n    image: quay.io/acme/c\n    image: quay.io/acme/d\n", 1},
		{"empty and comment documents", "---\n---\n# only a comment\n---\n" + docs(sec, deployment("a", "web", containers("quay.io/acme/web"))), 1},
		{"escape the full parser refuses", "apiVersion: v1\nkind: Pod\nmetadata: {name: \"a\\/b\"}\n", 0},
		{"document end marker", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {containers: [{name: c, image: nginx}]}\n...\n", 0},
		{"List", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: a}\n  spec: {containers: [{name: c, image: quay.io/acme/c}]}\n", 0},
		{"kinds without pods", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  x: |\n    y\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: a}\nspec: {}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r, namespace: a}\nspec: {workloadRef: {kind: Deployment, name: d}}\n---\nkind: Pod\nmetadata: {name: no-api-version}\nspec: {containers: [{name: c, image: quay.io/acme/c}]}\n", 0},
		{"pod-bearing kinds", docs(
			"apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj, namespace: a}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: c, image: quay.io/acme/c}]\n",
			"apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata: {name: dc, namespace: a}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: ' '}]\n",
			"apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r, namespace: a}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: quay.io/acme/r}]\n"), 3},
		{"invalid YAML", "apiVersion: v1\nkind: Pod\nmetadata: {name: p\nspec: [\n", 0},
		{"mapping value on a key's line", "apiVersion: v1\nkind: Pod\nmetadata: name: p\n", 0},
		{"sequence after a scalar", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n- x\n", 0},
		{"unclosed flow", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {containers: [{name: c, image: nginx}\n", 0},
		{"control character", "apiVersion: v1\nkind: Pod\nmetadata: {name: \"p\x01\"}\n", 0},
		{"invalid UTF-8", "apiVersion: v1\nkind: Pod\nmetadata: {name: \"p\xff\"}\n", 0},
		{"a second root", "apiVersion: v1\nkind: Pod\n---x\n", 0},
		{"deep nesting", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n", 0},
		{"a very long key", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n" + strings.Repeat("k", 2000) + ": v\nspec: {containers: [{name: c, image: nginx}]}\n", 0},
		{"a very long flow key", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, " + strings.Repeat("k", 2000) + ": v}\nspec: {containers: [{name: c, image: nginx}]}\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkBothWays(t, "in.yaml", tt.in)
			if tt.fast > 0 {
				if n := fastCount(t, tt.in); n != tt.fast {
					t.Errorf("the fast reader read %d workloads, want %d", n, tt.fast)
				}
			}
		})
	}
}

// FuzzFastReader: whatever the input, the fast reader and the full parser agree.
func FuzzFastReader(f *testing.F) {
	f.Add(benchgen.CheckManifests(3))
	f.Add(docs(pullAccess, pullSecret("a", "quay", "quay.io/acme"), deployment("a", "web", pullSecrets("quay")+containers("quay.io/acme/web:1", "nginx"))))
	f.Add("{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"quay.io/acme/c\"}]}}\n")
	f.Add("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers:\n  - name: c # x\n    image: 'quay.io/acme/c'\n    args:\n    - |\n      text\n")
	f.Fuzz(func(t *testing.T, in string) {
		checkBothWays(t, "fuzz.yaml", in)
	})
}

// TestFastReaderMutations: thousands of damaged variants of manifests (characters YAML
// gives meaning to inserted, lines dropped, duplicated or shifted) read the same with the
// fast reader and with the full parser.
func TestFastReaderMutations(t *testing.T) {
	corpus := benchgen.CheckManifests(2)
	seeds := []string{
		corpus[strings.Index(corpus, "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa-19"):],
		docs(pullAccess, pullSecret("a", "quay", "quay.io/acme"), deployment("a", "web", pullSecrets("quay")+"      serviceAccountName: builder\n"+containers("quay.io/acme/web:1", "nginx"))),
		"{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"metadata\": {\"name\": \"p\", \"namespace\": \"a\"},\n \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"quay.io/acme/c\"}]}}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  initContainers:\n  - name: i # x\n    image: 'quay.io/acme/i'\n    args:\n    - |\n      text\n  containers:\n  - {name: c, image: \"quay.io/acme/c\"}\n",
	}
	pieces := []string{" ", "  ", "\n", "- ", ": ", ":", "#", " #", "'", "\"", "{", "}", "[", "]", ",", "|", ">", "&a ", "*a", "!", "?", "%", "@", "`", "~", "null", "---\n", "...\n", "\\", "\\n", "\t", "\r", "é", "\x00", "key: value\n", "- x\n"}
	rng := rand.New(rand.NewSource(12))
	for i := 0; i < 3000; i++ {
		s := seeds[rng.Intn(len(seeds))]
		for m := 0; m <= rng.Intn(3); m++ {
			lines := strings.SplitAfter(s, "\n")
			li := rng.Intn(len(lines))
			switch rng.Intn(4) {
			case 0: // insert a piece
				l := lines[li]
				at := rng.Intn(len(l) + 1)
				lines[li] = l[:at] + pieces[rng.Intn(len(pieces))] + l[at:]
			case 1: // drop a line
				lines = append(lines[:li], lines[li+1:]...)
			case 2: // duplicate a line
				lines = append(lines[:li+1], lines[li:]...)
			case 3: // shift a line
				if rng.Intn(2) == 0 {
					lines[li] = " " + lines[li]
				} else {
					lines[li] = strings.TrimPrefix(lines[li], " ")
				}
			}
			s = strings.Join(lines, "")
		}
		checkBothWays(t, "mutant.yaml", s)
		if t.Failed() {
			t.Fatalf("mutant %d:\n%s", i, s)
		}
	}
}
