package argocd

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"pullgen.dev/pullgen/internal/testsupport/argocdtest"
	"pullgen.dev/pullgen/internal/testsupport/doctest"
)

// readmeBlock returns the fenced code block that follows `<!-- name -->` in README.md.
func readmeBlock(t *testing.T, name string) string {
	t.Helper()
	return docBlock(t, "README.md", name)
}

// docBlock returns the fenced code block that follows `<!-- name -->` in a Markdown file.
func docBlock(t *testing.T, file, name string) string {
	t.Helper()
	return doctest.Block(t, file, name)
}

// operatorKustomization is README.md's kustomization of an Argo CD install with the kit,
// decoded.
type operatorKustomization struct {
	APIVersion string              `json:"apiVersion"`
	Kind       string              `json:"kind"`
	Namespace  string              `json:"namespace,omitempty"`
	Resources  []string            `json:"resources"`
	Components []string            `json:"components"`
	Images     []map[string]string `json:"images,omitempty"`
}

// buildKit builds, with the real kustomize, an operator's kustomization of README.md (the
// code block marked block) over an upstream install file (relative to the Argo CD module)
// with component (cmp or kustomize-builtin) from this directory, unchanged, and the files
// the kustomization names besides. namespace replaces the README's; "" leaves the objects
// without one (kubectl apply -n argocd -k).
func buildKit(t *testing.T, block, file, component, namespace string, files map[string]string) (kit operatorKustomization, res map[string]*yaml.RNode) {
	t.Helper()
	if err := sigsyaml.UnmarshalStrict([]byte(readmeBlock(t, block)), &kit); err != nil {
		t.Fatalf("README.md's kustomization (%s): %v", block, err)
	}
	version := argocdtest.Version(t)
	if len(kit.Resources) != 1 || !strings.HasSuffix(kit.Resources[0], "/"+version+"/manifests/install.yaml") {
		t.Errorf("README.md's kustomization (%s) installs %q, want the upstream install.yaml of the version tested (argocd-version: %s)", block, kit.Resources, version)
	}
	dir := t.TempDir()
	// kustomize loads components only by a relative path: the kit's becomes this
	// directory's, the operator's own stay.
	here, _ := filepath.Abs(component)
	rel, err := filepath.Rel(dir, here)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, c := range kit.Components {
		if strings.Contains(c, "deploy/argocd/cmp") {
			kit.Components[i] = rel
			n++
		}
	}
	if n != 1 {
		t.Fatalf("README.md's kustomization (%s): components %q, want the kit's cmp once", block, kit.Components)
	}
	kit.Resources, kit.Namespace = []string{"upstream.yaml"}, namespace
	data, err := os.ReadFile(filepath.Join(argocdtest.Module(t), file))
	if err != nil {
		t.Fatal(err)
	}
	files["upstream.yaml"] = string(data)
	writeFiles(t, dir, files)
	out, err := sigsyaml.Marshal(kit)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	return kit, build(t, dir)
}

var upstreamParsed sync.Map // file -> map[string]*yaml.RNode

// upstreamObjects reads an upstream install file into its objects, by kind/name, once.
// The callers only read them.
func upstreamObjects(t *testing.T, file string) map[string]*yaml.RNode {
	t.Helper()
	if objs, ok := upstreamParsed.Load(file); ok {
		return objs.(map[string]*yaml.RNode)
	}
	data, err := os.ReadFile(filepath.Join(argocdtest.Module(t), file))
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := kio.FromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]*yaml.RNode{}
	for _, n := range nodes {
		objs[n.GetKind()+"/"+n.GetName()] = n
	}
	upstreamParsed.Store(file, objs)
	return objs
}

// byKindName re-keys built resources by kind/name, checking every namespaced one is in
// namespace.
func byKindName(t *testing.T, res map[string]*yaml.RNode, upstream map[string]*yaml.RNode, namespace string) map[string]*yaml.RNode {
	t.Helper()
	out := map[string]*yaml.RNode{}
	for _, n := range res {
		key := n.GetKind() + "/" + n.GetName()
		out[key] = n
		if u, ok := upstream[key]; ok && u.GetNamespace() == "" && n.GetNamespace() != "" && n.GetNamespace() != namespace {
			t.Errorf("%s in namespace %q, want %q", key, n.GetNamespace(), namespace)
		}
	}
	return out
}

// generic decodes a node into maps and slices, for comparisons of whole subtrees.
func generic(t *testing.T, n *yaml.RNode, path ...string) any {
	t.Helper()
	s, err := n.String()
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := sigsyaml.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

// installs are the upstream install files the kit must apply to, unchanged.
var installs = []struct{ name, file string }{
	{"install", "manifests/install.yaml"},
	{"namespace-install", "manifests/namespace-install.yaml"},
	{"ha", "manifests/ha/install.yaml"},
}

// TestKitOnUpstreamArgoCD builds README.md's kustomization of the cmp component over
// Argo CD's own install.yaml, namespace-install.yaml and ha/install.yaml: in namespace
// argocd as the README writes it, and without a namespace (kubectl apply -n argocd -k).
// Upstream's objects are all there and untouched but for the repo server, whose own
// container, init containers and volumes stay as they were, the sidecar appended after
// them and argocd-repo-server kept as the default container; the plugin's ConfigMap is
// added next to them; the sidecar meets upstream's documented CMP requirements.
func TestKitOnUpstreamArgoCD(t *testing.T) {
	req := cmpRequirements(t)
	plugin, err := os.ReadFile("cmp/plugin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	variants := []struct{ name, file, namespace string }{{"install without namespace", installs[0].file, ""}}
	for _, in := range installs {
		variants = append(variants, struct{ name, file, namespace string }{in.name, in.file, "argocd"})
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			kit, built := buildKit(t, "kit: kustomization", v.file, "cmp", v.namespace, map[string]string{})
			up := upstreamObjects(t, v.file)
			res := byKindName(t, built, up, v.namespace)
			for key, u := range up {
				n, ok := res[key]
				if !ok {
					t.Errorf("%s of the upstream install is missing", key)
					continue
				}
				if key != "Deployment/argocd-repo-server" && !reflect.DeepEqual(generic(t, u, "spec"), generic(t, n, "spec")) {
					t.Errorf("%s: the kit changed its spec", key)
				}
			}
			cm, ok := res["ConfigMap/pullgen-cmp-plugin"]
			if !ok || len(res) != len(up)+1 {
				t.Fatalf("built %d objects, want upstream's %d and ConfigMap pullgen-cmp-plugin", len(res), len(up))
			}
			if cm.GetNamespace() != v.namespace || cm.GetDataMap()["plugin.yaml"] != string(plugin) {
				t.Errorf("ConfigMap pullgen-cmp-plugin in %q, plugin.yaml equal to cmp/plugin.yaml: %v", cm.GetNamespace(), cm.GetDataMap()["plugin.yaml"] == string(plugin))
			}

			n := res["Deployment/argocd-repo-server"]
			if n.GetNamespace() != v.namespace {
				t.Errorf("argocd-repo-server in namespace %q, want %q", n.GetNamespace(), v.namespace)
			}
			var d, u deployment
			decode(t, n, &d)
			decode(t, up["Deployment/argocd-repo-server"], &u)
			got, was := generic(t, n, "spec", "template", "spec"), generic(t, up["Deployment/argocd-repo-server"], "spec", "template", "spec")
			gotC, wasC := got.(map[string]any)["containers"].([]any), was.(map[string]any)["containers"].([]any)
			if len(gotC) != len(wasC)+1 || !reflect.DeepEqual(gotC[:len(wasC)], wasC) {
				t.Errorf("containers %v: want upstream's, untouched and first, then the sidecar", containerNames(d))
			}
			if last := d.Spec.Template.Spec.Containers[len(d.Spec.Template.Spec.Containers)-1]; last.Name != "pullgen" {
				t.Errorf("last container %s, want the pullgen sidecar appended", last.Name)
			}
			if d.Spec.Template.Spec.Containers[0].Name != "argocd-repo-server" || d.Spec.Template.Metadata.Annotations[defaultContainer] != "argocd-repo-server" {
				t.Errorf("first container %s, annotation %s=%q: want argocd-repo-server the default container",
					d.Spec.Template.Spec.Containers[0].Name, defaultContainer, d.Spec.Template.Metadata.Annotations[defaultContainer])
			}
			if !reflect.DeepEqual(got.(map[string]any)["initContainers"], was.(map[string]any)["initContainers"]) {
				t.Error("the kit changed the repo server's init containers")
			}
			for _, uv := range u.Spec.Template.Spec.Volumes {
				if gv, ok := d.volume(uv.Name); !ok || !reflect.DeepEqual(gv, uv) {
					t.Errorf("upstream volume %s changed or dropped", uv.Name)
				}
			}
			checkSidecar(t, d, true)
			req.check(t, d, u)
			sidecar, _ := findContainer(d.Spec.Template.Spec.Containers, "pullgen")
			if img := kit.Images; len(img) != 1 || sidecar.Image != img[0]["newName"]+":"+img[0]["newTag"] {
				t.Errorf("sidecar image %s: README.md's images: %v did not apply", sidecar.Image, img)
			}
		})
	}
}

// TestKustomizeBuiltinOnUpstreamArgoCD builds the kustomize-builtin component the same
// way: argocd-cm gains the build options (its labels kept), the repo server gains the
// init container and the variables pointing its kustomize at the plugin, nothing else.
func TestKustomizeBuiltinOnUpstreamArgoCD(t *testing.T) {
	for _, in := range installs {
		t.Run(in.name, func(t *testing.T) {
			_, built := buildKit(t, "kit: kustomization", in.file, "kustomize-builtin", "argocd", map[string]string{})
			up := upstreamObjects(t, in.file)
			res := byKindName(t, built, up, "argocd")
			if len(res) != len(up) {
				t.Errorf("built %d objects, want upstream's %d", len(res), len(up))
			}
			cm := res["ConfigMap/argocd-cm"]
			if cm == nil || cm.GetNamespace() != "argocd" {
				t.Fatal("no ConfigMap argocd/argocd-cm")
			}
			if got := cm.GetDataMap()["kustomize.buildOptions"]; got != "--enable-alpha-plugins --enable-exec" {
				t.Errorf("kustomize.buildOptions %q", got)
			}
			if !reflect.DeepEqual(cm.GetLabels(), up["ConfigMap/argocd-cm"].GetLabels()) {
				t.Error("the patch replaced argocd-cm's labels instead of merging into it")
			}
			var d, u deployment
			decode(t, res["Deployment/argocd-repo-server"], &d)
			decode(t, up["Deployment/argocd-repo-server"], &u)
			checkBuiltinRepoServer(t, d)
			if _, ok := findContainer(d.Spec.Template.Spec.InitContainers, "copyutil"); !ok {
				t.Error("the patch dropped Argo CD's copyutil init container")
			}
			rs, _ := findContainer(d.Spec.Template.Spec.Containers, "argocd-repo-server")
			urs, _ := findContainer(u.Spec.Template.Spec.Containers, "argocd-repo-server")
			if len(rs.Env) != len(urs.Env)+2 || len(rs.VolumeMounts) != len(urs.VolumeMounts)+2 {
				t.Errorf("repo server env %d, mounts %d: want upstream's %d and %d plus the kit's two each",
					len(rs.Env), len(rs.VolumeMounts), len(urs.Env), len(urs.VolumeMounts))
			}
		})
	}
}

func containerNames(d deployment) []string {
	var names []string
	for _, c := range d.Spec.Template.Spec.Containers {
		names = append(names, c.Name)
	}
	return names
}

// cmpRequirement is what Argo CD's operator manual (in the module) requires of a plugin
// sidecar: its example container and volumes, and where plugin.yaml must be.
type cmpRequirement struct {
	Containers   []container `json:"containers"`
	Volumes      []volume    `json:"volumes"`
	pluginConfig string
}

// cmpRequirements reads docs/operator-manual/config-management-plugins.md of the Argo CD
// module: the sidecar example under "Register the plugin sidecar" and the plugin.yaml
// location it states.
func cmpRequirements(t *testing.T) cmpRequirement {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(argocdtest.Module(t), "docs", "operator-manual", "config-management-plugins.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := bytes.Cut(doc, []byte("Register the plugin sidecar"))
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(section)
	if !ok || m == nil {
		t.Fatal("the CMP docs have no sidecar example under \"Register the plugin sidecar\"")
	}
	var req cmpRequirement
	if err := sigsyaml.Unmarshal(m[1], &req); err != nil || len(req.Containers) != 1 {
		t.Fatalf("the CMP docs' sidecar example: %v", err)
	}
	loc := regexp.MustCompile("located at `(/[^`]+/plugin\\.yaml)`").FindSubmatch(doc)
	if loc == nil {
		t.Fatal("the CMP docs do not say where plugin.yaml goes")
	}
	req.pluginConfig = string(loc[1])
	return req
}

// check holds the sidecar of d (built over the upstream repo server u) to the documented
// requirements: entrypoint, user, and a mount at every documented path, from the repo
// server's own volume where the example shares one (var-files, plugins), from a volume of
// the same type and subPath where the example declares its own (the plugin's ConfigMap,
// the sidecar's own /tmp, never the repo server's).
func (req cmpRequirement) check(t *testing.T, d, u deployment) {
	t.Helper()
	want := req.Containers[0]
	c, _ := findContainer(d.Spec.Template.Spec.Containers, "pullgen")
	if !slices.Equal(c.Command, want.Command) {
		t.Errorf("sidecar command %q, the docs require %q", c.Command, want.Command)
	}
	ws, gs := want.SecurityContext, c.SecurityContext
	if ws == nil || gs == nil || !reflect.DeepEqual(gs.RunAsNonRoot, ws.RunAsNonRoot) || !reflect.DeepEqual(gs.RunAsUser, ws.RunAsUser) {
		t.Error("sidecar securityContext: the docs require runAsNonRoot and runAsUser as in their example")
	}
	// The entrypoint exists: upstream's copyutil init container puts it into var-files.
	found := false
	for _, ic := range u.Spec.Template.Spec.InitContainers {
		found = found || strings.Contains(strings.Join(append(ic.Command, ic.Args...), " "), want.Command[0])
	}
	if !found {
		t.Errorf("no upstream init container creates %s", want.Command[0])
	}
	docVolumes := map[string]volume{}
	for _, v := range req.Volumes {
		docVolumes[v.Name] = v
	}
	rs, _ := findContainer(u.Spec.Template.Spec.Containers, "argocd-repo-server")
	for _, wm := range want.VolumeMounts {
		gm, ok := c.mount(wm.MountPath)
		if !ok {
			t.Errorf("sidecar lacks the documented mount at %s", wm.MountPath)
			continue
		}
		gv, _ := d.volume(gm.Name)
		dv, own := docVolumes[wm.Name]
		switch {
		case !own:
			// One of the repo server's volumes, shared with the sidecar.
			if _, ok := u.volume(wm.Name); gm.Name != wm.Name || !ok {
				t.Errorf("mount at %s: volume %s, want the repo server's %s", wm.MountPath, gm.Name, wm.Name)
			}
		case (dv.ConfigMap != nil) != (gv.ConfigMap != nil) || (dv.EmptyDir != nil) != (gv.EmptyDir != nil) || gm.SubPath != wm.SubPath:
			t.Errorf("mount at %s: volume %+v subPath %q, want one like the docs' %+v subPath %q", wm.MountPath, gv, gm.SubPath, dv, wm.SubPath)
		}
		if rm, ok := rs.mount(wm.MountPath); own && ok && rm.Name == gm.Name {
			t.Errorf("mount at %s shares the repo server's volume %s: the docs require the sidecar's own", wm.MountPath, rm.Name)
		}
	}
	if m, ok := c.mount(req.pluginConfig); !ok || m.SubPath != "plugin.yaml" {
		t.Errorf("plugin.yaml is not mounted at %s, where the docs say argocd-cmp-server reads it", req.pluginConfig)
	}
}
