package tripwire

import (
	"io"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"testing"
)

// TestServerCountsEveryConnection: a raw TCP connect that sends nothing counts, as does
// an HTTP request, which gets the body.
func TestServerCountsEveryConnection(t *testing.T) {
	s := NewServer(t, "marker-body")
	if s.Hits() != 0 {
		t.Fatalf("%d hits before any connection", s.Hits())
	}
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	rsp, err := http.Get(s.URL() + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rsp.Body)
	rsp.Body.Close()
	if string(body) != "marker-body" {
		t.Errorf("body %q", body)
	}
	if n := s.Hits(); n != 2 {
		t.Errorf("%d hits, want 2", n)
	}
}

// TestProgramsRecordRuns: a program that runs is listed, from PATH and by path with an
// empty PATH, fails, and is forgotten by Reset; one that did not run is not listed.
func TestProgramsRecordRuns(t *testing.T) {
	p := NewPrograms(t, "git", "gpg", "ssh")
	if ran := p.Ran(); len(ran) != 0 {
		t.Fatalf("ran before anything ran: %v", ran)
	}
	git := exec.Command("/bin/sh", "-c", "git version") // looked up on the child's PATH
	git.Env = []string{"PATH=" + p.SearchPath()}
	if err := git.Run(); err == nil {
		t.Error("the git program succeeded")
	}
	ssh := exec.Command(p.Path("ssh"))
	ssh.Env = []string{"PATH="}
	ssh.Run()
	if ran := p.Ran(); !slices.Equal(ran, []string{"git", "ssh"}) {
		t.Errorf("ran %v, want [git ssh]", ran)
	}
	p.Reset()
	if ran := p.Ran(); len(ran) != 0 {
		t.Errorf("ran %v after Reset", ran)
	}
}
