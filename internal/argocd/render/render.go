// Package render is `pullgen render`, the generate step of the Argo CD config management
// plugin: it builds a kustomization of an untrusted repository in process with the
// kustomize API, runs the PullAccess resources of its generators and transformers itself,
// decrypts what SOPS encrypted, and returns one YAML stream. It reads as its steps, a file
// each:
//
//   - confine (confine.go, fs.go): nothing is read outside the repository root, and only
//     regular files, lazily, within caps, never the decryption keys; YAML is measured before
//     anything parses it;
//   - load (load.go, graph.go, remote.go): every kustomization and configuration is checked
//     against the sandbox's rules (nothing remote, no plugin, function or Helm, what
//     kustomize would do counted against the caps) and rewritten in memory; the PullAccess
//     resources run there (pullaccess.go), each decoded once, checked and processed by
//     package fn, whose values enter the build as stand-ins (held.go) bound to the scope of
//     what they were made of (sources.go);
//   - build (build.go): kustomize alone builds the result, no plugin of any kind;
//   - decrypt (sealed.go): encrypted documents went through the build as ciphertext, and are
//     decrypted from their copies in the repository, with the keys the options carry;
//   - verify (place.go): the one place values are put in place, each only where the scope of
//     its ciphertext allows;
//   - print: the objects, as one YAML stream.
//
// The wall time and the memory of the whole render are capped (package bound), and errors
// quote at most a short excerpt of input. Render must not run a program, reach the
// network, write to disk, read a decryption key as part of the repository, or let a
// plaintext into the kustomize build; it reads no flag and sets no exit code.
package render

import (
	"sync"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/sopsx"
	"pullgen.dev/pullgen/internal/untrusted/bound"
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

// render is one render, step by step.
func render(o Options, limits Limits) ([]byte, error) {
	o.AllowUnscoped = o.AllowUnscoped || o.Trusted
	dir, fsys, err := confine(o, limits)
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

// run loads, builds, decrypts, verifies and prints the kustomization at dir.
func (r *renderer) run(dir string) ([]byte, error) {
	if err := r.prepare(dir); err != nil { // load
		return nil, err
	}
	m, err := r.buildMap(dir) // build
	if err != nil {
		return nil, err
	}
	nodes := make([]*yaml.RNode, 0, m.Size())
	for _, res := range m.Resources() {
		nodes = append(nodes, &res.RNode)
	}
	if r.o.Decrypt { // decrypt
		if err := r.openSealed(nodes); err != nil {
			return nil, err
		}
	}
	if err := r.place(nodes); err != nil { // verify
		return nil, err
	}
	return m.AsYaml() // print
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
