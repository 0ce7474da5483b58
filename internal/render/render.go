// Package render is `pullgen render`: the Argo CD plugin's generate step. It builds a
// kustomization in process with the kustomize API, runs the PullAccess resources of its
// generators and transformers itself, decrypts what SOPS encrypted, and returns one YAML
// stream. The repository is untrusted, and render enforces its boundary by structure:
// kustomize reads through a file system that serves only regular files under the root,
// lazily and within caps (fs.go); every field of every kustomization and configuration
// that is not known to be data is refused when it names something remote (remote.go); no
// plugin, function or Helm runs; YAML is measured before it is parsed (internal/yamlcap);
// the wall time and the memory of the whole render are capped, whatever spends them
// (limits.go); no plaintext enters the build: what PullAccess makes of credentials enters
// it as stand-ins (held.go), encrypted documents as ciphertext (sealed.go), each with the
// scope its ciphertext authenticates (sources.go), and values are put in place after the
// build, only where their scope allows (place.go); and errors quote at most a short
// excerpt of input (message.go).
package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	k8syaml "sigs.k8s.io/yaml"

	"pullgen.dev/pullgen/fn"
	"pullgen.dev/pullgen/internal/credsource"
	"pullgen.dev/pullgen/internal/manifest"
	"pullgen.dev/pullgen/internal/scope"
	"pullgen.dev/pullgen/internal/sopsx"
	"pullgen.dev/pullgen/internal/untrusted/bound"
	"pullgen.dev/pullgen/internal/untrusted/rooted"
	"pullgen.dev/pullgen/internal/untrusted/yamlcap"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// EnvPrefix is the prefix of the variables Argo CD passes from an Application's plugin.env;
// env: sources may name these, and others only when the operator allows them.
const EnvPrefix = "ARGOCD_ENV_"

// Options describe one render.
type Options struct {
	// Dir is the kustomization to build.
	Dir string
	// Root is the repository root; nothing outside it is read. Empty means Dir.
	Root string
	// LookupEnv reads the environment.
	LookupEnv func(string) (string, bool)
	// AllowEnv are variables env: sources may name besides ARGOCD_ENV_*.
	AllowEnv []string
	// KeyFiles are the decryption keys: never read, wherever they are.
	KeyFiles []string
	// Namespaces, when set, replace spec.namespaces of every PullAccess (a per-cluster
	// override from the Application's parameters).
	Namespaces []string
	// Keys decrypt the credential files PullAccess reads and, with Decrypt, the encrypted
	// documents of the build.
	Keys sopsx.Keys
	// Decrypt decrypts the encrypted documents of the build; without it they stay
	// encrypted.
	Decrypt bool
	// Trusted lifts the rules on environment variables and credential helpers, for a
	// repository the user trusts (pullgen check on the author's machine).
	Trusted bool
	// KeysOnly runs PullAccess for its registry keys only: a password that cannot be read
	// is replaced by a placeholder (pullgen check needs no credential).
	KeysOnly bool
	// Limits bound the work; nil means DefaultLimits.
	Limits *Limits
	// AllowRetarget lets kustomize rename decrypted objects (their namespace stays bound to
	// their scope).
	AllowRetarget bool
	// AllowUnscoped lets ciphertext that names no scope (a Secret encrypted without a
	// namespace, a credential file without a scope marker) go to any namespace: the
	// operator declares the repository one trust domain. Trusted implies it.
	AllowUnscoped bool
}

// stateDir holds, in the overlay of a kustomization's directory, what render writes there.
const stateDir = ".pullgen-render"

// Render builds o.Dir and returns the YAML stream. Errors are bounded (bound.Message).
func Render(o Options) ([]byte, error) {
	limits := DefaultLimits()
	if o.Limits != nil {
		limits = *o.Limits
	}
	out, err := bound.Run(limits.run(), func() ([]byte, error) { return render(o, limits) })
	switch err { // Run's own errors, not f's (which may wrap them)
	case bound.ErrTimeout:
		err = limits.timeoutError()
	case bound.ErrMemory:
		err = limits.memoryError()
	}
	return out, bound.Error(err)
}

func render(o Options, limits Limits) ([]byte, error) {
	o.AllowUnscoped = o.AllowUnscoped || o.Trusted
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", o.Dir, err)
	}
	root := dir
	if o.Root != "" {
		if root, err = filepath.Abs(o.Root); err != nil {
			return nil, fmt.Errorf("resolving %s: %w", o.Root, err)
		}
	}
	if !rooted.Within(root, dir) {
		return nil, fmt.Errorf("%s is outside the repository root %s", dir, root)
	}
	fsys, err := newRepoFS(root, o.KeyFiles, limits)
	if err != nil {
		return nil, err
	}
	out, err := newRenderer(o, limits, fsys).run(dir)
	if refused := fsys.Refused(); refused != nil {
		// kustomize may have tried another way after a refusal and failed (or not)
		// otherwise: the refusal is the cause.
		return nil, refused
	}
	return out, err
}

func (r *renderer) run(dir string) ([]byte, error) {
	if err := r.prepare(dir); err != nil {
		return nil, err
	}
	m, err := r.buildMap(dir)
	if err != nil {
		return nil, err
	}
	nodes := make([]*yaml.RNode, 0, m.Size())
	for _, res := range m.Resources() {
		nodes = append(nodes, &res.RNode)
	}
	if err := r.place(nodes); err != nil {
		return nil, err
	}
	return m.AsYaml()
}

func newRenderer(o Options, limits Limits, fsys *repoFS) *renderer {
	return &renderer{o: o, limits: limits, fs: fsys, graph: newGraph(limits), done: map[string]bool{}, recorded: map[string]bool{}, sealed: map[string]*sealed{},
		held: newHeld(), plain: map[string]heldValue{}}
}

type renderer struct {
	o      Options
	limits Limits
	fs     *repoFS
	done   map[string]bool
	seq    int
	// builds, generated and widePatches count kustomize builds, the objects PullAccess
	// made and the patches that may apply to every object.
	builds, generated, widePatches int
	// work counts the transformations kustomize applies to every object.
	work int
	// graph counts what kustomize will do to build each kustomization, reuse included.
	graph *graph
	// recorded are the resource files whose encrypted documents are in sealed, by MAC.
	recorded map[string]bool
	sealed   map[string]*sealed
	// held are the values PullAccess made, kept out of the build; plain the plaintexts of
	// the encrypted documents opened, by ciphertext (written under mu).
	held  *held
	plain map[string]heldValue
	mu    sync.Mutex
}

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

// runPullAccess checks a PullAccess against the sandbox's rules and runs it over items.
func (r *renderer) runPullAccess(dir string, config *yaml.RNode, items []*yaml.RNode) ([]*yaml.RNode, error) {
	config = config.Copy()
	if len(r.o.Namespaces) > 0 {
		if err := config.PipeE(yaml.LookupCreate(yaml.MappingNode, "spec"), yaml.SetField("namespaces", yaml.NewListRNode(r.o.Namespaces...))); err != nil {
			return nil, fmt.Errorf("overriding the namespaces: %w", err)
		}
	}
	file := r.fs.rel(dir)
	what := fmt.Sprintf("%s: PullAccess %s", file, bound.Excerpt(config.GetName()))
	d, err := decodeConfig(config)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the PullAccess: %w", what, err)
	}
	if err := r.limits.namespaceCount(d.namespaces); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	for _, s := range d.files {
		if remoteForm(s.value) {
			return nil, remoteError(what, s.field, s.value)
		}
	}
	if !r.o.Trusted {
		if err := r.sandboxRules(config, d.envs); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	sources := &sourceScope{r: r, s: scope.Anywhere()}
	out, results := fn.Run(config, items, fn.Options{
		File:      file,
		Plaintext: true, // render's output is decrypted anyway
		KeysOnly:  r.o.KeysOnly,
		Resolver: credsource.Resolver{
			BaseDir:      dir,
			LookupEnv:    r.lookupEnv,
			ReadFile:     r.fs.ReadFile,
			Decrypt:      sources.decrypt,
			AllowHelpers: r.o.Trusted,
		},
	})
	if results.ExitCode() != 0 {
		var b strings.Builder
		fn.PrintResults(&b, results)
		return nil, errors.New(strings.TrimSpace(b.String()))
	}
	if err := r.held.holdSecrets(out, config.GetName(), sources.s); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// lookupEnv is the environment as a PullAccess sees it: untrusted, only the variables
// sandboxRules lets env: sources name, whatever reads them (sandboxRules says which field
// asked; this holds for a reader it does not know of).
func (r *renderer) lookupEnv(name string) (string, bool) {
	if !r.o.Trusted && !r.envAllowed(name) {
		return "", false
	}
	if r.o.LookupEnv == nil {
		return os.LookupEnv(name)
	}
	return r.o.LookupEnv(name)
}

// envAllowed tells whether an untrusted PullAccess may read the variable name:
// ARGOCD_ENV_* (an Application's plugin.env) and those the operator allowed.
func (r *renderer) envAllowed(name string) bool {
	return strings.HasPrefix(name, EnvPrefix) || slices.Contains(r.o.AllowEnv, name)
}

// sandboxRules refuses what render never does: credential helpers, and env: sources
// (whatever field holds them: usernameFrom, passwordFrom, expiresAtFrom,
// globalPullSecret.base, and any added later) that name variables the operator did not
// allow.
func (r *renderer) sandboxRules(config *yaml.RNode, envs []source) error {
	pa, problems := fn.Decode(config)
	if pa == nil || problems.HasErrors() {
		return nil // fn.Run reports these
	}
	var errs []string
	for _, s := range envs {
		if !r.envAllowed(s.value) {
			errs = append(errs, fmt.Sprintf("%s: env %s: render reads only %s* variables (from the Application's plugin.env) and those allowed with --allow-env", s.field, bound.Excerpt(s.value), EnvPrefix))
		}
	}
	for i, reg := range pa.Spec.Registries {
		if reg.FromConfig != nil && reg.FromConfig.CredentialHelpers {
			errs = append(errs, fmt.Sprintf("spec.registries[%d].fromConfig.credentialHelpers: render runs no credential helper (it would run a program)", i))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// decodedConfig is what the caps and the sandbox's rules check in a PullAccess, read as
// its decoder reads it (YAML as JSON: aliases and merge keys expanded), so that no
// spelling of the YAML hides a namespace or a source from them.
type decodedConfig struct {
	// namespaces is the length of spec.namespaces.
	namespaces int
	// files and envs are every file: and env: source, whatever field holds it, sorted by
	// field.
	files, envs []source
}

// source is a file: or env: source of a PullAccess: the field that holds it and its value.
type source struct{ field, value string }

func decodeConfig(config *yaml.RNode) (decodedConfig, error) {
	var d decodedConfig
	j, err := config.MarshalJSON()
	if err != nil {
		return d, err
	}
	var v any
	if err := json.Unmarshal(j, &v); err != nil {
		return d, err
	}
	if top, ok := v.(map[string]any); ok {
		if spec, ok := top["spec"].(map[string]any); ok {
			if ns, ok := spec["namespaces"].([]any); ok {
				d.namespaces = len(ns)
			}
		}
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s[%d]", path, i))
			}
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				p := k
				if path != "" {
					p = path + "." + k
				}
				switch value, ok := x[k].(string); {
				case ok && value != "" && k == "env":
					d.envs = append(d.envs, source{path, value})
				case ok && value != "" && k == "file":
					d.files = append(d.files, source{p, value})
				default:
					walk(x[k], p)
				}
			}
		}
	}
	walk(v, "")
	return d, nil
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
