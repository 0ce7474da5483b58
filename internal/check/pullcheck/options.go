package pullcheck

import (
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// DefaultNamespace is the namespace of objects that name none, unless Options says otherwise.
const DefaultNamespace = "default"

// Options tune the check.
type Options struct {
	// Namespace is the namespace of objects without one; default "default".
	Namespace string
	// Private are registry keys (host[:port][/path], globs allowed) to treat as private in
	// addition to those PullAccess resources in the input declare.
	Private []string
	// PrivateFrom says in messages where Private comes from; default "--private".
	PrivateFrom string
	// Decrypt, when set, decrypts a SOPS-encrypted Secret (one with a top-level sops key)
	// so that its registry keys are read from its data. When nil or failing, the keys come
	// from the pullgen.dev/registries annotation.
	Decrypt func(*yaml.RNode) (*yaml.RNode, error)
	// ExpiringWithin reports the credentials (a Secret's pullgen.dev/expires-at) that
	// expire within this window: a warning for the Secret and for every workload that pulls
	// with it. An expired credential is an error whatever the window.
	ExpiringWithin time.Duration
	// Now is the time expiries are compared with; zero means the current time.
	Now time.Time
	// Verify, when set, verifies the credentials of every image online (Check).
	Verify Verifier
}

func (o Options) namespace() string {
	if o.Namespace != "" {
		return o.Namespace
	}
	return DefaultNamespace
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}
