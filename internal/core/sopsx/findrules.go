package sopsx

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/kms"
	goyaml "go.yaml.in/yaml/v3"
)

// FindRules resolves the creation rule of the nearest .sops.yaml for outputPath as the
// sops CLI resolves it when encrypting a file at that path: the search goes up from the
// output's directory; path_regex is matched against the output path relative to the
// directory of the .sops.yaml; the first matching rule (or the first without path_regex)
// applies, with its key_groups (and shamir_threshold) or its age, pgp, kms (with
// aws_profile), gcp_kms, azure_keyvault and hc_vault_transit_uri lists, encrypted_regex,
// unencrypted_regex and mac_only_encrypted. found is false when there is no .sops.yaml or
// no rule matches; configFile is then the file found, if any. A rule that selects keys by
// suffix or comment is refused (a Kubernetes object needs its metadata in clear).
func FindRules(outputPath string) (r Rules, configFile string, found bool, err error) {
	abs, err := filepath.Abs(outputPath)
	if err != nil {
		return Rules{}, "", false, fmt.Errorf("finding the .sops.yaml for %s: %w", outputPath, err)
	}
	res, lerr := config.LookupConfigFile(abs)
	if lerr != nil || res.Path == "" {
		return Rules{}, "", false, nil
	}
	configFile = res.Path
	conf, err := config.LoadCreationRuleForFile(configFile, abs, nil)
	if err != nil {
		if strings.Contains(err.Error(), "no matching creation rules found") {
			return Rules{}, configFile, false, nil
		}
		return Rules{}, configFile, false, fmt.Errorf("reading the creation rules of %s: %w", configFile, err)
	}
	if conf == nil {
		return Rules{}, configFile, false, nil
	}
	switch {
	case conf.EncryptedSuffix != "", conf.UnencryptedSuffix != "", conf.EncryptedCommentRegex != "", conf.UnencryptedCommentRegex != "":
		return Rules{}, configFile, false, fmt.Errorf("%s: the creation rule for %s selects the keys to encrypt by suffix or comment; pullgen needs encrypted_regex (e.g. ^(data|stringData)$) or unencrypted_regex so that metadata stays in clear", configFile, outputPath)
	}
	usesGroups, err := ruleUsesKeyGroups(configFile, abs)
	if err != nil {
		return Rules{}, configFile, false, err
	}
	r = Rules{
		ShamirThreshold:  conf.ShamirThreshold,
		EncryptedRegex:   conf.EncryptedRegex,
		UnencryptedRegex: conf.UnencryptedRegex,
		MACOnlyEncrypted: conf.MACOnlyEncrypted,
	}
	var groups [][]Recipient
	flat := !usesGroups && len(conf.KeyGroups) == 1
	for _, g := range conf.KeyGroups {
		var group []Recipient
		for _, k := range g {
			rec, err := recipientOf(k)
			if err != nil {
				return Rules{}, configFile, false, fmt.Errorf("%s: %w", configFile, err)
			}
			if km, ok := k.(*kms.MasterKey); ok && (km.AwsProfile != "" || len(km.EncryptionContext) > 0) {
				flat = false // the flat lists cannot carry a profile or a context
			}
			group = append(group, rec)
		}
		groups = append(groups, group)
	}
	if flat {
		for _, rec := range groups[0] {
			switch rec.Type {
			case KeyAge:
				r.Age = append(r.Age, rec.Key)
			case KeyPGP:
				r.PGP = append(r.PGP, rec.Key)
			case KeyAWSKMS:
				r.AWSKMS = append(r.AWSKMS, rec.Key)
			case KeyGCPKMS:
				r.GCPKMS = append(r.GCPKMS, rec.Key)
			case KeyAzureKeyVault:
				r.AzureKeyVault = append(r.AzureKeyVault, rec.Key)
			case KeyHCVaultTransit:
				r.HCVaultTransit = append(r.HCVaultTransit, rec.Key)
			default:
				flat = false
			}
		}
	}
	if !flat {
		r.Age, r.PGP, r.AWSKMS, r.GCPKMS, r.AzureKeyVault, r.HCVaultTransit = nil, nil, nil, nil, nil, nil
		r.KeyGroups = groups
	}
	if r.Empty() {
		return Rules{}, configFile, false, fmt.Errorf("%s: the creation rule for %s names no key", configFile, outputPath)
	}
	return r, configFile, true, nil
}

// ruleUsesKeyGroups tells whether the creation rule that sops picks for path uses
// key_groups: the same choice as config.LoadCreationRuleForFile (first rule without
// path_regex or whose path_regex matches the path relative to the config's directory).
func ruleUsesKeyGroups(configFile, path string) (bool, error) {
	data, err := os.ReadFile(configFile)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", configFile, err)
	}
	var conf struct {
		CreationRules []struct {
			PathRegex string        `yaml:"path_regex"`
			KeyGroups []interface{} `yaml:"key_groups"`
		} `yaml:"creation_rules"`
	}
	if err := goyaml.Unmarshal(data, &conf); err != nil {
		return false, fmt.Errorf("reading %s: %w", configFile, err)
	}
	dir, err := filepath.Abs(filepath.Dir(configFile))
	if err != nil {
		return false, err
	}
	rel := strings.TrimPrefix(path, dir+string(filepath.Separator))
	for _, rule := range conf.CreationRules {
		if rule.PathRegex == "" {
			return len(rule.KeyGroups) > 0, nil
		}
		re, err := regexp.Compile(rule.PathRegex)
		if err != nil {
			return false, fmt.Errorf("%s: path_regex %q: %w", configFile, rule.PathRegex, err)
		}
		if re.MatchString(rel) {
			return len(rule.KeyGroups) > 0, nil
		}
	}
	return false, nil
}
