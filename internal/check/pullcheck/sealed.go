package pullcheck

import (
	"fmt"
	"slices"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/core/sealed"
)

// A SealedSecret (bitnami.com/v1alpha1) is the pull Secret that its controller will make
// of it in the cluster: the SealedSecret's name and namespace, its template's type, labels
// and annotations, the keys of its encrypted data (package sealed, Opens). Its values stay
// sealed (only the controller's private key opens them), so its registry keys come from
// the manifest.AnnotationRegistries of its template, as for a SOPS-encrypted Secret
// without its key. The certificate it was sealed with expires
// (manifest.AnnotationSealingCertificateExpiresAt): sealing anew (a rotation) then needs
// the controller's current certificate.

// Rules of the sealing certificate's expiry.
const (
	RuleSealingCertificateExpired  = "sealing-certificate-expired"
	RuleSealingCertificateExpiring = "sealing-certificate-expiring"
)

// sealingCertificateField is the field path of the certificate's expiry in findings.
const sealingCertificateField = "metadata.annotations[" + manifest.AnnotationSealingCertificateExpiresAt + "]"

// sealedEntry is what the check holds of a SealedSecret.
type sealedEntry struct {
	// opens is the Secret the controller makes of it; err says why it makes none.
	opens sealed.Secret
	err   error
	// certificate is when the certificate it was sealed with expires.
	certificate secretExpiry
}

// isSealedSecret tells whether an object is a SealedSecret.
func isSealedSecret(m meta) bool {
	return m.kind == sealed.Kind && m.apiVersion == sealed.APIVersion
}

// newSealedEntry is the secretEntry of a SealedSecret n: its node is the Secret it opens
// into as far as metadata and type go (the template's metadata nodes, with their lines,
// under the SealedSecret's name and namespace), so that what the check reads of a Secret's
// metadata (its PullAccess, registries, expiry) it reads of the template.
func newSealedEntry(n *yaml.Node, ref objRef) *secretEntry {
	s := &sealedEntry{}
	s.opens, s.err = sealed.Opens(yaml.NewRNode(n))
	s.certificate = readExpiry(path(n, "metadata", "annotations", manifest.AnnotationSealingCertificateExpiresAt), ref)
	tmpl := path(n, "spec", "template")
	md := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range []string{"labels", "annotations"} {
		if v := path(tmpl, "metadata", k); v != nil {
			md.Content = append(md.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
		}
	}
	secret := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "metadata"}, md,
	}}
	if t := field(tmpl, "type"); t != nil {
		secret.Content = append(secret.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "type"}, t)
	}
	return &secretEntry{node: secret, ref: ref, sealed: s, annotations: "spec.template.metadata.annotations"}
}

// readSealed reads what the check knows of the Secret a SealedSecret opens into.
func readSealed(e *secretEntry, name string) secretInfo {
	info := secretInfo{name: name, sealed: true}
	s := e.sealed
	if s.err != nil {
		info.err = fmt.Errorf("the SealedSecret cannot become a Secret: %v", s.err)
		return info
	}
	var dataKey string
	switch s.opens.Type {
	case SecretTypeDockerConfigJSON:
		dataKey = DockerConfigJSONKey
	case SecretTypeDockercfg:
		dataKey = DockercfgKey
	default:
		typ := s.opens.Type
		if typ == "" {
			typ = "Opaque"
		}
		info.ignored = fmt.Sprintf("its template's type is %s, not %s or %s", typ, SecretTypeDockerConfigJSON, SecretTypeDockercfg)
		return info
	}
	if !slices.Contains(s.opens.DataKeys, dataKey) {
		info.ignored = fmt.Sprintf("it has no %s data", dataKey)
		return info
	}
	if ann, ok := s.opens.Annotations[manifest.AnnotationRegistries]; ok {
		info.registries = splitRegistries(ann)
		return info
	}
	info.unknown = "it is sealed (only its controller opens it) and its template has no " + manifest.AnnotationRegistries + " annotation"
	return info
}

// sealingCertificates reports every SealedSecret of the input sealed with a certificate
// that has expired or expires within the window, and every expiry annotation that is not
// a time. An expired certificate does not stop the controller from opening what it
// sealed; it stops pullgen from sealing anew with it.
func (a *analyzer) sealingCertificates() {
	for _, e := range a.ix.secrets {
		if e.sealed == nil {
			continue
		}
		ex := e.sealed.certificate
		if ex.err {
			a.objectFinding(e.ref, sealingCertificateField, ex.line, RuleSealingCertificateExpiring, SeverityWarning,
				fmt.Sprintf("%s %q is not an RFC 3339 time such as 2027-03-01T00:00:00Z: when its sealing certificate expires is unknown", manifest.AnnotationSealingCertificateExpiresAt, ex.text))
			continue
		}
		var rule, when string
		switch {
		case ex.at.IsZero():
			continue
		case !ex.at.After(a.now):
			rule, when = RuleSealingCertificateExpired, "expired on "+formatTime(ex.at)
		case a.opts.ExpiringWithin > 0 && !ex.at.After(a.now.Add(a.opts.ExpiringWithin)):
			rule, when = RuleSealingCertificateExpiring, "expires on "+formatTime(ex.at)+", within "+describeWindow(a.opts.ExpiringWithin)
		default:
			continue
		}
		a.objectFinding(e.ref, sealingCertificateField, ex.line, rule, SeverityWarning,
			"the controller certificate that SealedSecret "+e.ref.m.name+" was sealed with "+when+
				": the controller still opens it, but pullgen generate refuses to seal with that certificate; fetch the controller's current one (kubeseal --fetch-cert) before the next rotation")
		a.findings[len(a.findings)-1].ExpiresAt = formatTime(ex.at)
	}
}
