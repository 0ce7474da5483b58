// Package bound holds a run that reads untrusted input to a bound, and what it says about
// that input: Run stops waiting for a function once its wall time or the memory it
// allocates runs out, and Message and Excerpt keep an error message to a short excerpt of
// the input, fit for a log line (Argo CD keeps render's in an Application's status). Render
// and the function mode run through it, and every error they print is bounded by it.
//
// It knows nothing of kustomize, PullAccess or SOPS, and must not: its callers say what
// their caps are and name them in their own messages.
package bound

import (
	"errors"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Limits bound one run. A zero field means no cap.
type Limits struct {
	// Timeout caps the wall time of the run.
	Timeout time.Duration
	// Memory caps the memory the run allocates (the Go heap's objects beyond what the
	// process held when the run began), whatever allocates it.
	Memory int64
}

// DefaultMemory is the memory one render may allocate unless the operator says otherwise;
// the function mode allows a multiple of it.
const DefaultMemory = 768 << 20

// ErrTimeout and ErrMemory are what Run returns when the wall time or the memory of its
// Limits runs out; callers wrap them with the cap and the flag that sets it.
var (
	ErrTimeout = errors.New("ran out of time")
	ErrMemory  = errors.New("allocated more memory than its cap")
)

// Run runs f in a goroutine of its own and returns what it returns, unless the wall time or
// the memory of l runs out first: then it returns at once with ErrTimeout or ErrMemory, and
// f runs on until the process ends, so call it from a command that ends on an error.
func Run[T any](l Limits, f func() (T, error)) (T, error) {
	type result struct {
		out T
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := f()
		done <- result{out, err}
	}()
	var timeout <-chan time.Time
	if l.Timeout > 0 {
		timeout = time.After(l.Timeout)
	}
	var overMemory <-chan struct{}
	if l.Memory > 0 {
		stop := make(chan struct{})
		defer close(stop)
		overMemory = watchMemory(l.Memory, stop)
	}
	var none T
	select {
	case r := <-done:
		return r.out, r.err
	case <-timeout:
		return none, ErrTimeout
	case <-overMemory:
		return none, ErrMemory
	}
}

// watchMemory watches the Go heap from now until stop is closed: the returned channel is
// closed once the heap's objects take more than max bytes beyond what they took when the
// watch began. Meanwhile the runtime's soft memory limit is set just above that, so that
// the garbage collector frees what it can before the watch counts it.
func watchMemory(max int64, stop <-chan struct{}) <-chan struct{} {
	over := make(chan struct{})
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
	metrics.Read(samples)
	base := int64(samples[0].Value.Uint64())
	previous := debug.SetMemoryLimit(int64(samples[1].Value.Uint64()) + max)
	sample := samples[:1] // the heap's objects
	go func() {
		defer debug.SetMemoryLimit(previous)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if metrics.Read(sample); int64(sample[0].Value.Uint64())-base > max {
					close(over)
					return
				}
			}
		}
	}()
	return over
}
