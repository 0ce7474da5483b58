package krm

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/fn"
	"pullgen.dev/pullgen/internal/core/parallel"
	"pullgen.dev/pullgen/internal/untrusted/bound"
)

// functionOptions are the options of the KRM function and legacy plugin modes: relative
// paths resolve against kpt's package path when kpt gives one, else against the working
// directory, which kustomize sets to the kustomization's root.
func functionOptions() fn.Options {
	return fn.Options{Sources: fn.Sources{AllowHelpers: true}}
}

// Run runs the PullAccess config over items, within a cap on the memory it
// allocates (four times render's, as the function's input caps are): a PullAccess writes
// its registries' credentials into every namespace's Secret, so that a small input can
// ask for gigabytes. Past the cap the results hold the error and no item.
func Run(config *yaml.RNode, items []*yaml.RNode) ([]*yaml.RNode, framework.Results) {
	type run struct {
		out     []*yaml.RNode
		results framework.Results
	}
	max := 4 * int64(bound.DefaultMemory)
	r, err := bound.Run(bound.Limits{Memory: max}, func() (run, error) {
		out, results := fn.Run(config, items, functionOptions())
		return run{out, results}, nil
	})
	if errors.Is(err, bound.ErrMemory) {
		err = fmt.Errorf("the PullAccess allocated more than the %d bytes a function run may (its registries' credentials times its namespaces)", max)
	}
	if err != nil {
		return nil, framework.Results{{Severity: framework.Error, Message: err.Error()}}
	}
	return r.out, r.results
}

// WriteResourceList writes a ResourceList with items and results. Each item is encoded on
// its own, on every core, and indented into the list in order: the same YAML as one big
// document, without the cost of emitting thousands of items as a single document.
func WriteResourceList(w *bytes.Buffer, items []*yaml.RNode, results framework.Results) error {
	encoded, err := encodeAll(items)
	if err != nil {
		return err
	}
	w.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n")
	if len(items) == 0 {
		w.WriteString("items: []\n")
	} else {
		w.WriteString("items:\n")
	}
	for _, s := range encoded {
		prefix := "- "
		for _, line := range strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n") {
			if line != "\n" {
				w.WriteString(prefix)
			}
			w.WriteString(line)
			prefix = "  "
		}
		w.WriteByte('\n')
	}
	if len(results) > 0 {
		b, err := yaml.Marshal(map[string]any{"results": results})
		if err != nil {
			return fmt.Errorf("encoding the results: %w", err)
		}
		w.Write(b)
	}
	return nil
}

// encodeAll encodes each item as YAML on every core; the result keeps the items' order.
func encodeAll(items []*yaml.RNode) ([]string, error) {
	out := make([]string, len(items))
	errs := make([]error, len(items))
	parallel.Each(len(items), func(i int) { out[i], errs[i] = items[i].String() })
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("encoding %s %s: %w", items[i].GetKind(), items[i].GetName(), err)
		}
	}
	return out, nil
}
