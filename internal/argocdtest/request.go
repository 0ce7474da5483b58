package argocdtest

import (
	"bytes"
	_ "embed" // the layout program
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// WorkDirName is the directory of argocd-cmp-server's temporary directory that each
// request is unpacked under, in a fresh <uuid> directory (common.DefaultCMPWorkDirName).
const WorkDirName = "_cmp_server"

// EnvEntry is a variable of an Application's source.plugin.env.
type EnvEntry struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Param is a parameter of an Application's source.plugin.parameters.
type Param struct {
	Name   string            `json:"name"`
	String *string           `json:"string,omitempty"`
	Array  []string          `json:"array,omitempty"`
	Map    map[string]string `json:"map,omitempty"`
}

// App is an Application with a plugin source, as far as the plugin sees it.
type App struct {
	Name, Namespace, Project string
	RepoURL, TargetRevision  string
	// Revision is the commit the repo server checked out.
	Revision string
	// Path is the source's path in the repository.
	Path      string
	PluginEnv []EnvEntry
	Params    []Param
	// KubeVersion and APIVersions are the destination cluster's.
	KubeVersion string
	APIVersions []string
	// ManifestGeneratePaths is the argocd.argoproj.io/manifest-generate-paths annotation,
	// for a repo server run with --plugin-use-manifest-generate-paths: GenerateManifest is
	// then sent only the files under the deepest directory holding Path and these paths.
	// Empty: the whole repository.
	ManifestGeneratePaths string
}

// Call is a call of the repo server to argocd-cmp-server.
type Call int

const (
	// MatchRepository runs the plugin's discovery. It is sent the whole repository,
	// whatever ManifestGeneratePaths says (util/app/discovery matchRepositoryCMP).
	MatchRepository Call = iota
	// GenerateManifest runs the plugin's generate command. It is sent the directory
	// rootPath computes (reposerver/repository runConfigManagementPluginSidecars).
	GenerateManifest
)

// NewApp is an Application named pull-access in argocd, at path in its repository.
func NewApp(path string) App {
	return App{
		Name: "pull-access", Namespace: "argocd", Project: "default",
		RepoURL: "https://git.example.com/platform/pull-access.git", TargetRevision: "main",
		Revision: "0123456789abcdef0123456789abcdef01234567",
		Path:     path, KubeVersion: "1.33.0", APIVersions: []string{"v1", "apps/v1", "rbac.authorization.k8s.io/v1"},
	}
}

// Environ is what the repo server sends argocd-cmp-server to run the plugin's commands
// with, after the sidecar's own environment (reposerver/repository newEnv and
// getPluginEnvs): the build environment, KUBE_VERSION and KUBE_API_VERSIONS, plugin.env as
// ARGOCD_ENV_<name> with $VAR of the build environment expanded, and the parameters as
// ARGOCD_APP_PARAMETERS (JSON, null for none) and PARAM_<NAME>[_<i>|_<KEY>].
func (a App) Environ() []string {
	short := func(n int) string { return a.Revision[:min(n, len(a.Revision))] }
	build := []EnvEntry{
		{"ARGOCD_APP_NAME", a.Name}, {"ARGOCD_APP_NAMESPACE", a.Namespace}, {"ARGOCD_APP_PROJECT_NAME", a.Project},
		{"ARGOCD_APP_REVISION", a.Revision}, {"ARGOCD_APP_REVISION_SHORT", short(7)}, {"ARGOCD_APP_REVISION_SHORT_8", short(8)},
		{"ARGOCD_APP_SOURCE_REPO_URL", a.RepoURL}, {"ARGOCD_APP_SOURCE_PATH", a.Path},
		{"ARGOCD_APP_SOURCE_TARGET_REVISION", a.TargetRevision},
		{"KUBE_VERSION", a.KubeVersion}, {"KUBE_API_VERSIONS", strings.Join(a.APIVersions, ",")},
	}
	values := map[string]string{}
	var env []string
	for _, e := range build {
		values[e.Name] = e.Value
		env = append(env, e.Name+"="+e.Value)
	}
	for _, e := range a.PluginEnv {
		env = append(env, "ARGOCD_ENV_"+e.Name+"="+os.Expand(e.Value, func(name string) string {
			if name == "$" {
				return "$"
			}
			return values[name]
		}))
	}
	params, _ := json.Marshal(a.Params)
	env = append(env, "ARGOCD_APP_PARAMETERS="+string(params))
	for _, p := range a.Params {
		base := "PARAM_" + escaped(p.Name)
		if p.String != nil {
			env = append(env, base+"="+*p.String)
		}
		for _, k := range slices.Sorted(maps.Keys(p.Map)) {
			env = append(env, base+"_"+escaped(k)+"="+p.Map[k])
		}
		for i, v := range p.Array {
			env = append(env, fmt.Sprintf("%s_%d=%s", base, i, v))
		}
	}
	return env
}

var notParamChar = regexp.MustCompile("[^A-Z0-9_]")

// escaped is a parameter name or map key in a variable name: upper case, anything but
// letters, digits and _ as _.
func escaped(name string) string {
	return notParamChar.ReplaceAllString(strings.ToUpper(name), "_")
}

// rootPath is the directory the repo server sends (getApplicationRootPath and getPaths):
// the repository, or with a manifest-generate-paths annotation the common root of the
// application's directory and the annotation's paths (relative to the application, or to
// the repository when they start with /; any .. beyond the repository stops at its top).
// Upstream's loop is kept as it is, including that once two paths diverged, a later
// path that is a parent of the common root no longer shortens it.
func rootPath(repo, appPath, annotation string) string {
	var paths []string
	for _, p := range strings.Split(annotation, ";") {
		if p == "" {
			continue
		}
		unsafe := filepath.Clean(p)
		if !filepath.IsAbs(p) {
			rel, _ := filepath.Rel(repo, appPath)
			unsafe = filepath.Clean(filepath.Join(rel, p))
		}
		// securejoin.SecureJoin, for paths without symbolic links.
		paths = append(paths, filepath.Join(repo, filepath.Clean("/"+unsafe)))
	}
	if len(paths) == 0 {
		return repo
	}
	common := strings.Split(appPath, string(filepath.Separator))
	disjoint := false
	for _, p := range paths {
		parts := strings.Split(p, string(filepath.Separator))
		n := min(len(common), len(parts))
		for i := range n {
			if common[i] != parts[i] {
				common, disjoint = common[:i], true
				break
			}
		}
		if !disjoint && n < len(common) {
			common = common[:n]
		}
	}
	return string(filepath.Separator) + filepath.Join(common...)
}

// Send lays out repo as argocd-cmp-server receives it for call of a: the files the call
// is sent, packed by the repo server and unpacked by argocd-cmp-server with Argo CD's own
// code (util/io/files, built from the module: file modes dropped, symbolic links kept
// inside, a link leading outside refused), in a fresh <tmp>/_cmp_server/<uuid>. It
// returns the Application's directory there, where the plugin's commands run.
func Send(tb testing.TB, repo string, a App, call Call) string {
	tb.Helper()
	repo, err := filepath.Abs(repo)
	if err != nil {
		tb.Fatal(err)
	}
	appPath := filepath.Join(repo, a.Path)
	root := repo
	if call == GenerateManifest {
		root = rootPath(repo, appPath, a.ManifestGeneratePaths)
	}
	cmd := exec.Command(layoutProgram(tb), root, appPath, filepath.Join(tb.TempDir(), WorkDirName))
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		tb.Fatalf("sending %s to argocd-cmp-server: %v: %s", root, err, stderr)
	}
	return string(bytes.TrimSuffix(out, []byte("\n")))
}

//go:embed layout.go
var layoutSource []byte

var layout struct {
	once sync.Once
	path string
	err  error
}

// layoutProgram builds layout.go, once per test binary, with util/io/files of the Argo CD
// module copied unchanged beside it and the module versions of pullgen's go.mod.
func layoutProgram(tb testing.TB) string {
	tb.Helper()
	mod := Module(tb)
	layout.once.Do(func() {
		dir := tempDir(tb)
		write := func(name string, data []byte) {
			if layout.err == nil {
				layout.err = os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
			}
			if layout.err == nil {
				layout.err = os.WriteFile(filepath.Join(dir, name), data, 0o644)
			}
		}
		read := func(path string) []byte {
			b, err := os.ReadFile(path)
			if err != nil && layout.err == nil {
				layout.err = err
			}
			return b
		}
		goMod := regexp.MustCompile(`(?m)^module .*$`).ReplaceAll(read(filepath.Join(repoRoot, "go.mod")), []byte("module argocdlayout"))
		write("go.mod", goMod)
		write("go.sum", read(filepath.Join(repoRoot, "go.sum")))
		write("main.go", bytes.TrimPrefix(layoutSource, []byte("//go:build ignore\n")))
		for _, f := range []string{"tar.go", "util.go"} {
			write(filepath.Join("files", f), read(filepath.Join(mod, "util", "io", "files", f)))
		}
		if layout.err != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", "layout", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			layout.err = fmt.Errorf("building Argo CD's tar and untar code: %v\n%s", err, out)
			return
		}
		layout.path = filepath.Join(dir, "layout")
	})
	if layout.err != nil {
		tb.Fatal(layout.err)
	}
	return layout.path
}
