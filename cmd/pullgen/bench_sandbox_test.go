package main

import (
	"testing"
	"time"
)

// BenchmarkRenderConfinement: what the kernel confinement (Landlock and seccomp) adds to a
// one-namespace `pullgen render` (the repository of BenchmarkRenderColdStart): renders
// with the kernel layer and without it (PULLGEN_KERNEL_SANDBOX=off) alternate, and the
// means of wall time and the peaks of resident memory are reported for both, with their
// differences. (The confinement call alone: BenchmarkConfine in internal/argocd/sandbox.)
func BenchmarkRenderConfinement(b *testing.B) {
	repo, env := benchRenderRepo(b, 1, 1)
	off := append(env[:len(env):len(env)], "PULLGEN_KERNEL_SANDBOX=off")
	var wallOn, wallOff time.Duration
	var rssOn, rssOff int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var on, free benchRunStat
		if i%2 == 0 { // alternate which goes first, so that neither gets the warmer machine
			on, free = benchRun(b, repo, env, pullgen(), "render", "."), benchRun(b, repo, off, pullgen(), "render", ".")
		} else {
			free, on = benchRun(b, repo, off, pullgen(), "render", "."), benchRun(b, repo, env, pullgen(), "render", ".")
		}
		if on.stdout != free.stdout {
			b.Fatalf("the output differs with the kernel layer")
		}
		wallOn, wallOff = wallOn+on.wall, wallOff+free.wall
		rssOn, rssOff = max(rssOn, on.rssKB), max(rssOff, free.rssKB)
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 / float64(b.N) }
	b.ReportMetric(ms(wallOn), "confined-wall-ms")
	b.ReportMetric(ms(wallOff), "unconfined-wall-ms")
	b.ReportMetric(ms(wallOn-wallOff), "added-wall-ms")
	b.ReportMetric(float64(rssOn)/1024, "confined-peak-RSS-MB")
	b.ReportMetric(float64(rssOff)/1024, "unconfined-peak-RSS-MB")
	b.ReportMetric(float64(rssOn-rssOff)/1024, "added-RSS-MB")
}
