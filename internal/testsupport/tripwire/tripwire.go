// Package tripwire sets the tripwires that the tests of render's sandbox use to prove that
// nothing got out: a loopback server that counts every connection it accepts, and programs
// that record that they ran, to put first on PATH or to name by path. Only tests import
// it, so pullgen's binary does not carry it.
package tripwire

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// Server is a loopback HTTP server that counts the TCP connections it accepts, whether or
// not an HTTP request follows (a TLS handshake, an ssh or git client count as well), and
// answers every request with a body.
type Server struct {
	srv  *httptest.Server
	hits atomic.Int64
}

// NewServer starts a Server that answers every request with body; it stops when the
// test ends.
func NewServer(tb testing.TB, body string) *Server {
	tb.Helper()
	s := &Server{}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(body))
	}))
	// Every accepted connection starts in StateNew, before anything is read from it.
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.hits.Add(1)
		}
	}
	s.srv.Start()
	tb.Cleanup(s.srv.Close)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.srv.Listener.Addr().String() }

// URL is http://host:port.
func (s *Server) URL() string { return s.srv.URL }

// Hits is how many connections the server has accepted since it started.
func (s *Server) Hits() int64 { return s.hits.Load() }

// Programs is a directory of programs that each record that they ran and then fail
// (exit 1).
type Programs struct {
	// Dir holds the programs: put it first on PATH (see SearchPath).
	Dir string
	// ran holds a file per program that ran, outside Dir.
	ran string
}

// NewPrograms writes a program for each of names into a new directory. A program records
// its run with shell builtins alone, so that it is seen even where PATH is empty.
func NewPrograms(tb testing.TB, names ...string) *Programs {
	tb.Helper()
	p := &Programs{Dir: tb.TempDir(), ran: tb.TempDir()}
	for _, name := range names {
		script := "#!/bin/sh\necho ran >> '" + filepath.Join(p.ran, name) + "'\nexit 1\n"
		if err := os.WriteFile(p.Path(name), []byte(script), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	return p
}

// Path is the path of the program name.
func (p *Programs) Path(name string) string { return filepath.Join(p.Dir, name) }

// SearchPath is a value for PATH: Dir, then the test process's PATH.
func (p *Programs) SearchPath() string {
	return p.Dir + string(os.PathListSeparator) + os.Getenv("PATH")
}

// Ran lists, sorted, the names of the programs that ran since NewPrograms or Reset.
func (p *Programs) Ran() []string {
	entries, err := os.ReadDir(p.ran)
	if err != nil {
		panic(err) // the test's own directory: a tripwire that cannot be read must not read as untouched
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

// Reset forgets the runs recorded so far.
func (p *Programs) Reset() {
	for _, name := range p.Ran() {
		os.Remove(filepath.Join(p.ran, name))
	}
}
