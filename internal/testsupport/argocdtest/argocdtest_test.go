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

// shPlugin is a plugin that claims the directories holding a cm.yaml and prints a
// ConfigMap of what reached it: the Application's name, namespace and project, its
// plugin.env and parameters, and the content of the file a variable of the sidecar names.
const shPlugin = `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata:
  name: sh
spec:
  version: v2
  generate:
    command: [sh, -c]
    args:
      - |
        printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "%s", namespace: "%s"}\ndata: {project: "%s", env: "%s", overlay: "%s", ns1: "%s", mounted: "%s"}\n' \
          "$ARGOCD_APP_NAME" "$ARGOCD_APP_NAMESPACE" "$ARGOCD_APP_PROJECT_NAME" "$ARGOCD_ENV_CLUSTER" "$PARAM_OVERLAY" "$PARAM_NAMESPACES_1" "$(cat "$MOUNTED")"
  discover:
    fileName: cm.yaml
`

// TestRepoServer runs the harness on a plugin of its own: a sidecar started from its
// plugin.yaml with its environment and a mounted file, the repo server's generate, details
// and match over a git repository, with the Application's name, namespace, project, env
// and parameters reaching the plugin, the commands run where argocd-cmp-server unpacks a
// request, and the sidecar stopped with SIGTERM.
func TestRepoServer(t *testing.T) {
	programs := map[string]string{}
	for _, p := range []string{"sh", "cat"} {
		path, err := exec.LookPath(p)
		if err != nil {
			t.Skipf("no %s on this machine", p)
		}
		programs[p] = path
	}
	src := t.TempDir()
	if err := writeFile(filepath.Join(src, "apps", "a", "cm.yaml"), "# the plugin's\n"); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(src, "apps", "b", "README"), "nothing here\n"); err != nil {
		t.Fatal(err)
	}
	repo := GitRepo(t, src)
	rs := NewRepoServer(t)
	srv := rs.StartSidecar(t, Sidecar{
		Config: shPlugin, Programs: programs,
		Env:   []string{"MOUNTED=" + RootVar + "/etc/mounted/value"},
		Files: map[string]string{"etc/mounted/value": "from-the-sidecar"},
	})
	if want := filepath.Join(rs.SocketDir, "sh-v2.sock"); srv.Socket != want || PluginName(t, shPlugin) != "sh-v2" {
		t.Errorf("socket %s, want %s", srv.Socket, want)
	}

	prod := "overlays/prod"
	res := rs.Generate(t, Request{
		Repo: repo, Path: "apps/a", Plugin: "sh-v2", App: "settings", Namespace: "team-a", Project: "tenant-a",
		Env:    []EnvEntry{{Name: "CLUSTER", Value: "east"}},
		Params: []Param{{Name: "overlay", String: &prod}, {Name: "namespaces", Array: []string{"x", "y"}}},
	})
	want := []map[string]any{{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "settings", "namespace": "team-a"},
		"data": map[string]any{"project": "tenant-a", "env": "east", "overlay": prod, "ns1": "y", "mounted": "from-the-sidecar"},
	}}
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

	if m, err := rs.Match(t, Request{Repo: repo, Path: "apps/a", Plugin: "sh-v2"}); err != nil || !m.Supported || !m.DiscoveryConfigured {
		t.Errorf("match apps/a: %+v %v, want supported", m, err)
	}
	if m, err := rs.Match(t, Request{Repo: repo, Path: "apps/b", Plugin: "sh-v2"}); err != nil || m.Supported {
		t.Errorf("match apps/b: %+v %v, want not supported", m, err)
	}
	// plugin: {} and no sidecar claims it: Argo CD's own message.
	res = rs.Generate(t, Request{Repo: repo, Path: "apps/b"})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "could not find plugin supporting the given repository") {
		t.Errorf("generate apps/b: %s", res)
	}
	if res := rs.Details(t, Request{Repo: repo, Path: "apps/a", Plugin: "sh-v2"}); res.Err != nil || !strings.Contains(res.Out, `"type": "Plugin"`) {
		t.Errorf("details: %s", res)
	}

	srv.Stop(t) // and its socket is gone, or Stop says so
	if _, err := rs.Match(t, Request{Repo: repo, Path: "apps/a", Plugin: "sh-v2"}); err == nil {
		t.Error("a stopped sidecar still answers")
	}
}
