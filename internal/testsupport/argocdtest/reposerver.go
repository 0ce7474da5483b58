package argocdtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// RepoServer is an Argo CD repo server pod: its plugins directory, where the sockets of
// its sidecars are, and its own code, run by cmp-client, which finds them there.
type RepoServer struct {
	// SocketDir is the plugins volume (ARGOCD_PLUGINSOCKFILEPATH of the sidecars and of
	// the repo server), short enough for a socket's path.
	SocketDir string
	tools     tools
}

// NewRepoServer makes a repo server with no sidecar yet. It skips the test when
// argocd-cmp-server or cmp-client is missing (see findTools).
func NewRepoServer(tb testing.TB) *RepoServer {
	tb.Helper()
	t := findTools(tb)
	// A socket's path is at most 107 bytes: not under the test's own temporary directory.
	dir, err := os.MkdirTemp("", "plugins-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return &RepoServer{SocketDir: dir, tools: t}
}

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

// Request is an Application's source as the application controller sends it to the repo
// server: the repository, the path, the plugin and its env and parameters.
type Request struct {
	// Repo is a git repository with a commit (GitRepo), checked out by the repo server.
	Repo string
	// Path is spec.source.path.
	Path string
	// Plugin is spec.source.plugin.name; "" is `plugin: {}`, where the repo server asks
	// every sidecar's discovery in the order of their sockets' names.
	Plugin string
	// NoPlugin leaves spec.source.plugin out: the repo server detects the source type.
	NoPlugin bool
	// App, Namespace and Project are the Application's name, its destination namespace
	// and its AppProject (ARGOCD_APP_NAME, ARGOCD_APP_NAMESPACE, ARGOCD_APP_PROJECT_NAME);
	// empty: cmp-client's defaults (pullgen-test, default, default).
	App, Namespace, Project string
	// Env is spec.source.plugin.env (ARGOCD_ENV_<name> in the plugin).
	Env []EnvEntry
	// Params is spec.source.plugin.parameters: strings and arrays (cmp-client sends no map).
	Params []Param
	// ManifestGeneratePaths is the argocd.argoproj.io/manifest-generate-paths annotation,
	// with the repo server's --plugin-use-manifest-generate-paths on: generate is then sent
	// the deepest directory holding Path and these paths, not the whole repository.
	ManifestGeneratePaths string
}

// Result is what cmp-client printed for one call of the repo server.
type Result struct {
	// Out is its stdout: generate's manifests (JSON documents separated by ---), details'
	// or match's JSON.
	Out string
	// Stderr is the repo server's log (warnings and errors) and, on failure, its error,
	// last.
	Stderr string
	// Err is the repo server's error, as the Application shows it after "rpc error: code =
	// Unknown desc = ", or nil.
	Err error
	// Duration is the wall time of the call.
	Duration time.Duration
}

// Generate is the repo server's GenerateManifest for r: discovery of the plugin (the one
// named, or the first sidecar that claims the Application), then its generate command.
func (rs *RepoServer) Generate(tb testing.TB, r Request) Result {
	tb.Helper()
	return rs.call(tb, "generate", r)
}

// Details is the repo server's GetAppDetails for r: the source type and, for a plugin,
// the parameters it announces.
func (rs *RepoServer) Details(tb testing.TB, r Request) Result {
	tb.Helper()
	return rs.call(tb, "details", r)
}

// Match is what the repo server's discovery gets from one sidecar (util/app/discovery:
// CheckPluginConfiguration, then MatchRepository over the whole repository).
type Match struct {
	DiscoveryConfigured bool `json:"discoveryConfigured"`
	Supported           bool `json:"supported"`
	DiscoveryEnabled    bool `json:"discoveryEnabled"`
}

// Match asks the sidecar of r.Plugin whether it supports r. The error is the sidecar's,
// as a failing discovery reports it. ARGOCD_APP_PROJECT_NAME is always default there:
// cmp-client's match builds the plugin's environment itself, without r.Project
// (Generate sends the repo server's own, with it).
func (rs *RepoServer) Match(tb testing.TB, r Request) (Match, error) {
	tb.Helper()
	if r.Plugin == "" {
		tb.Fatal("Match asks one sidecar: Request.Plugin names it")
	}
	res := rs.call(tb, "match", r)
	var m Match
	if res.Err != nil {
		return m, res.Err
	}
	if err := json.Unmarshal([]byte(res.Out), &m); err != nil {
		tb.Fatalf("cmp-client match printed %q: %v", res.Out, err)
	}
	return m, nil
}

// call runs cmp-client mode for r.
func (rs *RepoServer) call(tb testing.TB, mode string, r Request) Result {
	tb.Helper()
	res, err := rs.run(mode, r, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// GenerateAll is the repo server's GenerateManifest for every request at once, each from
// a goroutine of its own, as when Argo CD refreshes many Applications together; the
// results are in the order of reqs.
func (rs *RepoServer) GenerateAll(tb testing.TB, reqs []Request) []Result {
	tb.Helper()
	results := make([]Result, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		work := tb.TempDir()
		wg.Go(func() { results[i], errs[i] = rs.run("generate", r, work) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
	return results
}

// run runs cmp-client mode for r with scratch directory work; the error is the harness's
// (cmp-client could not run, or crashed), not the repo server's.
func (rs *RepoServer) run(mode string, r Request, work string) (Result, error) {
	args := []string{mode, "--repo", r.Repo, "--path", r.Path, "--work", work}
	if r.NoPlugin {
		args = append(args, "--no-plugin")
	} else if r.Plugin != "" {
		args = append(args, "--plugin", r.Plugin)
	}
	for _, f := range [][2]string{{"--app", r.App}, {"--namespace", r.Namespace}, {"--project", r.Project}, {"--manifest-generate-paths", r.ManifestGeneratePaths}} {
		if f[1] != "" {
			args = append(args, f[0], f[1])
		}
	}
	for _, e := range r.Env {
		args = append(args, "--env", e.Name+"="+e.Value)
	}
	for _, p := range r.Params {
		switch {
		case p.Map != nil:
			return Result{}, fmt.Errorf("parameter %s: cmp-client sends no map parameters", p.Name)
		case p.String != nil:
			args = append(args, "--param", p.Name+"="+*p.String)
		default:
			args = append(args, "--param-array", p.Name+"="+strings.Join(p.Array, ","))
		}
	}
	cmd := exec.Command(rs.tools.client, args...)
	cmd.Env = append(os.Environ(),
		"PATH="+rs.tools.hack+string(os.PathListSeparator)+os.Getenv("PATH"),
		"ARGOCD_PLUGINSOCKFILEPATH="+rs.SocketDir)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	start := time.Now()
	err := cmd.Run()
	res := Result{Out: out.String(), Stderr: stderr.String(), Duration: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		lines := strings.Split(strings.TrimSpace(res.Stderr), "\n")
		res.Err = errors.New(strings.TrimPrefix(lines[len(lines)-1], "cmp-client: "))
	default:
		return res, fmt.Errorf("%s %q: %v\n%s", ClientProgram, args, err, res.Stderr)
	}
	return res, nil
}

// TrackingAnnotation is the annotation the repo server adds to every manifest for
// resource tracking (cmp-client tracks by annotation).
const TrackingAnnotation = "argocd.argoproj.io/tracking-id"

// Objects decodes generate's manifests without TrackingAnnotation: what the plugin's
// generate command printed, as objects.
func (r Result) Objects(tb testing.TB) []map[string]any {
	tb.Helper()
	if r.Err != nil {
		tb.Fatalf("the repo server failed: %v", r.Err)
	}
	var objs []map[string]any
	for _, doc := range strings.Split(r.Out, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var o map[string]any
		if err := json.Unmarshal([]byte(doc), &o); err != nil {
			tb.Fatalf("a manifest of the repo server is not JSON: %v\n%s", err, doc)
		}
		if meta, ok := o["metadata"].(map[string]any); ok {
			if ann, ok := meta["annotations"].(map[string]any); ok {
				delete(ann, TrackingAnnotation)
				if len(ann) == 0 {
					delete(meta, "annotations")
				}
			}
		}
		objs = append(objs, o)
	}
	return objs
}

// String is the result for a failure message.
func (r Result) String() string {
	return fmt.Sprintf("error: %v\nstdout:\n%s\nstderr:\n%s", r.Err, r.Out, r.Stderr)
}
