package sopsx

import (
	"crypto/sha512"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/stores"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// This file encrypts an object directly on its YAML nodes, for the objects pullgen
// generates: mappings, sequences and string scalars, without comments, anchors or tags
// other than !!str. For those, the sops YAML store's tree is exactly the node tree (string
// keys, string values, same order), so walking the nodes encrypts the same values, with
// the same additional data, and feeds the MAC the same bytes in the same order as
// sops.Tree.Encrypt does; the metadata block is serialized by the sops stores package.
// It avoids the store's round trip through YAML text (serialize, parse twice, emit with a
// yaml.Node.Encode per value, parse back) and the regular expression sops compiles again
// for every path element of every value, which together cost more than the age wraps.
// Any other object goes through the sops store (sealObject).

// fastEligible tells whether the node tree is one the direct path encrypts exactly as the
// sops store would.
func fastEligible(n *yaml.Node) bool {
	if n.HeadComment != "" || n.LineComment != "" || n.FootComment != "" || n.Anchor != "" {
		return false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return n.ShortTag() == yaml.NodeTagString
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if !fastEligible(c) {
				return false
			}
		}
		return true
	case yaml.MappingNode:
		if len(n.Content)%2 != 0 {
			return false
		}
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || !fastEligible(k) || seen[k.Value] {
				return false
			}
			seen[k.Value] = true
			if !fastEligible(n.Content[i+1]) {
				return false
			}
		}
		return true
	default:
		return false
	}
}

// nodeSealer encrypts the selected scalars of a node tree in place and computes the MAC.
type nodeSealer struct {
	c       *compiled
	cipher  safeCipher
	key     []byte
	mac     hash.Hash
	path    []string
	failure error
}

// seal encrypts obj (eligible, copied by the caller) with key into a sops-encrypted object
// with metadata m, as sealObject does through the sops store.
func (c *compiled) sealNodes(obj *yaml.RNode, m sops.Metadata, key []byte, ciph safeCipher) (*yaml.RNode, error) {
	s := &nodeSealer{c: c, cipher: ciph, key: key, mac: sha512.New()}
	if c.macOnly {
		s.mac.Write(sops.MACOnlyEncryptedInitialization)
	}
	out := obj.Copy()
	s.walk(out.YNode(), false)
	if s.failure != nil {
		return nil, s.failure
	}
	mac := fmt.Sprintf("%X", s.mac.Sum(nil))
	m.LastModified = time.Now().UTC()
	enc, err := ciph.Encrypt(mac, key, m.LastModified.Format(time.RFC3339))
	if err != nil {
		return nil, fmt.Errorf("encrypting the MAC failed")
	}
	m.MessageAuthenticationCode = enc
	meta, err := metadataNode(m)
	if err != nil {
		return nil, err
	}
	out.YNode().Content = append(out.YNode().Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: stores.SopsMetadataKey}, meta)
	return out, nil
}

// walk visits n below s.path. selected tells whether an element of the path matched the
// selector regular expression (sops.Tree.shouldBeEncrypted: any element of the path).
func (s *nodeSealer) walk(n *yaml.Node, selected bool) {
	if s.failure != nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			s.path = append(s.path, k)
			s.walk(n.Content[i+1], selected || s.c.selector.MatchString(k))
			s.path = s.path[:len(s.path)-1]
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			s.walk(item, selected)
		}
	case yaml.ScalarNode:
		encrypt := selected
		if s.c.unencRegex != "" {
			encrypt = !selected
		}
		if !s.c.macOnly || encrypt {
			s.mac.Write([]byte(n.Value))
		}
		if !encrypt {
			return
		}
		ad := strings.Join(s.path, ":") + ":"
		ct, err := s.cipher.Encrypt(n.Value, s.key, ad)
		if err != nil {
			s.failure = err
			return
		}
		n.Value, n.Style, n.Tag = ct, 0, yaml.NodeTagString
	}
}

// metadataNode serializes sops metadata with the sops stores package (the same function
// the YAML store uses) and converts the result into YAML nodes.
func metadataNode(m sops.Metadata) (*yaml.Node, error) {
	branches, err := stores.SerializeMetadata(sops.Tree{Branches: sops.TreeBranches{{}}, Metadata: m}, stores.MetadataOpts{Flatten: stores.MetadataFlattenNone})
	if err != nil || len(branches) != 1 || len(branches[0]) != 1 {
		return nil, fmt.Errorf("serializing the sops metadata failed")
	}
	return treeNode(branches[0][0].Value)
}

// treeNode converts a sops tree value (metadata: mappings, lists, strings, numbers,
// booleans) into a YAML node, with the styles the sops YAML store writes.
func treeNode(v interface{}) (*yaml.Node, error) {
	switch v := v.(type) {
	case sops.TreeBranch:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
		for _, item := range v {
			k, ok := item.Key.(string)
			if !ok {
				continue
			}
			val, err := treeNode(item.Value)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: k}, val)
		}
		return n, nil
	case []interface{}:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
		for _, item := range v {
			val, err := treeNode(item)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, val)
		}
		return n, nil
	case string:
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: v}
		if strings.Contains(v, "\n") {
			n.Style = yaml.LiteralStyle
		}
		return n, nil
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: strconv.Itoa(v)}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: strconv.FormatBool(v)}, nil
	case float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagFloat, Value: strconv.FormatFloat(v, 'g', -1, 64)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagNull, Value: "null"}, nil
	default:
		return nil, fmt.Errorf("serializing the sops metadata: unexpected %T", v)
	}
}
