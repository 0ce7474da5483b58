package drift

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

// Removed lists the entries of the live ServiceAccount that applying sa (its list
// replaces the live one whole) removes and that OpenShift does not add back: all but
// sa's own and OpenShift's managed one. The managed one is the entry the
// openshift.io/internal-registry-pull-secret-ref annotation names; without the annotation
// (OpenShift before 4.16, which also re-adds it) every <sa>-dockercfg-xxxxx entry.
func Removed(sa, live *yaml.RNode) []string {
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

// LinkedBy names the PullAccesses that link a ServiceAccount.
func LinkedBy(sa *yaml.RNode) string {
	owners := manifest.LinksOf(sa).Owners()
	if strings.Contains(owners, ",") {
		return "linked by PullAccesses " + strings.ReplaceAll(owners, ",", ", ")
	}
	return "linked by PullAccess " + owners
}

// ReadLive reads the ServiceAccounts of a dump (- for r), by namespace/name: a YAML or JSON
// stream of ServiceAccounts and Lists of them (kio unwraps Lists).
func ReadLive(file string, r io.Reader) (map[string]*yaml.RNode, error) {
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
