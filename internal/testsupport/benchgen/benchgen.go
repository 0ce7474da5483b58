// Package benchgen builds the large inputs the benchmarks run on: a ResourceList whose
// function config is a PullAccess over many namespaces, registries and ServiceAccounts,
// with many workloads among its items, and the check's corpus. The password comes from the
// BENCH_TOKEN variable. Only tests and benchmarks import it.
package benchgen

import (
	"fmt"
	"strings"
)

// TokenEnv is the environment variable the generated PullAccess reads its password from.
const TokenEnv = "BENCH_TOKEN"

// ResourceList returns a ResourceList (YAML) with a PullAccess over the given number of
// namespaces, registries and ServiceAccounts in plaintext mode, and `workloads`
// Deployments spread over the namespaces, each selected by spec.workloads.
func ResourceList(namespaces, registries, serviceAccounts, workloads int) string {
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n")
	b.WriteString("  apiVersion: pullgen.dev/v1alpha1\n  kind: PullAccess\n  metadata:\n    name: bench\n  spec:\n")
	b.WriteString("    namespaces:\n")
	for i := 0; i < namespaces; i++ {
		fmt.Fprintf(&b, "    - team-%04d\n", i)
	}
	b.WriteString("    registries:\n")
	for i := 0; i < registries; i++ {
		fmt.Fprintf(&b, "    - server: registry-%d.example.com/org\n      username: robot-%d\n      passwordFrom: {env: %s}\n", i, i, TokenEnv)
	}
	b.WriteString("    serviceAccounts:\n")
	for i := 0; i < serviceAccounts; i++ {
		fmt.Fprintf(&b, "    - sa-%d\n", i)
	}
	b.WriteString("    workloads: {kinds: [Deployment]}\n    output: {encrypt: false}\n    check: off\n")
	b.WriteString("items:\n")
	for i := 0; i < workloads; i++ {
		fmt.Fprintf(&b, `- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: app-%d
    namespace: team-%04d
  spec:
    template:
      spec:
        serviceAccountName: sa-%d
        containers:
        - name: app
          image: registry-%d.example.com/org/app-%d:1.0
`, i, i%namespaces, i%serviceAccounts, i%registries, i)
	}
	return b.String()
}

// Sizes of the check corpus: pull Secrets, registry keys per Secret and images per workload.
const (
	CheckSecrets = 200
	CheckKeys    = 3
	CheckImages  = 5
)

// checkAuth is the auth value of the check corpus's Secrets (robot:s3cr3t-pass).
const checkAuth = "cm9ib3Q6czNjcjN0LXBhc3M="

// checkDigest is the digest of one image per workload.
const checkDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// CheckManifests returns the input of the pull check's benchmarks: a PullAccess declaring
// the registries private, CheckSecrets pull Secrets of CheckKeys registry keys each, 20
// ServiceAccounts linking them, and n Deployments of CheckImages images each, half with
// their own imagePullSecrets and half through a ServiceAccount.
func CheckManifests(n int) string {
	var b strings.Builder
	b.Grow(n * 560)
	b.WriteString("apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: bench}\nspec:\n  registries:\n    - server: quay.io\n    - server: '*.example.com'\n")
	for i := 0; i < CheckSecrets; i++ {
		entries := make([]string, 0, CheckKeys)
		for _, k := range []string{
			fmt.Sprintf("quay.io/org%d", i),
			fmt.Sprintf("reg%d.example.com", i),
			fmt.Sprintf("https://mirror%d.example.net/v2/", i),
		} {
			entries = append(entries, `"`+k+`":{"auth":"`+checkAuth+`"}`)
		}
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Secret\nmetadata: {name: pull-%d, namespace: bench}\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{\"auths\":{%s}}'\n", i, strings.Join(entries, ","))
	}
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa-%d, namespace: bench}\nimagePullSecrets: [{name: pull-%d}, {name: pull-%d}]\n", i, i, i+100)
	}
	for i := 0; i < n; i++ {
		s := i % CheckSecrets
		fmt.Fprintf(&b, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app-%d, namespace: bench}\nspec:\n  template:\n    spec:\n", i)
		if i%2 == 0 {
			fmt.Fprintf(&b, "      imagePullSecrets: [{name: pull-%d}, {name: pull-%d}]\n", s, (s+1)%CheckSecrets)
		} else {
			fmt.Fprintf(&b, "      serviceAccountName: sa-%d\n", i%20)
		}
		b.WriteString("      containers:\n")
		images := []string{
			fmt.Sprintf("quay.io/org%d/app-%d:1.%d", s, i, i%7),
			fmt.Sprintf("reg%d.example.com/team/svc-%d@%s", (s+1)%CheckSecrets, i, checkDigest),
			fmt.Sprintf("mirror%d.example.net/lib/tool:%d", s, i%3),
			"nginx:1.27",
			fmt.Sprintf("ghcr.io/acme/sidecar:%d", i%10),
		}
		for j, img := range images[:CheckImages] {
			fmt.Fprintf(&b, "        - name: c%d\n          image: %s\n", j, img)
		}
	}
	return b.String()
}
