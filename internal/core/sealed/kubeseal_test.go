package sealed

import (
	"maps"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/dockercfg"
	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/testsupport/sealedtest"
)

// TestKubesealOpensWhatPullgenSeals: the real kubeseal, given the controller's private key
// (--recovery-unseal, which opens a SealedSecret exactly as the controller does), opens
// what pullgen sealed, in each scope, into the Secret that pullgen would otherwise have
// SOPS-encrypted: the same name, namespace, type, labels and annotations (plus the scope's
// annotation, as kubeseal writes it), and .dockerconfigjson byte for byte, so the kubelet
// reads the same credentials.
func TestKubesealOpensWhatPullgenSeals(t *testing.T) {
	open := kubesealOpener(t)
	s := testSealer(t)
	secret := pullSecret("team-a", "acme-pull", map[string]string{"quay.io/acme": "quay-token", "ghcr.io/acme": "ghcr-token"})
	for _, scope := range []Scope{Strict, NamespaceWide, ClusterWide} {
		t.Run(scope.String(), func(t *testing.T) {
			out, err := open(mustSeal(t, s, secret, scope))
			if err != nil {
				t.Fatal(err)
			}
			opened := yaml.MustParse(string(out))
			if got, want := identity(opened), identity(secret); got != want {
				t.Errorf("opened %s, want %s", got, want)
			}
			if got, want := opened.GetLabels(), secret.GetLabels(); !maps.Equal(got, want) {
				t.Errorf("labels %v, want %v", got, want)
			}
			wantAnn := secret.GetAnnotations()
			scope.annotate(wantAnn)
			if got := opened.GetAnnotations(); !maps.Equal(got, wantAnn) {
				t.Errorf("annotations %v, want %v", got, wantAnn)
			}
			if got, want := dataOf(t, opened), dataOf(t, secret); got != want {
				t.Errorf(".dockerconfigjson differs from the Secret's")
			}
			auths, err := dockercfg.ParseDockerConfigJSON([]byte(dataOf(t, opened)))
			if err != nil {
				t.Fatalf("the opened Secret's .dockerconfigjson does not parse: %v", err)
			}
			if got, want := strings.Join(auths.Keys(), ","), secret.GetAnnotations()[manifest.AnnotationRegistries]; got != want {
				t.Errorf("the opened Secret holds registries %s, want %s", got, want)
			}
		})
	}
}

// TestKubesealScopeHolds moves and renames SealedSecrets as someone with write access to
// the repository (or to another namespace) could, and opens them with kubeseal: each opens
// only where its scope allows. A strict SealedSecret annotated cluster-wide after sealing
// opens nowhere else either: the scope is in the encryption, not in the annotation.
func TestKubesealScopeHolds(t *testing.T) {
	open := kubesealOpener(t)
	s := testSealer(t)
	secret := pullSecret("team-a", "acme-pull", map[string]string{"quay.io/acme": "quay-token"})

	type place struct{ ns, name string }
	same, renamed, moved, both := place{"team-a", "acme-pull"}, place{"team-a", "stolen"}, place{"team-b", "acme-pull"}, place{"team-b", "stolen"}
	tests := []struct {
		scope Scope
		at    place
		// widen adds the cluster-wide annotation after sealing.
		widen bool
		opens bool
	}{
		{Strict, same, false, true},
		{Strict, renamed, false, false},
		{Strict, moved, false, false},
		{Strict, both, false, false},
		{Strict, same, true, false},
		{Strict, moved, true, false},
		{NamespaceWide, same, false, true},
		{NamespaceWide, renamed, false, true},
		{NamespaceWide, moved, false, false},
		{NamespaceWide, moved, true, false},
		{ClusterWide, same, false, true},
		{ClusterWide, renamed, false, true},
		{ClusterWide, moved, false, true},
		{ClusterWide, both, false, true},
	}
	for _, tc := range tests {
		name := tc.scope.String() + " at " + tc.at.ns + "/" + tc.at.name
		if tc.widen {
			name += ", annotated cluster-wide"
		}
		t.Run(name, func(t *testing.T) {
			ss := mustSeal(t, s, secret, tc.scope)
			for _, meta := range [][]string{{"metadata"}, {"spec", "template", "metadata"}} {
				m, err := ss.Pipe(yaml.Lookup(meta...))
				if err != nil {
					t.Fatal(err)
				}
				set := []yaml.Filter{yaml.SetField("namespace", yaml.NewStringRNode(tc.at.ns)), yaml.SetField("name", yaml.NewStringRNode(tc.at.name))}
				if tc.widen {
					set = append(set, yaml.Tee(yaml.LookupCreate(yaml.MappingNode, "annotations"), yaml.SetField(AnnotationClusterWide, yaml.NewStringRNode("true"))))
				}
				for _, f := range set {
					if err := m.PipeE(f); err != nil {
						t.Fatal(err)
					}
				}
			}
			out, err := open(ss)
			if opened := err == nil; opened != tc.opens {
				t.Fatalf("opened = %v (%v), want %v", opened, err, tc.opens)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "no key could decrypt secret") {
					t.Errorf("kubeseal failed otherwise than on decryption: %v", err)
				}
				return
			}
			opened := yaml.MustParse(string(out))
			if opened.GetNamespace() != tc.at.ns || opened.GetName() != tc.at.name || dataOf(t, opened) != dataOf(t, secret) {
				t.Errorf("opened %s with other data, want %s/%s and the sealed credentials", identity(opened), tc.at.ns, tc.at.name)
			}
		})
	}
}

// TestSealedLikeKubeseal: what pullgen writes has the shape kubeseal gives the same Secret
// in each scope (template, scope annotations, name, namespace); pullgen adds only its
// labels and annotations on the SealedSecret itself, and the ciphertext differs.
func TestSealedLikeKubeseal(t *testing.T) {
	kubeseal := sealedtest.Kubeseal(t)
	dir := t.TempDir()
	certFile := dir + "/cert.pem"
	writeTestFile(t, certFile, sealedtest.ControllerKeyPair(t).CertPEM())
	s := testSealer(t)
	secret := pullSecret("team-a", "acme-pull", map[string]string{"quay.io/acme": "quay-token"})
	for _, scope := range []Scope{Strict, NamespaceWide, ClusterWide} {
		t.Run(scope.String(), func(t *testing.T) {
			theirs := yaml.MustParse(string(sealedtest.Seal(t, kubeseal, certFile, scope.String(), []byte(mustString(t, secret)))))
			ours := mustSeal(t, s, secret, scope)
			for _, n := range []*yaml.RNode{theirs, ours} {
				if err := n.PipeE(yaml.Lookup("spec", "encryptedData"), yaml.SetField(".dockerconfigjson", yaml.NewStringRNode("CIPHERTEXT"))); err != nil {
					t.Fatal(err)
				}
			}
			if got, want := mustString(t, lookup(t, ours, "spec")), mustString(t, lookup(t, theirs, "spec")); got != want {
				t.Errorf("spec:\n%s\nkubeseal writes:\n%s", got, want)
			}
			if got, want := identity(ours), identity(theirs); got != want {
				t.Errorf("SealedSecret %s, kubeseal writes %s", got, want)
			}
			for _, a := range []string{AnnotationNamespaceWide, AnnotationClusterWide} {
				if got, want := ours.GetAnnotations()[a], theirs.GetAnnotations()[a]; got != want {
					t.Errorf("annotation %s: %q, kubeseal writes %q", a, got, want)
				}
			}
		})
	}
}

func identity(n *yaml.RNode) string {
	return n.GetApiVersion() + " " + n.GetKind() + " " + n.GetNamespace() + "/" + n.GetName() + " type " + stringField(n, "type")
}

func lookup(t testing.TB, n *yaml.RNode, path ...string) *yaml.RNode {
	t.Helper()
	v, err := n.Pipe(yaml.Lookup(path...))
	if err != nil || v == nil {
		t.Fatalf("no %s: %v", strings.Join(path, "."), err)
	}
	return v
}
