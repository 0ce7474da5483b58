package pullcheck

import (
	"fmt"
	"testing"

	"pullgen.dev/pullgen/internal/testsupport/benchgen"
)

// BenchmarkAnalyze measures Analyze over parsed manifests (parsing excluded).
func BenchmarkAnalyze(b *testing.B) {
	for _, n := range []int{1000, 5000, 10000} {
		objs, err := ParseManifests([]byte(benchgen.CheckManifests(n)), "bench.yaml")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var fs []Finding
			for b.Loop() {
				fs = Analyze(objs, Options{})
			}
			if got := Summarize(fs).Images; got != n*benchgen.CheckImages {
				b.Fatalf("images %d, want %d", got, n*benchgen.CheckImages)
			}
		})
	}
}

// BenchmarkParseManifests measures reading the same input from YAML, for comparison.
func BenchmarkParseManifests(b *testing.B) {
	data := []byte(benchgen.CheckManifests(10000))
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseManifests(data, "bench.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}
