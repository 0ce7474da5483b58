package sopsx

import (
	"fmt"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/config"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// yamlStore reads and writes objects as the sops CLI reads and writes YAML files (its
// default indentation of 4 when it writes a file; objects are parsed back into RNodes, so
// the indentation does not reach the output).
var yamlStore = sopsyaml.NewStore(&config.YAMLStoreConfig{})

// objectName describes an object for messages: "Secret team-a/acme".
func objectName(obj *yaml.RNode) string {
	if obj == nil {
		return "object"
	}
	kind := obj.GetKind()
	if kind == "" {
		kind = "object"
	}
	name := obj.GetName()
	if ns := obj.GetNamespace(); ns != "" {
		name = ns + "/" + name
	}
	if name == "" {
		return kind
	}
	return kind + " " + name
}

// plainBranch converts an object into the sops tree the sops CLI would read from a file
// holding it.
func plainBranch(obj *yaml.RNode) (sops.TreeBranch, error) {
	if obj == nil || obj.YNode() == nil || obj.YNode().Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a YAML mapping")
	}
	text, err := obj.String()
	if err != nil {
		return nil, fmt.Errorf("writing it as YAML failed")
	}
	branches, err := yamlStore.LoadPlainFile([]byte(text))
	if err != nil || len(branches) != 1 {
		return nil, fmt.Errorf("sops cannot read it as YAML (duplicate keys or an unsupported construct)")
	}
	return branches[0], nil
}

// encryptedTree reads an object that carries a sops block into a sops tree.
func encryptedTree(obj *yaml.RNode) (*sops.Tree, error) {
	if obj == nil || obj.YNode() == nil || obj.YNode().Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a YAML mapping")
	}
	text, err := obj.String()
	if err != nil {
		return nil, fmt.Errorf("writing it as YAML failed")
	}
	return loadEncrypted(yamlStore, []byte(text))
}

// loadEncrypted reads sops-encrypted data with store. Its errors tell "no sops metadata"
// from "invalid metadata" and do not quote the data.
func loadEncrypted(store sops.Store, data []byte) (*sops.Tree, error) {
	tree, err := store.LoadEncryptedFile(data)
	if err != nil {
		if err == sops.MetadataNotFound {
			return nil, errNotEncrypted
		}
		if _, perr := store.LoadPlainFile(data); perr != nil {
			return nil, fmt.Errorf("it does not parse as %s", store.Name())
		}
		return nil, fmt.Errorf("its sops metadata is invalid: %s", metadataError(err))
	}
	if len(tree.Branches) == 0 {
		return nil, fmt.Errorf("it holds no document")
	}
	return &tree, nil
}

// errNotEncrypted is returned for data without sops metadata.
var errNotEncrypted = fmt.Errorf("it carries no sops metadata (not sops-encrypted)")

// metadataError keeps the sops message about metadata, which names metadata fields and
// never values of the document, cut to a line.
func metadataError(err error) string {
	msg := err.Error()
	for i, r := range msg {
		if r == '\n' {
			msg = msg[:i]
			break
		}
	}
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return msg
}

// emitObject writes sops tree branches (one document) and parses them back into an RNode.
func emitObject(text []byte) (*yaml.RNode, error) {
	rn, err := yaml.Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("reading back the YAML that sops wrote failed")
	}
	return rn, nil
}
