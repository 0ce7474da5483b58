package bound

import (
	"runtime"
	"testing"
	"time"
)

// TestWatchMemory: the watch fires once the heap holds more than its cap beyond where it
// began, and not while it holds less.
func TestWatchMemory(t *testing.T) {
	stop := make(chan struct{})
	over := watchMemory(64<<20, stop)
	small := make([][]byte, 0, 16)
	for i := 0; i < 16; i++ {
		small = append(small, make([]byte, 1<<20))
	}
	select {
	case <-over:
		t.Fatal("the watch fired for 16 MiB under a cap of 64 MiB")
	case <-time.After(50 * time.Millisecond):
	}
	var big [][]byte
	deadline := time.After(10 * time.Second)
	for fired := false; !fired; {
		big = append(big, make([]byte, 8<<20))
		select {
		case <-over:
			fired = true
		case <-deadline:
			t.Fatalf("the watch did not fire with %d MiB allocated", 8*len(big)+16)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if n := 8*len(big) + 16; n < 64 {
		t.Errorf("the watch fired with %d MiB allocated, under its cap", n)
	}
	close(stop)
	runtime.KeepAlive(small)
}
