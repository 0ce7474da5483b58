package sopsx

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/stores"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Result is what EncryptResult returns: the encrypted object, what was done with the
// earlier copy, and why when that copy could not be used.
type Result struct {
	// Object is the encrypted object.
	Object *yaml.RNode
	// Status tells what was done with the earlier copy.
	Status Status
	// Reason explains a Rekeyed or Reencrypted status (which recipients, which key is
	// missing); empty otherwise. It never carries a value.
	Reason string
}

// Encrypt returns a copy of obj (a Kubernetes object, typically a Secret) with the values
// under the keys that rules.EncryptedRegex matches encrypted in place and a top-level `sops:`
// block, as `sops -e --encrypted-regex ... file.yaml` would write it.
//
// previous, when not nil, is an earlier encrypted version of the same object. If it
// decrypts with a key at hand and its plaintext equals obj (same recipients and
// settings), previous is returned unchanged. If it decrypts and differs, obj is encrypted
// with previous's data key and the IVs of its unchanged values, so that only the changed
// values, the MAC and lastmodified change. If it cannot be decrypted, obj is encrypted
// afresh and the status says so (EncryptResult gives the reason).
func Encrypt(obj *yaml.RNode, rules Rules, previous *yaml.RNode) (*yaml.RNode, Status, error) {
	res, err := EncryptResult(obj, rules, previous)
	return res.Object, res.Status, err
}

// EncryptResult is Encrypt with the reason of a Rekeyed or Reencrypted status.
func EncryptResult(obj *yaml.RNode, rules Rules, previous *yaml.RNode) (Result, error) {
	what := objectName(obj)
	c, err := compile(rules)
	if err != nil {
		return Result{}, fmt.Errorf("encrypting %s: %w", what, err)
	}
	if obj == nil || obj.YNode() == nil || obj.YNode().Kind != yaml.MappingNode {
		return Result{}, fmt.Errorf("encrypting %s: not a YAML mapping", what)
	}
	if obj.Field(stores.SopsMetadataKey) != nil {
		return Result{}, fmt.Errorf("encrypting %s: it already carries a sops block", what)
	}

	res := Result{Status: New}
	if previous != nil {
		r, done, err := c.fromPrevious(obj, previous)
		if err != nil {
			return Result{}, fmt.Errorf("encrypting %s: %w", what, err)
		}
		if done {
			return r, nil
		}
		res = r
	}

	meta := c.metadata(time.Now().UTC())
	key, err := newDataKey(&meta)
	if err != nil {
		return Result{}, fmt.Errorf("encrypting %s: %w", what, err)
	}
	res.Object, err = c.seal(obj, nil, meta, key, newCipher())
	if err != nil {
		return Result{}, fmt.Errorf("encrypting %s: %w", what, err)
	}
	return res, nil
}

// seal encrypts obj with key under metadata meta: directly on its nodes when the object
// allows it (fastseal.go), else through the sops YAML store. branch is obj's sops tree
// when the caller has it already.
func (c *compiled) seal(obj *yaml.RNode, branch sops.TreeBranch, meta sops.Metadata, key []byte, ciph safeCipher) (*yaml.RNode, error) {
	if fastEligible(obj.YNode()) {
		return c.sealNodes(obj, meta, key, ciph)
	}
	if branch == nil {
		var err error
		if branch, err = plainBranch(obj); err != nil {
			return nil, err
		}
	}
	tree := sops.Tree{Branches: sops.TreeBranches{branch}, Metadata: meta}
	return sealObject(&tree, key, ciph)
}

// newDataKey generates a data key and wraps it for every master key of m (splitting it
// into Shamir shares when there are several key groups).
func newDataKey(m *sops.Metadata) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generating a data key: %w", err)
	}
	if errs := m.UpdateMasterKeysWithKeyServices(key, keyServices); len(errs) > 0 {
		return nil, fmt.Errorf("wrapping the data key for the recipients: %w", errors.Join(errs...))
	}
	m.DataKey = nil // not kept with the metadata
	return key, nil
}

// sealObject encrypts tree with key and writes it as an object.
func sealObject(tree *sops.Tree, key []byte, c safeCipher) (*yaml.RNode, error) {
	if err := encryptTree(tree, key, c); err != nil {
		return nil, err
	}
	text, err := yamlStore.EmitEncryptedFile(*tree)
	if err != nil {
		return nil, fmt.Errorf("writing the encrypted object failed")
	}
	return emitObject(text)
}

// fromPrevious decides what an earlier encrypted copy allows. done is true when the result
// is final (Unchanged, or Updated with the object sealed); otherwise the caller encrypts
// afresh and keeps the status and reason of r.
func (c *compiled) fromPrevious(obj, previous *yaml.RNode) (r Result, done bool, err error) {
	r, done, err = c.fromPreviousObject(obj, previous)
	if errors.Is(err, errMACMismatch) {
		// kpt and kustomize annotate the items they pass: try without their annotations.
		if stripped, _ := withoutToolAnnotations(previous); stripped != nil {
			r2, done2, err2 := c.fromPreviousObject(obj, stripped)
			if err2 == nil {
				if r2.Status == Unchanged {
					r2.Object = previous.Copy()
				}
				return r2, done2, nil
			}
		}
	}
	if err != nil {
		if errors.Is(err, errUnreadablePrevious) {
			return Result{Status: Reencrypted, Reason: "the earlier copy could not be decrypted: " + strings.TrimPrefix(err.Error(), errUnreadablePrevious.Error()+": ")}, false, nil
		}
		return Result{}, false, err
	}
	return r, done, nil
}

// errUnreadablePrevious wraps the reasons why an earlier copy cannot be used.
var errUnreadablePrevious = errors.New("unreadable earlier copy")

func (c *compiled) fromPreviousObject(obj, previous *yaml.RNode) (r Result, done bool, err error) {
	prev, err := encryptedTree(previous)
	if err != nil {
		return Result{Status: Reencrypted, Reason: "the earlier copy is not readable: " + err.Error()}, false, nil
	}
	if len(prev.Branches) != 1 {
		return Result{Status: Reencrypted, Reason: "the earlier copy is not a single document"}, false, nil
	}
	if !c.sameSettings(prev.Metadata) {
		return Result{Status: Rekeyed, Reason: "the recipients or encryption settings differ from the earlier copy's"}, false, nil
	}
	key, err := DefaultKeys().dataKey(&prev.Metadata) // the author's own earlier output
	if err != nil {
		return Result{}, false, fmt.Errorf("%w: %w", errUnreadablePrevious, err)
	}
	ciph := newCipher()
	if err := decryptTree(prev, key, ciph); err != nil {
		return Result{}, false, fmt.Errorf("%w: %w", errUnreadablePrevious, err)
	}
	branch, err := plainBranch(obj)
	if err != nil {
		return Result{}, false, err
	}
	before, err1 := yamlStore.EmitPlainFile(prev.Branches)
	after, err2 := yamlStore.EmitPlainFile(sops.TreeBranches{branch})
	if err1 != nil || err2 != nil {
		return Result{}, false, fmt.Errorf("comparing with the earlier copy failed")
	}
	if bytes.Equal(before, after) {
		return Result{Object: previous.Copy(), Status: Unchanged}, true, nil
	}
	// The sops edit recipe: same metadata (key groups with their wrapped data key), same
	// data key, and the cipher's stash of IVs from decrypting the earlier copy.
	meta := prev.Metadata
	meta.DataKey = nil
	meta.Version = Version()
	out, err := c.seal(obj, branch, meta, key, ciph)
	if err != nil {
		return Result{}, false, err
	}
	return Result{Object: out, Status: Updated}, true, nil
}

// HasRules tells whether an encrypted object was encrypted with the recipients and
// selectors of rules, which needs no key: it reads the object's sops metadata only.
func HasRules(obj *yaml.RNode, rules Rules) (bool, error) {
	c, err := compile(rules)
	if err != nil {
		return false, err
	}
	tree, err := encryptedTree(obj)
	if err != nil {
		return false, err
	}
	return c.sameSettings(tree.Metadata), nil
}
