package argocd

// Sealed output on Argo CD's real path, with no plugin: the repo server builds the committed
// output of examples/sealed-secrets with its own kustomize.

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/testsupport/argocdtest"
)

// TestSealedApplication sends Argo CD application-sealed.yaml's Application, no plugin,
// over a repository laid out as it says: the committed output of examples/sealed-secrets at
// its path, beside the PullAccess that made it. The repo server's manifests are the
// committed objects exactly, the SealedSecrets' ciphertext untouched; no Secret, no
// credential. The Application carries the kit's OpenShift recipe for the ServiceAccounts.
func TestSealedApplication(t *testing.T) {
	var app application
	unmarshalStrict(t, "application-sealed.yaml", &app)
	src := app.Spec.Source
	if src.Plugin != nil {
		t.Errorf("application-sealed.yaml: source.plugin set; the sealed path needs none")
	}
	checkSourceAndRecipe(t, "application-sealed.yaml", app.Spec)
	dir := t.TempDir()
	example := "../../examples/sealed-secrets"
	appDir := filepath.Join(dir, src.Path)
	if err := os.CopyFS(filepath.Dir(appDir), os.DirFS(example)); err != nil {
		t.Fatal(err)
	}
	if filepath.Base(appDir) != "generated" {
		t.Fatalf("application-sealed.yaml: path %s is not the example's output directory", src.Path)
	}
	repo := argocdtest.GitRepo(t, dir)
	rs := argocdtest.NewRepoServer(t)
	res := rs.Generate(t, argocdtest.Request{Repo: repo, Path: src.Path, NoPlugin: true,
		App: app.Metadata.Name, Namespace: app.Spec.Destination.Namespace, Project: app.Spec.Project})

	files, _ := filepath.Glob(filepath.Join(example, "generated", "*-*.yaml"))
	var committed strings.Builder
	for _, f := range files {
		committed.WriteString("---\n" + readFile(t, f))
	}
	got, want := byID(t, res.Objects(t)), manifests(t, []byte(committed.String()))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Argo CD's manifests:\n%s\nwant the committed objects of %s/generated", res, example)
	}
	sealed := 0
	for id := range got {
		switch {
		case strings.HasPrefix(id, "SealedSecret/"):
			sealed++
		case strings.HasPrefix(id, "Secret/"):
			t.Errorf("Argo CD holds a Secret: %s", id)
		}
	}
	if sealed != 2 {
		t.Errorf("%d SealedSecrets, want the example's 2", sealed)
	}
	if strings.Contains(res.Out+res.Stderr, "demo-token-not-a-real-secret") {
		t.Error("the credential reached Argo CD")
	}
}
