package render

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/core/scope"
)

// No plaintext inside the build. What a PullAccess makes of its credentials (the data of
// the Secrets it generates, and the annotations derived from its sources) enters the
// kustomize build as an opaque stand-in: manifest.HeldPrefix, a random nonce of this
// render and an index. The values themselves stay here, each with the scope of the
// ciphertext it was made of, and are put in place after the build (place.go). So no
// kustomize error, transformer or replacement can show, copy or move a plaintext: at most
// a stand-in, which is put in place only where its scope allows.

// held are the values kept out of one render's build.
type held struct {
	nonce  string
	values []heldValue
}

// heldValue is one value kept out of the build and the scope of what it was made of.
type heldValue struct {
	node  yaml.Node
	scope scope.Scope
}

func newHeld() *held {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return &held{nonce: hex.EncodeToString(b)}
}

// hold keeps n's value and puts a stand-in in its place.
func (h *held) hold(n *yaml.Node, s scope.Scope) {
	h.values = append(h.values, heldValue{node: *n, scope: s})
	n.Kind, n.Tag, n.Style, n.Value, n.Content = yaml.ScalarNode, "!!str", 0, h.standIn(len(h.values)-1), nil
}

// standIn is the stand-in of value i: padded with zeros to a length base64 accepts.
func (h *held) standIn(i int) string {
	prefix := manifest.HeldPrefix + h.nonce + "+"
	idx := strconv.Itoa(i)
	pad := (4 - (len(prefix)+len(idx))%4) % 4
	return prefix + strings.Repeat("0", pad) + idx
}

// lookup returns the value a stand-in stands for. ok is false for a scalar that holds no
// stand-in of this render; an error for one that holds a stand-in but is not one (a
// stand-in cut, or joined with other text).
func (h *held) lookup(s string) (v heldValue, ok bool, err error) {
	i := strings.Index(s, manifest.HeldPrefix)
	if i < 0 {
		return v, false, nil
	}
	rest, found := strings.CutPrefix(s[i+len(manifest.HeldPrefix):], h.nonce+"+")
	n, perr := strconv.Atoi(rest)
	if i != 0 || !found || perr != nil || n < 0 || n >= len(h.values) || s != h.standIn(n) {
		return v, true, fmt.Errorf("a field holds part of a value render keeps out of the build, cut or joined with other text (a replacement with options.delimiter or index, a patch): such a value may only be moved whole")
	}
	return h.values[n], true, nil
}

// holdSecrets keeps out of the build, with scope s, what a PullAccess made of its sources
// in the objects it generated: every value of a Secret's data and stringData, and every
// annotation of pullgen's but the name of the PullAccess.
func (h *held) holdSecrets(objs []*yaml.RNode, pullAccess string, s scope.Scope) error {
	for _, o := range objs {
		if o.GetKind() != "Secret" || !manifest.IsGeneratedBy(o, pullAccess) {
			continue
		}
		if o.GetAnnotations()[needsHash] != "" {
			return fmt.Errorf("Secret %s: the annotation %s asks kustomize for a name made from the Secret's values, which render keeps out of the build", o.GetName(), needsHash)
		}
		for _, field := range []string{"data", "stringData"} {
			if m := o.Field(field); m != nil && m.Value.YNode().Kind == yaml.MappingNode {
				for i := 1; i < len(m.Value.YNode().Content); i += 2 {
					h.hold(m.Value.YNode().Content[i], s)
				}
			}
		}
		if a, err := o.Pipe(yaml.Lookup("metadata", "annotations")); err == nil && a != nil {
			c := a.YNode().Content
			for i := 0; i+1 < len(c); i += 2 {
				if strings.HasPrefix(c[i].Value, manifest.AnnotationPrefix) && c[i].Value != manifest.AnnotationPullAccess {
					h.hold(c[i+1], s)
				}
			}
		}
	}
	return nil
}

// needsHash is kustomize's annotation that gives an object a name suffix hashed from its
// content.
const needsHash = "kustomize.config.k8s.io/needs-hash"
