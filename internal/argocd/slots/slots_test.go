package slots

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"pullgen.dev/pullgen/internal/argocd/sandbox"
)

// holderEnv makes the test binary a process that takes a slot, confines itself as render
// does, says so and waits to be killed (TestSlotOfADeadProcess).
const holderEnv = "SLOTS_TEST_HOLD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holderEnv); dir != "" {
		hold(dir)
	}
	os.Exit(m.Run())
}

// hold takes the one slot of dir, confines the process to an empty directory (the slot
// directory is then out of its reach), prints "held" and sleeps.
func hold(dir string) {
	s, err := Take(dir, 1, 0)
	if err != nil {
		os.Stdout.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	empty, _ := os.MkdirTemp("", "confined-")
	if _, err := sandbox.Confine(sandbox.Policy{ReadDirs: []string{empty}}); err != nil {
		os.Stdout.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	if _, err := os.ReadDir(dir); err == nil && os.Getenv(sandbox.KernelEnv) != "off" {
		os.Stdout.WriteString("confined, yet the slot directory is readable\n")
	}
	os.Stdout.WriteString("held " + strconv.Itoa(s.Index) + "\n")
	time.Sleep(time.Minute)
	os.Exit(0)
}

func TestTakeAndRelease(t *testing.T) {
	dir := t.TempDir()
	a, err := Take(dir, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Take(dir, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Index == b.Index {
		t.Fatalf("two holders of slot %d", a.Index)
	}
	if _, err := Take(dir, 2, 0); !errors.Is(err, ErrBusy) {
		t.Fatalf("a third render of two slots: %v, want %v", err, ErrBusy)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	c, err := Take(dir, 2, 0)
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	if c.Index != a.Index {
		t.Errorf("took slot %d, want the released %d", c.Index, a.Index)
	}
	b.Release()
	c.Release()
}

// TestTakeWaits: a render waits for a slot freed during its wait, and gives up after it.
func TestTakeWaits(t *testing.T) {
	dir := t.TempDir()
	held, err := Take(dir, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Take(dir, 1, 150*time.Millisecond)
	if !errors.Is(err, ErrBusy) || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("after %s: %v, want %v after the whole wait", time.Since(start), err, ErrBusy)
	}
	if want := "sidecar busy: all 1 of its render slots stayed taken for 150ms"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	time.AfterFunc(100*time.Millisecond, func() { held.Release() })
	s, err := Take(dir, 1, time.Minute)
	if err != nil {
		t.Fatalf("a slot freed during the wait: %v", err)
	}
	s.Release()
}

// TestSlotOfADeadProcess: a slot held by a process that confined itself after taking it
// stays held (render takes it before it confines itself), and the kernel frees it when
// the process is killed.
func TestSlotOfADeadProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), holderEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "held 0\n" {
		t.Fatalf("the holder said %q", line)
	}
	if _, err := Take(dir, 1, 0); !errors.Is(err, ErrBusy) {
		t.Fatalf("the slot of a live, confined holder: %v, want %v", err, ErrBusy)
	}
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	s, err := Take(dir, 1, 0)
	if err != nil {
		t.Fatalf("the slot of a killed holder: %v", err)
	}
	s.Release()
}

func TestTakeErrors(t *testing.T) {
	if _, err := Take(t.TempDir(), 0, 0); err == nil {
		t.Error("zero slots: no error")
	}
	if _, err := Take("/nonexistent/slots", 1, 0); err == nil {
		t.Error("a missing directory: no error")
	}
}
