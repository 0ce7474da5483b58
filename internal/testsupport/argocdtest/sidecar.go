package argocdtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sigsyaml "sigs.k8s.io/yaml"
)

// Paths of a sidecar's file system, relative to its root.
const (
	// ConfigPath is where argocd-cmp-server reads plugin.yaml.
	ConfigPath = "home/argocd/cmp-server/config/plugin.yaml"
	// ProgramDir is the image's directory on PATH, where Sidecar.Programs go.
	ProgramDir = "usr/local/bin"
	// TempDir is the sidecar's own /tmp, where argocd-cmp-server unpacks each request
	// (under WorkDirName).
	TempDir = "tmp"
	// HomeDir is the image's home directory (distroless nonroot's).
	HomeDir = "home/nonroot"
)

// WorkDirName is the directory of the sidecar's /tmp under which argocd-cmp-server
// unpacks each request, in a fresh <uuid> directory (common.DefaultCMPWorkDirName).
const WorkDirName = "_cmp_server"

// RootVar stands for the sidecar's root directory (its "/") in the values of Sidecar.Env.
const RootVar = "${SIDECAR}"

// Sidecar is a config management plugin sidecar, as its container spec describes it.
type Sidecar struct {
	// Config is its plugin.yaml (for the kit's, deploy/argocd/cmp/plugin.yaml).
	Config string
	// Programs are the programs of its image, on its PATH: name -> path of the program on
	// this machine (for pullgen's sidecar, {"pullgen": a pullgen built as the Dockerfile
	// builds it}). The image has nothing else: no shell.
	Programs map[string]string
	// Env is the container's environment, NAME=value, after what the harness sets (PATH,
	// HOME, TMPDIR, ARGOCD_PLUGINSOCKFILEPATH), which it may override. RootVar in a value
	// stands for the sidecar's root: SOPS_AGE_KEY_FILE=${SIDECAR}/home/argocd/keys.txt.
	Env []string
	// Files are more files of its file system, such as mounted Secrets and ConfigMaps:
	// path relative to its root -> content.
	Files map[string]string
	// Dirs are more directories of its file system, empty, writable: the emptyDir volumes
	// it mounts, relative to its root.
	Dirs []string
}

// Server is a running argocd-cmp-server, started by RepoServer.StartSidecar.
type Server struct {
	// Root is the sidecar's root directory, laid out like its file system.
	Root string
	// Socket is the path of the socket it serves on: <plugins>/<name>[-<version>].sock.
	Socket string
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
	stop   sync.Once
}

// PluginName is how an Application names the plugin of a plugin.yaml, and the name of
// its socket without .sock: <metadata.name>-<spec.version>, or <metadata.name>.
func PluginName(tb testing.TB, config string) string {
	tb.Helper()
	var c struct {
		Metadata struct{ Name string }
		Spec     struct{ Version string }
	}
	if err := sigsyaml.Unmarshal([]byte(config), &c); err != nil || c.Metadata.Name == "" {
		tb.Fatalf("plugin.yaml has no metadata.name: %v", err)
	}
	if c.Spec.Version == "" {
		return c.Metadata.Name
	}
	return c.Metadata.Name + "-" + c.Spec.Version
}

// StartSidecar lays out a sidecar's file system in a new directory (Config at ConfigPath,
// Programs in ProgramDir, Files, Dirs, an empty TempDir and HomeDir) and starts upstream's
// argocd-cmp-server in it, as the sidecar's entrypoint: with only the sidecar's
// environment (PATH is ProgramDir, HOME is HomeDir, TMPDIR is TempDir: the container's
// /tmp), serving on a socket in the repo server's plugins directory. It returns once the
// socket is there; the server is stopped with SIGTERM when the test ends (or by
// Server.Stop).
func (rs *RepoServer) StartSidecar(tb testing.TB, s Sidecar) *Server {
	tb.Helper()
	root := tb.TempDir()
	files := map[string]string{ConfigPath: s.Config}
	for p, content := range s.Files {
		files[p] = content
	}
	for p, content := range files {
		if err := writeFile(filepath.Join(root, filepath.FromSlash(p)), content); err != nil {
			tb.Fatalf("laying out the sidecar: %v", err)
		}
	}
	for _, d := range append([]string{ProgramDir, TempDir, HomeDir}, s.Dirs...) {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			tb.Fatalf("laying out the sidecar: %v", err)
		}
	}
	for name, program := range s.Programs {
		abs, err := filepath.Abs(program)
		if err == nil {
			err = os.Symlink(abs, filepath.Join(root, ProgramDir, name))
		}
		if err != nil {
			tb.Fatalf("laying out the sidecar's programs: %v", err)
		}
	}
	env := []string{
		"PATH=" + filepath.Join(root, ProgramDir),
		"HOME=" + filepath.Join(root, HomeDir),
		"TMPDIR=" + filepath.Join(root, TempDir),
		"ARGOCD_PLUGINSOCKFILEPATH=" + rs.SocketDir,
	}
	for _, e := range s.Env {
		env = append(env, strings.ReplaceAll(e, RootVar, root))
	}

	srv := &Server{
		Root:   root,
		Socket: filepath.Join(rs.SocketDir, PluginName(tb, s.Config)+".sock"),
		log:    filepath.Join(tb.TempDir(), "argocd-cmp-server.log"),
		exited: make(chan struct{}),
	}
	if _, err := os.Lstat(srv.Socket); err == nil {
		tb.Fatalf("%s: another sidecar of this repo server serves that plugin", srv.Socket)
	}
	logFile, err := os.Create(srv.log)
	if err != nil {
		tb.Fatal(err)
	}
	defer logFile.Close()
	srv.cmd = exec.Command(rs.tools.server, "--config-dir-path", filepath.Dir(filepath.Join(root, ConfigPath)))
	srv.cmd.Env = env
	srv.cmd.Dir = root
	srv.cmd.Stdout, srv.cmd.Stderr = logFile, logFile
	if err := srv.cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", ServerProgram, err)
	}
	go func() {
		_ = srv.cmd.Wait()
		close(srv.exited)
	}()
	tb.Cleanup(func() { srv.Stop(tb) })

	deadline := time.After(time.Minute)
	for {
		if st, err := os.Stat(srv.Socket); err == nil && st.Mode()&os.ModeSocket != 0 {
			return srv
		}
		select {
		case <-srv.exited:
			tb.Fatalf("%s exited before serving on %s:\n%s", ServerProgram, srv.Socket, srv.Log())
		case <-deadline:
			tb.Fatalf("%s does not serve on %s after a minute:\n%s", ServerProgram, srv.Socket, srv.Log())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Log is what the server logged so far (logrus lines: the commands it ran, their stderr,
// the warnings and errors).
func (s *Server) Log() string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// Stop stops the server as Kubernetes stops the container: SIGTERM, on which
// argocd-cmp-server removes its socket (and goes on serving the connections it has: it
// does not exit), then SIGKILL after a grace period. It fails the test if the socket is
// left. Calling it again does nothing.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	s.stop.Do(func() {
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			tb.Errorf("stopping %s: %v", ServerProgram, err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Lstat(s.Socket); errors.Is(err, os.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				tb.Errorf("%s left its socket %s after SIGTERM", ServerProgram, s.Socket)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		select {
		case <-s.exited:
		case <-time.After(100 * time.Millisecond):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

// writeFile writes a file, making its directory.
func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
