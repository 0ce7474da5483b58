package sealed

import (
	"bytes"
	"maps"
	"testing"

	ssv1alpha1 "github.com/bitnami/sealed-secrets/pkg/apis/sealedsecrets/v1alpha1"
)

// TestScopeRulesAreSealedSecrets checks the scope rules this package writes (to keep
// sealed-secrets' API package, and the Kubernetes client scheme it links, out of the
// binary) against that package itself: the OAEP label, the annotations that ask for a
// scope, how they are read, and the scope names.
func TestScopeRulesAreSealedSecrets(t *testing.T) {
	if AnnotationNamespaceWide != ssv1alpha1.SealedSecretNamespaceWideAnnotation || AnnotationClusterWide != ssv1alpha1.SealedSecretClusterWideAnnotation {
		t.Errorf("annotations %s, %s; sealed-secrets has %s, %s", AnnotationNamespaceWide, AnnotationClusterWide,
			ssv1alpha1.SealedSecretNamespaceWideAnnotation, ssv1alpha1.SealedSecretClusterWideAnnotation)
	}
	theirs := map[Scope]ssv1alpha1.SealingScope{Strict: ssv1alpha1.StrictScope, NamespaceWide: ssv1alpha1.NamespaceWideScope, ClusterWide: ssv1alpha1.ClusterWideScope}
	for ours, their := range theirs {
		if got, want := ours.label("team-a", "quay"), ssv1alpha1.EncryptionLabel("team-a", "quay", their); !bytes.Equal(got, want) {
			t.Errorf("%s: label %q, sealed-secrets %q", ours, got, want)
		}
		var parsed ssv1alpha1.SealingScope
		if err := parsed.Set(ours.String()); err != nil || parsed != their {
			t.Errorf("%s: sealed-secrets reads its name as %v (%v)", ours, parsed.String(), err)
		}
		if p, err := ParseScope(their.String()); err != nil || p != ours {
			t.Errorf("ParseScope(%q) = %v, %v; want %s", their.String(), p, err, ours)
		}
		// Annotations: set from a start that asks for another scope, as kubeseal updates them.
		for _, start := range []map[string]string{nil, {AnnotationClusterWide: "true", "x": "y"}, {AnnotationNamespaceWide: "true"}} {
			got := maps.Clone(start)
			if got == nil {
				got = map[string]string{}
			}
			ours.annotate(got)
			want := ssv1alpha1.UpdateScopeAnnotations(maps.Clone(start), their)
			if !maps.Equal(got, want) {
				t.Errorf("%s from %v: annotations %v, sealed-secrets %v", ours, start, got, want)
			}
		}
	}
	for _, a := range []map[string]string{nil, {AnnotationNamespaceWide: "true"}, {AnnotationClusterWide: "true"},
		{AnnotationClusterWide: "true", AnnotationNamespaceWide: "true"}, {AnnotationClusterWide: "yes"}, {AnnotationNamespaceWide: "True"}} {
		var ss ssv1alpha1.SealedSecret
		ss.Spec.Template.Annotations = a
		if got, want := scopeOf(a), ss.Scope(); theirs[got] != want {
			t.Errorf("annotations %v: scope %s, sealed-secrets %s", a, got, want.String())
		}
	}
	if _, err := ParseScope("wide"); err == nil {
		t.Error(`ParseScope("wide") took it`)
	}
}
