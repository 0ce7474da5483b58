package pullcheck

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// reportInput has an error, a warning-free info and an object finding, over two files.
func reportInput(t *testing.T) []Finding {
	t.Helper()
	a, err := ParseManifests([]byte(docs(pullAccess, pullSecret("a", "quay", "quay.io/acme"),
		deployment("a", "web", pullSecrets("quay", "gone")+containers("quay.io/acme/web:1", "ghcr.io/x/y")))), "deploy/web.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseManifests([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: b}\nspec:\n  containers:\n    - name: app\n      image: quay.io/acme/app\n"), "pod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return Analyze(append(a, b...), Options{})
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, reportInput(t)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), testAuth) {
		t.Fatal("JSON leaks a credential")
	}
	var got struct {
		Images []struct {
			File, Kind, Namespace, Name, Container, Image, Field, Severity, Message string
			Line                                                                    int
			PullSecrets                                                             []string
			Credentials                                                             []map[string]string
		}
		Findings []map[string]any
		Summary  map[string]int
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(got.Images) != 3 {
		t.Fatalf("images: %d\n%s", len(got.Images), buf.String())
	}
	first := got.Images[0]
	if first.File != "deploy/web.yaml" || first.Kind != "Deployment" || first.Namespace != "a" || first.Name != "web" ||
		first.Container != "c0" || first.Image != "quay.io/acme/web:1" || first.Field != c0 || first.Severity != "info" || first.Line != 35 {
		t.Errorf("first image: %+v", first)
	}
	if diff := cmp.Diff([]string{"quay", "gone"}, first.PullSecrets); diff != "" {
		t.Errorf("pullSecrets: %s", diff)
	}
	if diff := cmp.Diff([]map[string]string{{"secret": "quay", "registry": "quay.io/acme"}}, first.Credentials); diff != "" {
		t.Errorf("credentials: %s", diff)
	}
	if got.Images[1].Credentials == nil || len(got.Images[1].Credentials) != 0 {
		t.Errorf("credentials must be [] when none: %+v", got.Images[1])
	}
	last := got.Images[2]
	if last.File != "pod.yaml" || last.Severity != "error" || last.Field != "spec.containers[0].image" || last.Line != 7 {
		t.Errorf("last image: %+v", last)
	}
	if len(got.Findings) != 1 || got.Findings[0]["rule"] != RuleMissingSecret || got.Findings[0]["field"] != "spec.template.spec.imagePullSecrets[1].name" {
		t.Errorf("findings: %v", got.Findings)
	}
	want := map[string]int{"images": 3, "errors": 2, "warnings": 0, "infos": 2}
	if diff := cmp.Diff(want, got.Summary); diff != "" {
		t.Errorf("summary: %s", diff)
	}
}

func TestWriteText(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteText(&buf, reportInput(t)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"deploy/web.yaml: Deployment a/web\n",
		"pod.yaml: Pod b/p\n",
		"quay (quay.io/acme)",
		"pull secret gone is not in namespace a",
		"3 images checked: 2 errors, 0 warnings, 2 info\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "deploy/web.yaml:") > strings.Index(out, "pod.yaml:") {
		t.Error("objects out of order")
	}
	if strings.Count(out, "SEVERITY") != 2 {
		t.Errorf("want one table header per object:\n%s", out)
	}
	if err := Write(&buf, "yaml", nil, SARIFRun{}); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestSortFindingsDeterministic(t *testing.T) {
	fs := reportInput(t)
	rev := make([]Finding, len(fs))
	for i := range fs {
		rev[len(fs)-1-i] = fs[i]
	}
	SortFindings(rev)
	if diff := cmp.Diff(fs, rev); diff != "" {
		t.Errorf("sort not deterministic:\n%s", diff)
	}
	if !naturalLess("c[2].image", "c[10].image") || naturalLess("c[10]", "c[2]") || !naturalLess("a", "ab") {
		t.Error("naturalLess")
	}
}
