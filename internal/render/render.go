// Package render is `pullgen render`: the Argo CD plugin's generate step. It builds a
// kustomization in process with the kustomize API, runs the PullAccess resources of its
// generators and transformers itself, decrypts what SOPS encrypted, and returns one YAML
// stream. The repository is untrusted: render runs no other program, reads nothing outside
// the repository root, reads only the environment variables the operator allows, and
// never reads the decryption key as a credential.
package render

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	k8syaml "sigs.k8s.io/yaml"

	"pullgen.dev/pullgen/fn"
	"pullgen.dev/pullgen/internal/credsource"
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
	// Decrypt decrypts every SOPS-encrypted document of a YAML stream; nil leaves them.
	Decrypt func([]byte) ([]byte, error)
	// Trusted lifts the rules on environment variables and credential helpers, for a
	// repository the user trusts (pullgen check on the author's machine).
	Trusted bool
	// KeysOnly runs PullAccess for its registry keys only: a password that cannot be read
	// is replaced by a placeholder (pullgen check needs no credential).
	KeysOnly bool
}

// stateDir holds, inside the in-memory copy of a kustomization, what render writes there.
const stateDir = ".pullgen-render"

// Render builds o.Dir and returns the YAML stream.
func Render(o Options) ([]byte, error) {
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
	if !Within(root, dir) {
		return nil, fmt.Errorf("%s is outside the repository root %s", dir, root)
	}
	repo, err := loadRepo(root, o.KeyFiles)
	if err != nil {
		return nil, err
	}
	r := &renderer{o: o, repo: repo, done: map[string]bool{}, decrypted: map[string]bool{}}
	if err := r.prepare(dir); err != nil {
		return nil, err
	}
	out, err := r.build(dir)
	if err != nil {
		return nil, err
	}
	if o.Decrypt != nil {
		if out, err = o.Decrypt(out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type renderer struct {
	o         Options
	repo      *repo
	done      map[string]bool
	decrypted map[string]bool
	seq       int
}

// build runs kustomize over dir in the in-memory repository, with no plugin of any kind.
func (r *renderer) build(dir string) ([]byte, error) {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified
	opts.PluginConfig = types.DisabledPluginConfig()
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	m, err := krusty.MakeKustomizer(opts).Run(r.repo.fs, dir)
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", r.repo.rel(dir), err)
	}
	return m.AsYaml()
}

var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// prepare checks a kustomization and everything it loads against the sandbox's rules and
// rewrites it, in memory, so that kustomize alone builds it: the objects of a PullAccess
// generator become resources, and a PullAccess transformer runs over what the
// kustomization built up to it.
func (r *renderer) prepare(dir string) error {
	if r.done[dir] {
		return nil
	}
	r.done[dir] = true
	kfile := ""
	for _, n := range kustomizationNames {
		if r.repo.fs.Exists(filepath.Join(dir, n)) {
			kfile = filepath.Join(dir, n)
			break
		}
	}
	if kfile == "" {
		if _, ok := r.repo.escapes[dir]; ok {
			return fmt.Errorf("%s: a base outside the repository root (%s)", r.repo.rel(dir), r.repo.escapes[dir])
		}
		return fmt.Errorf("%s: no kustomization.yaml", r.repo.rel(dir))
	}
	data, err := r.repo.fs.ReadFile(kfile)
	if err != nil {
		return fmt.Errorf("reading %s: %w", r.repo.rel(kfile), err)
	}
	var k types.Kustomization
	if err := k8syaml.Unmarshal(data, &k); err != nil {
		return fmt.Errorf("%s: %w", r.repo.rel(kfile), err)
	}
	k.FixKustomization()
	where := r.repo.rel(kfile)
	if len(k.HelmCharts) > 0 || len(k.HelmChartInflationGenerator) > 0 {
		return fmt.Errorf("%s: helmCharts run the helm program, which render never does", where)
	}
	for _, list := range [][]string{k.Resources, k.Components, k.Crds} {
		for _, e := range list {
			if err := r.prepareEntry(dir, where, e); err != nil {
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
		for _, c := range configs {
			if items, err = r.runPullAccess(dir, c, items); err != nil {
				return err
			}
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

// prepareEntry checks one entry of resources, components or crds.
func (r *renderer) prepareEntry(dir, where, e string) error {
	if isRemote(e) {
		return fmt.Errorf("%s: %s is a remote base; render loads nothing from the network", where, e)
	}
	p := filepath.Join(dir, e)
	if !Within(r.repo.root, p) {
		return fmt.Errorf("%s: %s is outside the repository root", where, e)
	}
	if target, ok := r.repo.escapes[p]; ok {
		return fmt.Errorf("%s: %s links outside the repository root (%s)", where, e, target)
	}
	if r.repo.fs.IsDir(p) {
		return r.prepare(p)
	}
	return r.decryptResource(p)
}

// decryptResource replaces, in the in-memory repository, a resource file whose documents
// SOPS encrypted with their plaintext: kustomize rewrites objects with their keys sorted,
// which would break the MAC of a file encrypted in another key order.
func (r *renderer) decryptResource(p string) error {
	if r.o.Decrypt == nil || r.decrypted[p] || !r.repo.fs.Exists(p) {
		return nil
	}
	r.decrypted[p] = true
	data, err := r.repo.fs.ReadFile(p)
	if err != nil || !bytes.Contains(data, []byte("\nsops:")) {
		return nil // kustomize reports what it cannot read
	}
	plain, err := r.o.Decrypt(data)
	if err != nil {
		return fmt.Errorf("%s: %w", r.repo.rel(p), err)
	}
	return r.repo.fs.WriteFile(p, plain)
}

// configs reads the configurations an entry of generators, transformers or validators
// stands for (inline YAML, a file, or a kustomization directory) and refuses every one that
// would run a program: a function, a legacy plugin, anything but kustomize's own and
// PullAccess. A PullAccess must stand alone in its entry.
func (r *renderer) configs(dir, where, field, e string) ([]*yaml.RNode, error) {
	var data []byte
	switch {
	case strings.Contains(e, "\n"):
		data = []byte(e)
	default:
		if err := r.prepareEntry(dir, where, e); err != nil {
			return nil, err
		}
		p := filepath.Join(dir, e)
		var err error
		if r.repo.fs.IsDir(p) {
			data, err = r.build(p)
		} else {
			data, err = r.repo.fs.ReadFile(p)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %s: %w", where, field, e, err)
		}
	}
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %s: %w", where, field, e, err)
	}
	pullAccesses := 0
	for _, n := range nodes {
		a := n.GetAnnotations()
		switch {
		case n.GetKind() == v1alpha1.Kind && n.GetApiVersion() == v1alpha1.APIVersion:
			pullAccesses++
		case a["config.kubernetes.io/function"] != "" || a["config.k8s.io/function"] != "":
			return nil, fmt.Errorf("%s: %s: %s: %s %s is a KRM function; render runs no program but PullAccess", where, field, e, n.GetKind(), n.GetName())
		case !builtinKinds[n.GetKind()]:
			return nil, fmt.Errorf("%s: %s: %s: %s %s is a kustomize plugin; render runs no program but PullAccess", where, field, e, n.GetKind(), n.GetName())
		}
	}
	if pullAccesses > 0 && pullAccesses != len(nodes) {
		return nil, fmt.Errorf("%s: %s: %s: put each PullAccess in an entry of its own", where, field, e)
	}
	return nodes, nil
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

// isRemote tells whether a resources entry names something to fetch.
func isRemote(e string) bool {
	if strings.Contains(e, "://") || strings.HasPrefix(e, "git@") || strings.HasPrefix(e, "git::") ||
		strings.Contains(e, "?ref=") || strings.Contains(e, "?version=") {
		return true
	}
	first, _, _ := strings.Cut(e, "/")
	return strings.Contains(first, ".") && first != "." && first != ".." && strings.Contains(e, "/") &&
		(strings.HasPrefix(first, "github.com") || strings.HasPrefix(first, "gitlab.com") || strings.HasPrefix(first, "bitbucket.org"))
}

// runPullAccess checks a PullAccess against the sandbox's rules and runs it over items.
func (r *renderer) runPullAccess(dir string, config *yaml.RNode, items []*yaml.RNode) ([]*yaml.RNode, error) {
	config = config.Copy()
	if len(r.o.Namespaces) > 0 {
		if err := config.PipeE(yaml.LookupCreate(yaml.MappingNode, "spec"), yaml.SetField("namespaces", yaml.NewListRNode(r.o.Namespaces...))); err != nil {
			return nil, fmt.Errorf("overriding the namespaces: %w", err)
		}
	}
	file := r.repo.rel(dir)
	if !r.o.Trusted {
		if err := r.sandboxRules(config); err != nil {
			return nil, fmt.Errorf("%s: PullAccess %s: %w", file, config.GetName(), err)
		}
	}
	out, results := fn.Run(config, items, fn.Options{
		File:      file,
		Plaintext: true, // render's output is decrypted anyway
		KeysOnly:  r.o.KeysOnly,
		Resolver: credsource.Resolver{
			BaseDir:      dir,
			LookupEnv:    r.o.LookupEnv,
			ReadFile:     r.repo.readFile,
			AllowHelpers: r.o.Trusted,
		},
	})
	if results.ExitCode() != 0 {
		var b strings.Builder
		fn.PrintResults(&b, results)
		return nil, errors.New(strings.TrimSpace(b.String()))
	}
	return out, nil
}

// sandboxRules refuses what render never does: credential helpers, and environment
// variables the operator did not allow.
func (r *renderer) sandboxRules(config *yaml.RNode) error {
	pa, problems := fn.Decode(config)
	if pa == nil || problems.HasErrors() {
		return nil // fn.Run reports these
	}
	var errs []string
	allowed := map[string]bool{}
	for _, n := range r.o.AllowEnv {
		allowed[n] = true
	}
	checkEnv := func(field string, s *v1alpha1.Source) {
		if s != nil && s.Env != "" && !strings.HasPrefix(s.Env, EnvPrefix) && !allowed[s.Env] {
			errs = append(errs, fmt.Sprintf("%s: env %s: render reads only %s* variables (from the Application's plugin.env) and those allowed with --allow-env", field, s.Env, EnvPrefix))
		}
	}
	for i, reg := range pa.Spec.Registries {
		f := fmt.Sprintf("spec.registries[%d]", i)
		checkEnv(f+".usernameFrom", reg.UsernameFrom)
		checkEnv(f+".passwordFrom", reg.PasswordFrom)
		if reg.FromConfig != nil && reg.FromConfig.CredentialHelpers {
			errs = append(errs, f+".fromConfig.credentialHelpers: render runs no credential helper (it would run a program)")
		}
	}
	if g := pa.Spec.GlobalPullSecret; g != nil {
		checkEnv("spec.globalPullSecret.base", &g.Base)
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// writeObjects writes objects into a new file of the in-memory kustomization at dir and
// returns its name relative to dir.
func (r *renderer) writeObjects(dir string, objs []*yaml.RNode) (string, error) {
	r.seq++
	name := filepath.Join(stateDir, fmt.Sprintf("objects-%d.yaml", r.seq))
	var buf bytes.Buffer
	if err := (kio.ByteWriter{Writer: &buf}).Write(objs); err != nil {
		return "", fmt.Errorf("encoding objects: %w", err)
	}
	if err := r.repo.fs.MkdirAll(filepath.Join(dir, stateDir)); err != nil {
		return "", err
	}
	return name, r.repo.fs.WriteFile(filepath.Join(dir, name), buf.Bytes())
}

func (r *renderer) writeKustomization(kfile string, k *types.Kustomization) error {
	b, err := k8syaml.Marshal(k)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", r.repo.rel(kfile), err)
	}
	return r.repo.fs.WriteFile(kfile, b)
}
