package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"pullgen.dev/pullgen/internal/benchgen"
)

// BenchmarkProcess500 runs the pullgen binary as kustomize or kpt would, over a
// ResourceList with 500 namespaces, 3 registries, 2 ServiceAccounts and 2,000 workloads,
// and reports the whole process's wall time and peak resident memory (MB).
func BenchmarkProcess500(b *testing.B) {
	input := benchgen.ResourceList(500, 3, 2, 2000)
	var peak int64
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(pullgen())
		cmd.Env = append(os.Environ(), benchgen.TokenEnv+"=bench-token")
		cmd.Stdin = strings.NewReader(input)
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		if n := strings.Count(out.String(), "kind: Secret"); n != 500 {
			b.Fatalf("%d Secrets, want 500", n)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > peak {
			peak = ru.Maxrss
		}
	}
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
}
