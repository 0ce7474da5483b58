package sopsx

import (
	"errors"
	"fmt"
	"slices"

	"github.com/getsops/sops/v3"

	"pullgen.dev/pullgen/internal/core/scope"
)

// SetScope writes a scope marker into a SOPS-encrypted file with the keys k, as
// `sops edit` would: the file is decrypted, its scope markers are replaced by marker,
// stored under scope.MarkerKey (in an INI file, key scope of section [pullgen]), and it is
// encrypted again with the same data key under the same rules, the MAC updated. The sops
// CLI still decrypts the result (a binary file's `sops -d` prints its data alone). The
// marker must end up among the values the MAC covers: under mac_only_encrypted, the file's
// rules must encrypt it.
func (k Keys) SetScope(data []byte, format, marker string) ([]byte, error) {
	if !scope.IsMarker(marker) {
		return nil, fmt.Errorf("%q is not a scope marker", marker)
	}
	store, err := storeFor(format)
	if err != nil {
		return nil, err
	}
	tree, err := loadEncrypted(store, data)
	if err != nil {
		if errors.Is(err, errNotEncrypted) {
			return nil, errors.New("not SOPS-encrypted: a scope protects ciphertext; encrypt the file with sops first")
		}
		return nil, err
	}
	key, err := k.dataKey(&tree.Metadata)
	if err != nil {
		return nil, err
	}
	c := newCipher()
	if err := decryptTree(tree, key, c); err != nil {
		return nil, err
	}
	for i := range tree.Branches {
		tree.Branches[i] = withoutMarkers(tree.Branches[i])
	}
	item := sops.TreeItem{Key: scope.MarkerKey, Value: marker}
	if format == "ini" {
		item = sops.TreeItem{Key: "pullgen", Value: sops.TreeBranch{{Key: "scope", Value: marker}}}
	}
	tree.Branches[0] = append(tree.Branches[0], item)
	if err := encryptTree(tree, key, c); err != nil {
		return nil, err
	}
	out, err := store.EmitEncryptedFile(*tree)
	if err != nil {
		return nil, errors.New("writing the encrypted file failed")
	}
	opened, err := k.OpenFile(out, format)
	if err != nil {
		return nil, fmt.Errorf("reading back the file written: %w", err)
	}
	if !slices.Equal(opened.Markers, []string{marker}) {
		return nil, errors.New("the file's rules leave the scope outside what its MAC covers (mac_only_encrypted with a key the rules do not encrypt): encrypt it without mac_only_encrypted, or with rules that encrypt " + scope.MarkerKey)
	}
	return out, nil
}

// withoutMarkers drops every entry of a branch, at any depth, whose value is a scope
// marker, and the INI section [pullgen] that only held one.
func withoutMarkers(b sops.TreeBranch) sops.TreeBranch {
	out := b[:0]
	for _, item := range b {
		switch v := item.Value.(type) {
		case string:
			if scope.IsMarker(v) {
				continue
			}
		case sops.TreeBranch:
			item.Value = withoutMarkers(v)
			if len(item.Value.(sops.TreeBranch)) == 0 && item.Key == "pullgen" {
				continue
			}
		}
		out = append(out, item)
	}
	return out
}
