package pullcheck

import (
	"bytes"
	"errors"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/check/nodecred"
	"pullgen.dev/pullgen/internal/core/clusterpullsecret"
	"pullgen.dev/pullgen/internal/core/dockercfg"
	"pullgen.dev/pullgen/internal/core/manifest"
)

// NodeConfig is what a node holds itself: its kubelet config.json, which on OpenShift is
// the cluster's global pull secret. The kubelet tries its credentials after the pod's own;
// the container runtime sends only these to a mirror on another host than the image's.
type NodeConfig struct {
	// Name says where it comes from, in messages: a file, a Secret.
	Name string
	// Runtime is the file as the container runtime reads it; the kubelet matches its keys
	// as a pull secret's.
	Runtime nodecred.AuthFile
	// Err is set when the kubelet cannot parse the file: it then uses none of it.
	Err error
}

// ReadNodeConfig reads a node's credentials from a file: a config.json ({"auths": ...})
// or the manifest of the cluster's pull secret (a Secret of type
// kubernetes.io/dockerconfigjson, plain or SOPS-encrypted: decrypted with decrypt, else its
// keys read from its pullgen.dev/registries annotation). Errors name the file and never
// quote a credential.
func ReadNodeConfig(data []byte, file string, decrypt func(*yaml.RNode) (*yaml.RNode, error)) (*NodeConfig, error) {
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		if auths, err := dockerAuths(data, true); err == nil && auths != nil {
			return nodeConfigOf(file, dockercfg.Auths(auths)), nil
		}
	}
	objs, err := ParseManifests(data, file)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if o.Node == nil || o.Node.GetKind() != "Secret" {
			continue
		}
		info := readSecret(o.Node.YNode(), o.Node.GetName(), decrypt)
		nc, err := nodeConfigFromSecret(file+": Secret "+o.Node.GetNamespace()+"/"+o.Node.GetName(), info)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		return nc, nil
	}
	return nil, fmt.Errorf("%s: neither a config.json ({\"auths\": ...}) nor a Secret", file)
}

// nodeConfigOf is the node config of a plain auths map.
func nodeConfigOf(name string, auths dockercfg.Auths) *NodeConfig {
	nc := &NodeConfig{Name: name, Runtime: nodecred.NewAuthFile(auths)}
	for _, k := range auths.Keys() {
		if _, _, err := decodeEntry(auths[k]); err != nil {
			nc.Err = fmt.Errorf("registry %q: %v", k, err)
			break
		}
	}
	return nc
}

// nodeConfigFromSecret is the node config a pull secret holds.
func nodeConfigFromSecret(name string, info secretInfo) (*NodeConfig, error) {
	switch {
	case info.unknown != "":
		return nil, errors.New("its registry keys are unknown: " + info.unknown)
	case info.ignored != "":
		return nil, errors.New("it holds no pull credentials: " + info.ignored)
	case info.plain != nil:
		if raw, dataKey, _, err := dockerConfig(info.plain); err == nil {
			if auths, err := dockerAuths(raw, dataKey == DockerConfigJSONKey); err == nil {
				nc := nodeConfigOf(name, dockercfg.Auths(auths))
				if info.err != nil {
					nc.Err = info.err
				}
				return nc, nil
			}
		}
	}
	nc := &NodeConfig{Name: name, Runtime: nodecred.AuthFileFromKeys(info.registries), Err: info.err}
	return nc, nil
}

// nodeConfig is the nodes' credentials: Options.Node when given, else what the input (and
// Options.Cluster) hold of them: on a hosted control plane, HyperShift's merge of the
// original and the additional pull secret (kube-system/global-pull-secret, else the merge
// of kube-system/original-pull-secret, or openshift-config/pull-secret, with
// kube-system/additional-pull-secret); else openshift-config/pull-secret. nil when none is
// known.
func (a *analyzer) nodeConfig() *NodeConfig {
	if a.opts.Node != nil {
		return a.opts.Node
	}
	from := func(ns, name string) *NodeConfig {
		info := a.ix.secret(ns, name, a.opts)
		if info == nil {
			return nil
		}
		nc, err := nodeConfigFromSecret("Secret "+ns+"/"+name, *info)
		if err != nil {
			return &NodeConfig{Name: "Secret " + ns + "/" + name, Err: err, Runtime: nodecred.AuthFileFromKeys(nil)}
		}
		return nc
	}
	if nc := from(manifest.HostedPullSecretNS, manifest.HostedGlobalPullSecretName); nc != nil {
		return nc
	}
	original := from(manifest.HostedPullSecretNS, manifest.OriginalPullSecretName)
	if original == nil {
		original = from(manifest.GlobalPullSecretNS, manifest.GlobalPullSecretName)
	}
	additional := from(manifest.HostedPullSecretNS, manifest.AdditionalPullSecretName)
	if additional == nil {
		return original
	}
	if original == nil {
		additional.Name += ", merged into the hosted cluster's original pull secret, which the check was not given"
		return additional
	}
	merged, _ := clusterpullsecret.MergeAdditional(original.Runtime.Entries(), additional.Runtime.Entries())
	return &NodeConfig{Name: original.Name + "+" + manifest.AdditionalPullSecretName, Runtime: nodecred.AuthFileFromEntries(merged), Err: errors.Join(original.Err, additional.Err)}
}
