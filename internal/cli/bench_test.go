package cli

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/benchgen"
)

// BenchmarkFunctionMode runs the KRM function mode in process, from the ResourceList bytes
// to the output bytes, over 500 namespaces and 2,000 workloads.
func BenchmarkFunctionMode(b *testing.B) {
	input := benchgen.ResourceList(500, 3, 2, 2000)
	os.Setenv(benchgen.TokenEnv, "bench-token")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var out bytes.Buffer
		code := Main(nil, IO{Stdin: strings.NewReader(input), Stdout: &out, Stderr: io.Discard})
		if code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
