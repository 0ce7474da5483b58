// Package helm holds pullgen's Helm 4 post-renderer plugin (pullgen/plugin.yaml). Its
// tests run the commands of the Helm guide (docs/helm.md) as written, with the real Helm 3
// and Helm 4 that make tools builds into ./bin (helm3, helm4), on the example chart.
package helm

import (
	"encoding/base64"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/testsupport/doctest"
)

var (
	// repoRoot is the repository's top directory, where the guide's commands run.
	repoRoot string
	// pullgenDir holds the pullgen binary built for these tests.
	pullgenDir string
)

const guide = "../../docs/helm.md"

func TestMain(m *testing.M) {
	code, err := func() (int, error) {
		root, err := filepath.Abs("../..")
		if err != nil {
			return 0, err
		}
		repoRoot = root
		if pullgenDir, err = os.MkdirTemp("", "pullgen-helm-"); err != nil {
			return 0, err
		}
		defer os.RemoveAll(pullgenDir)
		build := exec.Command("go", "build", "-o", filepath.Join(pullgenDir, "pullgen"), "./cmd/pullgen")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("building pullgen: %v\n%s", err, out)
		}
		return m.Run(), nil
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(code)
}

// helmEnv is the environment the guide's commands run in with Helm major version (3 or
// 4): `helm` is ./bin/helm<major>, pullgen is on PATH, Helm's homes are in home. The test
// skips where make tools did not build that Helm, and fails in CI, where it does.
func helmEnv(t *testing.T, major, home string) []string {
	t.Helper()
	bin := filepath.Join(repoRoot, "bin", "helm"+major)
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: make tools builds it", bin)
		}
		t.Skipf("%s is missing: skipping (make tools builds Helm %s)", bin, major)
	}
	dir := t.TempDir()
	if err := os.Symlink(bin, filepath.Join(dir, "helm")); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + dir + string(os.PathListSeparator) + pullgenDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HELM_DATA_HOME=" + filepath.Join(home, "data"), "HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
		"HELM_CACHE_HOME=" + filepath.Join(home, "cache")}
	r := doctest.Shell(t, repoRoot, env, "helm version --template '{{.Version}}'")
	if !strings.HasPrefix(r.Stdout, "v"+major+".") {
		t.Fatalf("%s is Helm %q, want Helm %s", bin, r.Stdout, major)
	}
	return env
}

// render runs the guide's commands for Helm major version (after installing the plugin
// for Helm 4) and returns what helm template printed.
func render(t *testing.T, major string) string {
	t.Helper()
	env := helmEnv(t, major, t.TempDir())
	if major == "4" {
		if r := doctest.Shell(t, repoRoot, env, doctest.Block(t, guide, "helm4-plugin")); r.Code != 0 {
			t.Fatalf("the guide's plugin install: exit %d\n%s", r.Code, r.Stderr)
		}
	}
	r := doctest.Shell(t, repoRoot, env, doctest.Block(t, guide, "helm"+major))
	if r.Code != 0 {
		t.Fatalf("the guide's helm template for Helm %s: exit %d\n%s", major, r.Code, r.Stderr)
	}
	return r.Stdout
}

// objects parses helm template's output into its objects by kind/namespace/name.
func objects(t *testing.T, stream string) map[string]*yaml.RNode {
	t.Helper()
	nodes, err := (&kio.ByteReader{Reader: strings.NewReader(stream), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatalf("helm template's output: %v\n%s", err, stream)
	}
	out := map[string]*yaml.RNode{}
	for _, n := range nodes {
		out[n.GetKind()+"/"+n.GetNamespace()+"/"+n.GetName()] = n
	}
	return out
}

// TestHelmGuide runs the guide with Helm 3 and Helm 4 on the example chart: the chart's
// objects keep no namespace (the release's), its ServiceAccount is linked to the Secret,
// which is plaintext in the release namespace with the password of the environment; the
// templates' file names survive (Helm 4 reads its annotations back from pullgen's output)
// and the Secret has one of its own under Helm 4; both Helms install the same objects.
func TestHelmGuide(t *testing.T) {
	byMajor := map[string]map[string]string{}
	for _, major := range []string{"3", "4"} {
		t.Run("helm"+major, func(t *testing.T) {
			out := render(t, major)
			objs := objects(t, out)
			keys := slices.Sorted(maps.Keys(objs))
			want := []string{"ClusterRole//web-reader", "Deployment//web", "Secret/team-a/acme-registry", "ServiceAccount//web"}
			if !reflect.DeepEqual(keys, want) {
				t.Fatalf("objects %v, want %v:\n%s", keys, want, out)
			}
			if got := objs["ServiceAccount//web"].MustString(); !strings.Contains(got, "imagePullSecrets:\n- name: acme-registry\n") {
				t.Errorf("the chart's ServiceAccount is not linked:\n%s", got)
			}
			secret := objs["Secret/team-a/acme-registry"]
			payload, err := base64.StdEncoding.DecodeString(secret.GetDataMap()[".dockerconfigjson"])
			if err != nil || !strings.Contains(string(payload), `"password":"demo-token-not-a-real-secret"`) {
				t.Errorf("the Secret's .dockerconfigjson is not the plaintext credential of the environment (%v):\n%s", err, payload)
			}
			sources := []string{"web/templates/clusterrole.yaml", "web/templates/deployment.yaml", "web/templates/serviceaccount.yaml"}
			if major == "4" {
				sources = append(sources, "pullgen/secret-team-a-acme-registry.yaml")
			}
			for _, s := range sources {
				if !strings.Contains(out, "# Source: "+s+"\n") {
					t.Errorf("no document under # Source: %s:\n%s", s, out)
				}
			}
			if strings.Contains(out, "postrenderer.helm.sh/") {
				t.Errorf("Helm did not take its filename annotations back:\n%s", out)
			}
			byMajor[major] = map[string]string{}
			for k, o := range objs {
				j, err := o.MarshalJSON() // the object without its comments (# Source)
				if err != nil {
					t.Fatal(err)
				}
				byMajor[major][k] = string(j)
			}
		})
	}
	if len(byMajor) == 2 && !reflect.DeepEqual(byMajor["3"], byMajor["4"]) {
		t.Errorf("Helm 3 and Helm 4 install different objects:\n%v\n%v", byMajor["3"], byMajor["4"])
	}
}

// TestHelmRefusal runs the guide's commands with the example's PullAccess linking
// default, which the chart lacks: Helm 3 fails with pullgen's messages, the guide's;
// Helm 4 fails without them (it drops a plugin's error output, as the guide says), and the
// guide's by-hand command shows them. The control is TestHelmGuide: the chart's own
// ServiceAccount alone.
func TestHelmRefusal(t *testing.T) {
	dir := t.TempDir()
	spec, err := os.ReadFile(filepath.Join(repoRoot, "examples", "helm-post-renderer", "pullaccess.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	linked := strings.Replace(string(spec), "serviceAccounts: [web]", "serviceAccounts: [web, default]", 1)
	if linked == string(spec) {
		t.Fatal("the example's PullAccess no longer links [web]")
	}
	if err := os.WriteFile(filepath.Join(dir, "pullaccess.yaml"), []byte(linked), 0o644); err != nil {
		t.Fatal(err)
	}
	// The guide's commands, on this PullAccess in dir.
	local := func(block string) string {
		return strings.NewReplacer("examples/helm-post-renderer/pullaccess.yaml", "pullaccess.yaml",
			"examples/helm-post-renderer/chart", filepath.Join(repoRoot, "examples", "helm-post-renderer", "chart")).Replace(doctest.Block(t, guide, block))
	}
	want := doctest.Block(t, guide, "helm-refusal")
	for _, major := range []string{"3", "4"} {
		t.Run("helm"+major, func(t *testing.T) {
			env := helmEnv(t, major, t.TempDir())
			if major == "4" {
				doctest.Shell(t, repoRoot, env, doctest.Block(t, guide, "helm4-plugin"))
			}
			r := doctest.Shell(t, dir, env, local("helm"+major))
			if r.Code == 0 || r.Stdout != "" {
				t.Fatalf("helm template: exit %d, want a failure and nothing printed:\n%s", r.Code, r.Stdout)
			}
			shown := strings.Contains(r.Stderr, want)
			if major == "3" && !shown {
				t.Errorf("Helm 3's error does not show pullgen's messages\n%s\nwant:\n%s", r.Stderr, want)
			}
			if major == "4" {
				if shown || !strings.Contains(r.Stderr, `plugin "pullgen" exited with error`) {
					t.Errorf("Helm 4's error is not what the guide says (pullgen's messages dropped):\n%s", r.Stderr)
				}
				// In the shell where the guide's helm4 block exported the password.
				r := doctest.Shell(t, dir, append(env, "ACME_REGISTRY_TOKEN=demo-token-not-a-real-secret"), local("helm-by-hand"))
				if r.Code != 2 || r.Stderr != want {
					t.Errorf("the guide's by-hand run: exit %d, stderr:\n%s\nwant exit 2 and:\n%s", r.Code, r.Stderr, want)
				}
			}
		})
	}
}

// TestHelm3BesideTheHelm4Plugin: Helm 3 sharing the plugins directory with pullgen's
// Helm 4 plugin warns about it, as the guide says, and still post-renders.
func TestHelm3BesideTheHelm4Plugin(t *testing.T) {
	home := t.TempDir()
	env4, env3 := helmEnv(t, "4", home), helmEnv(t, "3", home)
	if r := doctest.Shell(t, repoRoot, env4, doctest.Block(t, guide, "helm4-plugin")); r.Code != 0 {
		t.Fatalf("plugin install: exit %d\n%s", r.Code, r.Stderr)
	}
	r := doctest.Shell(t, repoRoot, env3, doctest.Block(t, guide, "helm3"))
	if r.Code != 0 || !strings.Contains(r.Stderr, `unknown field "apiVersion"`) || !strings.Contains(r.Stdout, "kind: Secret") {
		t.Errorf("Helm 3 beside the plugin: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
}
