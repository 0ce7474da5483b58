package cli

import (
	"flag"

	"pullgen.dev/pullgen/internal/argocd/plugin"
)

// keyFlags are the flags of the operator's decryption keys and key services, for the
// commands that read an untrusted repository (render).
type keyFlags struct {
	enable, pgpKeyFiles, hosts stringsFlag
	projectKeys                string
}

// register adds the flags to fs.
func (k *keyFlags) register(fs *flag.FlagSet) {
	fs.Var(&k.enable, "enable-key-type", "also decrypt with `TYPE` keys besides age: pgp, awsKms, gcpKms, azureKeyVault, hcVaultTransit (comma-separated or repeated)")
	fs.Var(&k.pgpKeyFiles, "pgp-key-file", "OpenPGP private key `FILE` (armored or binary, no passphrase) for pgp keys; gpg never runs (repeatable)")
	fs.Var(&k.hosts, "allow-key-host", "let key services be reached at `HOST[:PORT]` (port 443 by default); Vault and Azure Key Vault keys elsewhere are refused (repeatable)")
	fs.StringVar(&k.projectKeys, "keys-per-project", "", "decrypt only with the age identities of `DIR`/<project>, the project being ARGOCD_APP_PROJECT_NAME (set by Argo CD from the Application); SOPS_AGE_KEY_FILE and the other age key sources are ignored (default $"+plugin.ProjectKeysEnv+")")
}

// policy is the operator's key policy of the flags, what they leave unset taken from the
// operator's environment.
func (k *keyFlags) policy(getenv func(string) string) plugin.KeyPolicy {
	p := plugin.KeyPolicy{EnableTypes: k.enable, PGPKeyFiles: k.pgpKeyFiles, Hosts: k.hosts, ProjectKeys: k.projectKeys}
	if p.ProjectKeys == "" {
		p.ProjectKeys = getenv(plugin.ProjectKeysEnv)
	}
	return p
}
