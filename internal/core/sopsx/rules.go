package sopsx

import (
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// Key types of a Recipient: the identifiers sops uses for its key sources.
const (
	KeyAge            = "age"
	KeyPGP            = "pgp"
	KeyAWSKMS         = "kms"
	KeyGCPKMS         = "gcp_kms"
	KeyAzureKeyVault  = "azure_kv"
	KeyHCVaultTransit = "hc_vault"
	KeyHuaweiKMS      = "hckms"
)

// Rules are the encryption settings: recipients and which keys to encrypt.
type Rules struct {
	// Age recipients (age1... or an SSH public key).
	Age []string
	// PGP key fingerprints.
	PGP []string
	// AWSKMS key ARNs, optionally "arn+role" to assume a role.
	AWSKMS []string
	// GCPKMS key resource IDs (projects/P/locations/L/keyRings/R/cryptoKeys/K).
	GCPKMS []string
	// AzureKeyVault key URLs (https://VAULT.vault.azure.net/keys/NAME/VERSION).
	AzureKeyVault []string
	// HCVaultTransit key URIs (https://HOST:8200/v1/transit/keys/NAME).
	HCVaultTransit []string
	// KeyGroups is set instead of the flat lists when a .sops.yaml creation rule uses
	// key_groups (or a flat rule carries AWS KMS settings the flat lists cannot hold).
	// Each group gets one Shamir share of the data key.
	KeyGroups [][]Recipient
	// ShamirThreshold is the number of key groups needed to recover the data key;
	// 0 means all of them.
	ShamirThreshold int
	// EncryptedRegex selects the keys whose values are encrypted; default
	// v1alpha1.DefaultEncryptedRegex (^(data|stringData)$).
	EncryptedRegex string
	// UnencryptedRegex, from a .sops.yaml rule that uses unencrypted_regex instead of
	// encrypted_regex, selects the keys left in clear (everything else is encrypted). It
	// must leave apiVersion, kind and metadata in clear. Ignored when EncryptedRegex is set.
	UnencryptedRegex string
	// MACOnlyEncrypted makes the MAC cover only the encrypted values, so that the
	// unencrypted fields may change without breaking it.
	MACOnlyEncrypted bool
}

// Recipient is one master key of a key group.
type Recipient struct {
	// Type is the key source: KeyAge, KeyPGP, KeyAWSKMS, KeyGCPKMS, KeyAzureKeyVault,
	// KeyHCVaultTransit or KeyHuaweiKMS.
	Type string
	// Key is the recipient in the form of the flat lists of Rules (for KeyHuaweiKMS, the
	// key ID "region:uuid").
	Key string
	// AWSContext is the AWS KMS encryption context.
	AWSContext map[string]string
	// AWSProfile is the AWS profile used to reach KMS.
	AWSProfile string
}

// FromSpec returns the Rules that a PullAccess's spec.sops sets; the zero Rules when s is nil.
func FromSpec(s *v1alpha1.SOPS) Rules {
	if s == nil {
		return Rules{}
	}
	return Rules{
		Age:              clone(s.Age),
		PGP:              clone(s.PGP),
		AWSKMS:           clone(s.AWSKMS),
		GCPKMS:           clone(s.GCPKMS),
		AzureKeyVault:    clone(s.AzureKeyVault),
		HCVaultTransit:   clone(s.HCVaultTransit),
		EncryptedRegex:   s.EncryptedRegex,
		MACOnlyEncrypted: s.MACOnlyEncrypted,
	}
}

// Empty tells whether the rules name no recipient at all (nothing to encrypt for).
func (r Rules) Empty() bool {
	n := len(r.Age) + len(r.PGP) + len(r.AWSKMS) + len(r.GCPKMS) + len(r.AzureKeyVault) + len(r.HCVaultTransit)
	for _, g := range r.KeyGroups {
		n += len(g)
	}
	return n == 0
}

func clone(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}
