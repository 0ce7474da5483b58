package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

const testToken = "e2e-secret-token-1234"

// pullAccess is a PullAccess for two namespaces whose password comes from token.txt.
const pullAccess = `apiVersion: pullgen.dev/v1alpha1
kind: PullAccess
metadata:
  name: acme
  annotations:
    config.kubernetes.io/local-config: "true"
%s
spec:
  namespaces: [team-b, team-a]
  registries:
    - server: quay.io/acme
      username: robot
      passwordFrom: {file: token.txt}
  serviceAccounts: [default, builder]
  workloads: {kinds: [Deployment]}
  imagePullers:
    - namespace: project-b
      namespaces: [team-a]
  output: {encrypt: false}
`

const execAnnotation = `    config.kubernetes.io/function: |
      exec:
        path: pullgen`

const inputResources = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: default
  namespace: team-a
imagePullSecrets:
- name: default-dockercfg-abcde
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: team-a
spec:
  template:
    spec:
      serviceAccountName: builder
      containers:
      - name: web
        image: quay.io/acme/web:1
`

// resourcesFor is the kustomization's resources for a position: a generator cannot see
// them, so a ServiceAccount it also emits would collide; there only the Deployment stays.
func resourcesFor(position string) string {
	if position == "generators" {
		return inputResources[strings.Index(inputResources, "apiVersion: apps/v1"):]
	}
	return inputResources
}

// parseObjects reads a YAML stream (or a ResourceList's items) into objects.
func parseObjects(t *testing.T, s string) []*yaml.RNode {
	t.Helper()
	nodes, err := (&kio.ByteReader{Reader: strings.NewReader(s), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatalf("parsing output: %v\n%s", err, s)
	}
	return nodes
}

// ids lists "Kind ns/name" of objects, sorted.
func ids(objs []*yaml.RNode) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName())
	}
	sort.Strings(out)
	return out
}

// semantic maps objects to their decoded form by id, without the annotations that tools
// add for their own bookkeeping.
func semantic(t *testing.T, objs []*yaml.RNode) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, o := range objs {
		_ = o.PipeE(yaml.ClearAnnotation("config.kubernetes.io/index"), yaml.ClearAnnotation("internal.config.kubernetes.io/index"),
			yaml.ClearAnnotation("config.kubernetes.io/path"), yaml.ClearAnnotation("internal.config.kubernetes.io/path"))
		m, err := o.Map()
		if err != nil {
			t.Fatal(err)
		}
		if md, ok := m["metadata"].(map[string]any); ok {
			if a, ok := md["annotations"].(map[string]any); ok && len(a) == 0 {
				delete(md, "annotations")
			}
		}
		out[o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName()] = m
	}
	return out
}

// decodedPayload is the decoded .dockerconfigjson of a Secret.
func decodedPayload(t *testing.T, secret *yaml.RNode) []byte {
	t.Helper()
	data := secret.GetDataMap()
	b, err := base64.StdEncoding.DecodeString(data[".dockerconfigjson"])
	if err != nil {
		t.Fatalf("decoding .dockerconfigjson: %v", err)
	}
	return b
}

func TestKustomizeGeneratorAndTransformer(t *testing.T) {
	kustomize := tool(t, "kustomize")
	for _, position := range []string{"generators", "transformers"} {
		t.Run(position, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "pullaccess.yaml"), strings.Replace(pullAccess, "%s", execAnnotation, 1))
			writeFile(t, filepath.Join(dir, "token.txt"), testToken+"\n")
			writeFile(t, filepath.Join(dir, "resources.yaml"), resourcesFor(position))
			writeFile(t, filepath.Join(dir, "kustomization.yaml"), "resources: [resources.yaml]\n"+position+": [pullaccess.yaml]\n")
			out := mustRun(t, dir, nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
			objs := parseObjects(t, out)
			got := ids(objs)
			want := []string{
				"Deployment team-a/web", "RoleBinding project-b/acme-image-puller",
				"Secret team-a/acme", "Secret team-b/acme",
				"ServiceAccount team-a/builder", "ServiceAccount team-a/default",
				"ServiceAccount team-b/builder", "ServiceAccount team-b/default",
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("objects = %v\nwant %v", got, want)
			}
			for _, o := range objs {
				switch {
				case o.GetKind() == "ServiceAccount" && o.GetNamespace() == "team-a" && o.GetName() == "default":
					// The transformer edits the kustomization's ServiceAccount and keeps its
					// entries; the generator, which cannot see it, emits a new one.
					wantSecrets := "[default-dockercfg-abcde acme]"
					if position == "generators" {
						wantSecrets = "[acme]"
					}
					if got := pullSecretNames(t, o, "imagePullSecrets"); got != wantSecrets {
						t.Errorf("%s: ServiceAccount default imagePullSecrets = %s, want %s", position, got, wantSecrets)
					}
				case o.GetKind() == "Deployment":
					want := "[acme]"
					if position == "generators" {
						want = "[]"
					}
					if got := pullSecretNames(t, o, "spec", "template", "spec", "imagePullSecrets"); got != want {
						t.Errorf("%s: Deployment imagePullSecrets = %s, want %s", position, got, want)
					}
				}
			}
		})
	}
}

// pullSecretNames renders the names of an imagePullSecrets list as "[a b]".
func pullSecretNames(t *testing.T, o *yaml.RNode, path ...string) string {
	list, err := o.Pipe(yaml.Lookup(path...))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	if list != nil {
		elems, _ := list.Elements()
		for _, e := range elems {
			names = append(names, yaml.GetValue(e.Field("name").Value))
		}
	}
	return "[" + strings.Join(names, " ") + "]"
}

// TestKptRenderTwice renders a kpt package twice: the second render replaces what the
// first wrote, never duplicates it, and file sources resolve against the package.
func TestKptRenderTwice(t *testing.T) {
	kpt := tool(t, "kpt")
	pkg := t.TempDir()
	writeFile(t, filepath.Join(pkg, "Kptfile"), "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n  - exec: "+pullgen()+"\n    configPath: pullaccess.yaml\n")
	writeFile(t, filepath.Join(pkg, "pullaccess.yaml"), strings.Replace(pullAccess, "%s\n", "", 1))
	writeFile(t, filepath.Join(pkg, "token.txt"), testToken+"\n")
	writeFile(t, filepath.Join(pkg, "resources.yaml"), inputResources)
	// Run from elsewhere: kpt does not change the working directory for exec functions.
	mustRun(t, t.TempDir(), nil, kpt, "fn", "render", pkg, "--allow-exec")
	first := snapshot(t, pkg)
	if n := strings.Count(strings.Join(values(first), "\n"), "kind: Secret"); n != 2 {
		t.Fatalf("first render wrote %d Secrets, want 2\n%v", n, keys(first))
	}
	mustRun(t, t.TempDir(), nil, kpt, "fn", "render", pkg, "--allow-exec")
	second := snapshot(t, pkg)
	if !reflect.DeepEqual(first, second) {
		t.Fatalf("second render changed the package:\nfirst  %v\nsecond %v", keys(first), keys(second))
	}
	if !strings.Contains(first["pullaccess.yaml"], "kind: PullAccess") {
		t.Errorf("the PullAccess file must stay in the package")
	}
}

// TestKptFnEval runs pullgen imperatively with kpt fn eval --exec.
func TestKptFnEval(t *testing.T) {
	kpt := tool(t, "kpt")
	pkg := t.TempDir()
	writeFile(t, filepath.Join(pkg, "pullaccess.yaml"), strings.Replace(pullAccess, "%s\n", "", 1))
	writeFile(t, filepath.Join(pkg, "token.txt"), testToken+"\n")
	writeFile(t, filepath.Join(pkg, "resources.yaml"), inputResources)
	out := mustRun(t, pkg, nil, kpt, "fn", "eval", ".", "--exec", pullgen(), "--fn-config", "pullaccess.yaml", "-o", "stdout")
	rl, err := yaml.Parse(out)
	if err != nil {
		t.Fatalf("parsing the ResourceList: %v", err)
	}
	items, _ := rl.Pipe(yaml.Lookup("items"))
	elems, _ := items.Elements()
	got := ids(elems)
	for _, want := range []string{"Secret team-a/acme", "Secret team-b/acme", "RoleBinding project-b/acme-image-puller", "PullAccess /acme"} {
		if !contains(got, want) {
			t.Errorf("kpt fn eval output lacks %s: %v", want, got)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// snapshot reads every file under dir.
func snapshot(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[rel] = string(b)
		}
		return err
	})
	return out
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func values(m map[string]string) []string {
	var out []string
	for _, k := range keys(m) {
		out = append(out, m[k])
	}
	return out
}

// TestKubectlKustomizeLegacyPlugin installs pullgen as kustomize's legacy exec plugin
// and builds with kubectl kustomize: the result equals kustomize build with pullgen as a
// KRM exec function.
func TestKubectlKustomizeLegacyPlugin(t *testing.T) {
	kubectl := tool(t, "kubectl")
	kustomize := tool(t, "kustomize")
	xdg := t.TempDir()
	env := []string{"XDG_CONFIG_HOME=" + xdg, "KUSTOMIZE_PLUGIN_HOME="}
	installed := strings.TrimSpace(mustRun(t, t.TempDir(), env, pullgen(), "install"))
	if want := filepath.Join(xdg, "kustomize", "plugin", "pullgen.dev", "v1alpha1", "pullaccess", "PullAccess"); installed != want {
		t.Fatalf("installed at %s, want %s", installed, want)
	}
	for _, position := range []string{"generators", "transformers"} {
		t.Run(position, func(t *testing.T) {
			legacy := t.TempDir()
			writeFile(t, filepath.Join(legacy, "pullaccess.yaml"), strings.Replace(pullAccess, "%s\n", "", 1))
			writeFile(t, filepath.Join(legacy, "token.txt"), testToken+"\n")
			writeFile(t, filepath.Join(legacy, "resources.yaml"), resourcesFor(position))
			writeFile(t, filepath.Join(legacy, "kustomization.yaml"), "resources: [resources.yaml]\n"+position+": [pullaccess.yaml]\n")
			got := mustRun(t, legacy, env, kubectl, "kustomize", "--enable-alpha-plugins", ".")

			krm := copyDir(t, legacy)
			writeFile(t, filepath.Join(krm, "pullaccess.yaml"), strings.Replace(pullAccess, "%s", execAnnotation, 1))
			want := mustRun(t, krm, nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
			if g, w := semantic(t, parseObjects(t, got)), semantic(t, parseObjects(t, want)); !reflect.DeepEqual(g, w) {
				t.Errorf("kubectl kustomize with the legacy plugin:\n%s\nkustomize build with the exec function:\n%s", got, want)
			}
		})
	}
	// install DIR puts the plugin under DIR, as an Argo CD init container does.
	home := t.TempDir()
	mustRun(t, t.TempDir(), nil, pullgen(), "install", home)
	st, err := os.Stat(filepath.Join(home, "pullgen.dev", "v1alpha1", "pullaccess", "PullAccess"))
	if err != nil || st.Mode()&0o111 == 0 {
		t.Fatalf("install DIR: plugin not installed as an executable: %v", err)
	}
}

// TestSecretMatchesKubectl grounds the Secret's payload in what kubectl writes: for the
// same server, user, password and email, the decoded .dockerconfigjson of
// `kubectl create secret docker-registry --dry-run=client -o json` is byte for byte the one
// pullgen writes.
func TestSecretMatchesKubectl(t *testing.T) {
	kubectl := tool(t, "kubectl")
	cases := []struct{ server, kubectlServer, user, password, email string }{
		{"quay.io/acme", "quay.io/acme", "robot+ci", "p@ss:w0rd/\"quoted\"", "ops@acme.io"},
		{"registry.acme.io:5000", "registry.acme.io:5000", "robot", "s3cret", ""},
		{"https://registry.acme.io/v2/", "https://registry.acme.io/v2/", "robot", "s3cret<>&", "a@b.c"},
		// Docker Hub as users write it, against kubectl's default server.
		{"docker.io", "", "acme", "hub-token", "ops@acme.io"},
		{"index.docker.io", "", "acme", "hub-token", ""},
	}
	for _, c := range cases {
		t.Run(c.server, func(t *testing.T) {
			args := []string{"create", "secret", "docker-registry", "pull", "--dry-run=client", "-o", "json",
				"--docker-username=" + c.user, "--docker-password=" + c.password}
			if c.kubectlServer != "" {
				args = append(args, "--docker-server="+c.kubectlServer)
			}
			if c.email != "" {
				args = append(args, "--docker-email="+c.email)
			}
			var secret struct {
				Type string            `json:"type"`
				Data map[string][]byte `json:"data"`
			}
			if err := json.Unmarshal([]byte(mustRun(t, t.TempDir(), nil, kubectl, args...)), &secret); err != nil {
				t.Fatal(err)
			}

			dir := t.TempDir()
			spec := "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: pull}\nspec:\n  namespaces: [default]\n" +
				"  registries:\n  - server: " + c.server + "\n    username: " + c.user + "\n    passwordFrom: {env: PASS}\n"
			if c.email != "" {
				spec += "    email: " + c.email + "\n"
			}
			spec += "  output: {encrypt: false}\n"
			writeFile(t, filepath.Join(dir, "pull.yaml"), spec)
			mustRun(t, dir, []string{"PASS=" + c.password}, pullgen(), "generate", "pull.yaml", "-o", "out")
			b, err := os.ReadFile(filepath.Join(dir, "out", "secret-default-pull.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			ours := parseObjects(t, string(b))[0]
			if typ := yaml.GetValue(ours.Field("type").Value); typ != secret.Type {
				t.Errorf("type %s, kubectl %s", typ, secret.Type)
			}
			if got, want := string(decodedPayload(t, ours)), string(secret.Data[".dockerconfigjson"]); got != want {
				t.Errorf(".dockerconfigjson\n pullgen %s\n kubectl %s", got, want)
			}
		})
	}
}

// TestImagePullerShapes checks the RoleBindings against what `oc policy add-role-to-user
// system:image-puller system:serviceaccount:project-a:default -n project-b` and
// `oc policy add-role-to-group system:image-puller system:serviceaccounts:project-a -n
// project-b` create: the same roleRef and subjects.
func TestImagePullerShapes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pa.yaml"), `apiVersion: pullgen.dev/v1alpha1
kind: PullAccess
metadata: {name: cross}
spec:
  imagePullers:
  - namespace: project-b
    serviceAccounts: [{namespace: project-a, name: default}]
  - namespace: project-c
    namespaces: [project-a]
`)
	mustRun(t, dir, nil, pullgen(), "generate", "pa.yaml", "-o", "out")
	// What oc writes (oc adm policy, RoleBinding in rbac.authorization.k8s.io/v1).
	ocRoleRef := map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:image-puller"}
	ocUser := []any{map[string]any{"kind": "ServiceAccount", "name": "default", "namespace": "project-a"}}
	ocGroup := []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:serviceaccounts:project-a"}}
	for file, subjects := range map[string][]any{
		"rolebinding-project-b-cross-image-puller.yaml": ocUser,
		"rolebinding-project-c-cross-image-puller.yaml": ocGroup,
	} {
		b, err := os.ReadFile(filepath.Join(dir, "out", file))
		if err != nil {
			t.Fatalf("reading %s: %v", file, err)
		}
		m, _ := parseObjects(t, string(b))[0].Map()
		if m["apiVersion"] != "rbac.authorization.k8s.io/v1" || m["kind"] != "RoleBinding" {
			t.Errorf("%s: %v %v", file, m["apiVersion"], m["kind"])
		}
		if !reflect.DeepEqual(m["roleRef"], ocRoleRef) {
			t.Errorf("%s: roleRef %v, oc writes %v", file, m["roleRef"], ocRoleRef)
		}
		if !reflect.DeepEqual(m["subjects"], subjects) {
			t.Errorf("%s: subjects %v, oc writes %v", file, m["subjects"], subjects)
		}
	}
}
