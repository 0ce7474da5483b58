package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/manifest"
)

// AnnotationInternalRegistrySecret is where OpenShift (4.16 and later) names the managed
// pull secret of a ServiceAccount, the <sa>-dockercfg-* entry it adds back after every
// apply that drops it.
const AnnotationInternalRegistrySecret = "openshift.io/internal-registry-pull-secret-ref"

// generatedSuffix is the suffix Kubernetes' name generator gives OpenShift's dockercfg
// Secrets: five characters without vowels and look-alike digits.
const generatedSuffix = `-dockercfg-[bcdfghjklmnpqrstvwxz2456789]{5}$`

// runDiffLive is `pullgen diff [PATH...] --live FILE`: for every ServiceAccount the
// PullAccesses under the paths produce together, it tells which entries of the live object (from a
// `kubectl get sa -A -o yaml` dump, a List or a YAML stream) applying it would remove.
// Exit 0 when none would go, 1 when some would, 2 on errors.
func runDiffLive(specs []string, file string, quiet bool, std IO) int {
	live, err := readLive(file, std.Stdin)
	if err != nil {
		return fail(std, "diff: %v", err)
	}
	var jobs []job
	for _, spec := range specs {
		nodes, err := readPullAccesses(spec)
		if err != nil {
			return fail(std, "diff: %v", err)
		}
		for _, n := range nodes {
			// One cluster: every PullAccess found, with spec.output.dir or without (render
			// and kustomize), counts as applied to it, so one output holds them all.
			jobs = append(jobs, job{file: spec, node: n, dir: ".", keysOnly: true})
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
	managed := live.GetAnnotations()[AnnotationInternalRegistrySecret]
	pattern := regexp.MustCompile("^" + regexp.QuoteMeta(live.GetName()) + generatedSuffix)
	var gone []string
	for _, e := range manifest.PullSecretNames(live) {
		switch {
		case slices.Contains(want, e), slices.Contains(gone, e):
		case managed != "" && e == managed:
		case managed == "" && pattern.MatchString(e):
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
// stream whose documents are ServiceAccounts or Lists of them.
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
	var add func(n *yaml.RNode) error
	add = func(n *yaml.RNode) error {
		if strings.HasSuffix(n.GetKind(), "List") {
			items, err := n.Pipe(yaml.Lookup("items"))
			if err != nil || items == nil {
				return err
			}
			elems, err := items.Elements()
			if err != nil {
				return err
			}
			for _, e := range elems {
				if err := add(e); err != nil {
					return err
				}
			}
			return nil
		}
		if manifest.IsServiceAccount(n) {
			ns := n.GetNamespace()
			if ns == "" {
				ns = "default"
			}
			out[ns+"/"+n.GetName()] = n
		}
		return nil
	}
	for _, n := range nodes {
		if err := add(n); err != nil {
			return nil, fmt.Errorf("%s: reading %s items: %w", file, n.GetKind(), err)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no ServiceAccount (give `kubectl get serviceaccounts -A -o yaml`)", file)
	}
	return out, nil
}
