package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/testsupport/benchgen"
)

// BenchmarkProcess500 runs the pullgen binary as kustomize or kpt would, over a
// ResourceList with 500 namespaces, 3 registries, 2 ServiceAccounts and 2,000 workloads,
// and reports the whole process's wall time and peak resident memory (MB).
func BenchmarkProcess500(b *testing.B) {
	input := benchgen.ResourceList(500, 3, 2, 2000)
	var peak int64
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(pullgen())
		cmd.Env = append(os.Environ(), benchgen.TokenEnv+"=bench-token")
		cmd.Stdin = strings.NewReader(input)
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		if n := strings.Count(out.String(), "kind: Secret"); n != 500 {
			b.Fatalf("%d Secrets, want 500", n)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > peak {
			peak = ru.Maxrss
		}
	}
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
}

// ---- Benchmarks of issues 3 (SOPS) and 4 (render) ----
//
// Each runs real processes: pullgen (built by TestMain), and for the comparisons the tools
// users run today (kubectl, sops, kustomize). Set-up happens before b.ResetTimer; the measured
// commands run b.N times; the custom metrics are means over b.N (peak memory: the maximum).

// benchTool returns the path of a tool, skipping the benchmark when it is missing.
func benchTool(b testing.TB, name string) string {
	b.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		b.Skipf("%s is not installed here: skipping this benchmark (make tools installs kustomize and sops into ./bin; kubectl and age-keygen come with the machine image)", name)
	}
	return p
}

// benchAgeKey makes an age key with age-keygen and returns its file and public key.
func benchAgeKey(b testing.TB) (string, string) {
	b.Helper()
	keygen := benchTool(b, "age-keygen")
	file := filepath.Join(b.TempDir(), "keys.txt")
	if out, err := exec.Command(keygen, "-o", file).CombinedOutput(); err != nil {
		b.Fatalf("age-keygen: %v\n%s", err, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "# public key: "); ok {
			return file, strings.TrimSpace(rest)
		}
	}
	b.Fatalf("no public key in %s", file)
	return "", ""
}

// benchRunStat is what one process did.
type benchRunStat struct {
	stdout string
	wall   time.Duration
	cpu    time.Duration // user + system, the process and the children it waited for
	rssKB  int64         // peak resident set of the largest process in the tree
}

// benchRun runs a command in dir with extra environment variables and fails on a non-zero
// exit.
func benchRun(b testing.TB, dir string, env []string, name string, args ...string) benchRunStat {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("%s %s: %v\nstderr:\n%s", name, strings.Join(args, " "), err, errb.String())
	}
	st := benchRunStat{stdout: out.String(), wall: wall}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		st.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		st.rssKB = ru.Maxrss
	}
	return st
}

// benchSpec is a PullAccess named name over the namespaces, with `registries` registries
// whose password comes from the environment variable tokenEnv, no ServiceAccounts, and the
// given extra spec lines (sops:, output:), indented by two spaces.
func benchSpec(name string, namespaces []string, registries int, tokenEnv, annotations, extra string) string {
	var s strings.Builder
	fmt.Fprintf(&s, "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata:\n  name: %s\n%sspec:\n  namespaces:\n", name, annotations)
	for _, ns := range namespaces {
		fmt.Fprintf(&s, "  - %s\n", ns)
	}
	s.WriteString("  registries:\n")
	for i := 0; i < registries; i++ {
		fmt.Fprintf(&s, "  - {server: registry-%d.example.com/org, username: robot-%d, passwordFrom: {env: %s}}\n", i, i, tokenEnv)
	}
	s.WriteString("  check: off\n")
	s.WriteString(extra)
	return s.String()
}

// benchNamespaces is prefix-000, prefix-001, ...
func benchNamespaces(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return out
}

// benchFunctionAnnotation makes a PullAccess a KRM exec function for kustomize.
const benchFunctionAnnotation = "  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: pullgen\n"

// benchReportCold reports the means and the peak of cold-start runs.
func benchReportCold(b *testing.B, wall, cpu time.Duration, peakKB int64) {
	b.ReportMetric(float64(wall.Microseconds())/1e3/float64(b.N), "wall-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms")
	b.ReportMetric(float64(peakKB)/1024, "peak-RSS-MB")
}

// benchCountEncrypted counts the files of dir whose name matches glob and that are
// SOPS-encrypted.
func benchCountEncrypted(b testing.TB, dir, glob string) int {
	b.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, glob))
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if s := string(data); strings.Contains(s, "ENC[AES256_GCM,") && strings.Contains(s, "\nsops:\n") {
			n++
		}
	}
	return n
}

// BenchmarkEncrypt500Namespaces (issue 3): `pullgen generate SPEC -o DIR` encrypting the
// Secrets of 500 namespaces (3 registries, no ServiceAccounts) for 2 age recipients, the
// whole process, against what users do today: per namespace, `kubectl create secret
// docker-registry --dry-run=client -o yaml | sops -e ... /dev/stdin > file`, timed on a
// sample of 20 namespaces and scaled by 25. The floor (the age key wraps alone) is
// internal/core/sopsx BenchmarkEncrypt500/floor.
func BenchmarkEncrypt500Namespaces(b *testing.B) {
	const namespaces, sample = 500, 20
	kubectl := benchTool(b, "kubectl")
	benchTool(b, "sops")
	bash := benchTool(b, "bash")
	_, r1 := benchAgeKey(b)
	_, r2 := benchAgeKey(b)
	dir := b.TempDir()
	// No key at hand, and a fresh output directory each time: every Secret is encrypted
	// anew (with the key and its own earlier output, generate would keep the ciphertext).
	env := []string{"BENCH_TOKEN=bench-token", "SOPS_AGE_KEY_FILE=", "SOPS_AGE_KEY=", "HOME=" + b.TempDir(), "XDG_CONFIG_HOME=" + b.TempDir()}
	writeFile(b, filepath.Join(dir, "pa.yaml"), benchSpec("acme", benchNamespaces("team", namespaces), 3, "BENCH_TOKEN", "",
		"  sops:\n    age: ["+r1+", "+r2+"]\n"))

	// The loop users write today, over the first 20 namespaces.
	var script strings.Builder
	script.WriteString("set -eo pipefail\nmkdir -p loop\nfor ns in")
	for _, ns := range benchNamespaces("team", sample) {
		script.WriteString(" " + ns)
	}
	fmt.Fprintf(&script, `; do
  %s create secret docker-registry acme --docker-server=registry-0.example.com/org \
    --docker-username=robot-0 --docker-password="$BENCH_TOKEN" -n "$ns" --dry-run=client -o yaml |
  sops -e --encrypted-regex '^(data|stringData)$' --age %s,%s --input-type yaml --output-type yaml /dev/stdin > "loop/secret-$ns.yaml"
done
`, kubectl, r1, r2)
	writeFile(b, filepath.Join(dir, "loop.sh"), script.String())

	var pullgenWall, loopWall, pullgenCPU time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := fmt.Sprintf("out-%d", i)
		st := benchRun(b, dir, env, pullgen(), "generate", "--quiet", "pa.yaml", "-o", out)
		pullgenWall += st.wall
		pullgenCPU += st.cpu

		b.StopTimer()
		if n := benchCountEncrypted(b, filepath.Join(dir, out), "secret-*.yaml"); n != namespaces {
			b.Fatalf("pullgen generate wrote %d encrypted Secrets, want %d", n, namespaces)
		}
		os.RemoveAll(filepath.Join(dir, out))
		os.RemoveAll(filepath.Join(dir, "loop"))
		b.StartTimer()

		loopWall += benchRun(b, dir, env, bash, "loop.sh").wall

		b.StopTimer()
		if n := benchCountEncrypted(b, filepath.Join(dir, "loop"), "secret-*.yaml"); n != sample {
			b.Fatalf("the kubectl | sops loop wrote %d encrypted Secrets, want %d", n, sample)
		}
		b.StartTimer()
	}
	pg := pullgenWall.Seconds() / float64(b.N)
	loop := loopWall.Seconds() / float64(b.N) * namespaces / sample
	b.ReportMetric(pg, "pullgen-s")
	b.ReportMetric(pullgenCPU.Seconds()/float64(b.N), "pullgen-cpu-s")
	b.ReportMetric(loop, "loop-s-scaled")
	b.ReportMetric(loop/pg, "speedup-x")
}

// BenchmarkColdStart (issue 3): one `pullgen generate` of a one-namespace spec encrypted for
// one age recipient: wall time, user+system CPU time and peak resident memory.
func BenchmarkColdStart(b *testing.B) {
	_, r1 := benchAgeKey(b)
	dir := b.TempDir()
	env := []string{"BENCH_TOKEN=bench-token", "SOPS_AGE_KEY_FILE=", "SOPS_AGE_KEY=", "HOME=" + b.TempDir(), "XDG_CONFIG_HOME=" + b.TempDir()}
	writeFile(b, filepath.Join(dir, "pa.yaml"), benchSpec("acme", []string{"team-a"}, 1, "BENCH_TOKEN", "", "  sops:\n    age: ["+r1+"]\n"))
	var wall, cpu time.Duration
	var peak int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := fmt.Sprintf("out-%d", i)
		st := benchRun(b, dir, env, pullgen(), "generate", "--quiet", "pa.yaml", "-o", out)
		wall, cpu, peak = wall+st.wall, cpu+st.cpu, max(peak, st.rssKB)
		b.StopTimer()
		if n := benchCountEncrypted(b, filepath.Join(dir, out), "secret-*.yaml"); n != 1 {
			b.Fatalf("%d encrypted Secrets, want 1", n)
		}
		os.RemoveAll(filepath.Join(dir, out))
		b.StartTimer()
	}
	benchReportCold(b, wall, cpu, peak)
}

// benchRenderRepo writes the repository an Argo CD application renders: under secrets/,
// the Secrets of `committed` namespaces as `pullgen generate` encrypts them for an age key
// (one file each, with its kustomization.yaml), and, in the root kustomization's generators,
// a PullAccess over `live` namespaces, rendered at deploy time with encrypt: false and its
// password from ARGOCD_ENV_TOKEN. It returns the repository and the environment render and
// the pipeline run with (SOPS_AGE_KEY_FILE, ARGOCD_ENV_TOKEN).
func benchRenderRepo(b testing.TB, committed, live int) (string, []string) {
	b.Helper()
	key, rcpt := benchAgeKey(b)
	src := b.TempDir()
	writeFile(b, filepath.Join(src, "stored.yaml"), benchSpec("stored", benchNamespaces("stored", committed), 3, "STORED_TOKEN", "",
		"  sops:\n    age: ["+rcpt+"]\n"))
	repo := b.TempDir()
	benchRun(b, src, []string{"STORED_TOKEN=stored-token", "SOPS_AGE_KEY_FILE=" + key}, pullgen(), "generate", "--quiet", "stored.yaml", "-o", filepath.Join(repo, "secrets"))
	if n := benchCountEncrypted(b, filepath.Join(repo, "secrets"), "secret-*.yaml"); n != committed {
		b.Fatalf("%d encrypted Secrets committed, want %d", n, committed)
	}
	writeFile(b, filepath.Join(repo, "pullaccess.yaml"), benchSpec("live", benchNamespaces("live", live), 3, "ARGOCD_ENV_TOKEN", benchFunctionAnnotation,
		"  output: {encrypt: false}\n"))
	writeFile(b, filepath.Join(repo, "kustomization.yaml"), "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [secrets]\ngenerators: [pullaccess.yaml]\n")
	return repo, []string{"SOPS_AGE_KEY_FILE=" + key, "ARGOCD_ENV_TOKEN=argocd-token"}
}

// benchObjects parses a YAML stream into objects by "Kind ns/name", without the
// annotations tools add for their own bookkeeping.
func benchObjects(b testing.TB, stream string) map[string]*yaml.RNode {
	b.Helper()
	nodes, err := (&kio.ByteReader{Reader: strings.NewReader(stream), OmitReaderAnnotations: true}).Read()
	if err != nil {
		b.Fatalf("parsing: %v", err)
	}
	out := map[string]*yaml.RNode{}
	for _, o := range nodes {
		_ = o.PipeE(yaml.ClearAnnotation("config.kubernetes.io/index"), yaml.ClearAnnotation("internal.config.kubernetes.io/index"),
			yaml.ClearAnnotation("config.kubernetes.io/path"), yaml.ClearAnnotation("internal.config.kubernetes.io/path"))
		out[o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName()] = o
	}
	return out
}

// benchKinds counts objects by kind.
func benchKinds(objs map[string]*yaml.RNode) map[string]int {
	out := map[string]int{}
	for _, o := range objs {
		out[o.GetKind()]++
	}
	return out
}

// benchSameResources fails unless render's output and the pipeline's (kustomize build,
// each encrypted object replaced by `sops -d` of its file) hold the same objects with the
// same content, and reports their kinds.
func benchSameResources(b testing.TB, render, built string, decrypted []string) map[string]int {
	b.Helper()
	got := benchObjects(b, render)
	want := benchObjects(b, built)
	replaced := 0
	for _, d := range decrypted {
		for id, o := range benchObjects(b, d) {
			if _, ok := want[id]; !ok {
				b.Fatalf("sops -d gave %s, which kustomize build did not", id)
			}
			want[id] = o
			replaced++
		}
	}
	for id, o := range want {
		if o.Field("sops") != nil {
			b.Fatalf("pipeline: %s is still encrypted", id)
		}
	}
	if replaced != len(decrypted) {
		b.Fatalf("%d objects from %d sops -d runs", replaced, len(decrypted))
	}
	if gk, wk := benchKinds(got), benchKinds(want); !reflect.DeepEqual(gk, wk) {
		b.Fatalf("render gives %v, the pipeline %v", gk, wk)
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			b.Fatalf("render lacks %s", id)
		}
		gm, err1 := g.Map()
		wm, err2 := w.Map()
		if err1 != nil || err2 != nil {
			b.Fatalf("%s: %v %v", id, err1, err2)
		}
		if !reflect.DeepEqual(gm, wm) {
			gs, _ := g.String()
			ws, _ := w.String()
			b.Fatalf("%s differs:\nrender:\n%s\npipeline:\n%s", id, gs, ws)
		}
	}
	return benchKinds(got)
}

// BenchmarkRenderVsPipeline (issue 4): `pullgen render` of a repository holding 200
// SOPS-encrypted Secrets and a PullAccess over 100 namespaces (rendered at deploy time,
// encrypt: false, password from ARGOCD_ENV_TOKEN), against the pipeline it replaces:
// `kustomize build --enable-alpha-plugins --enable-exec` with pullgen as the exec function,
// then `sops -d` of each Secret file, one after another as a script runs them.
func BenchmarkRenderVsPipeline(b *testing.B) {
	const committed, live = 200, 100
	kustomize := benchTool(b, "kustomize")
	sops := benchTool(b, "sops")
	repo, env := benchRenderRepo(b, committed, live)
	files, _ := filepath.Glob(filepath.Join(repo, "secrets", "secret-*.yaml"))
	if len(files) != committed {
		b.Fatalf("%d Secret files, want %d", len(files), committed)
	}

	var renderWall, pipeWall, buildWall, renderCPU time.Duration
	var renderOut, builtOut string
	var decrypted []string
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := benchRun(b, repo, env, pullgen(), "render", ".")
		renderWall += st.wall
		renderCPU += st.cpu
		renderOut = st.stdout

		start := time.Now()
		built := benchRun(b, repo, env, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
		builtOut, buildWall = built.stdout, buildWall+built.wall
		decrypted = decrypted[:0]
		for _, f := range files {
			decrypted = append(decrypted, benchRun(b, repo, env, sops, "-d", f).stdout)
		}
		pipeWall += time.Since(start)
	}
	b.StopTimer()
	kinds := benchSameResources(b, renderOut, builtOut, decrypted)
	if want := map[string]int{"Secret": committed + live}; !reflect.DeepEqual(kinds, want) {
		b.Fatalf("kinds %v, want %v", kinds, want)
	}
	rs := renderWall.Seconds() / float64(b.N)
	ps := pipeWall.Seconds() / float64(b.N)
	b.ReportMetric(rs, "render-s")
	b.ReportMetric(renderCPU.Seconds()/float64(b.N), "render-cpu-s")
	b.ReportMetric(ps, "pipeline-s")
	b.ReportMetric(buildWall.Seconds()/float64(b.N), "kustomize-s")
	b.ReportMetric(ps-buildWall.Seconds()/float64(b.N), "sops-d-s")
	b.ReportMetric(ps/rs, "speedup-x")
}

// BenchmarkRenderColdStart (issue 4): one `pullgen render` of a one-namespace repository (one
// committed encrypted Secret, one PullAccess rendered with encrypt: false): wall time,
// user+system CPU time and peak resident memory.
func BenchmarkRenderColdStart(b *testing.B) {
	repo, env := benchRenderRepo(b, 1, 1)
	var wall, cpu time.Duration
	var peak int64
	var out string
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := benchRun(b, repo, env, pullgen(), "render", ".")
		wall, cpu, peak, out = wall+st.wall, cpu+st.cpu, max(peak, st.rssKB), st.stdout
	}
	b.StopTimer()
	if k := benchKinds(benchObjects(b, out)); k["Secret"] != 2 || strings.Contains(out, "ENC[") {
		b.Fatalf("render gave %v:\n%s", k, out)
	}
	benchReportCold(b, wall, cpu, peak)
}

// BenchmarkCheckProcess (issue 12): the whole `pullgen check --format json FILE > report`
// process over the check corpus (internal/testsupport/benchgen: 5 images per workload, 200 Secrets of 3
// registry keys, 20 ServiceAccounts) of 10,000 and 50,000 workloads: wall time, CPU time
// (user+system), peak resident memory, and wall time per 1,000 workloads to show the
// growth is linear.
//
// Linux counts in a child's peak memory the peak of the process that started it (the
// child shares its memory until it executes pullgen), so before each run the benchmark
// frees what writing the corpus and reading the last report took and resets its own
// peak; parent-RSS-MB is what remains, a floor under peak-RSS-MB.
//
// workloads=10000,mirror-sets=50 (issue 18) adds 50 image mirror sets
// (benchgen.CheckMirrorSets), a global pull secret and a PullAccess declaring the mirrors: most
// images are then resolved to their pull sources, each with the credential it gets.
func BenchmarkCheckProcess(b *testing.B) {
	for _, c := range []struct{ workloads, mirrorSets int }{{10000, 0}, {50000, 0}, {10000, 50}} {
		n := c.workloads
		name := fmt.Sprintf("workloads=%d", n)
		if c.mirrorSets > 0 {
			name += fmt.Sprintf(",mirror-sets=%d", c.mirrorSets)
		}
		b.Run(name, func(b *testing.B) {
			file := filepath.Join(b.TempDir(), "corpus.yaml")
			corpus := benchgen.CheckManifests(n)
			if c.mirrorSets > 0 {
				corpus += benchgen.CheckMirrorSets(c.mirrorSets)
			}
			writeFile(b, file, corpus)
			var wall, cpu time.Duration
			var peak, parent int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				parent = max(parent, benchResetPeak(b))
				b.StartTimer()
				// The report goes to a file, as in `pullgen check --format json > report.json`:
				// a pipe read by this process would add its copying to the time measured.
				report, err := os.Create(filepath.Join(b.TempDir(), "report.json"))
				if err != nil {
					b.Fatal(err)
				}
				cmd := exec.Command(pullgen(), "check", "--format", "json", file)
				var errb bytes.Buffer
				cmd.Stdout, cmd.Stderr = report, &errb
				start := time.Now()
				err = cmd.Run()
				wall += time.Since(start)
				report.Close()
				// The corpus has pulls that fail: exit 1, with the whole report.
				if code := cmd.ProcessState.ExitCode(); code != 1 {
					b.Fatalf("exit %d (%v), want 1\n%s", code, err, errb.String())
				}
				b.StopTimer()
				var rep struct {
					Summary struct{ Images int } `json:"summary"`
				}
				out, rerr := os.ReadFile(report.Name())
				if rerr != nil {
					b.Fatal(rerr)
				}
				if err := json.Unmarshal(out, &rep); err != nil || rep.Summary.Images != n*benchgen.CheckImages {
					b.Fatalf("report: %v, %d images, want %d", err, rep.Summary.Images, n*benchgen.CheckImages)
				}
				b.StartTimer()
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
					cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
					peak = max(peak, ru.Maxrss)
				}
			}
			benchReportCold(b, wall, cpu, peak)
			b.ReportMetric(float64(wall.Microseconds())/1e3/float64(b.N)/float64(n/1000), "wall-ms/1k-workloads")
			b.ReportMetric(float64(parent)/1024, "parent-RSS-MB")
		})
	}
}

// benchResetPeak returns the memory the benchmark gave back to the system and resets the
// process's peak resident set (/proc/self/clear_refs), so that the peak of the children it
// starts is theirs. It returns the resident set left (kB).
func benchResetPeak(b *testing.B) int64 {
	b.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the peak memory of the benchmark process (%v): peak-RSS-MB would be its own", err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscan(rest, &kb)
			return kb
		}
	}
	return 0
}
