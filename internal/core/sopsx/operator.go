package sopsx

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	fage "filippo.io/age"
	"filippo.io/age/agessh"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/azkv"
	"github.com/getsops/sops/v3/gcpkms"
	"github.com/getsops/sops/v3/hcvault"
	"github.com/getsops/sops/v3/keys"
	"github.com/getsops/sops/v3/kms"
	"github.com/getsops/sops/v3/pgp"
	"google.golang.org/grpc"
)

// OperatorKeys are the decryption keys of a process that decrypts files it does not
// trust (pullgen render): keys, key types and key-service addresses come from the
// operator, never from a file's sops metadata. Age identities are used in process; PGP
// keys too (gpg never runs); AWS KMS, GCP KMS, Azure Key Vault and Vault keys only when
// enabled, through the operator's HTTP client and dialer, without the AWS profile and
// role a file names, and for Azure Key Vault and Vault only at allowed endpoints.
type OperatorKeys struct {
	// Age are the age identities (LoadAgeIdentities).
	Age []fage.Identity
	// AgeProblems say why identities the operator configured were not loaded: names of
	// variables and files, never key material. They explain a failed decryption.
	AgeProblems []string
	// PGP are the OpenPGP private keys (ReadPGPKeys).
	PGP openpgp.EntityList
	// Enabled are the key types besides age that may be used: KeyPGP, KeyAWSKMS,
	// KeyGCPKMS, KeyAzureKeyVault, KeyHCVaultTransit.
	Enabled []string
	// Allows tells whether a key service at a URL (Vault, Azure Key Vault) may be used.
	Allows func(url string) bool
	// HTTPClient makes every request of AWS KMS, Azure Key Vault and Vault.
	HTTPClient *http.Client
	// Dial makes every connection of GCP KMS.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)

	azureOnce sync.Once
	azure     azcore.TokenCredential
	azureErr  error
}

// Keys are the keys one decryption may use, passed to it as a value: DefaultKeys, or an
// operator's (OperatorKeys.Keys). No decryption finds its keys anywhere else.
type Keys struct {
	// operator is nil for the sops defaults.
	operator *OperatorKeys
}

// DefaultKeys are the keys of an author's machine: every key source the sops CLI reads
// (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_SSH_PRIVATE_KEY_FILE, the default age key
// file, the gpg agent and keyring, cloud KMS credentials).
func DefaultKeys() Keys { return Keys{} }

// Keys are o's keys only, for decrypting what the process does not trust.
func (o *OperatorKeys) Keys() Keys { return Keys{operator: o} }

// refusal is the failure of a key that the operator's policy excludes.
type refusal struct{ why, hint string }

func (r *refusal) Error() string { return r.why }

// decrypt recovers a data key from one master key with the operator's keys only.
func (o *OperatorKeys) decrypt(k keys.MasterKey) ([]byte, error) {
	if typ := k.TypeToIdentifier(); typ != KeyAge {
		name, known := flagName(typ)
		switch {
		case !known:
			return nil, &refusal{why: "key type " + typ + " is not supported here", hint: "use age keys"}
		case !slices.Contains(o.Enabled, typ):
			return nil, &refusal{why: "key type " + typ + " is not enabled", hint: "enable " + typ + " keys with pullgen render --enable-key-type " + name}
		}
	}
	switch k := k.(type) {
	case *age.MasterKey:
		if len(o.Age) == 0 {
			return nil, errors.New("no age identity")
		}
		c := *k
		age.ParsedIdentities(o.Age).ApplyToMasterKey(&c)
		return c.Decrypt()
	case *pgp.MasterKey:
		return o.decryptPGP(k)
	case *kms.MasterKey:
		// The profile and the role are the file's choice of the operator's credentials.
		c := *k
		c.AwsProfile, c.Role = "", ""
		kms.NewHTTPClient(o.HTTPClient).ApplyToMasterKey(&c)
		return c.Decrypt()
	case *gcpkms.MasterKey:
		c := *k
		gcpkms.DialOptions{grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return o.Dial(ctx, "tcp", addr)
		})}.ApplyToMasterKey(&c)
		return c.Decrypt()
	case *azkv.MasterKey:
		if o.Allows == nil || !o.Allows(k.VaultURL) {
			return nil, endpointRefusal(k.VaultURL)
		}
		cred, err := o.azureCredential()
		if err != nil {
			return nil, err
		}
		c := *k
		azkv.NewTokenCredential(cred).ApplyToMasterKey(&c)
		azkv.NewClientOptions(&azkeys.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: o.HTTPClient}}).ApplyToMasterKey(&c)
		return c.Decrypt()
	case *hcvault.MasterKey:
		if o.Allows == nil || !o.Allows(k.VaultAddress) {
			return nil, endpointRefusal(k.VaultAddress)
		}
		c := *k
		hcvault.NewHTTPClient(o.HTTPClient).ApplyToMasterKey(&c)
		return c.Decrypt()
	}
	return nil, fmt.Errorf("unsupported sops key type %T", k)
}

func endpointRefusal(address string) error {
	return &refusal{why: "the key service " + shortKey(address) + " is not an endpoint the operator allowed",
		hint: "allow the key service's endpoint with pullgen render --allow-key-host HOST[:PORT] (render contacts no other)"}
}

// gateRefusal is the refusal, by the HTTP client or dialer the operator gave, of a
// connection a key library tried (sandbox.RefusedError): the endpoint is named so that the
// operator can allow it.
func gateRefusal(err error) error {
	var refused interface{ RefusedEndpoint() string }
	if errors.As(err, &refused) {
		return endpointRefusal(refused.RefusedEndpoint())
	}
	return nil
}

// azureCredential is the Azure identity of the operator's environment: a service
// principal from AZURE_* variables, workload identity or managed identity, never one
// that runs a program (the Azure CLI, azd, PowerShell).
func (o *OperatorKeys) azureCredential() (azcore.TokenCredential, error) {
	o.azureOnce.Do(func() {
		opts := azcore.ClientOptions{Transport: o.HTTPClient}
		var chain []azcore.TokenCredential
		if c, err := azidentity.NewEnvironmentCredential(&azidentity.EnvironmentCredentialOptions{ClientOptions: opts}); err == nil {
			chain = append(chain, c)
		}
		if c, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{ClientOptions: opts}); err == nil {
			chain = append(chain, c)
		}
		if c, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}); err == nil {
			chain = append(chain, c)
		}
		o.azure, o.azureErr = azidentity.NewChainedTokenCredential(chain, nil)
	})
	return o.azure, o.azureErr
}

// decryptPGP opens a PGP-encrypted data key with the operator's private keys, in process.
func (o *OperatorKeys) decryptPGP(k *pgp.MasterKey) ([]byte, error) {
	if len(o.PGP) == 0 {
		return nil, errors.New("no PGP private key")
	}
	block, err := armor.Decode(strings.NewReader(k.EncryptedKey))
	if err != nil {
		return nil, errors.New("the PGP-encrypted data key is not an armored message")
	}
	md, err := openpgp.ReadMessage(block.Body, o.PGP, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("none of the PGP private keys at hand opens it")
	}
	return io.ReadAll(io.LimitReader(md.UnverifiedBody, 1<<10))
}

// flagName is the name pullgen render's --enable-key-type takes for a key type (the
// field of spec.sops), and whether it takes one.
func flagName(typ string) (string, bool) {
	for name, t := range KeyTypeNames {
		if t == typ {
			return name, true
		}
	}
	return "", false
}

// KeyTypeNames maps the names of the key types an operator may enable (the fields of
// spec.sops) to their sops identifiers.
var KeyTypeNames = map[string]string{
	"pgp": KeyPGP, "awsKms": KeyAWSKMS, "gcpKms": KeyGCPKMS, "azureKeyVault": KeyAzureKeyVault, "hcVaultTransit": KeyHCVaultTransit,
}

// LoadAgeIdentities reads the age identities where the sops CLI finds them, except that
// it runs no command and takes no SSH key by default: SOPS_AGE_KEY (identities separated
// by white space), SOPS_AGE_KEY_FILE, SOPS_AGE_SSH_PRIVATE_KEY_FILE (an unencrypted SSH
// key) and the default keys file (XDG_CONFIG_HOME or HOME/.config, sops/age/keys.txt).
// Plugin identities are skipped (a plugin is a program). The problems name variables and
// files only.
func LoadAgeIdentities(getenv func(string) string) ([]fage.Identity, []string) {
	var ids []fage.Identity
	var problems []string
	add := func(where string, text []byte, anySpace bool) {
		sc := bufio.NewScanner(bytes.NewReader(text))
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			words := []string{line}
			if anySpace {
				words = strings.Fields(line)
			}
			for _, w := range words {
				id, err := parseAgeIdentity(w)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s line %d: %v", where, n, err))
					continue
				}
				ids = append(ids, id)
			}
		}
	}
	if v := getenv("SOPS_AGE_KEY"); v != "" {
		add("SOPS_AGE_KEY", []byte(v), true)
	}
	readFile := func(name, path string, parse func([]byte)) {
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			parse(b)
		case name != "" || !errors.Is(err, os.ErrNotExist):
			problems = append(problems, fmt.Sprintf("reading %s%s: %v", name, path, errors.Unwrap(err)))
		}
	}
	if f := getenv("SOPS_AGE_KEY_FILE"); f != "" {
		readFile("SOPS_AGE_KEY_FILE ", f, func(b []byte) { add(f, b, false) })
	}
	if f := getenv("SOPS_AGE_SSH_PRIVATE_KEY_FILE"); f != "" {
		readFile("SOPS_AGE_SSH_PRIVATE_KEY_FILE ", f, func(b []byte) {
			id, err := agessh.ParseIdentity(b)
			if err != nil {
				problems = append(problems, "SOPS_AGE_SSH_PRIVATE_KEY_FILE "+f+": not an unencrypted SSH private key")
				return
			}
			ids = append(ids, id)
		})
	}
	if f := defaultAgeKeyFile(getenv); f != "" {
		readFile("", f, func(b []byte) { add(f, b, false) })
	}
	return ids, problems
}

// AgeKeyFiles are the files LoadAgeIdentities reads identities from: those of
// SOPS_AGE_KEY_FILE and SOPS_AGE_SSH_PRIVATE_KEY_FILE when set, and the default keys file.
func AgeKeyFiles(getenv func(string) string) []string {
	var files []string
	for _, v := range []string{"SOPS_AGE_KEY_FILE", "SOPS_AGE_SSH_PRIVATE_KEY_FILE"} {
		if f := getenv(v); f != "" {
			files = append(files, f)
		}
	}
	if f := defaultAgeKeyFile(getenv); f != "" {
		files = append(files, f)
	}
	return files
}

// defaultAgeKeyFile is where sops looks for age identities by default, "" if unknown.
func defaultAgeKeyFile(getenv func(string) string) string {
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "sops", "age", "keys.txt")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "sops", "age", "keys.txt")
	}
	return ""
}

func parseAgeIdentity(s string) (fage.Identity, error) {
	var id fage.Identity
	var err error
	switch {
	case strings.HasPrefix(s, "AGE-SECRET-KEY-PQ-1"):
		id, err = fage.ParseHybridIdentity(s)
	case strings.HasPrefix(s, "AGE-SECRET-KEY-1"):
		id, err = fage.ParseX25519Identity(s)
	case strings.HasPrefix(s, "AGE-PLUGIN-"):
		return nil, errors.New("an age plugin identity runs a program: skipped")
	default:
		return nil, errors.New("not an age identity")
	}
	if err != nil {
		return nil, errors.New("malformed age identity") // the library's error may quote it
	}
	return id, nil
}

// ReadPGPKeys reads OpenPGP private keys, armored or binary, from files. A key protected
// by a passphrase is refused.
func ReadPGPKeys(files []string) (openpgp.EntityList, error) {
	var all openpgp.EntityList
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading the PGP key file %s: %w", f, errors.Unwrap(err))
		}
		list, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(b))
		if err != nil {
			list, err = openpgp.ReadKeyRing(bytes.NewReader(b))
		}
		if err != nil {
			return nil, fmt.Errorf("reading the PGP key file %s: not an OpenPGP key", f)
		}
		for _, e := range list {
			if e.PrivateKey == nil {
				return nil, fmt.Errorf("reading the PGP key file %s: a public key; give the private key (gpg --export-secret-keys --armor)", f)
			}
			encrypted := e.PrivateKey.Encrypted
			for _, sub := range e.Subkeys {
				encrypted = encrypted || (sub.PrivateKey != nil && sub.PrivateKey.Encrypted)
			}
			if encrypted {
				return nil, fmt.Errorf("reading the PGP key file %s: the key is protected by a passphrase, which render cannot ask for", f)
			}
		}
		all = append(all, list...)
	}
	return all, nil
}
