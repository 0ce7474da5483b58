// Package fn is the PullAccess KRM function: it reads a PullAccess (the function config),
// validates it, resolves its credentials and turns the ResourceList's items into the items
// plus the Secrets, ServiceAccount links, workload pull secrets and image-puller
// RoleBindings the spec asks for, with results that follow the KRM function spec.
package fn

import (
	"path/filepath"
	"time"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/credsource"
	"pullgen.dev/pullgen/internal/dockercfg"
	"pullgen.dev/pullgen/internal/manifest"
)

// MaxNamespaces is the most namespaces a PullAccess read from untrusted input may list
// (render's default, the function mode's cap): each makes objects, and the credentials of
// every registry are written into each.
const MaxNamespaces = 10_000

// Options say where a run happens.
type Options struct {
	// Resolver reads credential sources; its BaseDir is the spec's directory, found from
	// the config when empty.
	Resolver credsource.Resolver
	// File is the PullAccess's file as the user names it, for results; when empty the
	// config's path annotation is used.
	File string
	// OutputDir is where the Secrets will be written, for the .sops.yaml rule that applies;
	// empty means the spec's directory.
	OutputDir string
	// Plaintext skips encryption whatever the spec says (for comparisons in memory).
	Plaintext bool
	// KeysOnly replaces the passwords that cannot be read with a placeholder: for the pull
	// check, which needs the registry keys only. Its Secrets must never be written.
	KeysOnly bool
	// Stats, when set, receives what happened to the generated Secrets.
	Stats *Stats
	// Now is the time expiries are compared with; zero means the current time.
	Now time.Time
	// Inventory holds Namespace and Project objects for spec.namespaceSelector besides those
	// among the items, and InventoryFrom says where they come from (generate and diff: the
	// YAML files under the spec's directory); with InventoryFrom set, a run without items is
	// not a generator's.
	Inventory     []*yaml.RNode
	InventoryFrom string
}

// Run processes one PullAccess over items. It returns the output items and the results;
// when a result is an error the items are nil and nothing may be written.
func Run(config *yaml.RNode, items []*yaml.RNode, opts Options) ([]*yaml.RNode, framework.Results) {
	src := Source{File: opts.File}
	if src.File == "" && config != nil {
		src.File = pathOf(config)
	}
	if opts.Resolver.BaseDir == "" {
		opts.Resolver.BaseDir = specDir(config)
	}
	if opts.OutputDir == "" {
		opts.OutputDir = opts.Resolver.BaseDir
	}
	if opts.Stats == nil {
		opts.Stats = &Stats{}
	}
	if opts.Resolver.Decrypt == nil {
		opts.Resolver.Decrypt = DecryptFile
	}
	pa, problems := Decode(config)
	if pa == nil {
		return nil, problems.Results(src)
	}
	src.Name = pa.Metadata.Name
	problems = append(problems, Validate(pa)...)
	if problems.HasErrors() {
		return nil, problems.Results(src)
	}
	namespaces, selected, p := targetNamespaces(pa, items, opts.Inventory, opts.InventoryFrom)
	problems = append(problems, p...)
	pa.Spec.Namespaces = namespaces
	auths, p := Resolve(pa, &opts.Resolver, opts.KeysOnly)
	problems = append(problems, p...)
	expiries, p := readExpiries(pa, &opts.Resolver, opts.KeysOnly)
	problems = append(problems, p...)
	var global dockercfg.Auths
	if pa.Spec.GlobalPullSecret != nil && !opts.KeysOnly {
		global, p = GlobalPullSecret(pa, &opts.Resolver, auths)
		problems = append(problems, p...)
	}
	if problems.HasErrors() {
		return nil, problems.Results(src)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	kept, earlier := splitEarlier(pa.Metadata.Name, items)
	out, p := Apply(pa, auths, global, kept, soonest(expiries), selected)
	problems = append(problems, p...)
	problems = append(problems, expiryProblems(pa, expiries, now)...)
	problems = append(problems, pullCheck(pa, auths, out, now)...)
	if pa.Encrypt() && !opts.Plaintext {
		out, p = encryptSecrets(pa, out, earlier, opts.OutputDir, opts.Stats)
		problems = append(problems, p...)
	} else {
		for _, o := range out {
			if o.GetKind() == "Secret" && manifest.IsGeneratedBy(o, pa.Metadata.Name) {
				opts.Stats.Plaintext++
			}
		}
	}
	if problems.HasErrors() {
		return nil, problems.Results(src)
	}
	return out, problems.Results(src)
}

// specDir is the directory a function config's relative paths resolve against: under
// kpt, its package path joined with the config's own directory; else the working
// directory, which kustomize sets to the kustomization's root.
func specDir(config *yaml.RNode) string {
	if config == nil {
		return "."
	}
	pkg := config.GetAnnotations()["internal.config.kubernetes.io/package-path"]
	if pkg == "" {
		return "."
	}
	return filepath.Join(pkg, filepath.Dir(pathOf(config)))
}
