// Package benchgen builds the large inputs the benchmarks run on: a ResourceList whose
// function config is a PullAccess over many namespaces, registries and ServiceAccounts,
// with many workloads among its items. The password comes from the BENCH_TOKEN variable.
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
