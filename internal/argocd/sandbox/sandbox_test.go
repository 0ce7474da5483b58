package sandbox

import (
	"encoding/json"
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

	"pullgen.dev/pullgen/internal/testsupport/tripwire"
)

// The tests re-execute the test binary as a child that confines itself (or not) and then
// tries what a hostile repository would make render do; it prints what happened as JSON.
const childEnv = "PULLGEN_SANDBOX_TEST_CHILD"

// childConfig is what the child does.
type childConfig struct {
	Confine bool     // call Confine
	Layer   string   // or apply one kernel layer alone: "landlock" or "seccomp"
	Root    string   // the repository root: readable
	Outside string   // a file outside the root
	Targets []string // host:port of loopback servers: connect, then HTTP GET
	Allow   []string // --allow-key-host
	Threads int      // goroutines locked to their own threads before Confine
	Time    bool     // only time Confine
}

// childResult is what happened: per attempt, "" for success or the error.
type childResult struct {
	Confine  time.Duration
	Attempts map[string]string
	PATH     string
	Warning  string
}

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "noop":
		os.Exit(0)
	default:
		var c childConfig
		if err := json.Unmarshal([]byte(os.Getenv(childEnv)), &c); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		json.NewEncoder(os.Stdout).Encode(child(c))
		os.Exit(0)
	}
}

// attempts are what every thread of the child tries.
func attempts(c childConfig, self string, tag string, out map[string]string, mu *sync.Mutex) {
	record := func(name string, err error) {
		mu.Lock()
		defer mu.Unlock()
		out[tag+name] = ""
		if err != nil {
			out[tag+name] = err.Error()
		}
	}
	cmd := exec.Command(self)
	cmd.Env = []string{childEnv + "=noop"}
	// Open files, so that only the exec itself can fail (exec opens /dev/null for nil).
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stderr, os.Stderr
	record("exec", cmd.Run())
	_, err := os.ReadFile(c.Outside)
	record("read-outside", err)
	_, err = os.ReadFile(filepath.Join(c.Root, "inside.txt"))
	record("read-inside", err)
	record("write-root", os.WriteFile(filepath.Join(c.Root, tag+"written.txt"), []byte("x"), 0o644))
	record("create-outside", os.WriteFile(filepath.Join(filepath.Dir(c.Outside), tag+"written.txt"), []byte("x"), 0o644))
}

func child(c childConfig) childResult {
	self, _ := os.Executable()
	res := childResult{Attempts: map[string]string{}}
	var mu sync.Mutex
	// Threads that exist before confinement must be confined too.
	start, done := make(chan struct{}), make(chan struct{})
	for i := 0; i < c.Threads; i++ {
		go func() {
			runtime.LockOSThread()
			<-start
			attempts(c, self, fmt.Sprintf("thread%d-", i), res.Attempts, &mu)
			done <- struct{}{}
		}()
	}
	if c.Confine {
		gate, err := NewGate(c.Allow)
		if err != nil {
			res.Attempts["gate"] = err.Error()
			return res
		}
		start := time.Now()
		r, err := Confine(Policy{ReadDirs: []string{c.Root}, Gate: gate, Warn: os.Stderr})
		res.Confine = time.Since(start)
		if err != nil {
			res.Attempts["confine"] = err.Error()
			return res
		}
		res.Warning = r.Warning
		if c.Time {
			return res
		}
	}
	var err error
	switch c.Layer {
	case "landlock":
		_, err = landlockRestrict([]string{c.Root}, nil, nil)
	case "seccomp":
		_, err = seccompRestrict(true)
	}
	if err != nil {
		res.Attempts["confine"] = err.Error()
		return res
	}
	close(start)
	for i := 0; i < c.Threads; i++ {
		<-done
	}
	attempts(c, self, "", res.Attempts, &mu)
	for i, t := range c.Targets {
		conn, err := net.Dial("tcp", t)
		if err == nil {
			conn.Close()
		}
		res.Attempts[fmt.Sprintf("connect%d", i)] = errString(err)
		rsp, err := http.Get("http://" + t + "/")
		if err == nil {
			rsp.Body.Close()
		}
		res.Attempts[fmt.Sprintf("http%d", i)] = errString(err)
	}
	res.PATH = os.Getenv("PATH")
	return res
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// runChild runs the child with c and returns its result and stderr.
func runChild(t testing.TB, c childConfig, env ...string) (childResult, string) {
	t.Helper()
	b, _ := json.Marshal(c)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), append(env, childEnv+"="+string(b))...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	var r childResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	return r, stderr.String()
}

// setup makes a repository root with a file inside and a secret file outside it.
func setup(t *testing.T) childConfig {
	root, outside := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(root, "inside.txt"), []byte("inside"), 0o644)
	os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("outside-secret"), 0o644)
	return childConfig{Root: root, Outside: filepath.Join(outside, "secret.txt"), Threads: 4}
}

func kernelOrSkip(t *testing.T) {
	t.Helper()
	if abi, _ := landlockABI(); abi < 4 {
		t.Skipf("this kernel's Landlock ABI is %d (4 or more needed): the kernel confinement cannot be tested here", abi)
	}
}

// TestConfineKernel: a confined child can read beneath the root and nothing else, write
// nowhere, run no program and connect nowhere, from every thread; the same child
// unconfined can do all of it, so the test can fail.
func TestConfineKernel(t *testing.T) {
	kernelOrSkip(t)
	srv := tripwire.NewServer(t, "")
	c := setup(t)
	c.Targets = []string{srv.Addr()}

	free, _ := runChild(t, c)
	for name, err := range free.Attempts {
		if err != "" {
			t.Errorf("unconfined child: %s failed: %s", name, err)
		}
	}
	freeHits := srv.Hits()
	if freeHits == 0 {
		t.Fatalf("unconfined child: the listener saw no connection")
	}
	os.Remove(filepath.Join(c.Root, "written.txt"))

	c.Confine = true
	jail, stderr := runChild(t, c)
	if stderr != "" || jail.Warning != "" {
		t.Errorf("confined child warned: %q", stderr)
	}
	if jail.PATH != "" {
		t.Errorf("PATH is still %q", jail.PATH)
	}
	want := []string{"exec", "read-outside", "write-root", "create-outside", "connect0", "http0"}
	for i := 0; i < c.Threads; i++ {
		for _, a := range []string{"exec", "read-outside", "write-root", "create-outside"} {
			want = append(want, fmt.Sprintf("thread%d-%s", i, a))
		}
	}
	for _, name := range want {
		if err, ok := jail.Attempts[name]; !ok || err == "" {
			t.Errorf("confined child: %s succeeded (%v)", name, ok)
		}
	}
	for name, err := range jail.Attempts {
		if strings.HasSuffix(name, "read-inside") && err != "" {
			t.Errorf("confined child cannot read inside the root: %s: %s", name, err)
		}
	}
	if !strings.Contains(jail.Attempts["exec"], "operation not permitted") {
		t.Errorf("exec failed for another reason than seccomp's EPERM: %s", jail.Attempts["exec"])
	}
	if n := srv.Hits() - freeHits; n != 0 {
		t.Errorf("the listener saw %d connections from the confined child", n)
	}
	if _, err := os.Stat(filepath.Join(c.Root, "written.txt")); err == nil {
		t.Errorf("the confined child wrote into the root")
	}
}

// TestKernelLayers: each kernel layer alone stops what it is for, so that neither hides
// a hole in the other: Landlock refuses exec, reads outside the root, writes and TCP
// connects (EACCES); seccomp refuses exec and IP sockets (EPERM) and nothing else.
func TestKernelLayers(t *testing.T) {
	kernelOrSkip(t)
	srv := tripwire.NewServer(t, "")
	c := setup(t)
	c.Targets = []string{srv.Addr()}
	c.Threads = 2
	for _, tc := range []struct {
		layer   string
		refused map[string]string // attempt -> error text
		allowed []string
	}{
		{"landlock", map[string]string{"exec": "permission denied", "thread1-exec": "permission denied", "read-outside": "permission denied",
			"thread0-read-outside": "permission denied", "write-root": "permission denied", "connect0": "permission denied"}, []string{"read-inside", "thread1-read-inside"}},
		{"seccomp", map[string]string{"exec": "operation not permitted", "thread1-exec": "operation not permitted", "connect0": "operation not permitted"},
			[]string{"read-inside", "read-outside", "thread0-read-outside", "write-root"}},
	} {
		t.Run(tc.layer, func(t *testing.T) {
			c.Layer = tc.layer
			r, _ := runChild(t, c)
			for name, want := range tc.refused {
				if !strings.Contains(r.Attempts[name], want) {
					t.Errorf("%s: %q, want %q", name, r.Attempts[name], want)
				}
			}
			for _, name := range tc.allowed {
				if err := r.Attempts[name]; err != "" {
					t.Errorf("%s: %s", name, err)
				}
			}
		})
	}
	if n := srv.Hits(); n != 0 {
		t.Errorf("the listener saw %d connections", n)
	}
}

// TestConfineAllowedKeyService: with one endpoint allowed, the child reaches it (through
// the gate and through Landlock's TCP rule) and nothing else; a raw connect to another
// port fails in the kernel, an HTTP request to it in the gate.
func TestConfineAllowedKeyService(t *testing.T) {
	kernelOrSkip(t)
	allowed, other := tripwire.NewServer(t, ""), tripwire.NewServer(t, "")
	c := setup(t)
	c.Confine = true
	c.Targets = []string{allowed.Addr(), other.Addr()}
	c.Allow = []string{allowed.Addr()}
	r, _ := runChild(t, c)
	if r.Attempts["connect0"] != "" || r.Attempts["http0"] != "" {
		t.Errorf("the allowed key service is unreachable: %v", r.Attempts)
	}
	if !strings.Contains(r.Attempts["connect1"], "permission denied") {
		t.Errorf("raw connect to another port: %q, want the kernel's refusal", r.Attempts["connect1"])
	}
	if !strings.Contains(r.Attempts["http1"], "not a key-service endpoint the operator allowed") {
		t.Errorf("HTTP to another port: %q, want the gate's refusal", r.Attempts["http1"])
	}
	if allowed.Hits() == 0 || other.Hits() != 0 {
		t.Errorf("connections seen: allowed %d, other %d", allowed.Hits(), other.Hits())
	}
	if r.Attempts["exec"] == "" || r.Attempts["read-outside"] == "" {
		t.Errorf("allowing a key service opened more: %v", r.Attempts)
	}
}

// TestConfineDegraded: without the kernel layer (forced, as on a kernel without Landlock
// and seccomp) one warning line, and the in-process layer still holds: PATH cleared, HTTP
// refused by the gate before any connection.
func TestConfineDegraded(t *testing.T) {
	srv := tripwire.NewServer(t, "")
	c := setup(t)
	c.Confine = true
	c.Threads = 0
	c.Targets = []string{srv.Addr()}
	r, stderr := runChild(t, c, KernelEnv+"=off")
	if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "warning: kernel confinement incomplete") {
		t.Errorf("stderr %q: want one warning line", stderr)
	}
	if r.PATH != "" {
		t.Errorf("PATH is still %q", r.PATH)
	}
	if !strings.Contains(r.Attempts["http0"], "not a key-service endpoint the operator allowed") {
		t.Errorf("HTTP: %q, want the gate's refusal", r.Attempts["http0"])
	}
	if r.Attempts["exec"] != "" {
		t.Errorf("with the kernel layer off, exec failed anyway (%s): the switch does not work", r.Attempts["exec"])
	}
	if n := srv.Hits(); n != 1 { // the raw connect only
		t.Errorf("the listener saw %d connections, want the raw connect's 1", n)
	}
}

func TestParseEndpoint(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"vault.example.com", "vault.example.com:443", ""},
		{"Vault.Example.com.:8200", "vault.example.com:8200", ""},
		{"https://vault.example.com:8200/v1/transit", "vault.example.com:8200", ""},
		{"http://127.0.0.1", "127.0.0.1:80", ""},
		{"[::1]:8200", "[::1]:8200", ""},
		{"::1", "[::1]:443", ""},
		{"vault.example.com:0", "", "not HOST[:PORT]"},
		{"vault.example.com:http", "", "not HOST[:PORT]"},
		{"user@vault.example.com", "", "not HOST[:PORT]"},
		{"", "", "not HOST[:PORT]"},
	} {
		got, err := ParseEndpoint(c.in)
		if got != c.want || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("ParseEndpoint(%q) = %q, %v; want %q, %q", c.in, got, err, c.want, c.err)
		}
	}
}

// BenchmarkConfine: the time Confine takes in a process (Landlock and seccomp on every
// thread, the gate, the environment), measured in re-executed children.
func BenchmarkConfine(b *testing.B) {
	c := childConfig{Confine: true, Time: true, Root: b.TempDir()}
	var total time.Duration
	for i := 0; i < b.N; i++ {
		r, _ := runChild(b, c)
		total += r.Confine
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "confine-µs")
}
