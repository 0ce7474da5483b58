package sopsx

import (
	"fmt"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/stores/dotenv"
	"github.com/getsops/sops/v3/stores/ini"
	sopsjson "github.com/getsops/sops/v3/stores/json"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"
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
func DecryptFile(data []byte, format string) ([]byte, error) {
	store, err := storeFor(format)
	if err != nil {
		return nil, fmt.Errorf("decrypting a sops file: %w", err)
	}
	tree, err := loadEncrypted(store, data)
	if err != nil {
		return nil, fmt.Errorf("decrypting a sops %s file: %w", format, err)
	}
	if err := openTree(tree); err != nil {
		return nil, fmt.Errorf("decrypting a sops %s file: %w", format, err)
	}
	out, err := store.EmitPlainFile(tree.Branches)
	if err != nil {
		return nil, fmt.Errorf("decrypting a sops %s file: writing the plaintext failed", format)
	}
	return out, nil
}
