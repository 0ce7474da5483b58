// Package argocdtest gives tests the Argo CD release the kit is tested with
// (deploy/argocd/argocd-version) and the real plugin path of that release.
//
// The release: its Go module, fetched through the Go module proxy (Module), for its
// install manifests and for the few declarations a test reproduces instead of running,
// pinned by hash (CheckUpstream).
//
// The plugin path: upstream's argocd-cmp-server and the repo server's own code (cmp-client),
// both built from ../shared/tools/argocd by `make tools`. A RepoServer is a repo server
// pod: StartSidecar lays out a sidecar's file system from a plugin.yaml, its programs, its
// environment and its mounted files and runs argocd-cmp-server there; Generate, Details
// and Match send it an Application's source over a git repository (GitRepo), as the repo
// server does, with the Application's name, namespace, project, plugin env and parameters.
// Tests skip, saying why, where the two programs are missing (and fail in CI).
//
// Only tests import it, so pullgen's binary does not carry it.
package argocdtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// ModulePath is the Go module that holds Argo CD's sources, install manifests and docs.
const ModulePath = "github.com/argoproj/argo-cd/v3"

// repoRoot is the top of pullgen's repository.
var repoRoot = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}()

// Version is the Argo CD release tested, from deploy/argocd/argocd-version, the one place
// it is written.
func Version(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "argocd", "argocd-version"))
	if err != nil {
		tb.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

var module struct {
	once      sync.Once
	dir, skip string
	err       error
}

// Module returns the directory of the Argo CD module at Version, downloaded through the
// Go module proxy once per test binary (or found in the module cache). It skips the test
// when the proxy cannot be reached, and fails it on any other error.
func Module(tb testing.TB) string {
	tb.Helper()
	module.once.Do(func() {
		mod := ModulePath + "@" + Version(tb)
		// Outside this module, so that go.mod and go.sum are left alone.
		cmd := exec.Command("go", "mod", "download", "-json", mod)
		cmd.Dir = os.TempDir()
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		out, runErr := cmd.Output()
		var info struct{ Dir, Error string }
		if err := json.Unmarshal(out, &info); err != nil {
			module.err = err
			if runErr != nil {
				module.err = runErr
			}
			return
		}
		switch {
		case info.Error == "" && info.Dir != "":
			module.dir = info.Dir
		case unreachable.MatchString(info.Error):
			module.skip = "the Go module proxy cannot be reached to fetch " + mod + ": " + info.Error
		default:
			module.err = fmt.Errorf("%s: %s", mod, info.Error)
		}
	})
	if module.skip != "" {
		tb.Skip(module.skip)
	}
	if module.err != nil {
		tb.Fatalf("go mod download: %v", module.err)
	}
	return module.dir
}

// unreachable matches the errors of a proxy that cannot be reached (no network, no DNS, a
// firewall), as opposed to a module or version that does not exist.
var unreachable = regexp.MustCompile(`dial tcp|no such host|connection refused|i/o timeout|network is unreachable|TLS handshake timeout|server misbehaving|temporary failure in name resolution|module lookup disabled`)

// Decl returns the source text of a top-level declaration of file, a Go file of the Argo
// CD module: a function (name), a method (Type.name), or a type, constant or variable.
func Decl(tb testing.TB, file, name string) string {
	tb.Helper()
	path := filepath.Join(Module(tb), filepath.FromSlash(file))
	src, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, 0)
	if err != nil {
		tb.Fatal(err)
	}
	text := func(n ast.Node) string {
		return string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			n := d.Name.Name
			if d.Recv != nil && len(d.Recv.List) == 1 {
				t := d.Recv.List[0].Type
				if s, ok := t.(*ast.StarExpr); ok {
					t = s.X
				}
				if id, ok := t.(*ast.Ident); ok {
					n = id.Name + "." + n
				}
			}
			if n == name {
				return text(d)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if s.Name.Name == name {
						return text(s)
					}
				case *ast.ValueSpec:
					for _, id := range s.Names {
						if id.Name == name {
							return text(s)
						}
					}
				}
			}
		}
	}
	tb.Fatalf("%s of %s@%s declares no %s", file, ModulePath, Version(tb), name)
	return ""
}

// Upstream is a declaration of the Argo CD module that a test reproduces (it cannot
// import it: the module drags in Kubernetes' client libraries), with the SHA-256 of its
// source text as last reviewed.
type Upstream struct {
	File, Name, SHA256 string
}

// CheckUpstream fails when a reproduced declaration is no longer what was reviewed, as
// after a change of argocd-version: the reproduction must then be reviewed against it
// and the hash updated.
func CheckUpstream(tb testing.TB, reproducedBy string, decls ...Upstream) {
	tb.Helper()
	for _, d := range decls {
		if got := sha(Decl(tb, d.File, d.Name)); got != d.SHA256 {
			tb.Errorf("%s in %s of Argo CD %s changed (sha256 %s): review %s against it, then update the hash",
				d.Name, d.File, Version(tb), got, reproducedBy)
		}
	}
}

var cleanups struct {
	sync.Mutex
	dirs []string
}

// Cleanup removes what the package built for the test binary; call it at the end of
// TestMain.
func Cleanup() {
	cleanups.Lock()
	defer cleanups.Unlock()
	for _, d := range cleanups.dirs {
		os.RemoveAll(d)
	}
	cleanups.dirs = nil
}

// tempDir is a directory that lives until Cleanup.
func tempDir() (string, error) {
	d, err := os.MkdirTemp("", "argocdtest-")
	if err != nil {
		return "", err
	}
	cleanups.Lock()
	cleanups.dirs = append(cleanups.dirs, d)
	cleanups.Unlock()
	return d, nil
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
