package cli

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"pullgen.dev/pullgen/internal/sandbox"
	"pullgen.dev/pullgen/internal/sopsx"
)

// keyFlags are the operator's choices of decryption keys and key services, for the
// commands that read an untrusted repository (render, discover).
type keyFlags struct {
	enable, pgpKeyFiles, hosts stringsFlag
}

// register adds the flags to fs.
func (k *keyFlags) register(fs *flag.FlagSet) {
	fs.Var(&k.enable, "enable-key-type", "also decrypt with `TYPE` keys besides age: pgp, awsKms, gcpKms, azureKeyVault, hcVaultTransit (comma-separated or repeated)")
	fs.Var(&k.pgpKeyFiles, "pgp-key-file", "OpenPGP private key `FILE` (armored or binary, no passphrase) for pgp keys; gpg never runs (repeatable)")
	fs.Var(&k.hosts, "allow-key-host", "let key services be reached at `HOST[:PORT]` (port 443 by default); Vault and Azure Key Vault keys elsewhere are refused (repeatable)")
}

// networkKeyTypes are the key types that reach a key service over the network.
var networkKeyTypes = []string{sopsx.KeyAWSKMS, sopsx.KeyGCPKMS, sopsx.KeyAzureKeyVault, sopsx.KeyHCVaultTransit}

// enabledTypes are the sops identifiers of the key types enabled with --enable-key-type.
func (k *keyFlags) enabledTypes() ([]string, error) {
	var types []string
	for _, v := range k.enable {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			typ, ok := "", false
			for n, t := range sopsx.KeyTypeNames {
				if strings.EqualFold(n, name) {
					typ, ok = t, true
				}
			}
			if !ok {
				return nil, fmt.Errorf("--enable-key-type %q: not a key type (age is always enabled; the others are %s)",
					clip(name), strings.Join(slices.Sorted(maps.Keys(sopsx.KeyTypeNames)), ", "))
			}
			if !slices.Contains(types, typ) {
				types = append(types, typ)
			}
		}
	}
	return types, nil
}

// confine readies the operator's keys and confines the process to root for good: age
// identities and PGP keys are read now, then the kernel and in-process sandbox let the
// process read only beneath root (and the credential files of the key services
// enabled), run nothing, write nothing and connect only to the allowed key services.
// Call it before reading anything of the repository.
func confine(std IO, root string, k keyFlags) error {
	types, err := k.enabledTypes()
	if err != nil {
		return err
	}
	pgp := slices.Contains(types, sopsx.KeyPGP)
	switch {
	case pgp && len(k.pgpKeyFiles) == 0:
		return errors.New("--enable-key-type pgp needs --pgp-key-file (render decrypts PGP keys in process and never runs gpg)")
	case !pgp && len(k.pgpKeyFiles) > 0:
		return errors.New("--pgp-key-file needs --enable-key-type pgp")
	case len(k.hosts) > 0 && !slices.ContainsFunc(types, func(t string) bool { return slices.Contains(networkKeyTypes, t) }):
		return errors.New("--allow-key-host needs a key type that reaches a key service: --enable-key-type awsKms, gcpKms, azureKeyVault or hcVaultTransit")
	}
	gate, err := sandbox.NewGate(k.hosts)
	if err != nil {
		return fmt.Errorf("--allow-key-host: %w", err)
	}
	roots, err := caBundles(types, std.Getenv)
	if err != nil {
		return err
	}
	client, err := gate.Client(roots...)
	if err != nil {
		return err
	}
	keys := &sopsx.OperatorKeys{Enabled: types, Allows: gate.Allows, HTTPClient: client, Dial: gate.DialContext}
	keys.Age, keys.AgeProblems = sopsx.LoadAgeIdentities(std.Getenv)
	if keys.PGP, err = sopsx.ReadPGPKeys(k.pgpKeyFiles); err != nil {
		return err
	}
	sopsx.UseOperatorKeys(keys)
	_, err = sandbox.Confine(sandbox.Policy{
		ReadDirs:  []string{root},
		ReadFiles: credentialFiles(types, std.Getenv),
		Gate:      gate,
		Warn:      std.Stderr,
	})
	return err
}

// caBundles reads the private CAs the operator set for the enabled key services
// (AWS_CA_BUNDLE; VAULT_CACERT and the files of VAULT_CAPATH), for the one HTTP client
// they all share. The libraries no longer see these variables: the AWS SDK refuses a
// client it did not build when AWS_CA_BUNDLE is set, and Vault's reads them (and client
// certificates, which the shared client does not present) for a client that is replaced
// anyway, from inside the sandbox.
func caBundles(types []string, getenv func(string) string) ([][]byte, error) {
	var files []string
	if f := getenv("AWS_CA_BUNDLE"); f != "" && slices.Contains(types, sopsx.KeyAWSKMS) {
		files = append(files, f)
	}
	if slices.Contains(types, sopsx.KeyHCVaultTransit) {
		if f := getenv("VAULT_CACERT"); f != "" {
			files = append(files, f)
		}
		if d := getenv("VAULT_CAPATH"); d != "" {
			entries, err := os.ReadDir(d)
			if err != nil {
				return nil, fmt.Errorf("reading VAULT_CAPATH %s: %w", d, errors.Unwrap(err))
			}
			for _, e := range entries {
				if e.Type().IsRegular() {
					files = append(files, filepath.Join(d, e.Name()))
				}
			}
		}
	}
	var pems [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading the CA bundle %s: %w", f, errors.Unwrap(err))
		}
		pems = append(pems, b)
	}
	for _, v := range []string{"AWS_CA_BUNDLE", "VAULT_CACERT", "VAULT_CAPATH", "VAULT_CLIENT_CERT", "VAULT_CLIENT_KEY"} {
		os.Unsetenv(v)
	}
	return pems, nil
}

// credentialFiles are the files the libraries of the enabled key types read when they
// decrypt (configuration, credentials, projected tokens), from the operator's
// environment: they stay readable in the sandbox, and only they.
func credentialFiles(types []string, getenv func(string) string) []string {
	home := getenv("HOME")
	or := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		if home == "" {
			return ""
		}
		return filepath.Join(home, def)
	}
	var files []string
	for _, t := range types {
		switch t {
		case sopsx.KeyAWSKMS:
			files = append(files, or("AWS_CONFIG_FILE", ".aws/config"), or("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
				getenv("AWS_WEB_IDENTITY_TOKEN_FILE"), getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"))
		case sopsx.KeyGCPKMS:
			files = append(files, getenv("GOOGLE_APPLICATION_CREDENTIALS"), filepath.Join(or("CLOUDSDK_CONFIG", ".config/gcloud"), "application_default_credentials.json"))
			if c := getenv("GOOGLE_CREDENTIALS"); c != "" && !strings.HasPrefix(strings.TrimSpace(c), "{") {
				files = append(files, c)
			}
		case sopsx.KeyAzureKeyVault:
			files = append(files, getenv("AZURE_FEDERATED_TOKEN_FILE"), getenv("AZURE_CLIENT_CERTIFICATE_PATH"))
		case sopsx.KeyHCVaultTransit:
			if getenv("VAULT_TOKEN") == "" && home != "" {
				files = append(files, filepath.Join(home, ".vault-token"))
			}
		}
	}
	var abs []string
	for _, f := range files {
		if f != "" && filepath.IsAbs(f) {
			abs = append(abs, f)
		}
	}
	return abs
}

// clip quotes at most 200 bytes of input in a message.
func clip(s string) string {
	if len(s) > 200 {
		return s[:197] + "..."
	}
	return s
}
