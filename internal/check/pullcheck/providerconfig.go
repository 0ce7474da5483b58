package pullcheck

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"pullgen.dev/pullgen/internal/check/nodecred"
	"pullgen.dev/pullgen/internal/core/dockercfg"
)

// ProviderConfigFile is one file of a kubelet's credential provider configuration.
type ProviderConfigFile struct {
	Name string
	Data []byte
}

// ReadProviderConfig reads the kubelet's CredentialProviderConfig from its file, or from
// the files of its directory in name order (merged as the kubelet merges them), and checks
// it as the kubelet does: an error names the file and the field of everything the kubelet
// refuses, as the kubelet then does not start.
func ReadProviderConfig(files []ProviderConfigFile) (*nodecred.ProviderConfig, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("no credential provider configuration file")
	}
	configs := make([]nodecred.ProviderConfig, 0, len(files))
	for _, f := range files {
		var n yaml.Node
		if err := yaml.Unmarshal(f.Data, &n); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, dockercfg.YAMLError(err))
		}
		c, err := nodecred.DecodeProviderConfig(&n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		if len(files) > 1 {
			for i := range c.Providers {
				c.Providers[i].Field = f.Name + ": " + c.Providers[i].Field
			}
		}
		configs = append(configs, c)
	}
	merged, err := nodecred.Merge(configs)
	if err != nil {
		return nil, err
	}
	if problems := merged.Validate(); len(problems) > 0 {
		where := files[0].Name
		if len(files) > 1 {
			where = "the credential provider configuration"
		}
		return nil, fmt.Errorf("%s: the kubelet refuses it: %s", where, strings.Join(problems, "; "))
	}
	return &merged, nil
}
