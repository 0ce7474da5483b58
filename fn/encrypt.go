package fn

import (
	"fmt"
	"path/filepath"
	"sort"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/credsource"
	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/core/parallel"
	"pullgen.dev/pullgen/internal/core/sopsx"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// Stats count what happened to the generated Secrets of a run.
type Stats struct {
	// New Secrets had no earlier encrypted copy; Unchanged kept its bytes; Updated reused
	// the earlier data key (only changed values got new ciphertext); Reencrypted could not
	// read the earlier copy (no key) or had to change recipients.
	New, Unchanged, Updated, Reencrypted int
	// Plaintext Secrets were written unencrypted (spec.output.encrypt: false).
	Plaintext int
	// Sealed Secrets became SealedSecrets (spec.output.sealed).
	Sealed int
}

// String says it in a few words.
func (s Stats) String() string {
	sops := s.New + s.Unchanged + s.Updated + s.Reencrypted
	switch {
	case s.Sealed > 0 && sops+s.Plaintext == 0:
		return fmt.Sprintf("Secrets: %d sealed", s.Sealed)
	case s.Plaintext > 0 && sops == 0:
		return fmt.Sprintf("Secrets: %d in plaintext", s.Plaintext)
	}
	return fmt.Sprintf("Secrets: %d unchanged, %d updated, %d re-encrypted, %d new", s.Unchanged, s.Updated, s.Reencrypted, s.New)
}

// encryptSecrets SOPS-encrypts the Secrets this PullAccess generated, keeping the earlier
// ciphertext where it can. The keys come from spec.sops, else from the creation rule of the
// nearest .sops.yaml for the file the Secret is written to (in outputDir).
func encryptSecrets(pa *v1alpha1.PullAccess, out []*yaml.RNode, earlier map[string]*yaml.RNode, outputDir string, stats *Stats) ([]*yaml.RNode, Problems) {
	var p Problems
	var specRules *sopsx.Rules
	if pa.Spec.SOPS != nil {
		r := sopsx.FromSpec(pa.Spec.SOPS)
		if r.Empty() {
			p.add("spec.sops", "lists no recipient: give age, pgp, awsKms, gcpKms, azureKeyVault or hcVaultTransit keys")
			return nil, p
		}
		specRules = &r
	}
	// Find each Secret's rules, then encrypt them on every core (each has its own data key).
	result := append([]*yaml.RNode(nil), out...)
	rules := make([]*sopsx.Rules, len(out))
	for i, obj := range out {
		if obj.GetKind() != "Secret" || !manifest.IsGeneratedBy(obj, pa.Metadata.Name) {
			continue
		}
		if rules[i] = specRules; rules[i] != nil {
			continue
		}
		path := filepath.Join(outputDir, manifest.FileName(obj))
		r, _, found, err := sopsx.FindRules(path)
		switch {
		case err != nil:
			p.addf("spec.sops", "reading the .sops.yaml that applies to %s: %v", path, err)
		case !found:
			p.addf("spec.sops", "no encryption keys for Secret %s/%s: add spec.sops (for example age: [age1...]) or a .sops.yaml creation rule whose path_regex matches %s; "+
				"or set spec.output.encrypt: false for render-time use only", obj.GetNamespace(), obj.GetName(), path)
		default:
			rules[i] = &r
		}
	}
	if p.HasErrors() {
		return nil, p
	}
	results := make([]sopsx.Result, len(out))
	errs := make([]error, len(out))
	parallel.Each(len(out), func(i int) {
		if rules[i] == nil {
			return
		}
		// kustomize prints objects with their keys sorted; encrypting them in that order
		// keeps the MAC (which follows key order) valid in what kustomize build prints.
		obj := out[i].Copy()
		sortKeys(obj.YNode())
		results[i], errs[i] = sopsx.EncryptResult(obj, *rules[i], earlier[objectKey(obj)])
	})
	for i, res := range results {
		if rules[i] == nil {
			continue
		}
		obj := out[i]
		if errs[i] != nil {
			p = append(p, objectProblem(obj, "data", "encrypting: "+errs[i].Error()))
			continue
		}
		result[i] = res.Object
		switch res.Status {
		case sopsx.New:
			stats.New++
		case sopsx.Unchanged:
			stats.Unchanged++
		case sopsx.Updated:
			stats.Updated++
		default:
			stats.Reencrypted++
			info := objectProblem(obj, "", "re-encrypted, so its ciphertext changed although its values may not have: "+res.Reason)
			info.Severity = framework.Info
			p = append(p, info)
		}
	}
	return result, p
}

// sortKeys sorts the keys of every mapping under n.
func sortKeys(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		pairs := make([][2]*yaml.Node, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			pairs = append(pairs, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
		}
		sort.SliceStable(pairs, func(i, j int) bool { return pairs[i][0].Value < pairs[j][0].Value })
		n.Content = n.Content[:0]
		for _, p := range pairs {
			n.Content = append(n.Content, p[0], p[1])
		}
	}
	for _, c := range n.Content {
		sortKeys(c)
	}
}

// DecryptFile is the decryption of credential files outside render: a file `sops -e`
// encrypted (YAML, JSON, dotenv, INI or binary, told by the extension as sops does) comes
// back in plaintext, decrypted with the keys sops finds; any other file as it is.
func DecryptFile(path string, data []byte) ([]byte, error) {
	format := credsource.DetectFormat(path)
	if !sopsx.IsEncryptedFile(data, format) {
		return data, nil
	}
	return sopsx.DefaultKeys().DecryptFile(data, format)
}
