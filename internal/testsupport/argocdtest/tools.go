package argocdtest

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// ServerProgram and ClientProgram are the two programs built from ../shared/tools/argocd
// (`make tools` puts them in the repository's bin/): upstream's argocd-cmp-server, and
// cmp-client, the repo server's own code driving it.
const (
	ServerProgram = "argocd-cmp-server"
	ClientProgram = "cmp-client"
)

// hackScripts are the scripts of Argo CD's hack/ that the repo server's image has on PATH
// and that its git code runs.
var hackScripts = []string{"git-verify-wrapper.sh", "gpg-wrapper.sh"}

// tools are the programs of the real plugin path.
type tools struct {
	server, client string
	// hack holds hackScripts, executable.
	hack string
}

var found struct {
	once  sync.Once
	tools tools
	skip  string
	err   error
}

// findTools finds argocd-cmp-server and cmp-client in the repository's bin/ or on PATH,
// checks that they were built from the Argo CD release of deploy/argocd/argocd-version,
// and lays out the hack scripts. Where the programs are missing it skips the test, or
// fails it in CI, where `make tools` must have built them.
func findTools(tb testing.TB) tools {
	tb.Helper()
	// Outside once.Do: a test they skip or fail must not leave it done with nothing found.
	version, mod := Version(tb), Module(tb)
	found.once.Do(func() {
		var t tools
		for _, p := range []struct {
			name string
			path *string
		}{{ServerProgram, &t.server}, {ClientProgram, &t.client}} {
			*p.path = lookTool(p.name)
			if *p.path == "" {
				found.skip = fmt.Sprintf("%s is not in bin/ nor on PATH: `make tools` builds %s and %s from ../shared/tools/argocd (about 10 minutes the first time)", p.name, ServerProgram, ClientProgram)
				return
			}
			if err := checkBuiltFrom(*p.path, version); err != nil {
				found.err = err
				return
			}
		}
		t.hack, found.err = layHackScripts(mod)
		found.tools = t
	})
	if found.skip != "" {
		skipOutsideCI(tb, found.skip)
	}
	if found.err != nil {
		tb.Fatal(found.err)
	}
	return found.tools
}

// lookTool returns the path of a program in the repository's bin/ or on PATH, or "".
func lookTool(name string) string {
	p := filepath.Join(repoRoot, "bin", name)
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// checkBuiltFrom tells whether the Go program at path was built with Argo CD's module at
// version.
func checkBuiltFrom(path, version string) error {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the build information of %s: %w", path, err)
	}
	for _, d := range info.Deps {
		if d.Path == ModulePath {
			if d.Version != version {
				return fmt.Errorf("%s is built from Argo CD %s, the kit is tested with %s (deploy/argocd/argocd-version): rebuild it with make tools", path, d.Version, version)
			}
			return nil
		}
	}
	return fmt.Errorf("%s is not built from %s", path, ModulePath)
}

// layHackScripts copies hackScripts from the Argo CD module into a directory of their
// own, executable (the module cache keeps them read-only and without execute bits).
func layHackScripts(mod string) (string, error) {
	dir, err := tempDir()
	if err != nil {
		return "", err
	}
	for _, s := range hackScripts {
		b, err := os.ReadFile(filepath.Join(mod, "hack", s))
		if err != nil {
			return "", fmt.Errorf("reading Argo CD's hack script: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, s), b, 0o755); err != nil {
			return "", fmt.Errorf("laying out Argo CD's hack script: %w", err)
		}
	}
	return dir, nil
}

var static struct {
	once       sync.Once
	path, skip string
	err        error
}

// StaticServer builds upstream's argocd-cmp-server from ../shared/tools/argocd with cgo
// off, a static program that runs in an image without a C library (FROM scratch, like
// pullgen's), once per test binary, and returns its path (about 3 minutes on 2 cores the
// first time, seconds from Go's build cache after that). It skips the test where
// ../shared/tools/argocd is missing (and fails it in CI).
func StaticServer(tb testing.TB) string {
	tb.Helper()
	version := Version(tb)
	static.once.Do(func() {
		src := filepath.Join(repoRoot, "..", "shared", "tools", "argocd")
		if _, err := os.Stat(filepath.Join(src, "go.mod")); err != nil {
			static.skip = src + " is missing: it holds the Argo CD programs the plugin's tests build"
			return
		}
		dir, err := tempDir()
		if err != nil {
			static.err = err
			return
		}
		static.path = filepath.Join(dir, ServerProgram)
		// -mod=readonly leaves go.sum alone (CI's copy of ../shared is read-only).
		cmd := exec.Command("go", "build", "-mod=readonly", "-trimpath", "-o", static.path, "./cmd/"+ServerProgram)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			static.err = fmt.Errorf("building a static %s: %v\n%s", ServerProgram, err, out)
			return
		}
		static.err = checkBuiltFrom(static.path, version)
	})
	if static.skip != "" {
		skipOutsideCI(tb, static.skip)
	}
	if static.err != nil {
		tb.Fatal(static.err)
	}
	return static.path
}

// skipOutsideCI skips the test for why, or fails it in CI, where .ci/run must have made
// everything the tests need.
func skipOutsideCI(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatal(why)
	}
	tb.Skip(why)
}
