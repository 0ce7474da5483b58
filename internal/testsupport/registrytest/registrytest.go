// Package registrytest runs real container registries on loopback for tests: distribution's
// registry (the `registry` binary that `make tools` builds into ./bin) with htpasswd or
// token authentication, a token server that signs tokens the way that registry's token
// authentication expects, and pushes of small random images. Only tests import it, so
// pullgen's binary does not carry it.
package registrytest

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// User is a user name and password.
type User struct{ Name, Password string }

// Registry is a running registry process.
type Registry struct {
	// Host is host:port, on 127.0.0.1.
	Host string
	// CAFile is the PEM file of the CA that signed its certificate, when it serves TLS.
	CAFile string

	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
}

// Binary returns the path of distribution's registry binary in the repository's ./bin,
// skipping the test when it is missing (failing it in CI, where make tools builds it).
func Binary(tb testing.TB) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", "bin", "registry")
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p
	}
	if os.Getenv("CI") != "" {
		tb.Fatalf("%s is missing: make tools builds distribution's registry into ./bin", p)
	}
	tb.Skipf("distribution's registry is not built (%s): run make tools", p)
	return ""
}

// config is what varies between the registries a test starts.
type config struct {
	auth string // the auth: section, indented by two spaces
	tls  *serverCert
}

// StartHtpasswd starts a registry with htpasswd (Basic) authentication for users.
func StartHtpasswd(tb testing.TB, users ...User) *Registry {
	tb.Helper()
	return start(tb, config{auth: htpasswdAuth(tb, users)})
}

// StartHtpasswdTLS starts a registry with htpasswd authentication that serves HTTPS with
// a certificate for 127.0.0.1 and names, signed by a CA of its own (Registry.CAFile).
func StartHtpasswdTLS(tb testing.TB, names []string, users ...User) *Registry {
	tb.Helper()
	return start(tb, config{auth: htpasswdAuth(tb, users), tls: newServerCert(tb, names)})
}

// StartToken starts a registry whose authentication is delegated to a token server.
func StartToken(tb testing.TB, ts *TokenServer) *Registry {
	tb.Helper()
	auth := fmt.Sprintf("  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    jwks: %s\n",
		ts.Realm(), ts.Service, ts.Issuer, ts.jwksFile)
	return start(tb, config{auth: auth})
}

// htpasswdAuth writes an htpasswd file (bcrypt entries) and returns the auth section.
func htpasswdAuth(tb testing.TB, users []User) string {
	tb.Helper()
	var b strings.Builder
	for _, u := range users {
		h, err := bcrypt.GenerateFromPassword([]byte(u.Password), bcrypt.MinCost)
		if err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%s\n", u.Name, h)
	}
	p := filepath.Join(tb.TempDir(), "htpasswd")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return fmt.Sprintf("  htpasswd:\n    realm: test-registry\n    path: %s\n", p)
}

// start runs the registry binary on a free loopback port and waits until it answers.
func start(tb testing.TB, c config) *Registry {
	tb.Helper()
	bin := Binary(tb)
	dir := tb.TempDir()
	var last string
	for range 3 {
		port := freePort(tb)
		host := "127.0.0.1:" + port
		cfg := "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n" +
			"storage:\n  inmemory: {}\n  maintenance:\n    uploadpurging:\n      enabled: false\n" +
			"http:\n  addr: " + host + "\n  secret: registrytest-secret\n"
		r := &Registry{Host: host, stderr: &syncBuffer{}, done: make(chan struct{})}
		if c.tls != nil {
			cfg += "  tls:\n    certificate: " + c.tls.certFile + "\n    key: " + c.tls.keyFile + "\n"
			r.CAFile = c.tls.caFile
		}
		cfg += "auth:\n" + c.auth
		cfgFile := filepath.Join(dir, "config.yml")
		if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
			tb.Fatal(err)
		}
		r.cmd = exec.Command(bin, "serve", cfgFile)
		r.cmd.Env = append(os.Environ(), "OTEL_SDK_DISABLED=true", "OTEL_TRACES_EXPORTER=none")
		r.cmd.Stdout, r.cmd.Stderr = r.stderr, r.stderr
		if err := r.cmd.Start(); err != nil {
			tb.Fatalf("starting the registry: %v", err)
		}
		go func() {
			_ = r.cmd.Wait()
			close(r.done)
		}()
		if r.waitReady(c.tls != nil) {
			tb.Cleanup(r.Stop)
			return r
		}
		r.Stop()
		last = r.stderr.String()
	}
	tb.Fatalf("the registry did not start:\n%s", last)
	return nil
}

// waitReady polls GET /v2/ until the registry answers, for up to 15 s.
func (r *Registry) waitReady(useTLS bool) bool {
	scheme := "http"
	client := &http.Client{Timeout: time.Second}
	if useTLS {
		scheme = "https"
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // readiness only
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			return false
		default:
		}
		resp, err := client.Get(scheme + "://" + r.Host + "/v2/")
		if err == nil {
			resp.Body.Close()
			return true
		}
		time.Sleep(30 * time.Millisecond)
	}
	return false
}

// Stop kills the registry and waits for it to exit; a stopped registry is down.
func (r *Registry) Stop() {
	if r.cmd.Process == nil {
		return
	}
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Kill()
	<-r.done
}

// freePort returns a TCP port free on 127.0.0.1 at the time of the call.
func freePort(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// syncBuffer is a bytes.Buffer safe for a process's output and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
