package sopsx

import (
	"errors"
	"fmt"
	"time"

	"github.com/getsops/sops/v3"
)

// unencryptedSuffix is what the sops CLI leaves in clear when no selector is given: keys
// ending in it.
const unencryptedSuffix = "_unencrypted"

// EncryptFile encrypts a plain file in format ("yaml", "json", "dotenv", "ini", "binary")
// for the recipients of rules, as `sops -e` does without a selector: every value, whatever
// the rules' selectors and mac_only_encrypted say (they are written for Kubernetes objects,
// whose metadata stays in clear; a file of secrets has nothing to leave in clear). The sops
// CLI decrypts the result. Errors never carry the file's content.
func EncryptFile(plain []byte, format string, rules Rules) ([]byte, error) {
	rules.EncryptedRegex, rules.UnencryptedRegex, rules.MACOnlyEncrypted = "", "", false
	c, err := compile(rules)
	if err != nil {
		return nil, err
	}
	store, err := storeFor(format)
	if err != nil {
		return nil, err
	}
	branches, err := store.LoadPlainFile(plain)
	if err != nil {
		return nil, fmt.Errorf("it does not parse as %s", format)
	}
	meta := c.metadata(time.Now().UTC())
	meta.EncryptedRegex, meta.UnencryptedRegex, meta.UnencryptedSuffix = "", "", unencryptedSuffix
	key, err := newDataKey(&meta)
	if err != nil {
		return nil, err
	}
	tree := sops.Tree{Branches: branches, Metadata: meta}
	if err := encryptTree(&tree, key, newCipher()); err != nil {
		return nil, err
	}
	out, err := store.EmitEncryptedFile(tree)
	if err != nil {
		return nil, errors.New("writing the encrypted file failed")
	}
	return out, nil
}
