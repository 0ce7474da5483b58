// Package fn is the PullAccess KRM function: it reads a PullAccess (the function config),
// validates it, resolves its credentials and turns the ResourceList's items into the items
// plus the Secrets, ServiceAccount links, workload pull secrets and image-puller
// RoleBindings the spec asks for, with results that follow the KRM function spec.
//
// Its API is of its own types, the schema's and kustomize's (Run, Process, Options,
// Sources, Problems), so that another program can call it. It reads credential sources
// only through the Sources it is given (and, to encrypt, the .sops.yaml rule of its
// output), writes nothing, and must not depend on a surface of pullgen (render, the
// command line): they call it.
package fn

import (
	"path/filepath"
	"slices"
	"time"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/credsource"
	"pullgen.dev/pullgen/internal/core/dockercfg"
	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// MaxNamespaces is the most namespaces a PullAccess read from untrusted input may list
// (render's default, the function mode's cap): each makes objects, and the credentials of
// every registry are written into each.
const MaxNamespaces = 10_000

// Options say where a run happens.
type Options struct {
	// Sources say how the credential sources of the PullAccess are read; their BaseDir is
	// the spec's directory, found from the config when empty.
	Sources Sources
	// File is the PullAccess's file as the user names it, for results; when empty the
	// config's path annotation is used.
	File string
	// OutputDir is where the Secrets will be written, for the .sops.yaml rule that applies;
	// empty means the spec's directory.
	OutputDir string
	// Plaintext skips SOPS encryption whatever the spec says (for comparisons in memory).
	// Sealed output (spec.output.sealed) is sealed all the same: sealing is stable, so the
	// committed SealedSecrets compare byte for byte, and nothing but the controller can
	// open them.
	Plaintext bool
	// KeysOnly replaces the passwords that cannot be read with a placeholder: for the pull
	// check, which needs the registry keys only (sealed output stays unsealed Secrets, the
	// Secrets the controller would make). Its Secrets must never be written.
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

// Sources say how a run reads the credential sources of its PullAccess (usernameFrom,
// passwordFrom, fromConfig, expiresAtFrom, globalPullSecret.base). The zero value reads
// the process environment and files relative to the working directory, decrypts
// SOPS-encrypted files with the keys of the machine (DecryptFile), and runs no credential
// helper.
type Sources struct {
	// BaseDir is the directory relative file names are joined with.
	BaseDir string
	// LookupEnv reads an environment variable; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// ReadFile reads a file a source names (its path joined with BaseDir); nil means
	// os.ReadFile. Callers confine reads with it.
	ReadFile func(path string) ([]byte, error)
	// Decrypt opens what ReadFile read when it is SOPS-encrypted and returns it unchanged
	// when it is not; nil means DecryptFile. It is the one place decrypted content enters
	// a run, so that its caller can tell where the content may go.
	Decrypt func(path string, data []byte) ([]byte, error)
	// AllowHelpers lets fromConfig run docker-credential-<name> helpers where the spec asks.
	AllowHelpers bool
}

// resolver is the credsource.Resolver of s.
func (s Sources) resolver() *credsource.Resolver {
	r := &credsource.Resolver{BaseDir: s.BaseDir, LookupEnv: s.LookupEnv, ReadFile: s.ReadFile, Decrypt: s.Decrypt, AllowHelpers: s.AllowHelpers}
	if r.BaseDir == "" {
		r.BaseDir = "."
	}
	if r.Decrypt == nil {
		r.Decrypt = DecryptFile
	}
	return r
}

// Run processes one PullAccess over items: Decode, then Process. It returns the output
// items and the results; when a result is an error the items are nil and nothing may be
// written.
func Run(config *yaml.RNode, items []*yaml.RNode, opts Options) ([]*yaml.RNode, framework.Results) {
	if opts.File == "" && config != nil {
		opts.File = pathOf(config)
	}
	if opts.Sources.BaseDir == "" {
		opts.Sources.BaseDir = specDir(config)
	}
	pa, problems := Decode(config)
	src := Source{File: opts.File}
	if pa == nil {
		return nil, problems.Results(src)
	}
	src.Name = pa.Metadata.Name
	out, problems := Process(pa, problems, items, opts)
	return out, problems.Results(src)
}

// Process processes a PullAccess that Decode read, with the problems Decode found, over
// items. It returns the output items and every problem; when one is an error the items are
// nil and nothing may be written (Problems.Err makes them an error).
func Process(pa *v1alpha1.PullAccess, problems Problems, items []*yaml.RNode, opts Options) ([]*yaml.RNode, Problems) {
	resolver := opts.Sources.resolver()
	if opts.OutputDir == "" {
		opts.OutputDir = resolver.BaseDir
	}
	if opts.Stats == nil {
		opts.Stats = &Stats{}
	}
	problems = append(slices.Clip(problems), Validate(pa)...)
	if problems.HasErrors() {
		return nil, problems
	}
	namespaces, selected, p := targetNamespaces(pa, items, opts.Inventory, opts.InventoryFrom)
	problems = append(problems, p...)
	pa.Spec.Namespaces = namespaces
	creds, p := resolve(pa, resolver, opts.KeysOnly)
	problems = append(problems, p...)
	problems = append(problems, mirrorNotes(pa)...)
	expiries, p := readExpiries(pa, resolver, opts.KeysOnly)
	problems = append(problems, p...)
	var global dockercfg.Auths
	if pa.Spec.GlobalPullSecret != nil && !opts.KeysOnly {
		global, p = globalPullSecret(pa, resolver, creds)
		problems = append(problems, p...)
	}
	if problems.HasErrors() {
		return nil, problems
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	kept, earlier := splitEarlier(pa.Metadata.Name, items)
	out, p := apply(pa, creds.namespaced(), global, kept, soonest(expiries), selected)
	problems = append(problems, p...)
	problems = append(problems, expiryProblems(pa, expiries, now)...)
	problems = append(problems, pullCheck(pa, creds.all, out, now)...)
	switch {
	case pa.Spec.Output.Sealed != nil && !opts.KeysOnly:
		out, p = sealSecrets(pa, out, resolver, now, opts.Stats)
		problems = append(problems, p...)
	case pa.Encrypt() && !opts.Plaintext:
		out, p = encryptSecrets(pa, out, earlier, opts.OutputDir, opts.Stats)
		problems = append(problems, p...)
	default:
		for _, o := range out {
			if o.GetKind() == "Secret" && manifest.IsGeneratedBy(o, pa.Metadata.Name) {
				opts.Stats.Plaintext++
			}
		}
	}
	if problems.HasErrors() {
		return nil, problems
	}
	return out, problems
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
