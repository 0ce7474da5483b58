package sopsx

import (
	"errors"
	"fmt"

	"github.com/getsops/sops/v3"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// IsEncrypted tells whether an object carries a top-level sops block (a mapping under the
// key `sops`).
func IsEncrypted(obj *yaml.RNode) bool {
	if obj == nil || obj.YNode() == nil || obj.YNode().Kind != yaml.MappingNode {
		return false
	}
	f := obj.Field("sops")
	return f != nil && f.Value != nil && f.Value.YNode().Kind == yaml.MappingNode
}

// Decrypt returns the plaintext copy of an encrypted object, its MAC verified, with the
// keys k. Errors wrap ErrNoKey, ErrWrongKey or ErrTampered when that is the cause; there
// is never a partial result.
//
// When the MAC does not match and the object carries bookkeeping annotations of kpt,
// kustomize or the KRM function framework (config.kubernetes.io/index and path,
// internal.config.kubernetes.io/*, ...), which such tools add after encryption, the
// decryption is tried again without them, and they are put back on the result.
func (k Keys) Decrypt(obj *yaml.RNode) (*yaml.RNode, error) {
	out, err := k.decryptObject(obj)
	if errors.Is(err, errMACMismatch) {
		if stripped, removed := withoutToolAnnotations(obj); stripped != nil {
			if out, err2 := k.decryptObject(stripped); err2 == nil {
				if err := restoreToolAnnotations(out, removed); err != nil {
					return nil, fmt.Errorf("decrypting %s: restoring its annotations failed", objectName(obj))
				}
				return out, nil
			}
		}
	}
	return out, err
}

func (k Keys) decryptObject(obj *yaml.RNode) (*yaml.RNode, error) {
	what := objectName(obj)
	tree, err := encryptedTree(obj)
	if err != nil {
		return nil, fmt.Errorf("decrypting %s: %w", what, err)
	}
	if len(tree.Branches) != 1 {
		return nil, fmt.Errorf("decrypting %s: not a single document", what)
	}
	if err := k.openTree(tree); err != nil {
		return nil, fmt.Errorf("decrypting %s: %w", what, err)
	}
	text, err := yamlStore.EmitPlainFile(tree.Branches)
	if err != nil {
		return nil, fmt.Errorf("decrypting %s: writing the plaintext failed", what)
	}
	out, err := emitObject(text)
	if err != nil {
		return nil, fmt.Errorf("decrypting %s: %w", what, err)
	}
	return out, nil
}

// openTree recovers the data key of tree and decrypts it in place, MAC verified.
func (k Keys) openTree(tree *sops.Tree) error {
	key, err := k.dataKey(&tree.Metadata)
	if err != nil {
		return err
	}
	return decryptTree(tree, key, newCipher())
}
