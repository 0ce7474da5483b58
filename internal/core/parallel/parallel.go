// Package parallel runs independent pieces of work on every core. The work must not depend
// on its order: results are kept by index, so output stays deterministic.
package parallel

import (
	"runtime"
	"sync"
)

// Each calls f(i) for every i in [0, n), spread over GOMAXPROCS goroutines, and returns
// when all calls have. f must only touch what belongs to index i.
func Each(n int, f func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers > n {
		workers = n
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				f(i)
			}
		}(w)
	}
	wg.Wait()
}
