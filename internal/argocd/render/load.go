package render

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	k8syaml "sigs.k8s.io/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/untrusted/bound"
	"pullgen.dev/pullgen/internal/untrusted/yamlcap"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// prepare checks a kustomization and everything it loads against the sandbox's rules and
// rewrites it, in memory, so that kustomize alone builds it: the objects of a PullAccess
// generator become resources, and a PullAccess transformer runs over what the
// kustomization built up to it.
func (r *renderer) prepare(dir string) error {
	real, err := r.fs.resolve(dir)
	if err != nil {
		return err
	}
	if r.done[real] {
		return nil
	}
	r.done[real] = true
	kfile := ""
	for _, n := range manifest.KustomizationFileNames() {
		p := filepath.Join(dir, n)
		if _, err := r.fs.resolve(p); err != nil {
			return fmt.Errorf("%s: %w", r.fs.rel(p), err)
		}
		if r.fs.Exists(p) {
			kfile = p
			break
		}
	}
	if kfile == "" {
		return fmt.Errorf("%s: no kustomization.yaml", r.fs.rel(dir))
	}
	where := r.fs.rel(kfile)
	if err := r.graph.enter(where); err != nil {
		return err
	}
	data, err := r.fs.ReadFile(kfile)
	if err != nil {
		return err
	}
	if err := r.graph.add(0, int64(len(data))); err != nil {
		return err
	}
	var k types.Kustomization
	if err := k8syaml.Unmarshal(data, &k); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	k.FixKustomization()
	if len(k.HelmCharts) > 0 || len(k.HelmChartInflationGenerator) > 0 || k.HelmGlobals != nil {
		return fmt.Errorf("%s: helmCharts run the helm program, which render never does", where)
	}
	if err := r.graph.refer(references(&k)); err != nil {
		return err
	}
	if err := r.checkFields(dir, where, data); err != nil {
		return err
	}
	r.work += transformations(&k)
	for _, g := range append(configMapArgs(k.ConfigMapGenerator), secretArgs(k.SecretGenerator)...) {
		if err := r.checkGenerator(dir, where, g); err != nil {
			return err
		}
	}
	for _, p := range append(append([]types.Patch{}, k.Patches...), k.PatchesJson6902...) {
		if p.Target != nil && wideTarget(p.Target.Name) {
			if err := r.countWidePatch(where); err != nil {
				return err
			}
		}
	}
	for _, list := range [][]string{k.Resources, k.Components, k.Crds} {
		for _, e := range list {
			if _, err := r.prepareEntry(dir, where, e); err != nil {
				return err
			}
		}
	}
	changed := false
	var generators []string
	emitted := map[string]string{} // ServiceAccount namespace/name → the PullAccess generator that emits it
	for _, e := range k.Generators {
		configs, err := r.configs(dir, where, "generators", e)
		if err != nil {
			return err
		}
		if !isPullAccess(configs) {
			generators = append(generators, e)
			continue
		}
		changed = true
		for _, c := range configs {
			objs, err := r.runPullAccess(dir, c, nil)
			if err != nil {
				return err
			}
			if err := sameServiceAccount(where, emitted, c.GetName(), objs); err != nil {
				return err
			}
			if err := r.countGenerated(dir, len(objs)); err != nil {
				return err
			}
			name, err := r.writeObjects(dir, objs)
			if err != nil {
				return err
			}
			k.Resources = append(k.Resources, name)
		}
	}
	k.Generators = generators
	for _, e := range k.Validators {
		if _, err := r.configs(dir, where, "validators", e); err != nil {
			return err
		}
	}
	transformers := k.Transformers
	for i := 0; i < len(transformers); i++ {
		configs, err := r.configs(dir, where, "transformers", transformers[i])
		if err != nil {
			return err
		}
		if !isPullAccess(configs) {
			continue
		}
		// Build what comes before this transformer, run it, and go on from its output.
		before := k
		before.Transformers = transformers[:i]
		if i == 0 {
			before.Transformers = nil
		}
		before.Validators = nil
		var items []*yaml.RNode
		if before.CheckEmpty() == nil { // else nothing comes before: a transformer that only adds
			if err := r.writeKustomization(kfile, &before); err != nil {
				return err
			}
			built, err := r.build(dir)
			if err != nil {
				return err
			}
			if items, err = (&kio.ByteReader{Reader: bytes.NewReader(built), OmitReaderAnnotations: true}).Read(); err != nil {
				return fmt.Errorf("%s: reading the build: %w", where, err)
			}
		}
		had := len(items)
		for _, c := range configs {
			if items, err = r.runPullAccess(dir, c, items); err != nil {
				return err
			}
		}
		if err := r.countGenerated(dir, len(items)-had); err != nil {
			return err
		}
		stage, err := r.writeObjects(dir, items)
		if err != nil {
			return err
		}
		k = types.Kustomization{
			TypeMeta:    k.TypeMeta,
			Resources:   []string{stage},
			Validators:  k.Validators,
			SortOptions: k.SortOptions,
		}
		transformers = transformers[i+1:]
		i = -1
		changed = true
	}
	k.Transformers = transformers
	r.graph.leave(real)
	if changed {
		return r.writeKustomization(kfile, &k)
	}
	return nil
}

// sameServiceAccount refuses two PullAccess generators that emit the same ServiceAccount:
// kustomize cannot merge two generated objects of one id, and one ServiceAccount must carry
// the entries of both.
func sameServiceAccount(where string, emitted map[string]string, pullAccess string, objs []*yaml.RNode) error {
	for _, o := range objs {
		if o.GetKind() != "ServiceAccount" {
			continue
		}
		id := o.GetNamespace() + "/" + o.GetName()
		if other, ok := emitted[id]; ok {
			return fmt.Errorf("%s: generators: PullAccess %s and PullAccess %s both emit ServiceAccount %s, which kustomize cannot merge: "+
				"list them under transformers: instead (each adds its entries to the ServiceAccount the one before emitted), or link the ServiceAccount from one PullAccess",
				where, other, pullAccess, id)
		}
		emitted[id] = pullAccess
	}
	return nil
}

// prepareEntry checks one entry of resources, components or crds: a directory is
// prepared in turn, a file is read (counted against the caps before any build) and its
// encrypted documents recorded. It returns the file's content, nil for a directory or a
// file that does not exist (kustomize reports it).
func (r *renderer) prepareEntry(dir, where, e string) ([]byte, error) {
	p := entryPath(dir, e)
	real, err := r.fs.resolve(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", where, bound.Excerpt(e), err)
	}
	if r.fs.IsDir(p) {
		if err := r.prepare(p); err != nil {
			return nil, err
		}
		return nil, r.graph.name(e, real, fileCost{})
	}
	if !r.fs.Exists(p) {
		return nil, nil
	}
	data, err := r.fs.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", where, bound.Excerpt(e), err)
	}
	if err := r.graph.name(e, real, r.fs.cost(real, data)); err != nil {
		return nil, err
	}
	r.recordSealed(p, data)
	return data, nil
}

// mapLen is the number of entries of a mapping field of a configuration.
func mapLen(n *yaml.RNode, field string) int {
	v, err := n.Pipe(yaml.Lookup(field))
	if err != nil || v == nil || v.YNode().Kind != yaml.MappingNode {
		return 0
	}
	return len(v.YNode().Content) / 2
}

// entryPath is the path an entry of a kustomization names, as kustomize reads it.
func entryPath(dir, e string) string {
	if filepath.IsAbs(e) {
		return e
	}
	return filepath.Join(dir, e)
}

// remoteError is the error for a field that names something remote.
func remoteError(where, field, value string) error {
	return fmt.Errorf("%s: %s: %q names a URL or a git remote: render loads nothing from the network", where, field, bound.Excerpt(value))
}

// configs reads the configurations an entry of generators, transformers or validators
// stands for (inline YAML, a file, or a kustomization directory) and refuses every one that
// would run a program: a function, a legacy plugin, anything but kustomize's own and
// PullAccess. A PullAccess must stand alone in its entry.
func (r *renderer) configs(dir, where, field, e string) ([]*yaml.RNode, error) {
	var data []byte
	name := bound.Excerpt(e)
	switch {
	case strings.Contains(e, "\n"):
		data = []byte(e)
		name = "(inline)"
	case remoteForm(e):
		return nil, remoteError(where, field, e)
	default:
		var err error
		if data, err = r.prepareEntry(dir, where, e); err != nil {
			return nil, err
		}
		if p := entryPath(dir, e); r.fs.IsDir(p) {
			data, err = r.build(p)
		} else if data == nil {
			_, err = r.fs.ReadFile(p) // it does not exist: the error names it
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %s: %w", where, field, name, err)
		}
	}
	if _, err := yamlcap.Measure(data, r.limits.yaml()); err != nil {
		return nil, fmt.Errorf("%s: %s: %s: %w", where, field, name, err)
	}
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %s: %w", where, field, name, err)
	}
	pullAccesses := 0
	for _, n := range nodes {
		a := n.GetAnnotations()
		what := fmt.Sprintf("%s: %s: %s: %s %s", where, field, name, n.GetKind(), bound.Excerpt(n.GetName()))
		switch {
		case n.GetKind() == v1alpha1.Kind && n.GetApiVersion() == v1alpha1.APIVersion:
			pullAccesses++
			continue
		case a["config.kubernetes.io/function"] != "" || a["config.k8s.io/function"] != "":
			return nil, fmt.Errorf("%s is a KRM function; render runs no program but PullAccess", what)
		case n.GetKind() == "HelmChartInflationGenerator":
			return nil, fmt.Errorf("%s runs the helm program, which render never does", what)
		case !builtinKinds[n.GetKind()]:
			return nil, fmt.Errorf("%s is a kustomize plugin; render runs no program but PullAccess", what)
		}
		if err := r.checkBuiltin(dir, what, n); err != nil {
			return nil, err
		}
	}
	if pullAccesses > 0 && pullAccesses != len(nodes) {
		return nil, fmt.Errorf("%s: %s: %s: put each PullAccess in an entry of its own", where, field, name)
	}
	return nodes, nil
}

// checkBuiltin checks the configuration of a built-in generator or transformer: no field
// names anything remote; it counts as transformations (one per label or annotation it
// sets), a generator as an object with its keys, a patch without a name as a wide one.
func (r *renderer) checkBuiltin(dir, what string, n *yaml.RNode) error {
	text, err := n.String()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := r.checkFields(dir, what, []byte(text)); err != nil {
		return err
	}
	r.work += max(1, mapLen(n, "labels")+mapLen(n, "annotations"))
	switch n.GetKind() {
	case "ConfigMapGenerator", "SecretGenerator":
		var g types.GeneratorArgs
		if err := k8syaml.Unmarshal([]byte(text), &g); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return r.checkGenerator(dir, what, g)
	case "PatchTransformer", "PatchJson6902Transformer":
		target, _ := n.Pipe(yaml.Lookup("target"))
		name, _ := n.Pipe(yaml.Lookup("target", "name"))
		if target != nil && (name == nil || wideTarget(name.YNode().Value)) {
			return r.countWidePatch(what)
		}
	}
	return nil
}

// builtinKinds are kustomize's built-in generators and transformers, which run in process.
var builtinKinds = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range krusty.GetBuiltinPluginNames() {
		m[n] = true
	}
	return m
}()

func isPullAccess(nodes []*yaml.RNode) bool {
	return len(nodes) > 0 && nodes[0].GetKind() == v1alpha1.Kind
}

// checkGenerator counts the object a ConfigMap or Secret generator makes and holds its
// keys (literals, files, lines of env files) to the cap on a mapping's keys.
func (r *renderer) checkGenerator(dir, where string, g types.GeneratorArgs) error {
	if err := r.countGenerated(dir, 1); err != nil {
		return err
	}
	keys := len(g.LiteralSources) + len(g.FileSources)
	envs := g.EnvSources
	if g.EnvSource != "" {
		envs = append(envs, g.EnvSource)
	}
	// Each file counts as often as it is named: one file named by ten thousand keys makes
	// a ConfigMap ten thousand times its size.
	for i, e := range append(envs, fileSourcePaths(g.FileSources)...) {
		p := entryPath(dir, e)
		if remoteForm(e) || !r.fs.Exists(p) || r.fs.IsDir(p) {
			continue // refused with its field by checkFields, or kustomize's to read or report
		}
		data, err := r.fs.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", where, bound.Excerpt(e), err)
		}
		if i < len(envs) {
			keys += bytes.Count(data, []byte{'\n'}) + 1
		}
		if err := r.graph.add(0, int64(len(data))); err != nil {
			return err
		}
	}
	if r.limits.Keys > 0 && keys > r.limits.Keys {
		return fmt.Errorf("%s: generator %s makes about %d keys, more than the %d a mapping may have", where, bound.Excerpt(g.Name), keys, r.limits.Keys)
	}
	return nil
}

func configMapArgs(list []types.ConfigMapArgs) []types.GeneratorArgs {
	out := make([]types.GeneratorArgs, len(list))
	for i, a := range list {
		out[i] = a.GeneratorArgs
	}
	return out
}

func secretArgs(list []types.SecretArgs) []types.GeneratorArgs {
	out := make([]types.GeneratorArgs, len(list))
	for i, a := range list {
		out[i] = a.GeneratorArgs
	}
	return out
}

// countWidePatch counts a patch that may apply to every object against the cap.
func (r *renderer) countWidePatch(where string) error {
	r.work += 7 // a patch costs kustomize about eight times what a label costs, per object
	if r.widePatches++; r.limits.WidePatches > 0 && r.widePatches > r.limits.WidePatches {
		return fmt.Errorf("%s: more than %d patches whose target selects objects by kind, label or pattern rather than by name: kustomize applies each to every object it selects", where, r.limits.WidePatches)
	}
	return nil
}

// countGenerated counts the objects PullAccess added against the cap, before kustomize
// reads them.
func (r *renderer) countGenerated(dir string, n int) error {
	if r.generated += n; r.limits.Documents > 0 && r.generated > r.limits.Documents {
		return fmt.Errorf("%s: PullAccess made more than the %d objects a render may build (--max-documents)", r.fs.rel(dir), r.limits.Documents)
	}
	return r.graph.add(n, 0)
}

// writeObjects writes objects into a new file of the overlay of the kustomization at dir
// and returns its name relative to dir.
func (r *renderer) writeObjects(dir string, objs []*yaml.RNode) (string, error) {
	r.seq++
	name := filepath.Join(stateDir, fmt.Sprintf("objects-%d.yaml", r.seq))
	var buf bytes.Buffer
	if err := (kio.ByteWriter{Writer: &buf}).Write(objs); err != nil {
		return "", fmt.Errorf("encoding objects: %w", err)
	}
	if err := r.fs.MkdirAll(filepath.Join(dir, stateDir)); err != nil {
		return "", err
	}
	return name, r.fs.WriteFile(filepath.Join(dir, name), buf.Bytes())
}

func (r *renderer) writeKustomization(kfile string, k *types.Kustomization) error {
	b, err := k8syaml.Marshal(k)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", r.fs.rel(kfile), err)
	}
	return r.fs.WriteFile(kfile, b)
}
