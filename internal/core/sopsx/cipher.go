package sopsx

import (
	"fmt"
	"strings"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"

	"pullgen.dev/pullgen/internal/core/scope"
)

// safeCipher is the sops AES-GCM cipher with errors that never carry a value: the sops
// cipher quotes a value that does not parse as ENC[...] in its error, and such a value may
// be a credential written in clear. It also keeps the stash of IVs that makes `sops edit`
// re-encrypt unchanged values to the same ciphertext: one safeCipher serves the decryption
// of an earlier copy and the encryption of the new one.
type safeCipher struct {
	aes   aes.Cipher
	state *cipherState
}

// cipherState records the first value that failed, as the sops tree walk formats the
// cipher's error into its own instead of wrapping it.
type cipherState struct {
	failed *valueError
	// markers are the scope markers among the values decrypted (comments excluded).
	markers []string
}

func newCipher() safeCipher { return safeCipher{aes: aes.NewCipher(), state: &cipherState{}} }

func (c safeCipher) fail(e *valueError) error {
	if c.state.failed == nil {
		c.state.failed = e
	}
	return e
}

// valueError is the error of a value that does not decrypt or encrypt.
type valueError struct {
	path string // the sops additional data, "data:.dockerconfigjson:"
	op   string
}

func (e *valueError) Error() string {
	return fmt.Sprintf("the value at %s does not %s", fieldPath(e.path), e.op)
}

// fieldPath turns sops additional data ("data:key:") into a field path (data.key).
func fieldPath(ad string) string {
	p := strings.TrimSuffix(ad, ":")
	if p == "" {
		return "the document"
	}
	var b strings.Builder
	for i, k := range strings.Split(p, ":") {
		switch {
		case strings.ContainsAny(k, ". []"):
			fmt.Fprintf(&b, "[%q]", k)
		case i > 0:
			b.WriteString("." + k)
		default:
			b.WriteString(k)
		}
	}
	return b.String()
}

func (c safeCipher) Encrypt(plaintext interface{}, key []byte, additionalData string) (string, error) {
	out, err := c.aes.Encrypt(plaintext, key, additionalData)
	if err != nil {
		return "", c.fail(&valueError{path: additionalData, op: "encrypt (unsupported value type)"})
	}
	return out, nil
}

func (c safeCipher) Decrypt(ciphertext string, key []byte, additionalData string) (interface{}, error) {
	out, err := c.aes.Decrypt(ciphertext, key, additionalData)
	if err != nil {
		if !strings.HasPrefix(ciphertext, "ENC[AES256_GCM,") {
			return nil, c.fail(&valueError{path: additionalData, op: "decrypt: it is not a sops-encrypted value"})
		}
		return nil, c.fail(&valueError{path: additionalData, op: "decrypt: it fails authentication (modified, or encrypted with another data key)"})
	}
	if v, ok := out.(string); ok && scope.IsMarker(v) {
		c.state.markers = append(c.state.markers, v)
	}
	return out, nil
}

// errMACMismatch is the error of a MAC that decrypts but does not match the values.
var errMACMismatch = fmt.Errorf("%w: MAC mismatch (a value or an unencrypted field was modified after encryption)", ErrTampered)

// encryptTree encrypts every selected value of tree with dataKey and sets the MAC and
// lastmodified, as the sops CLI does.
func encryptTree(tree *sops.Tree, dataKey []byte, c safeCipher) error {
	mac, err := tree.Encrypt(dataKey, c)
	if err != nil {
		return treeError(c, "encrypting")
	}
	tree.Metadata.LastModified = time.Now().UTC()
	tree.Metadata.MessageAuthenticationCode, err = c.Encrypt(mac, dataKey, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("encrypting the MAC failed")
	}
	return nil
}

// decryptTree decrypts every encrypted value of tree in place and verifies the MAC.
// On error the tree is left half-decrypted: callers drop it.
func decryptTree(tree *sops.Tree, dataKey []byte, c safeCipher) error {
	mac, err := tree.Decrypt(dataKey, c)
	if err != nil {
		return treeError(c, "decrypting")
	}
	stored, err := c.aes.Decrypt(tree.Metadata.MessageAuthenticationCode, dataKey, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("%w: the MAC does not decrypt (the MAC or lastmodified was modified)", ErrTampered)
	}
	if s, _ := stored.(string); s != mac {
		return errMACMismatch
	}
	return nil
}

// treeError reduces an error of the sops tree walk to a message without values: the walk's
// own errors may quote a value, so only what the cipher recorded is kept.
func treeError(c safeCipher, doing string) error {
	if ve := c.state.failed; ve != nil {
		if doing == "decrypting" {
			return fmt.Errorf("%w: %s", ErrTampered, ve.Error())
		}
		return ve
	}
	return fmt.Errorf("%s the values failed: the object holds a value or key of a type sops cannot process", doing)
}
