package argocd

// The kit on the real plugin path: upstream's argocd-cmp-server, started in a sidecar laid
// out from the kit's container spec and plugin.yaml, and the repo server's own code
// (cmp-client) sending it Applications over git repositories (internal/testsupport/argocdtest).

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"pullgen.dev/pullgen/internal/testsupport/argocdtest"
)

var built struct {
	once     sync.Once
	dir, err string
}

// pullgenBin builds pullgen once, with cgo off as the Dockerfile builds the sidecar
// image's (and as cmd/pullgen's tests do, so that the build cache serves both), and
// returns its path.
func pullgenBin(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds pullgen")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "pullgen-kit-")
		if err != nil {
			built.err = err.Error()
			return
		}
		built.dir = dir
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "pullgen"), "pullgen.dev/pullgen/cmd/pullgen")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = "building pullgen: " + err.Error() + "\n" + string(out)
		}
	})
	if built.err != "" {
		t.Fatal(built.err)
	}
	return filepath.Join(built.dir, "pullgen")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	removeSidecarImage()
	argocdtest.Cleanup()
	os.Exit(code)
}

// kitSidecar is the pullgen container of the repo server Deployment d, as the harness
// runs it: config as its plugin.yaml (what the ConfigMap holds), pullgen built as the
// Dockerfile builds it as the image's one program, the variables of the Secrets of its
// envFrom then its env (an absolute path is in the sidecar's own file system), and the
// files of the Secret volumes it mounts, its emptyDir volumes, and its memory limit as
// PULLGEN_SIDECAR_MEMORY. secrets are the cluster's Secrets by name, key
// -> value; a Secret the pod needs and does not find keeps it from starting.
func kitSidecar(t *testing.T, d deployment, config string, secrets map[string]map[string]string) argocdtest.Sidecar {
	t.Helper()
	c, ok := findContainer(d.Spec.Template.Spec.Containers, "pullgen")
	if !ok {
		t.Fatal("no container pullgen")
	}
	s := argocdtest.Sidecar{Config: config, Programs: map[string]string{"pullgen": pullgenBin(t)}, Files: map[string]string{}}
	for _, from := range c.EnvFrom {
		data, ok := secrets[from.SecretRef.Name]
		if !ok && !from.SecretRef.Optional {
			t.Fatalf("the sidecar needs Secret %s", from.SecretRef.Name)
		}
		for _, k := range sortedKeys(data) {
			s.Env = append(s.Env, k+"="+data[k])
		}
	}
	for _, e := range c.Env {
		v := e.Value
		if strings.HasPrefix(v, "/") {
			v = argocdtest.RootVar + v
		}
		s.Env = append(s.Env, e.Name+"="+v)
	}
	// The memory limit, which a directory cannot have: render reads it from the cgroup.
	if limit, ok := c.Resources.Limits["memory"]; ok {
		s.Env = append(s.Env, memoryEnv+"="+strconv.FormatInt(quantity(t, limit), 10))
	}
	for _, m := range c.VolumeMounts {
		v, ok := d.volume(m.Name)
		if ok && v.EmptyDir != nil {
			s.Dirs = append(s.Dirs, strings.TrimPrefix(m.MountPath, "/"))
		}
		if !ok || v.Secret == nil {
			continue
		}
		data, ok := secrets[v.Secret.SecretName]
		switch {
		case !ok && v.Secret.Optional:
			continue
		case !ok:
			t.Fatalf("the sidecar mounts Secret %s", v.Secret.SecretName)
		}
		items := v.Secret.Items
		if len(items) == 0 { // every key, as a file of its name
			for _, k := range sortedKeys(data) {
				items = append(items, keyPath{k, k})
			}
		}
		for _, it := range items {
			s.Files[strings.TrimPrefix(m.MountPath, "/")+"/"+it.Path] = data[it.Key]
		}
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// demoKey is the Secret pullgen-age-key holding the examples' DEMO age key.
func demoKey(t testing.TB) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../examples/DEMO-age-key.txt")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"keys.txt": string(b)}
}

// readFile reads a file of the kit.
func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// generateLine is the generate command of cmp/plugin.yaml, on one line.
var generateLine = regexp.MustCompile(`(?m)^  generate:\n    command: .*\n`)

// withGenerate is a copy of plugin.yaml whose generate command is stanza (a `generate:`
// block indented as in plugin.yaml).
func withGenerate(t testing.TB, plugin, stanza string) string {
	t.Helper()
	if !generateLine.MatchString(plugin) {
		t.Fatal("cmp/plugin.yaml: no generate command on one line to replace")
	}
	return generateLine.ReplaceAllLiteralString(plugin, stanza)
}

// startKit starts the kit's sidecar with plugin.yaml config, the DEMO key in its key
// Secret and env as the optional pullgen-sidecar-env Secret, in a new repo server.
func startKit(t *testing.T, config string, env map[string]string) (*argocdtest.RepoServer, *argocdtest.Server) {
	t.Helper()
	rs := argocdtest.NewRepoServer(t)
	secrets := map[string]map[string]string{"pullgen-age-key": demoKey(t)}
	if env != nil {
		secrets["pullgen-sidecar-env"] = env
	}
	srv := rs.StartSidecar(t, kitSidecar(t, kitRepoServer(t), config, secrets))
	return rs, srv
}
