package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pullgen.dev/pullgen/internal/testsupport/sealedtest"
)

// BenchmarkSeal500Namespaces: `pullgen generate SPEC -o DIR` sealing the Secrets of 500
// namespaces (3 registries, no ServiceAccounts) into SealedSecrets for a controller's
// 4096-bit certificate (the controller's own key size), with its seed file, the whole
// process, against the SOPS path of BenchmarkEncrypt500Namespaces (the same spec encrypted
// for 2 age recipients, every Secret anew). The target: sealing within twice the SOPS
// path's time (x-sops at most 2). The floor of each path is internal/core/sealed
// BenchmarkSeal500Namespaces.
func BenchmarkSeal500Namespaces(b *testing.B) {
	const namespaces = 500
	key, r1 := benchAgeKey(b)
	_, r2 := benchAgeKey(b)
	dir := b.TempDir()
	writeFile(b, filepath.Join(dir, "cert.pem"), string(sealedtest.ControllerKeyPair(b).CertPEM()))
	env := []string{"BENCH_TOKEN=bench-token", "SOPS_AGE_KEY_FILE=" + key, "SOPS_AGE_KEY=", "HOME=" + b.TempDir(), "XDG_CONFIG_HOME=" + b.TempDir()}
	nss := benchNamespaces("team", namespaces)
	sops := "  sops:\n    age: [" + r1 + ", " + r2 + "]\n"
	writeFile(b, filepath.Join(dir, "sops.yaml"), benchSpec("acme", nss, 3, "BENCH_TOKEN", "", sops))
	writeFile(b, filepath.Join(dir, "sealed.yaml"), benchSpec("acme", nss, 3, "BENCH_TOKEN", "", sops+"  output:\n    sealed:\n      certificate: {file: cert.pem}\n"))
	// The first run makes the seed file, as a user's first generate does.
	benchRun(b, dir, env, pullgen(), "generate", "--quiet", "sealed.yaml", "-o", "first")

	var sopsWall, sealedWall, sealedCPU time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := benchRun(b, dir, env, pullgen(), "generate", "--quiet", "sealed.yaml", "-o", fmt.Sprintf("sealed-%d", i))
		sealedWall += st.wall
		sealedCPU += st.cpu
		sopsWall += benchRun(b, dir, env, pullgen(), "generate", "--quiet", "sops.yaml", "-o", fmt.Sprintf("sops-%d", i)).wall

		b.StopTimer()
		if n := benchCountSealed(b, filepath.Join(dir, fmt.Sprintf("sealed-%d", i))); n != namespaces {
			b.Fatalf("pullgen generate wrote %d SealedSecrets, want %d", n, namespaces)
		}
		if n := benchCountEncrypted(b, filepath.Join(dir, fmt.Sprintf("sops-%d", i)), "secret-*.yaml"); n != namespaces {
			b.Fatalf("pullgen generate wrote %d encrypted Secrets, want %d", n, namespaces)
		}
		os.RemoveAll(filepath.Join(dir, fmt.Sprintf("sealed-%d", i)))
		os.RemoveAll(filepath.Join(dir, fmt.Sprintf("sops-%d", i)))
		b.StartTimer()
	}
	sealed, sopsS := sealedWall.Seconds()/float64(b.N), sopsWall.Seconds()/float64(b.N)
	b.ReportMetric(sealed, "sealed-s")
	b.ReportMetric(sealedCPU.Seconds()/float64(b.N), "sealed-cpu-s")
	b.ReportMetric(sopsS, "sops-s")
	b.ReportMetric(sealed/sopsS, "x-sops")
}

// benchCountSealed counts the SealedSecret files of dir.
func benchCountSealed(b testing.TB, dir string) int {
	b.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "sealedsecret-*.yaml"))
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if s := string(data); strings.Contains(s, "kind: SealedSecret") && strings.Contains(s, "encryptedData:\n    .dockerconfigjson: Ag") {
			n++
		}
	}
	return n
}
