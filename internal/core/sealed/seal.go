package sealed

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"time"

	sscrypto "github.com/bitnami/sealed-secrets/pkg/crypto"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
)

// The SealedSecret resource.
const (
	APIVersion = "bitnami.com/v1alpha1"
	Kind       = "SealedSecret"
)

// Sealer seals Secrets for one controller certificate with one sealing seed. It is safe
// for concurrent use.
type Sealer struct {
	cert *Certificate
	seed []byte
}

// NewSealer returns a Sealer for cert whose output is a function of seed (see the package
// documentation): the same Secret sealed twice gives the same bytes. A seed made afresh
// for one run (NewSeed) seals as randomly as kubeseal does.
func NewSealer(cert *Certificate, seed []byte) (*Sealer, error) {
	if cert == nil {
		return nil, errors.New("no controller certificate to seal with")
	}
	if len(seed) < MinSeedBytes {
		return nil, fmt.Errorf("the sealing seed has %d bytes, fewer than %d", len(seed), MinSeedBytes)
	}
	return &Sealer{cert: cert, seed: append([]byte(nil), seed...)}, nil
}

// objectMeta is the part of metadata a SealedSecret and its template carry. Fields are
// in the order kubectl prints them (sorted), maps are sorted by the encoder.
type objectMeta struct {
	Annotations map[string]string `yaml:"annotations,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace,omitempty"`
}

type template struct {
	Metadata objectMeta `yaml:"metadata"`
	Type     string     `yaml:"type,omitempty"`
}

type sealedSecret struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
	Spec       struct {
		EncryptedData map[string]string `yaml:"encryptedData"`
		Template      template          `yaml:"template"`
	} `yaml:"spec"`
}

// Seal returns the SealedSecret that the controller opens into secret (a v1 Secret with
// data, as pullgen generates it), bound to scope. The SealedSecret has the Secret's name,
// namespace, labels and annotations, and its template the same metadata and the Secret's
// type, so the controller makes the Secret that would otherwise have been SOPS-encrypted;
// both carry the scope's annotation, as kubeseal writes them. Errors name fields and data
// keys, never a value.
func (s *Sealer) Seal(secret *yaml.RNode, scope Scope) (*yaml.RNode, error) {
	if secret.GetApiVersion() != "v1" || secret.GetKind() != "Secret" {
		return nil, fmt.Errorf("only a v1 Secret is sealed, not %s %s", secret.GetApiVersion(), secret.GetKind())
	}
	meta := objectMeta{Name: secret.GetName(), Namespace: secret.GetNamespace(), Labels: secret.GetLabels(), Annotations: secret.GetAnnotations()}
	if meta.Name == "" {
		return nil, errors.New("metadata.name: a Secret to seal needs a name")
	}
	if meta.Namespace == "" && scope != ClusterWide {
		return nil, fmt.Errorf("metadata.namespace: a Secret sealed in scope %s needs a namespace", scope)
	}
	if secret.Field("stringData") != nil {
		return nil, errors.New("stringData: only data is sealed")
	}
	data, err := secretData(secret)
	if err != nil {
		return nil, err
	}
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	scope.annotate(meta.Annotations)

	var out sealedSecret
	out.APIVersion, out.Kind = APIVersion, Kind
	out.Spec.Template = template{Metadata: meta, Type: stringField(secret, "type")}
	out.Metadata = meta
	out.Metadata.Annotations = map[string]string{manifest.AnnotationSealingCertificateExpiresAt: s.cert.NotAfter.UTC().Format(time.RFC3339)}
	for k, v := range meta.Annotations {
		out.Metadata.Annotations[k] = v
	}
	out.Spec.EncryptedData = make(map[string]string, len(data))
	label := scope.label(meta.Namespace, meta.Name)
	for _, key := range sortedKeys(data) {
		rnd := derivedRandom(s.seed, s.cert, scope, meta.Namespace, meta.Name, key, data[key])
		ct, err := sscrypto.HybridEncrypt(rnd, s.cert.key, data[key], label)
		if err != nil {
			return nil, fmt.Errorf("sealing data key %s: %w", key, err)
		}
		out.Spec.EncryptedData[key] = base64.StdEncoding.EncodeToString(ct)
	}
	var n yaml.Node
	if err := n.Encode(out); err != nil {
		return nil, fmt.Errorf("encoding the SealedSecret: %w", err)
	}
	return yaml.NewRNode(&n), nil
}

// secretData decodes the data of a Secret.
func secretData(secret *yaml.RNode) (map[string][]byte, error) {
	field := secret.Field("data")
	if field == nil || field.Value.YNode().Kind != yaml.MappingNode || len(field.Value.YNode().Content) == 0 {
		return nil, errors.New("data: a Secret to seal needs data")
	}
	data := map[string][]byte{}
	err := field.Value.VisitFields(func(n *yaml.MapNode) error {
		key := n.Key.YNode().Value
		v, err := base64.StdEncoding.DecodeString(n.Value.YNode().Value)
		if err != nil {
			return fmt.Errorf("data.%s: not base64", key)
		}
		data[key] = v
		return nil
	})
	return data, err
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
