package pullcheck

import (
	"fmt"
	"strings"
	"testing"
)

const (
	benchSecrets = 200
	benchKeys    = 3
	benchImages  = 5
)

// benchManifests writes n Deployments with 5 images each, 200 pull secrets of 3 registry
// keys each, ServiceAccounts linking them, and a PullAccess declaring the registries private.
func benchManifests(n int) string {
	var b strings.Builder
	b.WriteString("apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: bench}\nspec:\n  registries:\n    - server: quay.io\n    - server: '*.example.com'\n")
	for i := 0; i < benchSecrets; i++ {
		entries := make([]string, 0, benchKeys)
		for _, k := range []string{
			fmt.Sprintf("quay.io/org%d", i),
			fmt.Sprintf("reg%d.example.com", i),
			fmt.Sprintf("https://mirror%d.example.net/v2/", i),
		} {
			entries = append(entries, `"`+k+`":{"auth":"`+testAuth+`"}`)
		}
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Secret\nmetadata: {name: pull-%d, namespace: bench}\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{\"auths\":{%s}}'\n", i, strings.Join(entries, ","))
	}
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa-%d, namespace: bench}\nimagePullSecrets: [{name: pull-%d}, {name: pull-%d}]\n", i, i, i+100)
	}
	for i := 0; i < n; i++ {
		s := i % benchSecrets
		fmt.Fprintf(&b, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app-%d, namespace: bench}\nspec:\n  template:\n    spec:\n", i)
		if i%2 == 0 {
			fmt.Fprintf(&b, "      imagePullSecrets: [{name: pull-%d}, {name: pull-%d}]\n", s, (s+1)%benchSecrets)
		} else {
			fmt.Fprintf(&b, "      serviceAccountName: sa-%d\n", i%20)
		}
		b.WriteString("      containers:\n")
		images := []string{
			fmt.Sprintf("quay.io/org%d/app-%d:1.%d", s, i, i%7),
			fmt.Sprintf("reg%d.example.com/team/svc-%d@%s", (s+1)%benchSecrets, i, digest),
			fmt.Sprintf("mirror%d.example.net/lib/tool:%d", s, i%3),
			"nginx:1.27",
			fmt.Sprintf("ghcr.io/acme/sidecar:%d", i%10),
		}
		for j, img := range images[:benchImages] {
			fmt.Fprintf(&b, "        - name: c%d\n          image: %s\n", j, img)
		}
	}
	return b.String()
}

// BenchmarkAnalyze measures Analyze over parsed manifests (parsing excluded).
func BenchmarkAnalyze(b *testing.B) {
	for _, n := range []int{1000, 5000, 10000} {
		objs, err := ParseManifests([]byte(benchManifests(n)), "bench.yaml")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var fs []Finding
			for b.Loop() {
				fs = Analyze(objs, Options{})
			}
			if got := Summarize(fs).Images; got != n*benchImages {
				b.Fatalf("images %d, want %d", got, n*benchImages)
			}
		})
	}
}

// BenchmarkParseManifests measures reading the same input from YAML, for comparison.
func BenchmarkParseManifests(b *testing.B) {
	data := []byte(benchManifests(10000))
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseManifests(data, "bench.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}
