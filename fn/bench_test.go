package fn

import (
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"

	"pullgen.dev/pullgen/internal/testsupport/benchgen"
)

// BenchmarkRun measures one run over 100, 500 and 2,000 namespaces (3 registries, 2
// ServiceAccounts each, 4 workloads per namespace: 2,000 workloads at 500), in plaintext
// mode, from parsed input to output items; ns/namespace must stay flat as the count grows.
func BenchmarkRun(b *testing.B) {
	for _, n := range []int{100, 500, 2000} {
		b.Run(fmt.Sprintf("namespaces=%d", n), func(b *testing.B) {
			rl := benchgen.ResourceList(n, 3, 2, 4*n)
			opts := Options{Sources: Sources{BaseDir: ".", LookupEnv: func(string) (string, bool) { return "bench-token", true }}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rw := &kio.ByteReadWriter{Reader: strings.NewReader(rl)}
				items, err := rw.Read()
				if err != nil {
					b.Fatal(err)
				}
				out, results := Run(rw.FunctionConfig, items, opts)
				if results.ExitCode() != 0 || len(out) != 4*n+n*(1+2) {
					b.Fatalf("%d items, results %v", len(out), results)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/namespace")
		})
	}
}
