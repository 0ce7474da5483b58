// Package argocd holds the tests of the Argo CD operator's kit: the YAML files in this
// directory are what an operator applies, and these tests hold them to what Argo CD and
// kustomize accept.
package argocd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"pullgen.dev/pullgen/internal/argocd/render"
	"pullgen.dev/pullgen/internal/argocd/slots"
	"pullgen.dev/pullgen/internal/testsupport/argocdtest"
)

// kitFiles is every YAML file of the kit and the kind of its one document. A file not in
// this table fails TestEveryFileParses, so that nothing ships untested.
var kitFiles = map[string]string{
	"cmp/plugin.yaml":                               "ConfigManagementPlugin",
	"cmp/repo-server-patch.yaml":                    "Deployment",
	"cmp/repo-server-sidecar.yaml":                  jsonPatch,
	"cmp/kustomization.yaml":                        "Component",
	"kustomize-builtin/kustomization.yaml":          "Component",
	"kustomize-builtin/argocd-cm-kustomize.yaml":    "ConfigMap",
	"kustomize-builtin/repo-server-init-patch.yaml": "Deployment",
	"application.yaml":                              "Application",
	"application-sealed.yaml":                       "Application",
	"applicationset.yaml":                           "ApplicationSet",
	"age-key-secret.example.yaml":                   "Secret",
	"keys-per-project/kustomization.yaml":           "Component",
	"keys-per-project/repo-server-patch.yaml":       "Deployment",
	"age-keys-per-project.example.yaml":             "Secret",
}

// jsonPatch marks a file of kitFiles that is a JSON patch (RFC 6902): a list of operations.
const jsonPatch = "JSON patch"

// The paths the sidecar must use: Argo CD's (cmp-server entrypoint, socket and config
// directories) and the kit's own (age key).
const (
	cmpServer      = "/var/run/argocd/argocd-cmp-server"
	pluginConfig   = "/home/argocd/cmp-server/config/plugin.yaml"
	pluginsDir     = "/home/argocd/cmp-server/plugins"
	varFilesDir    = "/var/run/argocd"
	ageKeyDir      = "/home/argocd/.config/sops/age"
	kustomizePlugs = "/home/argocd/kustomize-plugins"
)

// dockercfgExpr is the ignoreDifferences expression, the same in application.yaml and
// applicationset.yaml.
const dockercfgExpr = `.imagePullSecrets[]? | select(.name | test("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?-dockercfg-[b-df-hj-np-tv-xz24-9]{5}$"))`

func TestEveryFileParses(t *testing.T) {
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path == "health" {
			return filepath.SkipDir // tested by health_test.go
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return nil
		}
		path = filepath.ToSlash(path)
		seen[path] = true
		want, ok := kitFiles[path]
		if !ok {
			t.Errorf("%s: a YAML file the tests do not know: add it to kitFiles and test it", path)
			return nil
		}
		if want == jsonPatch {
			var ops []struct {
				Op    string `json:"op"`
				Path  string `json:"path"`
				Value any    `json:"value"`
			}
			unmarshalStrict(t, path, &ops)
			if len(ops) == 0 {
				t.Errorf("%s: no operation", path)
			}
			for _, op := range ops {
				if op.Op == "" || !strings.HasPrefix(op.Path, "/") {
					t.Errorf("%s: operation %q on %q", path, op.Op, op.Path)
				}
			}
			return nil
		}
		nodes := readNodes(t, path)
		if len(nodes) != 1 {
			t.Errorf("%s: %d documents, want 1", path, len(nodes))
			return nil
		}
		if got := nodes[0].GetKind(); got != want {
			t.Errorf("%s: kind %q, want %q", path, got, want)
		}
		if nodes[0].GetApiVersion() == "" {
			t.Errorf("%s: no apiVersion", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for path := range kitFiles {
		if !seen[path] {
			t.Errorf("%s: listed in kitFiles but missing", path)
		}
	}
}

// readNodes parses a file into its documents, failing on an empty file or one that is
// not YAML.
func readNodes(t *testing.T, path string) []*yaml.RNode {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		t.Fatalf("%s: empty", path)
	}
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(nodes) == 0 {
		t.Fatalf("%s: no document", path)
	}
	return nodes
}

// unmarshalStrict decodes path into v, refusing fields v does not declare.
func unmarshalStrict(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := sigsyaml.UnmarshalStrict(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// cmpConfig mirrors Argo CD's ConfigManagementPlugin (cmpserver/plugin/config.go), so that
// a misspelt field fails the strict decoding instead of being ignored by Argo CD.
type cmpConfig struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version  string     `json:"version"`
		Init     cmpCommand `json:"init"`
		Generate cmpCommand `json:"generate"`
		Discover struct {
			Find struct {
				cmpCommand
				Glob string `json:"glob"`
			} `json:"find"`
			FileName string `json:"fileName"`
		} `json:"discover"`
		AllowConcurrency bool `json:"allowConcurrency"`
		LockRepo         bool `json:"lockRepo"`
		PreserveFileMode bool `json:"preserveFileMode"`
		ProvideGitCreds  bool `json:"provideGitCreds"`
		Parameters       struct {
			Static  []cmpParam `json:"static"`
			Dynamic cmpCommand `json:"dynamic"`
		} `json:"parameters"`
	} `json:"spec"`
}

type cmpCommand struct {
	Command []string `json:"command"`
	Args    []string `json:"args"`
}

type cmpParam struct {
	Name           string            `json:"name"`
	Title          string            `json:"title"`
	Tooltip        string            `json:"tooltip"`
	Required       bool              `json:"required"`
	ItemType       string            `json:"itemType"`
	CollectionType string            `json:"collectionType"`
	String         *string           `json:"string"`
	Array          []string          `json:"array"`
	Map            map[string]string `json:"map"`
}

func readPlugin(t *testing.T) cmpConfig {
	t.Helper()
	var p cmpConfig
	unmarshalStrict(t, "cmp/plugin.yaml", &p)
	return p
}

// pluginName is how Applications name the plugin: <name>-<version>, or <name>.
func (p cmpConfig) pluginName() string {
	if p.Spec.Version == "" {
		return p.Metadata.Name
	}
	return p.Metadata.Name + "-" + p.Spec.Version
}

func TestPluginConfig(t *testing.T) {
	p := readPlugin(t)
	// What Argo CD's ValidatePluginConfig requires, and the apiVersion it documents.
	if p.APIVersion != "argoproj.io/v1alpha1" || p.Kind != "ConfigManagementPlugin" {
		t.Errorf("apiVersion/kind %s/%s, want argoproj.io/v1alpha1/ConfigManagementPlugin", p.APIVersion, p.Kind)
	}
	if p.Metadata.Name != "pullgen" || p.Spec.Version != "v1" {
		t.Errorf("name %q version %q, want pullgen v1", p.Metadata.Name, p.Spec.Version)
	}
	gen := append(slices.Clone(p.Spec.Generate.Command), p.Spec.Generate.Args...)
	if !slices.Equal(gen, []string{"pullgen", "render"}) {
		t.Errorf("generate runs %q, want [pullgen render]", gen)
	}
	// Discovery by content, with no shell: the sidecar image is distroless, and a failing
	// discovery makes Argo CD refuse even Applications that name the plugin.
	d := p.Spec.Discover
	find := append(slices.Clone(d.Find.Command), d.Find.Args...)
	if d.FileName != "" || d.Find.Glob != "" || !slices.Equal(find, []string{"pullgen", "discover"}) {
		t.Errorf("discover: fileName %q, glob %q, command %q; want only find.command [pullgen discover]", d.FileName, d.Find.Glob, find)
	}
	if p.Spec.PreserveFileMode || p.Spec.ProvideGitCreds || p.Spec.LockRepo {
		t.Error("preserveFileMode, provideGitCreds and lockRepo must stay false: the repository is untrusted")
	}
	want := map[string]string{"overlay": "string", "namespaces": "array"}
	got := map[string]string{}
	for _, s := range p.Spec.Parameters.Static {
		if s.Name == "" {
			t.Errorf("a static parameter without a name: %+v", s)
			continue
		}
		ct := s.CollectionType
		if ct == "" {
			ct = "string"
		}
		if !slices.Contains([]string{"string", "array", "map"}, ct) {
			t.Errorf("parameter %s: collectionType %q, want string, array or map", s.Name, s.CollectionType)
		}
		if s.ItemType != "" && s.ItemType != "string" {
			t.Errorf("parameter %s: itemType %q: Argo CD passes every value as a string", s.Name, s.ItemType)
		}
		// Argo CD does not infer the collection from a default: it must be declared.
		if (s.Array != nil && ct != "array") || (s.Map != nil && ct != "map") {
			t.Errorf("parameter %s: default of another type than collectionType %q", s.Name, ct)
		}
		got[s.Name] = ct
	}
	for name, ct := range want {
		if got[name] != ct {
			t.Errorf("parameter %s: collectionType %q, want %q", name, got[name], ct)
		}
	}
}

// container and the types below are the parts of a Deployment the kit writes, decoded
// strictly so that a misspelt field in a patch fails here instead of in the cluster.
type deployment struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Selector any `json:"selector"`
		Template struct {
			Metadata struct {
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
			Spec struct {
				InitContainers []container `json:"initContainers"`
				Containers     []container `json:"containers"`
				Volumes        []volume    `json:"volumes"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

type container struct {
	Name    string   `json:"name"`
	Image   string   `json:"image"`
	Command []string `json:"command"`
	Args    []string `json:"args"`
	Env     []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"env"`
	EnvFrom []struct {
		SecretRef struct {
			Name     string `json:"name"`
			Optional bool   `json:"optional"`
		} `json:"secretRef"`
	} `json:"envFrom"`
	SecurityContext *struct {
		RunAsNonRoot             *bool  `json:"runAsNonRoot"`
		RunAsUser                *int64 `json:"runAsUser"`
		AllowPrivilegeEscalation *bool  `json:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool  `json:"readOnlyRootFilesystem"`
		Capabilities             *struct {
			Drop []string `json:"drop"`
		} `json:"capabilities"`
		SeccompProfile *struct {
			Type string `json:"type"`
		} `json:"seccompProfile"`
	} `json:"securityContext"`
	VolumeMounts []volumeMount `json:"volumeMounts"`
	Resources    struct {
		Requests map[string]string `json:"requests"`
		Limits   map[string]string `json:"limits"`
	} `json:"resources"`
}

type volumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	SubPath   string `json:"subPath"`
	ReadOnly  bool   `json:"readOnly"`
}

type volume struct {
	Name      string    `json:"name"`
	EmptyDir  *struct{} `json:"emptyDir"`
	ConfigMap *struct {
		Name string `json:"name"`
	} `json:"configMap"`
	Secret *struct {
		SecretName  string    `json:"secretName"`
		Items       []keyPath `json:"items"`
		DefaultMode *int32    `json:"defaultMode"`
		Optional    bool      `json:"optional"`
	} `json:"secret"`
}

// keyPath is an item of a Secret volume: the key and the file it becomes.
type keyPath struct {
	Key  string `json:"key"`
	Path string `json:"path"`
}

func (c container) env(name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func (c container) mount(path string) (volumeMount, bool) {
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return m, true
		}
	}
	return volumeMount{}, false
}

func (d deployment) volume(name string) (volume, bool) {
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Name == name {
			return v, true
		}
	}
	return volume{}, false
}

func findContainer(cs []container, name string) (container, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c, true
		}
	}
	return container{}, false
}

// sidecarOp is the one operation of repo-server-sidecar.yaml: the sidecar appended to the
// repo server's containers.
const sidecarOp = "/spec/template/spec/containers/-"

// kitRepoServer is what the cmp component writes into the repo server: the strategic
// merge patch, with the container the JSON patch appends. Both are decoded strictly.
func kitRepoServer(t testing.TB) deployment {
	t.Helper()
	var d deployment
	unmarshalStrict(t, "cmp/repo-server-patch.yaml", &d)
	var ops []struct {
		Op    string    `json:"op"`
		Path  string    `json:"path"`
		Value container `json:"value"`
	}
	unmarshalStrict(t, "cmp/repo-server-sidecar.yaml", &ops)
	if len(ops) != 1 || ops[0].Op != "add" || ops[0].Path != sidecarOp {
		t.Fatalf("repo-server-sidecar.yaml: want one add at %s (appended after the repo server)", sidecarOp)
	}
	d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, ops[0].Value)
	return d
}

func TestSidecarPatch(t *testing.T) {
	d := kitRepoServer(t)
	checkRepoServerTarget(t, d)
	if got := d.Spec.Template.Metadata.Annotations[defaultContainer]; got != "argocd-repo-server" {
		t.Errorf("annotation %s %q, want argocd-repo-server", defaultContainer, got)
	}
	checkSidecar(t, d, false)
}

// defaultContainer is the annotation kubectl logs, exec and attach read.
const defaultContainer = "kubectl.kubernetes.io/default-container"

// checkRepoServerTarget checks the patch's own object: argocd-repo-server without a
// namespace (kustomization.yaml selects it by target, whatever its namespace).
func checkRepoServerTarget(t *testing.T, d deployment) {
	t.Helper()
	if d.APIVersion != "apps/v1" || d.Kind != "Deployment" || d.Metadata.Name != "argocd-repo-server" || d.Metadata.Namespace != "" {
		t.Errorf("patches %s %s %s/%s, want apps/v1 Deployment argocd-repo-server with no namespace",
			d.APIVersion, d.Kind, d.Metadata.Namespace, d.Metadata.Name)
	}
}

// checkSidecar checks the pullgen container of a repo server Deployment. built says d is
// a kustomize output, in which every mounted volume, the base's included, must be declared.
func checkSidecar(t *testing.T, d deployment, built bool) {
	t.Helper()
	c, ok := findContainer(d.Spec.Template.Spec.Containers, "pullgen")
	if !ok {
		t.Fatal("no container pullgen")
	}
	if !slices.Equal(c.Command, []string{cmpServer}) || len(c.Args) != 0 {
		t.Errorf("sidecar runs %q %q, want [%s]", c.Command, c.Args, cmpServer)
	}
	if c.Image == "" {
		t.Error("sidecar has no image")
	}
	sc := c.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 999 {
		t.Error("sidecar must run with runAsNonRoot: true and runAsUser: 999 (Argo CD's requirement)")
	}
	for path, want := range map[string]volumeMount{
		varFilesDir:  {Name: "var-files", MountPath: varFilesDir},
		pluginsDir:   {Name: "plugins", MountPath: pluginsDir},
		pluginConfig: {Name: "pullgen-cmp-plugin", MountPath: pluginConfig, SubPath: "plugin.yaml"},
		"/tmp":       {Name: "cmp-tmp", MountPath: "/tmp"},
		ageKeyDir:    {Name: "pullgen-age-key", MountPath: ageKeyDir, ReadOnly: true},
	} {
		if got, ok := c.mount(path); !ok || got != want {
			t.Errorf("mount at %s: %+v, want %+v", path, got, want)
		}
	}
	// The kit's own volumes; var-files and plugins come from Argo CD's Deployment.
	if v, ok := d.volume("pullgen-cmp-plugin"); !ok || v.ConfigMap == nil || v.ConfigMap.Name != "pullgen-cmp-plugin" {
		t.Errorf("volume pullgen-cmp-plugin: %+v, want ConfigMap pullgen-cmp-plugin", v)
	}
	if v, ok := d.volume("cmp-tmp"); !ok || v.EmptyDir == nil {
		t.Errorf("volume cmp-tmp: %+v, want an emptyDir", v)
	}
	checkAgeKey(t, d, c)
	checkBudget(t, d, c)
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef.Name != "pullgen-sidecar-env" || !c.EnvFrom[0].SecretRef.Optional {
		t.Errorf("sidecar envFrom %+v, want the optional Secret pullgen-sidecar-env", c.EnvFrom)
	}
	if built {
		for _, m := range c.VolumeMounts {
			if _, ok := d.volume(m.Name); !ok {
				t.Errorf("sidecar mounts volume %s, which the Deployment does not declare", m.Name)
			}
		}
	}
}

// checkBudget checks how the sidecar's renders share its memory: a memory limit, equal
// to the request (the node keeps what the renders are promised), no CPU limit, the slot
// directory a writable emptyDir of the pod mounted where PULLGEN_SLOT_DIR points, and
// PULLGEN_MAX_RENDERS renders that the limit admits at once.
func checkBudget(t *testing.T, d deployment, c container) {
	t.Helper()
	limit, request := c.Resources.Limits["memory"], c.Resources.Requests["memory"]
	if limit == "" || limit != request {
		t.Errorf("sidecar memory limit %q, request %q: want a limit, and the request equal to it", limit, request)
	}
	if cpu, ok := c.Resources.Limits["cpu"]; ok {
		t.Errorf("sidecar CPU limit %q: want none (a throttled render holds its slot longer)", cpu)
	}
	if c.Resources.Requests["cpu"] == "" {
		t.Error("sidecar has no CPU request")
	}
	dir, _ := c.env(slotDirEnv)
	m, ok := c.mount(dir)
	if v, _ := d.volume(m.Name); dir == "" || !ok || m.ReadOnly || v.EmptyDir == nil {
		t.Errorf("%s=%q: want the mount path of a writable emptyDir volume (mount %+v, volume %+v)", slotDirEnv, dir, m, v)
	}
	renders, _ := c.env(maxRendersEnv)
	n, err := strconv.Atoi(renders)
	if err != nil {
		t.Fatalf("%s=%q: not a number", maxRendersEnv, renders)
	}
	plan, err := slots.Budget{Memory: quantity(t, limit), Renders: n, MaxHeap: render.DefaultLimits().Memory}.Plan()
	if err != nil || plan.Slots != n {
		t.Errorf("%s renders in a memory limit of %s: the limit admits %d (%v)", renders, limit, plan.Slots, err)
	}
}

// The sidecar's settings of render's budget (internal/cli).
const (
	slotDirEnv    = "PULLGEN_SLOT_DIR"
	maxRendersEnv = "PULLGEN_MAX_RENDERS"
	memoryEnv     = "PULLGEN_SIDECAR_MEMORY"
)

// quantity is a Kubernetes memory quantity in bytes: a number with an optional binary
// suffix (Ki, Mi, Gi), the only forms the kit uses.
func quantity(t testing.TB, q string) int64 {
	t.Helper()
	mult := int64(1)
	for i, suffix := range []string{"Ki", "Mi", "Gi"} {
		if n, ok := strings.CutSuffix(q, suffix); ok {
			q, mult = n, 1<<(10*(i+1))
		}
	}
	n, err := strconv.ParseInt(q, 10, 64)
	if err != nil {
		t.Fatalf("memory quantity %q: want a number with Ki, Mi or Gi", q)
	}
	return n * mult
}

// checkAgeKey checks that SOPS_AGE_KEY_FILE of c names the keys.txt of the mounted key
// Secret.
func checkAgeKey(t *testing.T, d deployment, c container) {
	t.Helper()
	v, ok := d.volume("pullgen-age-key")
	if !ok || v.Secret == nil || v.Secret.SecretName != "pullgen-age-key" {
		t.Fatalf("volume pullgen-age-key: %+v, want Secret pullgen-age-key", v)
	}
	keyFile, ok := c.env("SOPS_AGE_KEY_FILE")
	if !ok {
		t.Fatalf("container %s: no SOPS_AGE_KEY_FILE", c.Name)
	}
	m, ok := c.mount(filepath.Dir(keyFile))
	if !ok || m.Name != "pullgen-age-key" || !m.ReadOnly {
		t.Errorf("container %s: SOPS_AGE_KEY_FILE=%s is not in the read-only pullgen-age-key mount", c.Name, keyFile)
	}
	file := filepath.Base(keyFile)
	found := false
	for _, it := range v.Secret.Items {
		found = found || (it.Key == "keys.txt" && it.Path == file)
	}
	if !found || file != "keys.txt" {
		t.Errorf("SOPS_AGE_KEY_FILE names %s; the Secret projects %+v, want key keys.txt at that path", file, v.Secret.Items)
	}
}

func TestKustomizeBuiltinPatches(t *testing.T) {
	var cm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Data map[string]string `json:"data"`
	}
	unmarshalStrict(t, "kustomize-builtin/argocd-cm-kustomize.yaml", &cm)
	if cm.Metadata.Name != "argocd-cm" || cm.Metadata.Namespace != "" {
		t.Errorf("patches ConfigMap %s/%s, want argocd-cm with no namespace", cm.Metadata.Namespace, cm.Metadata.Name)
	}
	if got := cm.Data["kustomize.buildOptions"]; got != "--enable-alpha-plugins --enable-exec" {
		t.Errorf("kustomize.buildOptions %q", got)
	}
	var d deployment
	unmarshalStrict(t, "kustomize-builtin/repo-server-init-patch.yaml", &d)
	checkRepoServerTarget(t, d)
	checkBuiltinRepoServer(t, d)
}

// checkBuiltinRepoServer checks that the init container installs pullgen where the repo
// server's kustomize looks for plugins.
func checkBuiltinRepoServer(t *testing.T, d deployment) {
	t.Helper()
	ic, ok := findContainer(d.Spec.Template.Spec.InitContainers, "install-pullgen")
	if !ok {
		t.Fatal("no init container install-pullgen")
	}
	cmd := append(slices.Clone(ic.Command), ic.Args...)
	if len(cmd) != 3 || filepath.Base(cmd[0]) != "pullgen" || cmd[1] != "install" || cmd[2] != kustomizePlugs {
		t.Errorf("install-pullgen runs %q, want [pullgen install %s]", cmd, kustomizePlugs)
	}
	im, ok := ic.mount(kustomizePlugs)
	if !ok {
		t.Fatalf("install-pullgen does not mount %s", kustomizePlugs)
	}
	if v, ok := d.volume(im.Name); !ok || v.EmptyDir == nil {
		t.Errorf("volume %s: want an emptyDir", im.Name)
	}
	rs, ok := findContainer(d.Spec.Template.Spec.Containers, "argocd-repo-server")
	if !ok {
		t.Fatal("no container argocd-repo-server")
	}
	if home, _ := rs.env("KUSTOMIZE_PLUGIN_HOME"); home != kustomizePlugs {
		t.Errorf("KUSTOMIZE_PLUGIN_HOME=%q, want %s", home, kustomizePlugs)
	}
	if m, ok := rs.mount(kustomizePlugs); !ok || m.Name != im.Name {
		t.Errorf("argocd-repo-server does not mount %s from the volume install-pullgen writes", kustomizePlugs)
	}
	checkAgeKey(t, d, rs)
}

// appSource is an Application's source, strictly: plugin fields Argo CD does not know
// would be dropped silently.
type appSource struct {
	RepoURL        string `json:"repoURL"`
	TargetRevision string `json:"targetRevision"`
	Path           string `json:"path"`
	Plugin         *struct {
		Name       string                `json:"name"`
		Env        []argocdtest.EnvEntry `json:"env"`
		Parameters []argocdtest.Param    `json:"parameters"`
	} `json:"plugin"`
}

type appSpec struct {
	Project     string    `json:"project"`
	Source      appSource `json:"source"`
	Destination struct {
		Server    string `json:"server"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"destination"`
	SyncPolicy struct {
		Automated *struct {
			Prune    bool `json:"prune"`
			SelfHeal bool `json:"selfHeal"`
		} `json:"automated"`
		SyncOptions []string `json:"syncOptions"`
	} `json:"syncPolicy"`
	IgnoreDifferences []struct {
		Group             string   `json:"group"`
		Kind              string   `json:"kind"`
		Name              string   `json:"name"`
		Namespace         string   `json:"namespace"`
		JSONPointers      []string `json:"jsonPointers"`
		JQPathExpressions []string `json:"jqPathExpressions"`
	} `json:"ignoreDifferences"`
}

// application is an Argo CD Application, strictly.
type application struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       appSpec    `json:"spec"`
}

type objectMeta struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// checkAppSpec checks what application.yaml and the ApplicationSet template share:
// the plugin's name, the parameters it announces, and checkSourceAndRecipe.
func checkAppSpec(t *testing.T, where string, s appSpec) (env map[string]string, params map[string]string) {
	t.Helper()
	p := readPlugin(t)
	pl := s.Source.Plugin
	if pl == nil {
		t.Fatalf("%s: no source.plugin", where)
	}
	if pl.Name != p.pluginName() {
		t.Errorf("%s: plugin %q, want %q (<metadata.name>-<spec.version>)", where, pl.Name, p.pluginName())
	}
	checkSourceAndRecipe(t, where, s)
	env = map[string]string{}
	for _, e := range pl.Env {
		env[e.Name] = e.Value
	}
	announced := map[string]bool{}
	for _, a := range p.Spec.Parameters.Static {
		announced[a.Name] = true
	}
	params = map[string]string{}
	for _, prm := range pl.Parameters {
		if !announced[prm.Name] {
			t.Errorf("%s: parameter %s is not announced by plugin.yaml", where, prm.Name)
		}
		if prm.String != nil {
			params[prm.Name] = *prm.String
		}
	}
	return env, params
}

// checkSourceAndRecipe checks what every Application of the kit has: a source with a
// repository and a path, a destination, and the OpenShift recipe for ServiceAccounts.
func checkSourceAndRecipe(t *testing.T, where string, s appSpec) {
	t.Helper()
	if s.Source.Path == "" || s.Source.RepoURL == "" {
		t.Errorf("%s: source without repoURL or path", where)
	}
	if s.Destination.Namespace == "" || (s.Destination.Server == "") == (s.Destination.Name == "") {
		t.Errorf("%s: destination needs a namespace and one of server, name", where)
	}
	// A Synced ServiceAccount must not be applied again: each apply strips OpenShift's
	// managed entry until its controller adds it back.
	for _, o := range []string{"ApplyOutOfSyncOnly=true", "RespectIgnoreDifferences=true"} {
		if !slices.Contains(s.SyncPolicy.SyncOptions, o) {
			t.Errorf("%s: syncOptions %q lack %s", where, s.SyncPolicy.SyncOptions, o)
		}
	}
	// Each option as Argo CD's controller spells it: a misspelt one is ignored.
	controller, err := os.ReadFile(filepath.Join(argocdtest.Module(t), "controller", "sync.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range s.SyncPolicy.SyncOptions {
		if !bytes.Contains(controller, []byte(`HasOption("`+o+`")`)) {
			t.Errorf("%s: sync option %s is not one Argo CD %s's controller reads", where, o, argocdtest.Version(t))
		}
	}
	var exprs []string
	for _, ig := range s.IgnoreDifferences {
		if ig.Group == "" && ig.Kind == "ServiceAccount" {
			exprs = append(exprs, ig.JQPathExpressions...)
			if len(ig.JSONPointers) > 0 {
				t.Errorf("%s: jsonPointers on ServiceAccounts would ignore pullgen's own entries too", where)
			}
		}
	}
	if !slices.Equal(exprs, []string{dockercfgExpr}) {
		t.Errorf("%s: ServiceAccount jqPathExpressions %q, want [%s]", where, exprs, dockercfgExpr)
	}
}

func TestApplication(t *testing.T) {
	var app application
	unmarshalStrict(t, "application.yaml", &app)
	if app.APIVersion != "argoproj.io/v1alpha1" || app.Metadata.Namespace != "argocd" {
		t.Errorf("apiVersion %s namespace %s", app.APIVersion, app.Metadata.Namespace)
	}
	env, params := checkAppSpec(t, "application.yaml", app.Spec)
	if env["CLUSTER"] != "prod" || params["overlay"] != "overlays/prod" {
		t.Errorf("plugin env %v parameters %v, want CLUSTER=prod and overlay=overlays/prod", env, params)
	}
}

func TestApplicationSet(t *testing.T) {
	var set struct {
		APIVersion string     `json:"apiVersion"`
		Kind       string     `json:"kind"`
		Metadata   objectMeta `json:"metadata"`
		Spec       struct {
			Generators []struct {
				Clusters *struct {
					Selector struct {
						MatchLabels map[string]string `json:"matchLabels"`
					} `json:"selector"`
				} `json:"clusters"`
				List *struct {
					Elements []map[string]string `json:"elements"`
				} `json:"list"`
			} `json:"generators"`
			Template struct {
				Metadata objectMeta `json:"metadata"`
				Spec     appSpec    `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	unmarshalStrict(t, "applicationset.yaml", &set)
	if set.APIVersion != "argoproj.io/v1alpha1" || set.Metadata.Namespace != "argocd" {
		t.Errorf("apiVersion %s namespace %s", set.APIVersion, set.Metadata.Namespace)
	}
	if len(set.Spec.Generators) != 1 || (set.Spec.Generators[0].Clusters == nil && set.Spec.Generators[0].List == nil) {
		t.Fatal("want one clusters or list generator")
	}
	tpl := set.Spec.Template
	// One Application per cluster: the generated names must differ per cluster.
	if !strings.Contains(tpl.Metadata.Name, "{{name}}") {
		t.Errorf("template name %q does not vary with {{name}}", tpl.Metadata.Name)
	}
	if tpl.Spec.Destination.Server != "{{server}}" {
		t.Errorf("template destination server %q, want {{server}}", tpl.Spec.Destination.Server)
	}
	env, params := checkAppSpec(t, "applicationset.yaml template", tpl.Spec)
	if env["CLUSTER"] != "{{name}}" || params["overlay"] != "clusters/{{name}}" {
		t.Errorf("template plugin env %v parameters %v, want CLUSTER={{name}} and overlay=clusters/{{name}}", env, params)
	}
}

// TestDockercfgExpression runs the ignoreDifferences expression with gojq, the jq Argo CD
// evaluates it with (at the version of Argo CD's go.mod), the way Argo CD's diff
// normalizer does (NewIgnoreNormalizer, jqNormalizerPatch.Apply): del(<expression>) over
// the ServiceAccount gives one object, without OpenShift's generated entries and with the
// others in their order.
func TestDockercfgExpression(t *testing.T) {
	argocdtest.CheckUpstream(t, "TestDockercfgExpression",
		argocdtest.Upstream{File: "util/argo/normalizers/diff_normalizer.go", Name: "NewIgnoreNormalizer", SHA256: "bfa76df8a02be28f3d1ea4d7a396629e6feb635d3adf7c0cb26788e486376aed"},
		argocdtest.Upstream{File: "util/argo/normalizers/diff_normalizer.go", Name: "jqNormalizerPatch.Apply", SHA256: "c323abf54582320c2a133be8dd2e25d159b91785572236af1919510a3af6974f"},
	)
	gojq := gojqBinary(t)
	cases := map[string]bool{
		"builder-dockercfg-x7k2q":  true, // OpenShift's: <sa>-dockercfg-<5 of bcdfghjklmnpqrstvwxz2456789>
		"default-dockercfg-9vz4m":  true,
		"my.sa-dockercfg-bcdfg":    true,
		"acme-pull":                false, // pullgen's own entry
		"my-dockercfg-notes":       false, // vowels: not a generated suffix
		"builder-dockercfg-abc12":  false, // idem
		"builder-dockercfg-x7k2qq": false,
		"dockercfg-x7k2q":          false,
		"builder-dockercfg-X7K2Q":  false,
	}
	var names []string
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	var entries []map[string]string
	for _, n := range names {
		entries = append(entries, map[string]string{"name": n})
	}
	sa, _ := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount",
		"metadata":         map[string]string{"name": "builder", "namespace": "acme"},
		"imagePullSecrets": entries,
	})
	// runJQ returns the one object a filter gives, as Argo CD requires.
	runJQ := func(filter string, input []byte) []byte {
		t.Helper()
		cmd := exec.Command(gojq, "-c", filter)
		cmd.Stdin = bytes.NewReader(input)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gojq %s: %v", filter, err)
		}
		if n := bytes.Count(out, []byte("\n")); n != 1 {
			t.Fatalf("gojq %s gave %d objects, want 1", filter, n)
		}
		return out
	}
	var selected []string
	if err := json.Unmarshal(runJQ("["+dockercfgExpr+" | .name]", sa), &selected); err != nil {
		t.Fatal(err)
	}
	var want, wantKept []string
	for _, n := range names {
		if cases[n] {
			want = append(want, n)
		} else {
			wantKept = append(wantKept, n)
		}
	}
	if !slices.Equal(selected, want) {
		t.Errorf("the expression selects %q, want %q", selected, want)
	}
	// What Argo CD diffs: del() leaves the other entries, in order.
	var kept struct {
		ImagePullSecrets []map[string]string `json:"imagePullSecrets"`
	}
	if err := json.Unmarshal(runJQ("del("+dockercfgExpr+")", sa), &kept); err != nil {
		t.Fatal(err)
	}
	var keptNames []string
	for _, e := range kept.ImagePullSecrets {
		keptNames = append(keptNames, e["name"])
	}
	if !slices.Equal(keptNames, wantKept) {
		t.Errorf("del() keeps %q, want %q", keptNames, wantKept)
	}
	// A ServiceAccount without imagePullSecrets is left alone, not an error.
	if out := runJQ("del("+dockercfgExpr+")", []byte(`{"kind":"ServiceAccount"}`)); !bytes.Equal(bytes.TrimSpace(out), []byte(`{"kind":"ServiceAccount"}`)) {
		t.Errorf("del() on a ServiceAccount without imagePullSecrets: %s", out)
	}
}

// gojqBinary finds gojq (make tools builds it) and checks it is the version Argo CD's
// go.mod requires.
func gojqBinary(t *testing.T) string {
	t.Helper()
	gojq := findTool(t, "gojq")
	out, err := exec.Command(gojq, "--version").Output()
	if err != nil {
		t.Fatalf("gojq --version: %v", err)
	}
	mod, err := os.ReadFile(filepath.Join(argocdtest.Module(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/itchyny/gojq v(\S+)`).FindSubmatch(mod)
	if m == nil || !bytes.HasPrefix(out, []byte("gojq "+string(m[1])+" ")) {
		t.Fatalf("%s is %s; Argo CD %s requires gojq %s: make tools builds it (GOJQ_VERSION of the Makefile)", gojq, bytes.TrimSpace(out), argocdtest.Version(t), m)
	}
	return gojq
}

// kustomizeBinary finds kustomize: $KUSTOMIZE, PATH, or the repository's bin/ (make tools).
func kustomizeBinary(t *testing.T) string {
	t.Helper()
	if k := os.Getenv("KUSTOMIZE"); k != "" {
		return k
	}
	return findTool(t, "kustomize")
}

// findTool finds a tool make tools builds, on PATH or in the repository's bin/; it skips
// the test where it is missing, and fails it in CI.
func findTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p, err := filepath.Abs(filepath.Join("..", "..", "bin", name)); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found (PATH, bin/): run make tools", name)
	}
	t.Skipf("%s not found (PATH, bin/): run make tools", name)
	return ""
}

// build runs `kustomize build dir` offline and returns the resources by kind/name.
func build(t *testing.T, dir string) map[string]*yaml.RNode {
	t.Helper()
	cmd := exec.Command(kustomizeBinary(t), "build", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kustomize build %s: %v: %s", dir, err, stderr.String())
	}
	nodes, err := kio.FromBytes(out)
	if err != nil {
		t.Fatal(err)
	}
	res := map[string]*yaml.RNode{}
	for _, n := range nodes {
		res[n.GetKind()+"/"+n.GetNamespace()+"/"+n.GetName()] = n
	}
	return res
}

func decode(t *testing.T, n *yaml.RNode, v any) {
	t.Helper()
	s, err := n.String()
	if err != nil {
		t.Fatal(err)
	}
	if err := sigsyaml.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%s/%s: %v", n.GetKind(), n.GetName(), err)
	}
}

func keys(m map[string]*yaml.RNode) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// manifests parses a YAML stream of manifests, as argocd-cmp-server does, into its
// objects by kind/namespace/name, decoded.
func manifests(t *testing.T, data []byte) map[string]any {
	t.Helper()
	nodes, err := kio.FromBytes(data)
	if err != nil {
		t.Fatalf("not a YAML stream of manifests: %v\n%s", err, data)
	}
	objs := map[string]any{}
	for _, n := range nodes {
		if n.GetKind() == "" || n.GetApiVersion() == "" || n.GetName() == "" {
			t.Errorf("not a Kubernetes object: %s", n.MustString())
			continue
		}
		objs[fmt.Sprintf("%s/%s/%s", n.GetKind(), n.GetNamespace(), n.GetName())] = generic(t, n)
	}
	return objs
}

// writeFiles writes files (path relative to dir: content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
