package drift

import (
	"sort"
	"strings"

	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/core/sealed"
)

// SealedSecrets are compared as they are committed: sealing is stable (package sealed), so
// a SealedSecret resealed from unchanged credentials, certificate, scope and seed has the
// same ciphertext byte for byte, and any change gives other bytes. Nothing can open the
// committed values without the controller's private key, so their ciphertext stands for
// them: masked in diffs, told apart by equality.

// sealedMask and sealedChanged stand for a sealed value in diffs: unchanged, and changed.
const (
	sealedMask    = "<sealed>"
	sealedChanged = "<sealed: changed>"
)

// isSealed tells whether a decoded object is a SealedSecret.
func isSealed(m map[string]any) bool {
	return m["apiVersion"] == sealed.APIVersion && m["kind"] == sealed.Kind
}

// encryptedData is the spec.encryptedData of a decoded SealedSecret, nil when it has none.
func encryptedData(m map[string]any) map[string]any {
	spec, _ := m["spec"].(map[string]any)
	data, _ := spec["encryptedData"].(map[string]any)
	return data
}

// maskSealed masks the values of a SealedSecret's encryptedData, marking in it those that
// differ from other's (when other is not nil).
func maskSealed(m, other map[string]any) {
	data := encryptedData(m)
	od := encryptedData(other)
	for k, v := range data {
		if ov, ok := od[k]; other != nil && ok && ov != v {
			data[k] = sealedChanged
			continue
		}
		data[k] = sealedMask
	}
}

// sealedDetails says what changed between two masked versions of a SealedSecret: its
// registry keys (the non-secret annotation), its sealed values, the certificate it was
// sealed with and its scope. It never names a value.
func sealedDetails(old, cur map[string]any) []string {
	var out []string
	added, removed, _ := diffKeys(registrySet(old), registrySet(cur))
	out = appendList(out, "registry keys added", added)
	out = appendList(out, "registry keys removed", removed)
	var changed []string
	for k, v := range encryptedData(cur) {
		if v == sealedChanged {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	added, removed, _ = diffKeys(toSet(encryptedData(old)), toSet(encryptedData(cur)))
	out = appendList(out, "sealed values added", added)
	out = appendList(out, "sealed values removed", removed)
	out = appendList(out, "sealed values changed", changed)
	if a, b := annotation(old, manifest.AnnotationSealingCertificateExpiresAt), annotation(cur, manifest.AnnotationSealingCertificateExpiresAt); a != b {
		out = append(out, "sealed with another certificate (expires "+b+")")
	}
	for _, s := range []string{sealed.AnnotationNamespaceWide, sealed.AnnotationClusterWide} {
		if annotation(old, s) != annotation(cur, s) {
			out = append(out, "scope changed")
			break
		}
	}
	return out
}

// annotation is an annotation of a decoded object, "" when it has none.
func annotation(m map[string]any, key string) string {
	md, _ := m["metadata"].(map[string]any)
	a, _ := md["annotations"].(map[string]any)
	s, _ := a[key].(string)
	return s
}

// registrySet is the registry keys a decoded object's manifest.AnnotationRegistries lists.
func registrySet(m map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range strings.Split(annotation(m, manifest.AnnotationRegistries), ",") {
		if k != "" {
			out[k] = true
		}
	}
	return out
}

func toSet(m map[string]any) map[string]any {
	out := map[string]any{}
	for k := range m {
		out[k] = true
	}
	return out
}
