package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkRenderInLargeRepository (issue 9): render reads only the files a build names, so
// one small application (one committed encrypted Secret and one PullAccess) costs the same
// in a repository of 100,000 unrelated files (YAML, and links among them) as in a repository
// of its own. Reported: wall time, CPU time and peak memory of each, and their ratios
// (large/own; the target is at most 1.5).
func BenchmarkRenderInLargeRepository(b *testing.B) {
	app, env := benchRenderRepo(b, 1, 1)
	own := b.TempDir()
	benchCopyTree(b, app, filepath.Join(own, "app"))
	large := largeRepository(b)
	os.RemoveAll(filepath.Join(large, "app"))
	benchCopyTree(b, app, filepath.Join(large, "app"))
	env = append(env, "ARGOCD_APP_SOURCE_PATH=app")
	measure := func(repo string) (wall, cpu time.Duration, peakKB int64) {
		for i := 0; i < b.N; i++ {
			st := benchRun(b, filepath.Join(repo, "app"), env, pullgen(), "render")
			if !strings.Contains(st.stdout, "kind: Secret") || strings.Contains(st.stdout, "ENC[") {
				b.Fatalf("render gave:\n%s", st.stdout)
			}
			wall, cpu, peakKB = wall+st.wall, cpu+st.cpu, max(peakKB, st.rssKB)
		}
		return wall, cpu, peakKB
	}
	b.ResetTimer()
	ownWall, ownCPU, ownPeak := measure(own)
	largeWall, largeCPU, largePeak := measure(large)
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(ownWall.Microseconds())/1e3/n, "own-wall-ms")
	b.ReportMetric(float64(largeWall.Microseconds())/1e3/n, "large-wall-ms")
	b.ReportMetric(float64(ownCPU.Microseconds())/1e3/n, "own-cpu-ms")
	b.ReportMetric(float64(largeCPU.Microseconds())/1e3/n, "large-cpu-ms")
	b.ReportMetric(float64(ownPeak)/1024, "own-peak-RSS-MB")
	b.ReportMetric(float64(largePeak)/1024, "large-peak-RSS-MB")
	b.ReportMetric(largeCPU.Seconds()/ownCPU.Seconds(), "cpu-ratio")
	b.ReportMetric(largeWall.Seconds()/ownWall.Seconds(), "wall-ratio")
	b.ReportMetric(float64(largePeak)/float64(ownPeak), "memory-ratio")
}

var (
	largeOnce sync.Once
	largeDir  string
)

// largeRepository is a repository of 100,000 unrelated files (YAML, and links among them),
// made once for every round of the benchmark, under the tests' temporary directory.
func largeRepository(b *testing.B) string {
	largeOnce.Do(func() {
		largeDir = filepath.Join(binDir, "large-repository")
		for d := 0; d < 100; d++ {
			dir := filepath.Join(largeDir, "other", fmt.Sprintf("team-%02d", d))
			for f := 0; f < 1000; f++ {
				name := filepath.Join(dir, fmt.Sprintf("cm-%03d.yaml", f))
				if f%100 == 99 {
					if err := os.Symlink(fmt.Sprintf("cm-%03d.yaml", f-1), name); err != nil {
						b.Fatal(err)
					}
					continue
				}
				writeFile(b, name, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%d-%d}\ndata: {a: b}\n", d, f))
			}
		}
	})
	return largeDir
}

// benchCopyTree copies the regular files of a directory tree.
func benchCopyTree(b *testing.B, src, dst string) {
	b.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		writeFile(b, filepath.Join(dst, rel), string(data))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
