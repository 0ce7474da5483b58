package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Small input, small work: repositories of at most a few megabytes (most well under one)
// that would hold kustomize for minutes, each refused before any build with an error
// naming the file and the field (the time they take is BenchmarkRenderRefusesSmallInputs'
// to show). Each comes with its control, the same construction kept within the cap, which
// renders.

// smallWork is one such repository: files under r/ for n (the hostile size, or the
// control's), rendered from r/app as Argo CD runs the plugin.
type smallWork struct {
	name             string
	files            func(n int) map[string]string
	hostile, control int
	says             string
}

// nested is a chain of n kustomizations, each in a directory of the one before.
func nested(n int) map[string]string {
	files := map[string]string{}
	dir := "app"
	for i := 0; i < n; i++ {
		files[dir+"/kustomization.yaml"] = "resources: [a]\n"
		dir += "/a"
	}
	files[dir+"/kustomization.yaml"] = "resources: [cm.yaml]\n"
	files[dir+"/cm.yaml"] = configMap
	return files
}

// diamonds is n levels of four kustomizations that each name the next level, with a name
// prefix of their own: 4^n objects from 5n small files.
func diamonds(n int) map[string]string {
	files := map[string]string{"app/kustomization.yaml": "resources: [k0]\n"}
	for i := 0; i < n; i++ {
		files[fmt.Sprintf("app/k%d/kustomization.yaml", i)] = fmt.Sprintf("resources: [../a%d, ../b%d, ../c%d, ../d%d]\n", i, i, i, i)
		for _, c := range "abcd" {
			files[fmt.Sprintf("app/%c%d/kustomization.yaml", c, i)] = fmt.Sprintf("namePrefix: %c-\nresources: [../k%d]\n", c, i+1)
		}
	}
	files[fmt.Sprintf("app/k%d/kustomization.yaml", n)] = "resources: [cm.yaml]\n"
	files[fmt.Sprintf("app/k%d/cm.yaml", n)] = configMap
	return files
}

// oneFileNTimes is a kustomization naming one file n times.
func oneFileNTimes(n int) map[string]string {
	return map[string]string{"app/kustomization.yaml": "resources:\n" + strings.Repeat("- e.yaml\n", n), "app/e.yaml": configMap}
}

// manyFiles is a kustomization naming n files.
func manyFiles(n int) map[string]string {
	files := map[string]string{}
	var k strings.Builder
	k.WriteString("resources:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&k, "- c%d.yaml\n", i)
		files[fmt.Sprintf("app/c%d.yaml", i)] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\n", i)
	}
	files["app/kustomization.yaml"] = k.String()
	return files
}

// replacementPath is a replacement whose target field path has n segments.
func replacementPath(n int) map[string]string {
	return map[string]string{
		"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\ndata: {v: x}\n",
		"app/kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n- source: {kind: ConfigMap, name: s, fieldPath: data.v}\n  targets:\n  - select: {kind: ConfigMap}\n" +
			"    options: {create: true}\n    fieldPaths: [" + strings.TrimSuffix(strings.Repeat("x.", n), ".") + "]\n",
	}
}

// replacing is a replacement with n target field paths, each fieldPath into ConfigMap t,
// whose value v is value, with options.
func replacing(value, fieldPath, options string) func(n int) map[string]string {
	return func(n int) map[string]string {
		return map[string]string{
			"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\ndata: {v: \"" + value + "\"}\n---\n" +
				"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\ndata: {s: x}\n",
			"app/kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n- source: {kind: ConfigMap, name: s, fieldPath: data.s}\n  targets:\n  - select: {kind: ConfigMap, name: t}\n" +
				"    options: {" + options + "}\n    fieldPaths: [" + strings.TrimSuffix(strings.Repeat(fieldPath+", ", n), ", ") + "]\n",
		}
	}
}

// excludeGlob is a PullAccess over 1,000 namespaces excluding a glob of n bytes.
func excludeGlob(n int) map[string]string {
	ns := make([]string, 1000)
	for i := range ns {
		ns[i] = fmt.Sprintf("ns-%d", i)
	}
	spec := strings.Replace(repoSpec(""), "  namespaces: [team-a]\n", "  namespaces: ["+strings.Join(ns, ", ")+"]\n  excludeNamespaces: [\"kube-"+strings.Repeat("x", n)+"\"]\n", 1)
	return map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n", "app/pa.yaml": spec}
}

// excludeGlobs is a PullAccess excluding n globs.
func excludeGlobs(n int) map[string]string {
	globs := make([]string, n)
	for i := range globs {
		globs[i] = fmt.Sprintf("\"kube-%d-*\"", i)
	}
	spec := strings.Replace(repoSpec(""), "  namespaces: [team-a]\n", "  namespaces: [team-a]\n  excludeNamespaces: ["+strings.Join(globs, ", ")+"]\n", 1)
	return map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\n", "app/pa.yaml": spec}
}

// labelSelector is a patch whose target's label selector has n requirements.
func labelSelector(n int) map[string]string {
	reqs := make([]string, n)
	for i := range reqs {
		reqs[i] = fmt.Sprintf("k%d=v", i)
	}
	return map[string]string{
		"app/docs.yaml": manyDocsUnder(1000),
		"app/kustomization.yaml": "resources: [docs.yaml]\npatches:\n- target: {kind: ConfigMap, labelSelector: \"" + strings.Join(reqs, ",") +
			"\"}\n  patch: '[{\"op\": \"add\", \"path\": \"/metadata/labels\", \"value\": {\"a\": \"b\"}}]'\n",
	}
}

// generatorReuse is a ConfigMap generator whose n keys all read one 900 KB file.
func generatorReuse(n int) map[string]string {
	var k strings.Builder
	k.WriteString("configMapGenerator:\n- name: g\n  files:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&k, "  - k%d=big.txt\n", i)
	}
	return map[string]string{"app/kustomization.yaml": k.String(), "app/big.txt": strings.Repeat("x", 900<<10)}
}

var smallWorks = []smallWork{
	{"nested-kustomizations", nested, 1000, 31, "kustomizations nested more than 32 deep (--max-kustomization-depth)"},
	{"fan-out", diamonds, 10, 3, "kustomize would load more than 1000 kustomizations to build it, counting each as often as it is named (--max-kustomizations)"},
	{"one-file-named-240000-times", oneFileNTimes, 240_000, 1, "kustomize would read more than 10000 files and directories to build it"},
	{"one-file-named-twice", oneFileNTimes, 2, 1, "kustomization.yaml: e.yaml and e.yaml name the same file or directory"},
	{"many-files", manyFiles, 10_001, 1000, "kustomize would read more than 10000 files and directories"},
	{"replacement-path", replacementPath, 300_000, 5, "replacements[0].targets[0].fieldPaths[0]: a path of more than 100 segments"},
	// Each field path splits a 400 KB value at a delimiter.
	{"replacement-delimiter", replacing(strings.Repeat("a.", 200_000), "data.v", `delimiter: ".", index: 0`), 20_000, 1,
		"replacements would walk more than 134217728 bytes: 20000 target field paths"},
	// Each field path goes into a 100 KB JSON value of 50,000 elements, which kustomize
	// parses and writes back for each.
	{"replacement-into-a-value", replacing("["+strings.Repeat("1,", 50_000)+"1]", "data.v.0", ""), 100, 1,
		"replacements would walk more than 134217728 bytes: 100 target field paths"},
	{"exclude-glob-6MB", excludeGlob, 6 << 20, 10, "spec.excludeNamespaces[0]: a glob of 6291461 bytes, more than the 1024 a glob may have"},
	{"exclude-glob-64-characters", excludeGlob, 59, 58, "spec.excludeNamespaces[0]: a glob of more than 63 characters"},
	{"exclude-101-globs", excludeGlobs, 101, 100, "spec.excludeNamespaces: 101 globs, more than the 100 it may have"},
	{"label-selector", labelSelector, 60_000, 3, "patches[0].target.labelSelector: a selector of"},
	{"generator-reuse", generatorReuse, 5000, 3, "kustomize would read more than 67108864 bytes, counting each file as often as it is named (--max-total-size)"},
}

// TestSmallInputSmallWork renders each repository, hostile and as its control.
func TestSmallInputSmallWork(t *testing.T) {
	w := newHostileWorld(t)
	for _, c := range smallWorks {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := runBounded(t, smallWorkRepo(t, c.files(c.hostile)), w.env, pullgen(), "render")
			if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, c.says) {
				t.Errorf("exit %d, stdout %.100q; stderr does not say %q:\n%.600s", r.code, r.stdout, c.says, r.stderr)
			}
			if len(r.stderr) > 4000 {
				t.Errorf("stderr is %d bytes long", len(r.stderr))
			}
			ctl := runBounded(t, smallWorkRepo(t, c.files(c.control)), w.env, pullgen(), "render")
			if ctl.code != 0 || ctl.stdout == "" {
				t.Errorf("control: exit %d, stderr %.600s", ctl.code, ctl.stderr)
			}
		})
	}
}

// smallWorkRepo writes files under a new r/ and returns r/app.
func smallWorkRepo(tb testing.TB, files map[string]string) string {
	repo := filepath.Join(tb.TempDir(), "r")
	for name, content := range files {
		writeFile(tb, filepath.Join(repo, name), content)
	}
	os.MkdirAll(filepath.Join(repo, "app"), 0o755)
	return filepath.Join(repo, "app")
}

// BenchmarkRenderRefusesSmallInputs: the time `pullgen render` takes to refuse each
// repository of TestSmallInputSmallWork (each of which kept render busy until its 60 s
// timeout, or for seconds, before render counted their cost), in milliseconds of wall
// time per case, and the most memory any took.
func BenchmarkRenderRefusesSmallInputs(b *testing.B) {
	dirs := make([]string, len(smallWorks))
	for i, c := range smallWorks {
		dirs[i] = smallWorkRepo(b, c.files(c.hostile))
	}
	env := append(os.Environ(), "ARGOCD_APP_SOURCE_PATH=app", "ARGOCD_ENV_TOKEN=token")
	walls := make([]time.Duration, len(smallWorks))
	var peak int64
	b.ResetTimer()
	for range b.N {
		for i, dir := range dirs {
			cmd := exec.Command(pullgen(), "render")
			cmd.Dir, cmd.Env = dir, env
			var errb bytes.Buffer
			cmd.Stderr = &errb
			start := time.Now()
			err := cmd.Run()
			walls[i] += time.Since(start)
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(errb.String(), smallWorks[i].says) {
				b.Fatalf("%s: %v: %s", smallWorks[i].name, err, errb.String())
			}
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				peak = max(peak, ru.Maxrss)
			}
		}
	}
	b.StopTimer()
	for i, c := range smallWorks {
		b.ReportMetric(float64(walls[i].Microseconds())/1e3/float64(b.N), c.name+"-ms")
	}
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
}
