package render

import (
	"fmt"
	"strings"
	"time"

	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/fn"
	"pullgen.dev/pullgen/internal/untrusted/bound"
	"pullgen.dev/pullgen/internal/untrusted/yamlcap"
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
	// Depth caps the nesting of any YAML document; Keys the keys of any one mapping
	// (kustomize's time grows with the square of a mapping's width).
	Depth, Keys int
	// Recipients and Stanzas cap the SOPS master keys of one encrypted document and the
	// age stanzas of their encrypted data keys.
	Recipients, Stanzas int
	// Namespaces caps the namespaces of one PullAccess.
	Namespaces int
	// Work caps the transformations of a render times the objects they apply to: kustomize
	// visits every object once per label, annotation, patch, replacement, image or other
	// transformation (tens of microseconds each, far more for a patch).
	Work int
	// WidePatches caps the patches whose target selects objects by kind, label or pattern
	// rather than by name (kustomize applies each to every object it selects, about a
	// millisecond each).
	WidePatches int
	// Builds caps the kustomize builds of one render (one per PullAccess transformer and
	// per generator directory, and the last).
	Builds int
	// KustomizationDepth caps the nesting of kustomizations; Kustomizations the
	// kustomizations kustomize loads to build one, and References the files and
	// directories they name, counting each as often as it is named (graph).
	KustomizationDepth, Kustomizations, References int
	// ReplacementBytes caps what the replacements of a build may walk: their target field
	// paths times the bytes (and the nodes within values) of the objects they may visit
	// (graph).
	ReplacementBytes int64
	// Timeout caps the wall time of the render.
	Timeout time.Duration
	// Memory caps the memory the render allocates (the Go heap's objects beyond what the
	// process held when the render began), whatever allocates it: the other caps bound
	// what is read, this one what kustomize's transformations or a PullAccess make of it
	// (a JSON patch that copies a value into itself, namespaces times registry keys).
	Memory int64
}

// DefaultLimits are render's caps unless the operator changes them: far above what an
// application needs, and low enough that the repo server stays within a few seconds and a
// few hundred megabytes per render.
func DefaultLimits() Limits {
	y := yamlcap.Defaults()
	return Limits{
		FileBytes:   16 << 20,
		TotalBytes:  64 << 20,
		Documents:   2000,
		Nodes:       y.Nodes,
		Depth:       y.Depth,
		Keys:        y.Keys,
		Recipients:  y.Recipients,
		Stanzas:     y.Stanzas,
		Namespaces:  fn.MaxNamespaces,
		Builds:      32,
		WidePatches: 10,
		Work:        100_000,
		Timeout:     60 * time.Second,
		Memory:      bound.DefaultMemory,

		KustomizationDepth: 32,
		Kustomizations:     1000,
		References:         10_000,
		ReplacementBytes:   128 << 20,
	}
}

// breadth caps the sum of the squares of the widths of the mappings read: three mappings
// as wide as a mapping may be (kustomize spends about a second on one).
func (l Limits) breadth() int { return 3 * l.Keys * l.Keys }

// yaml are the caps that apply to each file.
func (l Limits) yaml() yamlcap.Limits {
	return yamlcap.Limits{Nodes: l.Nodes, Bytes: int(l.TotalBytes), Keys: l.Keys, Breadth: l.breadth(), Depth: l.Depth, Documents: l.Documents, Recipients: l.Recipients, Stanzas: l.Stanzas}
}

// run are the caps of the whole render's wall time and memory.
func (l Limits) run() bound.Limits { return bound.Limits{Timeout: l.Timeout, Memory: l.Memory} }

// timeoutError and memoryError say which of those caps ran out, naming its flag.
func (l Limits) timeoutError() error {
	return fmt.Errorf("render %w (%s, --timeout)", bound.ErrTimeout, l.Timeout)
}
func (l Limits) memoryError() error {
	return fmt.Errorf("render %w (%d bytes, --max-memory)", bound.ErrMemory, l.Memory)
}

// namespaceCount checks the length of a decoded PullAccess's spec.namespaces
// against the cap before anything expands it into objects.
func (l Limits) namespaceCount(n int) error {
	if l.Namespaces <= 0 {
		return nil
	}
	if n > l.Namespaces {
		return fmt.Errorf("spec.namespaces: %d namespaces, more than the %d a PullAccess may have (--max-namespaces)", n, l.Namespaces)
	}
	if l.Documents > 0 && n > l.Documents {
		// Each namespace makes at least one object.
		return fmt.Errorf("spec.namespaces: %d namespaces make more than the %d objects a render may build (--max-documents)", n, l.Documents)
	}
	return nil
}

// buildSize checks what a build holds against the total size cap before anything writes
// it out: transformations (a replacement with many targets, a patch) can copy a long value
// many times without parsing anything new.
func (l Limits) buildSize(m resmap.ResMap) error {
	if l.TotalBytes <= 0 {
		return nil
	}
	total := int64(0)
	var walk func(n *yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		total += int64(len(n.Value)) + 1
		if total > l.TotalBytes {
			return false
		}
		for _, c := range n.Content {
			if !walk(c) {
				return false
			}
		}
		return true
	}
	for _, r := range m.Resources() {
		if !walk(r.YNode()) {
			return fmt.Errorf("the build holds more than %d bytes (--max-total-size)", l.TotalBytes)
		}
	}
	return nil
}

// wideTarget tells whether a patch target may select more than one object: it names no
// object, or names them with a regular expression.
func wideTarget(name string) bool {
	return name == "" || strings.ContainsAny(name, `*+?[](){}|^$\`)
}

// transformations is how many times kustomize visits every object for a kustomization's
// own fields: once per label or annotation it sets, per patch, replacement, image,
// replica count or variable, and per name or namespace change (its generators and
// transformers count as render reads their configurations).
func transformations(k *types.Kustomization) int {
	n := len(k.CommonLabels) + len(k.CommonAnnotations) + len(k.Images) + len(k.Replicas) + len(k.Replacements) +
		len(k.Patches) + len(k.PatchesJson6902) + len(k.PatchesStrategicMerge) + len(k.Vars)
	for _, l := range k.Labels {
		n += len(l.Pairs)
	}
	for _, s := range []string{k.NamePrefix, k.NameSuffix, k.Namespace} {
		if s != "" {
			n++
		}
	}
	return n
}
