package argocd

// The kit's sidecar under load, on the real plugin path: pullgen's image (make image) run
// by podman as the kit's container spec says (its command, user, read-only root file
// system, memory limit, environment and volumes), upstream's argocd-cmp-server in its
// var-files volume, and the repo server's own code (cmp-client) sending it many
// Applications at once from outside, through the socket of the plugins volume.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pullgen.dev/pullgen/internal/testsupport/argocdtest"
)

// sidecarToken is the variable the benign Application's PullAccess reads, from the
// sidecar's pullgen-sidecar-env Secret.
const sidecarToken = "ACME_REGISTRY_TOKEN=demo-token-not-a-real-secret"

var loadImage struct {
	once      sync.Once
	name, err string
}

// sidecarImage builds pullgen's image once with make image (podman, the project's
// containers.conf), under a name of this test binary's own, and returns its name and
// the environment podman runs with. It skips where podman is missing (fails in CI).
func sidecarImage(tb testing.TB) (string, []string) {
	tb.Helper()
	if _, err := exec.LookPath("podman"); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("podman is not installed: .ci/run installs it (apt-get install podman buildah runc)")
		}
		tb.Skip("podman is not installed here, so no container runs the sidecar: skipping (apt-get install podman buildah runc; .ci/run does)")
	}
	env := []string{"CONTAINERS_CONF=" + filepath.Join(repoRoot(tb), ".ci", "containers.conf")}
	loadImage.once.Do(func() {
		name := fmt.Sprintf("localhost/pullgen-kit-load:%d", os.Getpid())
		context, err := os.MkdirTemp("", "pullgen-image-")
		if err != nil {
			loadImage.err = err.Error()
			return
		}
		defer os.RemoveAll(context)
		cmd := exec.Command("make", "image", "IMAGE="+name, "IMAGE_CONTEXT="+context)
		cmd.Dir = repoRoot(tb)
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			loadImage.err = "make image: " + err.Error() + "\n" + string(out)
			return
		}
		loadImage.name = name
	})
	if loadImage.err != "" {
		tb.Fatal(loadImage.err)
	}
	return loadImage.name, env
}

// removeSidecarImage removes the image sidecarImage built, at the end of TestMain.
func removeSidecarImage() {
	if loadImage.name != "" {
		exec.Command("podman", "rmi", "--force", loadImage.name).Run()
	}
}

func repoRoot(tb testing.TB) string {
	tb.Helper()
	abs, err := filepath.Abs("../..")
	if err != nil {
		tb.Fatal(err)
	}
	return abs
}

// loadSidecar is the kit's sidecar running in a container, and the repo server sending
// it requests.
type loadSidecar struct {
	rs     *argocdtest.RepoServer
	name   string
	env    []string
	memory memoryCgroup
	// limit is the container's memory limit, from the kit.
	limit int64
	repo  string
}

// startLoadSidecar runs the kit's sidecar as its container spec says; without budget, as
// if PULLGEN_SLOT_DIR were not set (the control: renders share nothing).
func startLoadSidecar(tb testing.TB, budget bool) *loadSidecar {
	tb.Helper()
	image, env := sidecarImage(tb)
	rs := argocdtest.NewRepoServer(tb)
	d := kitRepoServer(tb)
	c, ok := findContainer(d.Spec.Template.Spec.Containers, "pullgen")
	if !ok {
		tb.Fatal("no container pullgen")
	}
	s := &loadSidecar{rs: rs, name: fmt.Sprintf("pullgen-kit-load-%d-%d", os.Getpid(), time.Now().UnixNano()), env: env,
		limit: quantity(tb, c.Resources.Limits["memory"]), repo: loadRepo(tb)}
	limit := strconv.FormatInt(s.limit, 10)
	args := []string{"run", "--detach", "--name", s.name, "--network", "none",
		"--memory", limit, "--memory-swap", limit, // no swap: the limit is the memory
		"--entrypoint", c.Command[0], "--cap-drop", "all", "--security-opt", "no-new-privileges"}
	if sc := c.SecurityContext; sc != nil {
		if sc.RunAsUser != nil {
			args = append(args, "--user", fmt.Sprintf("%d:%d", *sc.RunAsUser, *sc.RunAsUser))
		}
		if sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
			args = append(args, "--read-only")
		}
	}
	for _, e := range c.Env {
		if e.Name == slotDirEnv && !budget {
			continue
		}
		args = append(args, "--env", e.Name+"="+e.Value)
	}
	// The optional Secret pullgen-sidecar-env, as envFrom gives it.
	args = append(args, "--env", sidecarToken)
	config := withGenerate(tb, readFile(tb, "cmp/plugin.yaml"), "  generate:\n    command: [pullgen, render, --allow-env, ACME_REGISTRY_TOKEN]\n")
	for _, m := range c.VolumeMounts {
		host := s.volume(tb, d, m, rs, config)
		spec := host + ":" + m.MountPath
		if m.ReadOnly {
			spec += ":ro"
		}
		args = append(args, "--volume", spec)
	}
	s.podman(tb, append(args, image)...)
	tb.Cleanup(func() { s.podman(tb, "rm", "--force", "--time", "1", s.name) })

	socket := filepath.Join(rs.SocketDir, argocdtest.PluginName(tb, config)+".sock")
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if st, err := os.Stat(socket); err == nil && st.Mode()&os.ModeSocket != 0 {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the sidecar does not serve on %s after a minute:\n%s", socket, s.podman(tb, "logs", s.name))
		}
	}
	s.memory = containerMemory(tb, strings.TrimSpace(s.podman(tb, "inspect", "--format", "{{.State.CgroupPath}}", s.name)))
	if got := s.memory.limit(tb); got != s.limit {
		tb.Skipf("podman cannot enforce a memory limit here: the container's cgroup %s has %d, not the %d asked", s.memory.dir, got, s.limit)
	}
	return s
}

// volume lays out on this machine what mount m of the kit's container mounts, and
// returns its path: Argo CD's var-files volume (argocd-cmp-server, built static) and
// plugins volume (the repo server's socket directory), the kit's ConfigMap (config as
// plugin.yaml), its key Secret (the DEMO key) and its emptyDir volumes, writable by the
// container's user.
func (s *loadSidecar) volume(tb testing.TB, d deployment, m volumeMount, rs *argocdtest.RepoServer, config string) string {
	tb.Helper()
	dir := tb.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
		return p
	}
	v, _ := d.volume(m.Name)
	switch {
	case m.Name == "var-files":
		b, err := os.ReadFile(argocdtest.StaticServer(tb))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(cmpServer)), b, 0o755); err != nil {
			tb.Fatal(err)
		}
		return dir
	case m.Name == "plugins":
		dir = rs.SocketDir
	case v.ConfigMap != nil && v.ConfigMap.Name == "pullgen-cmp-plugin":
		return write(m.SubPath, config)
	case v.Secret != nil && v.Secret.SecretName == "pullgen-age-key":
		write("keys.txt", demoKey(tb)["keys.txt"])
		return dir
	case v.EmptyDir == nil:
		tb.Fatalf("the sidecar mounts volume %s, which the load test does not lay out", m.Name)
	}
	// Writable by the container's user (uid 999), as an emptyDir is by the pod's.
	if err := os.Chmod(dir, 0o777); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func (s *loadSidecar) podman(tb testing.TB, args ...string) string {
	tb.Helper()
	cmd := exec.Command("podman", args...)
	cmd.Env = append(os.Environ(), s.env...)
	// Podman's monitor leaves a file "oom" in its working directory: not the checkout's.
	cmd.Dir = tb.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// running tells whether the container still runs, and whether podman saw it OOM-killed.
func (s *loadSidecar) running(tb testing.TB) (running, oomKilled bool) {
	tb.Helper()
	state := strings.Fields(s.podman(tb, "inspect", "--format", "{{.State.Running}} {{.State.OOMKilled}}", s.name))
	return len(state) == 2 && state[0] == "true", len(state) == 2 && state[1] == "true"
}

// loadRepo is a git repository of two Applications: benign, the private-registry-password
// example, and hostile, a 12 KiB PullAccess over 1,000 namespaces × 1,000 ServiceAccounts
// that would take gigabytes.
func loadRepo(tb testing.TB) string {
	tb.Helper()
	src := tb.TempDir()
	if err := os.CopyFS(filepath.Join(src, "benign"), os.DirFS("../../examples/private-registry-password")); err != nil {
		tb.Fatal(err)
	}
	list := func(prefix string) string {
		s := make([]string, 1000)
		for i := range s {
			s[i] = fmt.Sprintf("%s%d", prefix, i)
		}
		return "[" + strings.Join(s, ", ") + "]"
	}
	hostile := filepath.Join(src, "hostile")
	if err := os.MkdirAll(hostile, 0o755); err != nil {
		tb.Fatal(err)
	}
	for name, content := range map[string]string{
		"kustomization.yaml": "generators: [pullaccess.yaml]\n",
		"pullaccess.yaml": "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: fan-out}\nspec:\n  namespaces: " + list("team-") +
			"\n  registries:\n  - {server: registry.acme.example, username: robot, passwordFrom: {env: ACME_REGISTRY_TOKEN}}\n  serviceAccounts: " + list("sa-") +
			"\n  output: {encrypt: false}\n",
	} {
		if err := os.WriteFile(filepath.Join(hostile, name), []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return argocdtest.GitRepo(tb, src)
}

// refreshes is what one burst of refreshes did.
type refreshes struct {
	benign, hostile []argocdtest.Result
	elapsed         time.Duration
}

// refresh sends benign and hostile Applications' refreshes at once, the hostile ones
// spread among the others, each Application its own name.
func (s *loadSidecar) refresh(tb testing.TB, benign, hostile int) refreshes {
	tb.Helper()
	var reqs []argocdtest.Request
	isHostile := map[int]bool{}
	for i := range benign + hostile {
		path := "benign"
		if hostile > 0 && i%((benign+hostile)/hostile) == 0 && len(isHostile) < hostile {
			path, isHostile[i] = "hostile", true
		}
		reqs = append(reqs, argocdtest.Request{Repo: s.repo, Path: path, Plugin: "pullgen-v1", App: fmt.Sprintf("%s-%02d", path, i)})
	}
	start := time.Now()
	results := s.rs.GenerateAll(tb, reqs)
	r := refreshes{elapsed: time.Since(start)}
	for i, res := range results {
		if isHostile[i] {
			r.hostile = append(r.hostile, res)
		} else {
			r.benign = append(r.benign, res)
		}
	}
	return r
}

// memoryCgroup is a container's memory cgroup, read from this machine's cgroup file
// system (v1: the memory hierarchy; v2: the unified one).
type memoryCgroup struct {
	dir string
	v2  bool
}

// containerMemory finds the memory cgroup of path (podman's State.CgroupPath).
func containerMemory(tb testing.TB, path string) memoryCgroup {
	tb.Helper()
	if dir := filepath.Join("/sys/fs/cgroup/memory", path); fileExists(filepath.Join(dir, "memory.limit_in_bytes")) {
		return memoryCgroup{dir: dir}
	}
	if dir := filepath.Join("/sys/fs/cgroup", path); fileExists(filepath.Join(dir, "memory.max")) {
		return memoryCgroup{dir: dir, v2: true}
	}
	tb.Skipf("the container's cgroup %s has no memory controller on this machine: podman cannot limit its memory here", path)
	return memoryCgroup{}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func (m memoryCgroup) read(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(m.dir, name))
	if err != nil {
		tb.Fatalf("reading the container's memory cgroup: %v", err)
	}
	return strings.TrimSpace(string(b))
}

func (m memoryCgroup) number(tb testing.TB, name string) int64 {
	tb.Helper()
	n, err := strconv.ParseInt(m.read(tb, name), 10, 64)
	if err != nil {
		tb.Fatalf("%s of the container's cgroup: %v", name, err)
	}
	return n
}

// field is a counter of a flat keyed file (memory.events, memory.oom_control).
func (m memoryCgroup) field(tb testing.TB, name, key string) int64 {
	tb.Helper()
	for _, line := range strings.Split(m.read(tb, name), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				return n
			}
		}
	}
	tb.Fatalf("%s of the container's cgroup has no %s", name, key)
	return 0
}

// limit is the cgroup's memory limit.
func (m memoryCgroup) limit(tb testing.TB) int64 {
	if m.v2 {
		return m.number(tb, "memory.max")
	}
	return m.number(tb, "memory.limit_in_bytes")
}

// peak is the most memory the container used since it started.
func (m memoryCgroup) peak(tb testing.TB) int64 {
	if m.v2 {
		return m.number(tb, "memory.peak")
	}
	return m.number(tb, "memory.max_usage_in_bytes")
}

// limitHits counts the times the container's memory reached its limit (where the kernel
// must reclaim or kill).
func (m memoryCgroup) limitHits(tb testing.TB) int64 {
	if m.v2 {
		return m.field(tb, "memory.events", "max")
	}
	return m.number(tb, "memory.failcnt")
}

// oomKills counts the processes the kernel's OOM killer killed in the container.
func (m memoryCgroup) oomKills(tb testing.TB) int64 {
	if m.v2 {
		return m.field(tb, "memory.events", "oom_kill")
	}
	return m.field(tb, "memory.oom_control", "oom_kill")
}

// The load of the tests: as many refreshes at once as Argo CD's repo server sends by
// default (its parallelism is unlimited), a quarter of them memory-hostile.
const (
	loadBenign  = 24
	loadHostile = 8
)

// TestSidecarUnderLoad sends the kit's sidecar, in a container with the kit's memory
// limit, 32 refreshes at once, 8 of them of a hostile Application whose render would
// take gigabytes: every benign refresh succeeds with the manifests it has alone, every
// hostile one is refused at its share of the memory, and the container never reaches its
// memory limit (no process OOM-killed, the container still running).
func TestSidecarUnderLoad(t *testing.T) {
	s := startLoadSidecar(t, true)
	alone := s.refresh(t, 1, 0).benign[0]
	want := alone.Objects(t)
	if len(want) == 0 {
		t.Fatalf("the benign Application alone: no manifests\n%s", alone)
	}
	r := s.refresh(t, loadBenign, loadHostile)
	for _, res := range r.benign {
		if res.Err != nil {
			t.Errorf("a benign refresh failed under load after %s: %v", res.Duration, res.Err)
		} else if got := res.Objects(t); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("a benign refresh under load: %v\nwant what it gives alone: %v", got, want)
		}
	}
	// Stopped at its share, as docs/argo-cd.md shows it.
	doc := strings.Join(strings.Fields(docBlock(t, "../../docs/argo-cd.md", "share error")), " ")
	for _, res := range r.hostile {
		if res.Err == nil || !strings.HasSuffix(res.Err.Error(), doc) {
			t.Errorf("a hostile refresh after %s: %v\nwant it stopped at its share of the sidecar's memory: %s", res.Duration, res.Err, doc)
		}
	}
	peak, hits, kills := s.memory.peak(t), s.memory.limitHits(t), s.memory.oomKills(t)
	running, oomKilled := s.running(t)
	t.Logf("%d benign and %d hostile refreshes at once in %s; peak memory %d MiB of the %d MiB limit, %d limit hits, %d OOM kills",
		len(r.benign), len(r.hostile), r.elapsed.Round(time.Millisecond), peak>>20, s.limit>>20, hits, kills)
	if peak >= s.limit || hits != 0 || kills != 0 || !running || oomKilled {
		t.Errorf("the container reached its memory limit: peak %d of %d bytes, %d limit hits, %d OOM kills, running %v, OOM-killed %v",
			peak, s.limit, hits, kills, running, oomKilled)
	}
}

// TestSidecarWithoutBudget is the control: the same hostile refreshes in the same
// container, the renders sharing nothing (no slot directory), take the container to its
// memory limit, where the kernel kills processes: the limit is real, and the budget is
// what keeps the sidecar within it.
func TestSidecarWithoutBudget(t *testing.T) {
	s := startLoadSidecar(t, false)
	r := s.refresh(t, 0, loadHostile)
	peak, hits, kills := s.memory.peak(t), s.memory.limitHits(t), s.memory.oomKills(t)
	t.Logf("%d hostile refreshes without the budget in %s: peak memory %d MiB of the %d MiB limit, %d limit hits, %d OOM kills",
		len(r.hostile), r.elapsed.Round(time.Millisecond), peak>>20, s.limit>>20, hits, kills)
	if hits == 0 && kills == 0 {
		t.Errorf("without the budget, %d hostile renders stayed within the %d MiB limit (peak %d MiB): the control shows nothing", len(r.hostile), s.limit>>20, peak>>20)
	}
}

// BenchmarkSidecarLoad measures the kit's sidecar in its container under bursts of
// refreshes: the benign ones' throughput alone and beside hostile ones (benign/s), the
// container's peak memory (peak-MiB of its limit), the hostile refreshes refused and the
// benign ones that failed, the times the container reached its memory limit and the
// processes the kernel OOM-killed; and the same burst without the budget.
func BenchmarkSidecarLoad(b *testing.B) {
	for _, c := range []struct {
		name            string
		budget          bool
		benign, hostile int
	}{
		{"benign-alone", true, loadBenign, 0},
		{"with-hostile", true, loadBenign, loadHostile},
		{"with-hostile-no-budget", false, loadBenign, loadHostile},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := startLoadSidecar(b, c.budget)
			s.refresh(b, 1, 0) // the checkout cached, the binaries read
			var elapsed time.Duration
			failed, refused := 0, 0
			b.ResetTimer()
			for range b.N {
				r := s.refresh(b, c.benign, c.hostile)
				elapsed += r.elapsed
				for _, res := range r.benign {
					if res.Err != nil {
						failed++
					}
				}
				for _, res := range r.hostile {
					if res.Err != nil {
						refused++
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(c.benign*b.N)/elapsed.Seconds(), "benign/s")
			b.ReportMetric(float64(failed)/float64(b.N), "benign-failed/op")
			b.ReportMetric(float64(refused)/float64(b.N), "hostile-refused/op")
			b.ReportMetric(float64(s.memory.peak(b)>>20), "peak-MiB")
			b.ReportMetric(float64(s.limit>>20), "limit-MiB")
			b.ReportMetric(float64(s.memory.limitHits(b)), "limit-hits")
			b.ReportMetric(float64(s.memory.oomKills(b)), "oom-kills")
		})
	}
}
