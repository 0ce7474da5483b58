package argocd

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	sigsyaml "sigs.k8s.io/yaml"

	"pullgen.dev/pullgen/internal/testsupport/argocdtest"
)

// healthKey is the argocd-cm key of the ServiceAccount health check. Argo CD reads
// resource.customizations.<type>.<group>_<kind>, where a core kind has no group and
// "_": the override key is then the kind alone, which is how Argo CD looks up the health
// script of a core ServiceAccount (util/lua GetConfigMapKey).
const healthKey = "resource.customizations.health.ServiceAccount"

// argoLua is how Argo CD runs a health script of argocd-cm, read from util/lua of the
// Argo CD module: the libraries it opens, in order, the modules require() finds
// preloaded, the deadline, and the statuses it accepts (any other becomes Unknown).
type argoLua struct {
	libs, preload []luaLib
	timeout       time.Duration
	statuses      map[string]bool
}

type luaLib struct {
	name string
	open lua.LGFunction
}

// readArgoLua reads argoLua from VM.runLuaWithResourceActionParameters (whose
// SkipOpenLibs holds for argocd-cm's scripts: their useOpenLibs is false by default),
// OpenSafeOs, SafeOsLoader and isValidHealthStatusCode. The safe os functions themselves
// (time, date) are not reproduced: a script that calls one fails here.
func readArgoLua(t *testing.T) argoLua {
	t.Helper()
	const file = "util/lua/lua.go"
	run := argocdtest.Decl(t, file, "VM.runLuaWithResourceActionParameters")
	if !strings.Contains(run, "SkipOpenLibs: !vm.UseOpenLibs") {
		t.Fatalf("%s: runLuaWithResourceActionParameters no longer skips Lua's libraries: review readArgoLua", file)
	}
	// The safe os: the functions of osFuncs, as OpenSafeOs registers them and SafeOsLoader
	// returns them.
	var safe []string
	for _, m := range regexp.MustCompile(`"(\w+)":`).FindAllStringSubmatch(argocdtest.Decl(t, "util/lua/oslib_safe.go", "osFuncs"), -1) {
		safe = append(safe, m[1])
	}
	safeFuncs := map[string]lua.LGFunction{}
	for _, name := range safe {
		safeFuncs[name] = func(l *lua.LState) int {
			l.RaiseError("os.%s: Argo CD's safe os function is not reproduced by this test", name)
			return 0
		}
	}
	names := map[string]string{
		"lua.BaseLibName": lua.BaseLibName, "lua.LoadLibName": lua.LoadLibName, "lua.TabLibName": lua.TabLibName,
		"lua.IoLibName": lua.IoLibName, "lua.OsLibName": lua.OsLibName, "lua.StringLibName": lua.StringLibName,
		"lua.MathLibName": lua.MathLibName, "lua.DebugLibName": lua.DebugLibName, "lua.ChannelLibName": lua.ChannelLibName,
		"lua.CoroutineLibName": lua.CoroutineLibName,
	}
	m := regexp.MustCompile(`RegisterModule\((lua\.\w+), osFuncs\)`).FindStringSubmatch(argocdtest.Decl(t, "util/lua/oslib_safe.go", "OpenSafeOs"))
	if m == nil || !strings.Contains(argocdtest.Decl(t, "util/lua/oslib_safe.go", "SafeOsLoader"), "l.SetFuncs(l.NewTable(), osFuncs)") {
		t.Fatal("util/lua/oslib_safe.go: OpenSafeOs or SafeOsLoader changed: review readArgoLua")
	}
	safeModule := names[m[1]]
	openers := map[string]lua.LGFunction{
		"lua.OpenBase": lua.OpenBase, "lua.OpenPackage": lua.OpenPackage, "lua.OpenTable": lua.OpenTable,
		"lua.OpenIo": lua.OpenIo, "lua.OpenOs": lua.OpenOs, "lua.OpenString": lua.OpenString, "lua.OpenMath": lua.OpenMath,
		"lua.OpenDebug": lua.OpenDebug, "lua.OpenChannel": lua.OpenChannel, "lua.OpenCoroutine": lua.OpenCoroutine,
		"OpenSafeOs": func(l *lua.LState) int {
			l.Push(l.RegisterModule(safeModule, safeFuncs))
			return 1
		},
		"SafeOsLoader": func(l *lua.LState) int {
			l.Push(l.SetFuncs(l.NewTable(), safeFuncs))
			return 1
		},
	}
	libs := func(re string) []luaLib {
		var out []luaLib
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(run, -1) {
			name, ok := names[m[1]]
			open := openers[m[2]]
			if !ok || open == nil {
				t.Fatalf("%s: runLuaWithResourceActionParameters opens %s with %s, which readArgoLua does not know", file, m[1], m[2])
			}
			out = append(out, luaLib{name, open})
		}
		return out
	}
	var a argoLua
	a.libs = libs(`\{(lua\.\w+), (\w+(?:\.\w+)?)\}`)
	a.preload = libs(`PreloadModule\((lua\.\w+), (\w+(?:\.\w+)?)\)`)
	d := regexp.MustCompile(`context\.WithTimeout\(context\.Background\(\), (\d+) ?\* ?time\.Second\)`).FindStringSubmatch(run)
	if len(a.libs) == 0 || d == nil {
		t.Fatalf("%s: no libraries or no deadline found in runLuaWithResourceActionParameters: review readArgoLua", file)
	}
	secs, _ := strconv.Atoi(d[1])
	a.timeout = time.Duration(secs) * time.Second
	a.statuses = map[string]bool{}
	for _, m := range regexp.MustCompile(`health\.HealthStatus(\w+)`).FindAllStringSubmatch(argocdtest.Decl(t, file, "isValidHealthStatusCode"), -1) {
		a.statuses[m[1]] = true
	}
	return a
}

// TestLuaFollowsArgoCD holds runHealthLua and toLua to the code of Argo CD they reproduce,
// and the Lua interpreter of these tests to Argo CD's.
func TestLuaFollowsArgoCD(t *testing.T) {
	argocdtest.CheckUpstream(t, "readArgoLua, runHealthLua and toLua",
		argocdtest.Upstream{File: "util/lua/lua.go", Name: "VM.runLuaWithResourceActionParameters", SHA256: "02abe2220a65b16585a0e5830aeb1d01a4a416290506837c2a4b1e74888ea489"},
		argocdtest.Upstream{File: "util/lua/lua.go", Name: "VM.ExecuteHealthLua", SHA256: "bddb1a64741cb51f6e9a218496b3efe0c2657f55c7f3ddf93524178798f5f681"},
		argocdtest.Upstream{File: "util/lua/lua.go", Name: "decodeValue", SHA256: "403687f07d67edfee0a5263a2b56759e47181bacb37dcf596d618b053dc9d572"},
	)
	re := regexp.MustCompile(`(?m)^\s*github\.com/yuin/gopher-lua (v\S+)`)
	ours, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := os.ReadFile(filepath.Join(argocdtest.Module(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := re.FindSubmatch(ours), re.FindSubmatch(theirs); a == nil || b == nil || string(a[1]) != string(b[1]) {
		t.Errorf("gopher-lua: go.mod requires %q, Argo CD %s %q: run the health checks with Argo CD's interpreter", a, argocdtest.Version(t), b)
	}
}

// runHealthLua runs a health script on obj the way Argo CD runs a custom health check
// from argocd-cm (readArgoLua; VM.ExecuteHealthLua): the object as the global obj, and the
// returned table's status and message.
func runHealthLua(t *testing.T, argo argoLua, script string, obj map[string]any) (status, message string) {
	t.Helper()
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range argo.libs {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			t.Fatalf("opening %s: %v", lib.name, err)
		}
	}
	for _, lib := range argo.preload {
		l.PreloadModule(lib.name, lib.open)
	}
	ctx, cancel := context.WithTimeout(context.Background(), argo.timeout)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("actionParams", l.CreateTable(0, 0))
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		t.Fatalf("running the health script: %v", err)
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("the health script returned %s, want a table", l.Get(-1).Type())
	}
	status, message = lua.LVAsString(ret.RawGetString("status")), lua.LVAsString(ret.RawGetString("message"))
	if !argo.statuses[status] {
		t.Fatalf("status %q: Argo CD would report Unknown", status)
	}
	return status, message
}

// toLua converts a decoded JSON value as Argo CD does: objects become tables by key,
// arrays tables by index from 1, scalars Lua scalars, null nil.
func toLua(l *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case bool:
		return lua.LBool(x)
	case float64:
		return lua.LNumber(x)
	case string:
		return lua.LString(x)
	case []any:
		t := l.CreateTable(len(x), 0)
		for _, e := range x {
			t.Append(toLua(l, e))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(x))
		for k, e := range x {
			t.RawSetH(lua.LString(k), toLua(l, e))
		}
		return t
	}
	return lua.LNil
}

// readObject decodes a YAML file into the form Argo CD hands to Lua.
func readObject(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := sigsyaml.Unmarshal(data, &obj); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return obj
}

// TestServiceAccountHealth runs health/health.lua on the OpenShift-shaped ServiceAccounts
// of health/health_test.yaml (Argo CD's layout for health checks): Progressing while the
// managed pull secret the annotation names is missing, Healthy once it is back, and for
// ServiceAccounts without the annotation.
func TestServiceAccountHealth(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("health", "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	var cases struct {
		Tests []struct {
			HealthStatus struct {
				Status  string `json:"status"`
				Message string `json:"message"`
			} `json:"healthStatus"`
			InputPath string `json:"inputPath"`
		} `json:"tests"`
	}
	unmarshalStrict(t, filepath.Join("health", "health_test.yaml"), &cases)
	inputs, _ := filepath.Glob(filepath.Join("health", "testdata", "*.yaml"))
	if len(cases.Tests) != len(inputs) {
		t.Errorf("%d tests for %d files in health/testdata: test each", len(cases.Tests), len(inputs))
	}
	argo := readArgoLua(t)
	statuses := map[string]bool{}
	for _, c := range cases.Tests {
		t.Run(c.InputPath, func(t *testing.T) {
			status, message := runHealthLua(t, argo, string(script), readObject(t, filepath.Join("health", c.InputPath)))
			if status != c.HealthStatus.Status || message != c.HealthStatus.Message {
				t.Errorf("got %s %q, want %s %q", status, message, c.HealthStatus.Status, c.HealthStatus.Message)
			}
			statuses[status] = true
		})
	}
	if !statuses["Progressing"] || !statuses["Healthy"] {
		t.Errorf("the tests must show both Progressing and Healthy: %v", statuses)
	}
	// Before and after: the same ServiceAccount turns Healthy when OpenShift appends its entry.
	sa := readObject(t, filepath.Join("health", "testdata", "progressing-after-sync.yaml"))
	sa["imagePullSecrets"] = append(sa["imagePullSecrets"].([]any), map[string]any{"name": "default-dockercfg-x7k2q"})
	if status, _ := runHealthLua(t, argo, string(script), sa); status != "Healthy" {
		t.Errorf("after OpenShift added its entry back: %s, want Healthy", status)
	}
}

// TestServiceAccountHealthPatch checks what the operator merges: argocd-cm-patch.yaml
// carries health.lua byte for byte under the key Argo CD reads, and the Component applies
// it.
func TestServiceAccountHealthPatch(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("health", "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct{ Name string }
		Data       map[string]string `json:"data"`
	}
	unmarshalStrict(t, filepath.Join("health", "argocd-cm-patch.yaml"), &cm)
	if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" || cm.Metadata.Name != "argocd-cm" || len(cm.Data) != 1 {
		t.Errorf("the patch is %s %s %s with %d keys, want v1 ConfigMap argocd-cm with one", cm.APIVersion, cm.Kind, cm.Metadata.Name, len(cm.Data))
	}
	if got := cm.Data[healthKey]; got != string(script) {
		t.Errorf("argocd-cm-patch.yaml %s differs from health.lua:\n%s", healthKey, got)
	}
	var k struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Patches    []struct {
			Path string `json:"path"`
		} `json:"patches"`
	}
	unmarshalStrict(t, filepath.Join("health", "kustomization.yaml"), &k)
	if k.Kind != "Component" || len(k.Patches) != 1 || k.Patches[0].Path != "argocd-cm-patch.yaml" {
		t.Errorf("health/kustomization.yaml: %+v, want a Component patching with argocd-cm-patch.yaml", k)
	}
}

// TestServiceAccountHealthMergesUpstream adds the Component to the pinned Argo CD release's own
// install.yaml (from the argo-cd module the Go module proxy serves) with the real kustomize:
// argocd-cm gains the health check and keeps what it had; nothing else changes.
func TestServiceAccountHealthMergesUpstream(t *testing.T) {
	install, err := os.ReadFile(filepath.Join(argocdtest.Module(t), "manifests", "install.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"install.yaml":             string(install),
		"kustomization.yaml":       "resources: [install.yaml]\ncomponents: [health]\n",
		"plain/install.yaml":       string(install),
		"plain/kustomization.yaml": "resources: [install.yaml]\n",
	}
	for _, f := range []string{"kustomization.yaml", "argocd-cm-patch.yaml"} {
		b, err := os.ReadFile(filepath.Join("health", f))
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Join("health", f)] = string(b)
	}
	writeFiles(t, dir, files)
	with, without := build(t, dir), build(t, filepath.Join(dir, "plain"))
	script, _ := os.ReadFile(filepath.Join("health", "health.lua"))
	cm := with["ConfigMap//argocd-cm"]
	if cm == nil || cm.GetDataMap()[healthKey] != string(script) {
		t.Fatalf("argocd-cm after the Component lacks %s = health.lua", healthKey)
	}
	if len(with) != len(without) {
		t.Errorf("the Component changed the objects: %d, without it %d", len(with), len(without))
	}
	for id, o := range without {
		got := generic(t, with[id])
		if id == "ConfigMap//argocd-cm" {
			data, _ := got.(map[string]any)["data"].(map[string]any)
			delete(data, healthKey)
			if len(data) == 0 {
				delete(got.(map[string]any), "data")
			}
		}
		if !reflect.DeepEqual(got, generic(t, o)) {
			t.Errorf("%s changed beyond the health check", id)
		}
	}
}
