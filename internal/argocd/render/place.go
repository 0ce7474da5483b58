package render

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/scope"
)

// Putting values in place. This is the one place where a plaintext enters render's
// output: after the build, every scalar of every object is looked at, and a stand-in of a
// value PullAccess made (held.go) or a ciphertext of an encrypted document (sealed.go) is
// replaced by its value only when the value's scope allows the object it now stands in.
// Whatever path a value took through the build (kustomize's namespace:, prefixes,
// patches, replacements, a generator naming another directory's PullAccess, the
// Application's namespaces parameter), it is checked here, against what its ciphertext
// says, and not in each of those paths.

// operatorScope is s as the operator's flags let it be: unscoped ciphertext goes anywhere
// under --allow-unscoped, and objects may be renamed under --allow-retarget.
func (r *renderer) operatorScope(s scope.Scope) scope.Scope {
	if r.o.AllowUnscoped && s.IsUnscoped() {
		s = s.Allow()
	}
	if r.o.AllowRetarget {
		s = s.Loose()
	}
	return s
}

// place puts every value render kept out of the build, and the plaintext of every
// encrypted document it decrypted (openSealed), in place, in every object, checked
// against its scope.
func (r *renderer) place(nodes []*yaml.RNode) error {
	for _, n := range nodes {
		id := identityOf(n)
		if err := r.placeIn(n.YNode(), id, false); err != nil {
			return err
		}
		if r.o.Decrypt && n.Field("sops") != nil {
			if _, err := n.Pipe(yaml.Clear("sops")); err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
		}
	}
	return nil
}

// placeIn puts the values in place under n, a node of object id; key tells that n is a
// mapping key, where no value may go.
func (r *renderer) placeIn(n *yaml.Node, id identity, key bool) error {
	if n.Kind != yaml.ScalarNode {
		for i, c := range n.Content {
			if err := r.placeIn(c, id, n.Kind == yaml.MappingNode && i%2 == 0); err != nil {
				return err
			}
		}
		return nil
	}
	v, stand, err := r.held.lookup(n.Value)
	ok := stand
	if !ok && isCiphertext(n.Value) {
		v, ok = r.plain[n.Value]
	}
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", id, err)
	case !ok:
		return nil
	case key:
		return fmt.Errorf("%s: a key of a mapping holds a value render keeps out of the build", id)
	}
	if err := v.scope.Allows(id.apiVersion, id.kind, id.namespace, id.name); err != nil {
		return fmt.Errorf("%s: a value cannot go here: %w%s", id, err, fix(v.scope))
	}
	n.Kind, n.Tag, n.Style, n.Value, n.Content = v.node.Kind, v.node.Tag, v.node.Style, v.node.Value, v.node.Content
	if stand && isCiphertext(n.Value) { // a stand-in for ciphertext kept as such (an earlier copy)
		return r.placeIn(n, id, key)
	}
	return nil
}

// fix says how to lift a refusal of unscoped ciphertext.
func fix(s scope.Scope) string {
	if !s.IsUnscoped() {
		return ""
	}
	return ": give the Secret a namespace, or a credential file a scope with `pullgen scope --namespace NAMESPACE FILE`; or let the operator declare the repository one trust domain (render --allow-unscoped)"
}
