package online

import (
	"context"
	"fmt"
	"testing"
	"time"

	"pullgen.dev/pullgen/internal/testsupport/registrytest"
)

// BenchmarkVerify200Images5Registries verifies 200 images (10 repositories of 4 tags on
// each of 5 registries: 4 with htpasswd, 1 with token authentication) with the default
// concurrency, each registry behind a proxy that adds 50 ms to every request. One op is
// one whole run with fresh caches; the target is under 2 s (ms/run).
func BenchmarkVerify200Images5Registries(b *testing.B) {
	const delay = 50 * time.Millisecond
	ts := registrytest.NewTokenServer(b)
	ts.Grant(pusher, "pull,push", "*")
	ts.Grant(robot, "pull", "*")
	var probes []Probe
	var insecure []string
	var fronts []*registrytest.Front
	for r := range 5 {
		var reg *registrytest.Registry
		if r == 0 {
			reg = registrytest.StartToken(b, ts)
		} else {
			reg = registrytest.StartHtpasswd(b, pusher, robot)
		}
		front := registrytest.NewFront(b, reg.Host, delay)
		fronts = append(fronts, front)
		insecure = append(insecure, front.Host)
		for repo := range 10 {
			for tag := range 4 {
				registrytest.Push(b, fmt.Sprintf("%s/team/app%d:%d", reg.Host, repo, tag), pusher, nil)
				probes = append(probes, Probe{
					Image:       fmt.Sprintf("%s/team/app%d:%d", front.Host, repo, tag),
					Credentials: []Credential{cred("pull (reg)", robot)},
				})
			}
		}
	}
	b.ResetTimer()
	var runs int
	var took time.Duration
	for b.Loop() {
		start := time.Now()
		res := Verify(context.Background(), probes, Options{Insecure: insecure})
		took += time.Since(start)
		runs++
		for _, r := range res {
			if r.Outcome != Verified {
				b.Fatalf("%s: %s %s", r.Reference, r.Outcome, r.Reason)
			}
		}
	}
	b.StopTimer()
	total := 0
	for _, f := range fronts {
		n, _ := f.Requests()
		total += n
	}
	b.ReportMetric(float64(took.Milliseconds())/float64(runs), "ms/run")
	b.ReportMetric(float64(total)/float64(runs), "registry-requests/run")
	b.ReportMetric(float64(len(probes)), "images")
}
