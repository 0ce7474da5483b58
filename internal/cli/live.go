package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
)

// runDiffLive is `pullgen diff [PATH...] --live FILE`: for every ServiceAccount the
// PullAccesses under the paths produce together, it tells which entries of the live object (from a
// `kubectl get sa -A -o yaml` dump, a List or a YAML stream) applying it would remove.
// Exit 0 when none would go, 1 when some would, 2 on errors.
func runDiffLive(specs []spec, file string, quiet bool, std IO) int {
	live, err := readLive(file, std.Stdin)
	if err != nil {
		return fail(std, "diff: %v", err)
	}
	var jobs []job
	for _, s := range specs {
		for _, n := range s.nodes {
			// One cluster: every PullAccess found, with spec.output.dir or without (render
			// and kustomize), counts as applied to it, so one output holds them all.
			jobs = append(jobs, job{file: s.file, node: n, dir: ".", keysOnly: true, tree: s.tree})
		}
	}
	outputs, ok := runJobs(jobs, std, true)
	if !ok {
		return ExitUsage
	}
	compared, losing := 0, 0
	for _, o := range outputs {
		for _, sa := range o.objects {
			if !manifest.IsServiceAccount(sa) {
				continue
			}
			cur, found := live[sa.GetNamespace()+"/"+sa.GetName()]
			if !found {
				continue
			}
			compared++
			if gone := removedEntries(sa, cur); len(gone) > 0 {
				losing++
				fmt.Fprintf(std.Stdout, "ServiceAccount %s/%s: applying removes %s (%s); list them in keep of spec.serviceAccounts to keep them\n",
					sa.GetNamespace(), sa.GetName(), strings.Join(gone, ", "), linkedBy(sa))
			}
		}
	}
	if !quiet {
		fmt.Fprintf(std.Stderr, "pullgen: %s compared with %s; %s would lose entries\n",
			count(compared, "ServiceAccount"), file, plural(losing, "ServiceAccount", "ServiceAccounts"))
	}
	if losing > 0 {
		return ExitFindings
	}
	return ExitOK
}

// removedEntries lists the entries of the live ServiceAccount that applying sa (its list
// replaces the live one whole) removes and that OpenShift does not add back: all but
// sa's own and OpenShift's managed one. The managed one is the entry the
// openshift.io/internal-registry-pull-secret-ref annotation names; without the annotation
// (OpenShift before 4.16, which also re-adds it) every <sa>-dockercfg-xxxxx entry.
func removedEntries(sa, live *yaml.RNode) []string {
	want := manifest.PullSecretNames(sa)
	managed := live.GetAnnotations()[manifest.AnnotationInternalRegistrySecret]
	var gone []string
	for _, e := range manifest.PullSecretNames(live) {
		switch {
		case slices.Contains(want, e), slices.Contains(gone, e):
		case managed != "" && e == managed:
		case managed == "" && manifest.IsOpenShiftDockercfg(live.GetName(), e):
		default:
			gone = append(gone, e)
		}
	}
	return gone
}

// linkedBy names the PullAccesses that link a ServiceAccount.
func linkedBy(sa *yaml.RNode) string {
	owners := manifest.LinksOf(sa).Owners()
	if strings.Contains(owners, ",") {
		return "linked by PullAccesses " + strings.ReplaceAll(owners, ",", ", ")
	}
	return "linked by PullAccess " + owners
}

// readLive reads the ServiceAccounts of a dump (- for r), by namespace/name: a YAML or JSON
// stream of ServiceAccounts and Lists of them (kio unwraps Lists).
func readLive(file string, r io.Reader) (map[string]*yaml.RNode, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(r)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil, fmt.Errorf("%s: parsing YAML: %w", file, err)
	}
	out := map[string]*yaml.RNode{}
	for _, n := range nodes {
		if manifest.IsServiceAccount(n) {
			ns := n.GetNamespace()
			if ns == "" {
				ns = "default"
			}
			out[ns+"/"+n.GetName()] = n
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no ServiceAccount (give `kubectl get serviceaccounts -A -o yaml`)", file)
	}
	return out, nil
}
