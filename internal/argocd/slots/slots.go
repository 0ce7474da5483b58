// Package slots shares one Argo CD sidecar's memory among the pullgen processes that run
// in it at once. argocd-cmp-server starts a process for every request, and the repo server
// sends as many as Argo CD refreshes at once, so a cap per render does not bound the
// container: the slots do. Each render takes one of a few slots (an exclusive lock on one
// of the files of a directory the container owns) before it reads anything, waits a
// bounded time for one, and is refused with ErrBusy when none frees up; each admitted
// render gets its share of the budget as its own memory cap (Plan).
//
// A slot is an flock(2) on an open file: it is held as long as the process keeps the
// descriptor open, across its confinement (Landlock governs opening files, not the
// descriptors a process already holds), and the kernel releases it when the process
// ends, however it ends (an error, SIGKILL, the OOM killer): no slot is ever left taken by
// a process that is gone, and nothing has to clean the directory up.
package slots

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrBusy is the cause (errors.Is) when every slot stayed taken for the whole wait.
var ErrBusy = errors.New("sidecar busy")

// Slot is a slot held by this process.
type Slot struct {
	// Index is the slot's number, from 0.
	Index int
	f     *os.File
}

// fileName is the lock file of slot i in dir.
func fileName(dir string, i int) string {
	return filepath.Join(dir, fmt.Sprintf("slot-%d.lock", i))
}

// Take takes one of the n slots of dir, waiting at most wait for one to be free (0: one
// try). dir must exist; its lock files are created as needed. The error wraps ErrBusy
// when all n stayed taken.
func Take(dir string, n int, wait time.Duration) (*Slot, error) {
	if n < 1 {
		return nil, fmt.Errorf("taking a slot of %s: %d slots", dir, n)
	}
	files := make([]*os.File, n)
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	for i := range files {
		f, err := os.OpenFile(fileName(dir, i), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("opening the slots of the sidecar: %w", err)
		}
		files[i] = f
	}
	deadline := time.Now().Add(wait)
	pause := 2 * time.Millisecond
	for {
		// From a random slot on, so that waiting processes do not all try the same one.
		first := rand.IntN(n)
		for k := range n {
			i := (first + k) % n
			err := syscall.Flock(int(files[i].Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
			switch {
			case err == nil:
				s := &Slot{Index: i, f: files[i]}
				files[i] = nil // kept open: the lock lives as long as the descriptor
				return s, nil
			case !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR):
				return nil, fmt.Errorf("locking %s: %w", files[i].Name(), err)
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, fmt.Errorf("%w: all %d of its render slots stayed taken for %s", ErrBusy, n, wait)
		}
		// Polled, with jitter: flock has no timeout, and a blocked flock cannot be
		// interrupted without a signal.
		sleep := min(pause/2+rand.N(pause), left)
		time.Sleep(sleep)
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// Release gives the slot back. The process's end releases it too.
func (s *Slot) Release() error {
	if s == nil || s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
