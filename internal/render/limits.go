package render

import (
	"fmt"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/yamlcap"
)

// Limits bound the work of one render, so that a hostile repository ends with an error
// instead of the repo server's memory or time. A zero field means no cap.
type Limits struct {
	// FileBytes caps one file; TotalBytes all the files read.
	FileBytes, TotalBytes int64
	// Documents caps the YAML documents of all the files read (each object is one, and
	// kustomize's time grows with the square of their number); Nodes their YAML nodes,
	// every alias expanded.
	Documents, Nodes int
	// Depth caps the nesting of any YAML document.
	Depth int
	// Recipients and Stanzas cap the SOPS master keys of one encrypted document and the
	// age stanzas of their encrypted data keys.
	Recipients, Stanzas int
	// Namespaces caps the namespaces of one PullAccess.
	Namespaces int
	// Timeout caps the wall time of the render.
	Timeout time.Duration
}

// DefaultLimits are render's caps unless the operator changes them: far above what an
// application needs, and low enough that the repo server stays within a few seconds and a
// few hundred megabytes per render.
func DefaultLimits() Limits {
	return Limits{
		FileBytes:  16 << 20,
		TotalBytes: 64 << 20,
		Documents:  2000,
		Nodes:      500_000,
		Depth:      100,
		Recipients: 100,
		Stanzas:    200,
		Namespaces: 10_000,
		Timeout:    60 * time.Second,
	}
}

// yaml are the caps that apply to each file.
func (l Limits) yaml() yamlcap.Limits {
	return yamlcap.Limits{Nodes: l.Nodes, Depth: l.Depth, Documents: l.Documents, Recipients: l.Recipients, Stanzas: l.Stanzas}
}

// namespaceCount checks spec.namespaces of a PullAccess against the cap before anything
// expands it into objects.
func (l Limits) namespaceCount(config *yaml.RNode) error {
	ns, err := config.Pipe(yaml.Lookup("spec", "namespaces"))
	if err != nil || ns == nil || l.Namespaces <= 0 {
		return nil
	}
	if n := len(ns.Content()); n > l.Namespaces {
		return fmt.Errorf("spec.namespaces: %d namespaces, more than the %d a PullAccess may have (--max-namespaces)", n, l.Namespaces)
	}
	return nil
}
