package argocd

// Discovery on the real plugin path: which Applications the kit's sidecar claims, and what
// Argo CD shows for the others.

import (
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/testsupport/argocdtest"
)

// The repo server's errors for an Application no sidecar claims (util/app/discovery).
const (
	namedNotFound   = `could not find cmp-server plugin with name "pullgen-v1" supporting the given repository`
	unnamedNotFound = "could not find plugin supporting the given repository"
)

// TestDiscoveryProtocol runs the kit's discovery in argocd-cmp-server: a match, a no match
// that Argo CD reports with its own message (not as a failing command, and with nothing
// logged as an error by the sidecar), and a real error (a bound reached) that Argo CD
// reports as the command's failure, with pullgen's message.
func TestDiscoveryProtocol(t *testing.T) {
	src := t.TempDir()
	deep := "apps/deep" + strings.Repeat("/d", 34)
	writeFiles(t, src, map[string]string{
		"apps/acme/pullaccess.yaml":        readFile(t, "../../examples/docker-config/pullaccess.yaml"),
		"apps/plain/kustomization.yaml":    "resources: [cm.yaml]\n",
		"apps/plain/cm.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n",
		"apps/deep/kustomization.yaml":     "resources: []\n",
		deep + "/cm.yaml":                  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\n",
		"apps/deep/d/README.md":            "a directory tree deeper than discovery searches\n",
		"apps/plain/pullaccess-notes.yaml": "# kind: PullAccess is explained elsewhere\n",
	})
	repo := argocdtest.GitRepo(t, src)
	rs, srv := startKit(t, readFile(t, "cmp/plugin.yaml"), nil)
	app := func(path string) argocdtest.Request {
		return argocdtest.Request{Repo: repo, Path: path, Plugin: "pullgen-v1"}
	}

	t.Run("match", func(t *testing.T) {
		if m, err := rs.Match(t, app("apps/acme")); err != nil || !m.DiscoveryConfigured || !m.Supported {
			t.Errorf("match: %+v, %v; want supported", m, err)
		}
	})

	t.Run("no match", func(t *testing.T) {
		if m, err := rs.Match(t, app("apps/plain")); err != nil || !m.DiscoveryEnabled || m.Supported {
			t.Errorf("match: %+v, %v; want discovery enabled, not supported", m, err)
		}
		for _, c := range []struct {
			plugin, want string
		}{{"pullgen-v1", namedNotFound}, {"", unnamedNotFound}} {
			r := app("apps/plain")
			r.Plugin = c.plugin
			res := rs.Generate(t, r)
			if res.Err == nil || !strings.HasSuffix(res.Err.Error(), c.want) {
				t.Errorf("plugin %q: want Argo CD's %q alone:\n%s", c.plugin, c.want, res)
			}
		}
		if strings.Contains(srv.Log(), `"level":"error"`) {
			t.Errorf("the sidecar logged an error for an Application it does not claim:\n%s", srv.Log())
		}
	})

	t.Run("discovery error", func(t *testing.T) {
		const want = "error running find command: `pullgen discover` failed exit status 2: pullgen: discover: no PullAccess found before discovery stopped at its bound: directories deeper than 32; point the Application's path at the application's directory"
		if m, err := rs.Match(t, app("apps/deep")); err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("match: %+v, %v; want the sidecar's error ending %q", m, err, want)
		}
		res := rs.Generate(t, app("apps/deep"))
		if res.Err == nil || !strings.HasPrefix(res.Err.Error(), `CMP processing failed for application "pullgen-test": `+namedNotFound+": ") || !strings.HasSuffix(res.Err.Error(), want) {
			t.Errorf("generate: want Argo CD's %q with the find command's error %q:\n%s", namedNotFound, want, res)
		}
	})
}

// kustomizePlugin is a second sidecar's plugin, as operators run beside pullgen's: it
// claims every directory with a kustomization.yaml and builds it with plain kustomize.
const kustomizePlugin = `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata:
  name: %s
spec:
  generate:
    command: [kustomize, build, .]
  discover:
    fileName: kustomization.yaml
`

// TestPluginWithoutName sends Applications with `plugin: {}` to a repo server with the
// kit's sidecar and a second one whose discovery claims every kustomization. Argo CD asks
// the sidecars in the order of their sockets' names and takes the first that claims the
// Application. After pullgen's: pullgen's sidecar claims the Application with a
// PullAccess, declines the other without an error, and the second sidecar builds it.
// Before pullgen's: the second sidecar takes the Application with a PullAccess too, and
// fails on it; naming pullgen-v1 is what routes it to pullgen.
func TestPluginWithoutName(t *testing.T) {
	kustomize := kustomizeBinary(t)
	repo := argocdtest.GitRepo(t, "../../examples")
	for _, c := range []struct {
		other string
		// pullgenFirst: pullgen-v1.sock sorts before the other's socket.
		pullgenFirst bool
	}{{"vanilla-kustomize", true}, {"kustomize", false}} {
		t.Run(c.other, func(t *testing.T) {
			rs, srv := startKit(t, readFile(t, "cmp/plugin.yaml"), nil)
			rs.StartSidecar(t, argocdtest.Sidecar{Config: fmt.Sprintf(kustomizePlugin, c.other), Programs: map[string]string{"kustomize": kustomize}})

			// Without a PullAccess: the second sidecar's, whichever comes first.
			res := rs.Generate(t, argocdtest.Request{Repo: repo, Path: "check-anonymous-pull"})
			want, err := exec.Command(kustomize, "build", "../../examples/check-anonymous-pull").Output()
			if err != nil {
				t.Fatal(err)
			}
			if got := byID(t, res.Objects(t)); !reflect.DeepEqual(got, manifests(t, want)) {
				t.Errorf("Argo CD's manifests:\n%s\nwant kustomize build's:\n%s", res, want)
			}
			if asked := strings.Contains(srv.Log(), "Plugin command returned zero output"); asked != c.pullgenFirst {
				t.Errorf("pullgen's discovery declined it: %v, want %v:\n%s", asked, c.pullgenFirst, srv.Log())
			}
			if strings.Contains(srv.Log(), `"level":"error"`) {
				t.Errorf("pullgen's sidecar logged an error for an Application it does not claim:\n%s", srv.Log())
			}

			// With a PullAccess: pullgen's, if it comes first or is named.
			for _, named := range []bool{false, true} {
				r := argocdtest.Request{Repo: repo, Path: "docker-config"}
				if named {
					r.Plugin = "pullgen-v1"
				}
				res := rs.Generate(t, r)
				if named || c.pullgenFirst {
					if got := byID(t, res.Objects(t)); !reflect.DeepEqual(got, manifests(t, []byte(readFile(t, "../../examples/docker-config/expected.yaml")))) {
						t.Errorf("named %v: Argo CD's manifests are not expected.yaml's:\n%s", named, res)
					}
					continue
				}
				if res.Err == nil || !strings.Contains(res.Err.Error(), "`kustomize build .` failed") {
					t.Errorf("named %v: want the second plugin's kustomize build failing on the PullAccess generator:\n%s", named, res)
				}
			}
		})
	}
}
