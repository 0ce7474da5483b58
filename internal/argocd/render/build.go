package render

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
)

// build runs kustomize over dir in the repository's file system, with no plugin of any
// kind, and returns the YAML stream.
func (r *renderer) build(dir string) ([]byte, error) {
	m, err := r.buildMap(dir)
	if err != nil {
		return nil, err
	}
	return m.AsYaml()
}

// buildMap runs kustomize over dir and returns its objects.
func (r *renderer) buildMap(dir string) (resmap.ResMap, error) {
	if r.builds++; r.limits.Builds > 0 && r.builds > r.limits.Builds {
		return nil, fmt.Errorf("%s: render runs at most %d kustomize builds (one per PullAccess transformer and generator directory)", r.fs.rel(dir), r.limits.Builds)
	}
	if objects := r.fs.documents() + r.generated; r.limits.Work > 0 && r.work*objects > r.limits.Work {
		return nil, fmt.Errorf("%s: %d transformations (labels, annotations, patches, replacements, images, ...) over up to %d objects, more work than render does (%d)", r.fs.rel(dir), r.work, objects, r.limits.Work)
	}
	m, err := kustomizer().Run(r.fs, dir)
	if err != nil {
		if refused := r.fs.Refused(); refused != nil {
			return nil, refused
		}
		return nil, fmt.Errorf("building %s: %s", r.fs.rel(dir), firstLine(err.Error()))
	}
	if err := r.limits.buildSize(m); err != nil {
		return nil, fmt.Errorf("building %s: %w", r.fs.rel(dir), err)
	}
	return m, nil
}

// firstLine is the first line of a message of kustomize's, whose further lines print the
// configuration or the content it could not use.
func firstLine(msg string) string {
	line, _, _ := strings.Cut(msg, "\n")
	return line
}

// kustomizer is kustomize as render runs it: no plugin of any kind, nothing loaded from
// outside a kustomization's root, objects in the order the kustomizations give them.
func kustomizer() *krusty.Kustomizer {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified
	opts.PluginConfig = types.DisabledPluginConfig()
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	return krusty.MakeKustomizer(opts)
}
