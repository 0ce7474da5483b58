package plugin

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"pullgen.dev/pullgen/internal/untrusted/bound"
	"slices"
	"strings"

	"pullgen.dev/pullgen/internal/argocd/sandbox"
	"pullgen.dev/pullgen/internal/core/sopsx"
)

// KeyPolicy are the operator's choices of decryption keys and key services, for the
// commands that read an untrusted repository (render, discover).
type KeyPolicy struct {
	// EnableTypes are the key types besides age to decrypt with (pgp, awsKms, gcpKms,
	// azureKeyVault, hcVaultTransit), each entry possibly a comma-separated list.
	EnableTypes []string
	// PGPKeyFiles are the OpenPGP private key files for pgp keys.
	PGPKeyFiles []string
	// Hosts are the key services (HOST[:PORT]) that may be reached.
	Hosts []string
	// ProjectKeys is the directory of age identities per Argo CD project: decrypt only
	// with the one of the Application's project ("" for the age key sources of the
	// environment).
	ProjectKeys string
}

// ProjectKeysEnv sets --keys-per-project in the sidecar's environment, which the
// repository cannot set (Argo CD prefixes an Application's plugin.env with ARGOCD_ENV_).
const ProjectKeysEnv = "PULLGEN_KEYS_PER_PROJECT"

// Files are the key files render must never read as part of the repository, wherever
// they are: the age key files, the per-project key directory's and the PGP key files.
func (k KeyPolicy) Files(getenv func(string) string) []string {
	files := append(sopsx.AgeKeyFiles(getenv), k.PGPKeyFiles...)
	if k.ProjectKeys != "" {
		entries, _ := os.ReadDir(k.ProjectKeys)
		for _, e := range entries {
			files = append(files, filepath.Join(k.ProjectKeys, e.Name()))
		}
	}
	return files
}

// ProjectEnv is the variable Argo CD's repo server sets to the Application's AppProject.
const ProjectEnv = "ARGOCD_APP_PROJECT_NAME"

// ageEnv is the environment the age identities are read from: the process's, or, with
// --keys-per-project, one that names only the project's key file. The file is checked
// here, so that a project without a key is an error of its own.
func (k KeyPolicy) ageEnv(getenv func(string) string) (func(string) string, error) {
	if k.ProjectKeys == "" {
		return getenv, nil
	}
	project := getenv(ProjectEnv)
	if project == "" {
		return nil, fmt.Errorf("--keys-per-project: %s is not set: Argo CD's repo server sets it from the Application's project", ProjectEnv)
	}
	if err := checkProjectName(project); err != nil {
		return nil, fmt.Errorf("--keys-per-project: %s: %w", ProjectEnv, err)
	}
	file := filepath.Join(k.ProjectKeys, project)
	if st, err := os.Stat(file); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("--keys-per-project: no key for project %s (%s): add one to the key Secret, named after the project", project, file)
	}
	return func(name string) string {
		switch name {
		case "SOPS_AGE_KEY_FILE":
			return file
		case "SOPS_AGE_KEY", "SOPS_AGE_SSH_PRIVATE_KEY_FILE", "XDG_CONFIG_HOME", "HOME":
			return "" // no other source of age identities
		}
		return getenv(name)
	}, nil
}

// checkProjectName refuses what is not an AppProject name (a DNS subdomain): a name is
// joined with a directory.
func checkProjectName(p string) error {
	ok := p != "" && len(p) <= 253 && p != "." && p != ".."
	for _, c := range p {
		ok = ok && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.')
	}
	if !ok {
		return fmt.Errorf("%q is not a project name", bound.Excerpt(p))
	}
	return nil
}

// networkKeyTypes are the key types that reach a key service over the network.
var networkKeyTypes = []string{sopsx.KeyAWSKMS, sopsx.KeyGCPKMS, sopsx.KeyAzureKeyVault, sopsx.KeyHCVaultTransit}

// enabledTypes are the sops identifiers of the key types enabled with --enable-key-type.
func (k KeyPolicy) enabledTypes() ([]string, error) {
	var types []string
	for _, v := range k.EnableTypes {
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
					bound.Excerpt(name), strings.Join(slices.Sorted(maps.Keys(sopsx.KeyTypeNames)), ", "))
			}
			if !slices.Contains(types, typ) {
				types = append(types, typ)
			}
		}
	}
	return types, nil
}

// Confine readies the operator's keys, which it returns, and confines the process to root
// for good: age
// identities and PGP keys are read now, then the kernel and in-process sandbox let the
// process read only beneath root (and the credential files of the key services
// enabled), run nothing, write nothing and connect only to the allowed key services.
// Call it before reading anything of the repository.
func Confine(root string, k KeyPolicy, getenv func(string) string, warn io.Writer) (sopsx.Keys, error) {
	var none sopsx.Keys
	types, err := k.enabledTypes()
	if err != nil {
		return none, err
	}
	pgp := slices.Contains(types, sopsx.KeyPGP)
	switch {
	case pgp && len(k.PGPKeyFiles) == 0:
		return none, errors.New("--enable-key-type pgp needs --pgp-key-file (render decrypts PGP keys in process and never runs gpg)")
	case !pgp && len(k.PGPKeyFiles) > 0:
		return none, errors.New("--pgp-key-file needs --enable-key-type pgp")
	case len(k.Hosts) > 0 && !slices.ContainsFunc(types, func(t string) bool { return slices.Contains(networkKeyTypes, t) }):
		return none, errors.New("--allow-key-host needs a key type that reaches a key service: --enable-key-type awsKms, gcpKms, azureKeyVault or hcVaultTransit")
	}
	gate, err := sandbox.NewGate(k.Hosts)
	if err != nil {
		return none, fmt.Errorf("--allow-key-host: %w", err)
	}
	roots, err := caBundles(types, getenv)
	if err != nil {
		return none, err
	}
	client, err := gate.Client(roots...)
	if err != nil {
		return none, err
	}
	ageEnv, err := k.ageEnv(getenv)
	if err != nil {
		return none, err
	}
	keys := &sopsx.OperatorKeys{Enabled: types, Allows: gate.Allows, HTTPClient: client, Dial: gate.DialContext}
	keys.Age, keys.AgeProblems = sopsx.LoadAgeIdentities(ageEnv)
	if keys.PGP, err = sopsx.ReadPGPKeys(k.PGPKeyFiles); err != nil {
		return none, err
	}
	if _, err = sandbox.Confine(sandbox.Policy{
		ReadDirs:  []string{root},
		ReadFiles: credentialFiles(types, getenv),
		Gate:      gate,
		Warn:      warn,
	}); err != nil {
		return none, err
	}
	return keys.Keys(), nil
}

// ConfineDiscovery confines the process to root for discovery, which decrypts nothing: no
// key is read, no key service allowed.
func ConfineDiscovery(root string, warn io.Writer) error {
	_, err := sandbox.Confine(sandbox.Policy{ReadDirs: []string{root}, Warn: warn})
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
