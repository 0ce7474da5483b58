package sopsx

import (
	"fmt"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/stores/dotenv"
	"github.com/getsops/sops/v3/stores/ini"
	sopsjson "github.com/getsops/sops/v3/stores/json"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"

	"pullgen.dev/pullgen/internal/core/scope"
)

// storeFor returns the sops store of a format as credsource.DetectFormat names it
// ("yaml", "json", "dotenv", "ini", "binary"), configured as the sops CLI's defaults.
func storeFor(format string) (sops.Store, error) {
	c := config.NewStoresConfig()
	switch format {
	case "yaml":
		return sopsyaml.NewStore(&c.YAML), nil
	case "json":
		return sopsjson.NewStore(&c.JSON), nil
	case "dotenv":
		return dotenv.NewStore(&c.Dotenv), nil
	case "ini":
		return ini.NewStore(&c.INI), nil
	case "binary":
		return sopsjson.NewBinaryStore(&c.JSONBinary), nil
	default:
		return nil, fmt.Errorf("unknown format %q (yaml, json, dotenv, ini or binary)", format)
	}
}

// IsEncryptedFile tells whether data, read as format, carries sops metadata: a top-level
// `sops` key (YAML, JSON, binary), `sops_*` keys (dotenv) or a [sops] section (INI).
func IsEncryptedFile(data []byte, format string) bool {
	store, err := storeFor(format)
	if err != nil {
		return false
	}
	_, err = store.LoadEncryptedFile(data)
	return err == nil
}

// DecryptFile decrypts a file that `sops -e` wrote, in the format given ("yaml", "json",
// "dotenv", "ini", "binary"; credsource.DetectFormat maps a path to it), and returns the
// plaintext in the same format, as `sops -d` prints it (binary: the raw bytes). Errors are
// those of Decrypt and never carry the file's content.
func (k Keys) DecryptFile(data []byte, format string) ([]byte, error) {
	f, err := k.OpenFile(data, format)
	return f.Plain, err
}

// Opened is a file OpenFile decrypted.
type Opened struct {
	// Plain is the plaintext in the file's format, as `sops -d` prints it.
	Plain []byte
	// Markers are the scope markers (scope.IsMarker) among the file's values that its MAC
	// covers: every value, or only the encrypted ones under mac_only_encrypted. SOPS does
	// not authenticate keys, so they are found by value, wherever they stand.
	Markers []string
}

// OpenFile decrypts a file as DecryptFile does and also returns its scope markers.
func (k Keys) OpenFile(data []byte, format string) (Opened, error) {
	store, err := storeFor(format)
	if err != nil {
		return Opened{}, fmt.Errorf("decrypting a sops file: %w", err)
	}
	tree, err := loadEncrypted(store, data)
	if err != nil {
		return Opened{}, fmt.Errorf("decrypting a sops %s file: %w", format, err)
	}
	key, err := k.dataKey(&tree.Metadata)
	if err != nil {
		return Opened{}, fmt.Errorf("decrypting a sops %s file: %w", format, err)
	}
	c := newCipher()
	if err := decryptTree(tree, key, c); err != nil {
		return Opened{}, fmt.Errorf("decrypting a sops %s file: %w", format, err)
	}
	f := Opened{Markers: c.state.markers}
	if !tree.Metadata.MACOnlyEncrypted {
		// Every value is authenticated, the unencrypted ones too.
		f.Markers = nil
		walkLeaves(tree.Branches, func(v any) {
			if s, ok := v.(string); ok && scope.IsMarker(s) {
				f.Markers = append(f.Markers, s)
			}
		})
	}
	if f.Plain, err = store.EmitPlainFile(tree.Branches); err != nil {
		return Opened{}, fmt.Errorf("decrypting a sops %s file: writing the plaintext failed", format)
	}
	return f, nil
}

// walkLeaves calls fn with every value of a tree that is neither a branch, a list nor a
// comment, in order.
func walkLeaves(branches sops.TreeBranches, fn func(any)) {
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case sops.TreeBranch:
			for _, item := range x {
				if _, comment := item.Key.(sops.Comment); !comment {
					walk(item.Value)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case sops.Comment:
		default:
			fn(x)
		}
	}
	for _, b := range branches {
		walk(b)
	}
}
