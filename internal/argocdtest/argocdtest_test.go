package argocdtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// catPlugin is a plugin that claims the directories holding a cm.yaml and prints it.
const catPlugin = `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata:
  name: cat
spec:
  version: v2
  generate:
    command: [cat, cm.yaml]
  discover:
    fileName: cm.yaml
`

const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: team-a\ndata:\n  color: blue\n"

// TestRepoServer runs the harness on a plugin of its own: a sidecar started from its
// plugin.yaml, the repo server's generate, details and match over a git repository, in
// the layout and with the variables Argo CD gives, and the sidecar stopped with SIGTERM.
func TestRepoServer(t *testing.T) {
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Skip("no cat on this machine")
	}
	src := t.TempDir()
	if err := writeFile(filepath.Join(src, "apps", "a", "cm.yaml"), configMap); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(src, "apps", "b", "README"), "nothing here\n"); err != nil {
		t.Fatal(err)
	}
	repo := GitRepo(t, src)
	rs := NewRepoServer(t)
	srv := rs.StartSidecar(t, Sidecar{Config: catPlugin, Programs: map[string]string{"cat": cat}, Env: []string{"MARK=" + RootVar + "/x"}})
	if want := filepath.Join(rs.SocketDir, "cat-v2.sock"); srv.Socket != want || PluginName(t, catPlugin) != "cat-v2" {
		t.Errorf("socket %s, want %s", srv.Socket, want)
	}

	res := rs.Generate(t, Request{Repo: repo, Path: "apps/a", Plugin: "cat-v2", App: "settings"})
	want := []map[string]any{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "settings", "namespace": "team-a"}, "data": map[string]any{"color": "blue"}}}
	if got := res.Objects(t); !reflect.DeepEqual(got, want) {
		t.Errorf("generate: %v, want %v\n%s", got, want, res)
	}
	if !strings.Contains(res.Out, `"`+TrackingAnnotation+`":"settings:/ConfigMap:team-a/settings"`) {
		t.Errorf("the repo server's manifest lacks its tracking annotation: %s", res.Out)
	}
	// The command ran where argocd-cmp-server unpacks a request: the sidecar's /tmp.
	dir := regexp.MustCompile(`"dir":"([^"]*)"`).FindStringSubmatch(srv.Log())
	if prefix := filepath.Join(srv.Root, TempDir, WorkDirName) + "/"; dir == nil || !strings.HasPrefix(dir[1], prefix) || !strings.HasSuffix(dir[1], "/apps/a") {
		t.Errorf("the command ran in %q, want %s<uuid>/apps/a", dir, prefix)
	}

	if m, err := rs.Match(t, Request{Repo: repo, Path: "apps/a", Plugin: "cat-v2"}); err != nil || !m.Supported || !m.DiscoveryConfigured {
		t.Errorf("match apps/a: %+v %v, want supported", m, err)
	}
	if m, err := rs.Match(t, Request{Repo: repo, Path: "apps/b", Plugin: "cat-v2"}); err != nil || m.Supported {
		t.Errorf("match apps/b: %+v %v, want not supported", m, err)
	}
	// plugin: {} and no sidecar claims it: Argo CD's own message.
	res = rs.Generate(t, Request{Repo: repo, Path: "apps/b"})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "could not find plugin supporting the given repository") {
		t.Errorf("generate apps/b: %s", res)
	}
	if res := rs.Details(t, Request{Repo: repo, Path: "apps/a", Plugin: "cat-v2"}); res.Err != nil || !strings.Contains(res.Out, `"type": "Plugin"`) {
		t.Errorf("details: %s", res)
	}

	srv.Stop(t) // and its socket is gone, or Stop says so
	if _, err := rs.Match(t, Request{Repo: repo, Path: "apps/a", Plugin: "cat-v2"}); err == nil {
		t.Error("a stopped sidecar still answers")
	}
}
