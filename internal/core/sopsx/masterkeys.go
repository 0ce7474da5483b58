package sopsx

import (
	"fmt"
	"strings"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/azkv"
	"github.com/getsops/sops/v3/gcpkms"
	"github.com/getsops/sops/v3/hckms"
	"github.com/getsops/sops/v3/hcvault"
	"github.com/getsops/sops/v3/keys"
	"github.com/getsops/sops/v3/kms"
	"github.com/getsops/sops/v3/pgp"
)

// MasterKeys returns the sops key groups that rules describe: the master keys that the sops
// metadata of an object encrypted with these rules lists (without their encrypted data
// keys). The flat lists make one group; Rules.KeyGroups one group each. Recipients are
// parsed and checked; no key source is contacted, except that an Azure Key Vault URL
// without a version is resolved to the key's latest version, as sops does.
func MasterKeys(rules Rules) ([]sops.KeyGroup, error) {
	if len(rules.KeyGroups) > 0 {
		if n := len(rules.Age) + len(rules.PGP) + len(rules.AWSKMS) + len(rules.GCPKMS) + len(rules.AzureKeyVault) + len(rules.HCVaultTransit); n > 0 {
			return nil, fmt.Errorf("sops rules: key groups and flat recipient lists are exclusive")
		}
		groups := make([]sops.KeyGroup, 0, len(rules.KeyGroups))
		for i, g := range rules.KeyGroups {
			if len(g) == 0 {
				return nil, fmt.Errorf("sops rules: key group %d is empty", i)
			}
			var group sops.KeyGroup
			for _, r := range g {
				k, err := masterKey(r)
				if err != nil {
					return nil, fmt.Errorf("sops rules: key group %d: %w", i, err)
				}
				group = append(group, k)
			}
			groups = append(groups, group)
		}
		if rules.ShamirThreshold > len(groups) {
			return nil, fmt.Errorf("sops rules: Shamir threshold %d is more than the %d key groups", rules.ShamirThreshold, len(groups))
		}
		return groups, nil
	}
	var group sops.KeyGroup
	add := func(typ string, list []string) error {
		for _, s := range list {
			k, err := masterKey(Recipient{Type: typ, Key: s})
			if err != nil {
				return fmt.Errorf("sops rules: %w", err)
			}
			group = append(group, k)
		}
		return nil
	}
	// The order of the sops CLI's flags: each type is written in its own list anyway.
	for _, l := range []struct {
		typ  string
		list []string
	}{
		{KeyAWSKMS, rules.AWSKMS}, {KeyGCPKMS, rules.GCPKMS}, {KeyAzureKeyVault, rules.AzureKeyVault},
		{KeyPGP, rules.PGP}, {KeyHCVaultTransit, rules.HCVaultTransit}, {KeyAge, rules.Age},
	} {
		if err := add(l.typ, l.list); err != nil {
			return nil, err
		}
	}
	if len(group) == 0 {
		return nil, fmt.Errorf("sops rules: no recipient (set spec.sops age, pgp, awsKms, gcpKms, azureKeyVault or hcVaultTransit, or add a creation rule to a .sops.yaml)")
	}
	return []sops.KeyGroup{group}, nil
}

// masterKey builds the sops master key of one recipient.
func masterKey(r Recipient) (keys.MasterKey, error) {
	key := strings.TrimSpace(r.Key)
	if key == "" {
		return nil, fmt.Errorf("empty %s recipient", r.Type)
	}
	switch r.Type {
	case KeyAge:
		k, err := age.MasterKeyFromRecipient(key)
		if err != nil {
			return nil, fmt.Errorf("age recipient %q: %w", key, err)
		}
		return k, nil
	case KeyPGP:
		return pgp.NewMasterKeyFromFingerprint(strings.ReplaceAll(key, " ", "")), nil
	case KeyAWSKMS:
		if !strings.HasPrefix(key, "arn:") {
			return nil, fmt.Errorf("AWS KMS key %q: not an ARN (arn:aws:kms:REGION:ACCOUNT:key/ID, optionally +ROLE_ARN)", key)
		}
		var ctx map[string]*string
		if len(r.AWSContext) > 0 {
			ctx = make(map[string]*string, len(r.AWSContext))
			for k, v := range r.AWSContext {
				ctx[k] = &v
			}
		}
		return kms.NewMasterKeyFromArn(key, ctx, r.AWSProfile), nil
	case KeyGCPKMS:
		if !strings.HasPrefix(key, "projects/") || !strings.Contains(key, "/cryptoKeys/") {
			return nil, fmt.Errorf("GCP KMS key %q: not a resource ID (projects/P/locations/L/keyRings/R/cryptoKeys/K)", key)
		}
		return gcpkms.NewMasterKeyFromResourceID(key), nil
	case KeyAzureKeyVault:
		k, err := azkv.NewMasterKeyFromURL(key)
		if err != nil {
			return nil, fmt.Errorf("Azure Key Vault key %q: %w", key, err)
		}
		return k, nil
	case KeyHCVaultTransit:
		k, err := hcvault.NewMasterKeyFromURI(key)
		if err != nil {
			return nil, fmt.Errorf("HashiCorp Vault transit key %q: %w", key, err)
		}
		return k, nil
	case KeyHuaweiKMS:
		k, err := hckms.NewMasterKey(key)
		if err != nil {
			return nil, fmt.Errorf("HuaweiCloud KMS key %q: %w", key, err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("unknown key type %q", r.Type)
	}
}

// recipientOf is the inverse of masterKey: the Recipient that a sops master key stands for.
func recipientOf(k keys.MasterKey) (Recipient, error) {
	switch k := k.(type) {
	case *age.MasterKey:
		return Recipient{Type: KeyAge, Key: k.Recipient}, nil
	case *pgp.MasterKey:
		return Recipient{Type: KeyPGP, Key: k.Fingerprint}, nil
	case *kms.MasterKey:
		r := Recipient{Type: KeyAWSKMS, Key: k.Arn, AWSProfile: k.AwsProfile}
		if k.Role != "" {
			r.Key += "+" + k.Role
		}
		if len(k.EncryptionContext) > 0 {
			r.AWSContext = make(map[string]string, len(k.EncryptionContext))
			for name, v := range k.EncryptionContext {
				if v != nil {
					r.AWSContext[name] = *v
				}
			}
		}
		return r, nil
	case *gcpkms.MasterKey:
		return Recipient{Type: KeyGCPKMS, Key: k.ResourceID}, nil
	case *azkv.MasterKey:
		return Recipient{Type: KeyAzureKeyVault, Key: strings.TrimSuffix(k.VaultURL+"/keys/"+k.Name+"/"+k.Version, "/")}, nil
	case *hcvault.MasterKey:
		return Recipient{Type: KeyHCVaultTransit, Key: strings.TrimSuffix(k.VaultAddress, "/") + "/v1/" + k.EnginePath + "/keys/" + k.KeyName}, nil
	case *hckms.MasterKey:
		return Recipient{Type: KeyHuaweiKMS, Key: k.ToString()}, nil
	default:
		return Recipient{}, fmt.Errorf("unsupported sops key type %T", k)
	}
}

// cloneKey returns a fresh copy of a template master key, ready to receive an encrypted
// data key. Copies keep what the template parsed (the age recipient), so that recipients
// are parsed once per Rules, not once per object.
func cloneKey(k keys.MasterKey, now time.Time) keys.MasterKey {
	switch k := k.(type) {
	case *age.MasterKey:
		c := *k
		c.EncryptedKey = ""
		return &c
	case *pgp.MasterKey:
		c := *k
		c.EncryptedKey = ""
		c.CreationDate = now
		return &c
	case *kms.MasterKey:
		c := *k
		c.EncryptedKey = ""
		c.CreationDate = now
		return &c
	case *gcpkms.MasterKey:
		c := *k
		c.EncryptedKey = ""
		c.CreationDate = now
		return &c
	case *azkv.MasterKey:
		c := *k
		c.EncryptedKey = ""
		c.CreationDate = now
		return &c
	case *hcvault.MasterKey:
		c := *k
		c.EncryptedKey = ""
		c.CreationDate = now
		return &c
	case *hckms.MasterKey:
		c := *k
		c.EncryptedKey = ""
		c.CreationDate = now
		return &c
	default:
		return k
	}
}
