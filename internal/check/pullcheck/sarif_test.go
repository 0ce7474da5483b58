package pullcheck

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sarifReport is the part of a SARIF log the tests read.
type sarifReport struct {
	Schema  string `json:"$schema"`
	Version string
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name, Version, SemanticVersion, InformationURI string
				Rules                                          []struct {
					ID, Name, HelpURI                 string
					ShortDescription, FullDescription struct{ Text string }
					Help                              struct{ Text, Markdown string }
					DefaultConfiguration              struct{ Level string }
				}
			}
		}
		OriginalURIBaseIDs map[string]struct{ URI string }
		Results            []struct {
			RuleID    string
			RuleIndex int
			Level     string
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI, URIBaseID string }
					Region           struct{ StartLine int }
				}
			}
			PartialFingerprints map[string]string
		}
	}
}

// writeSARIF writes findings as SARIF and reads the log back.
func writeSARIF(t *testing.T, findings []Finding, run SARIFRun) sarifReport {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, findings, run); err != nil {
		t.Fatal(err)
	}
	var log sarifReport
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs", len(log.Runs))
	}
	return log
}

func TestWriteSARIF(t *testing.T) {
	wd, _ := os.Getwd()
	log := writeSARIF(t, reportInput(t), SARIFRun{Version: "v1.2.3", Root: wd})
	run := log.Runs[0]
	d := run.Tool.Driver
	if log.Schema != SARIFSchema || log.Version != "2.1.0" || d.Name != "pullgen" || d.Version != "1.2.3" || d.SemanticVersion != "1.2.3" || d.InformationURI == "" {
		t.Fatalf("header: %+v", log)
	}
	if len(d.Rules) != len(Rules) {
		t.Errorf("rules: %d, want %d", len(d.Rules), len(Rules))
	}
	for i, r := range d.Rules {
		text, markdown := ruleHelp(Rules[i])
		if r.ID != Rules[i].ID || r.Name == "" || r.ShortDescription.Text != ruleDocs[r.ID].title || r.FullDescription.Text != Rules[i].Description ||
			!strings.HasPrefix(r.Help.Text, text) || !strings.HasPrefix(r.Help.Markdown, markdown) ||
			r.HelpURI != "https://pullgen.dev/docs/check.md#"+r.ID || r.DefaultConfiguration.Level != sarifLevel(Rules[i].Severity) {
			t.Errorf("rule %d: %+v", i, r)
		}
	}
	if diff := cmp.Diff(map[string]struct{ URI string }{"%SRCROOT%": {fileURI(wd) + "/"}}, run.OriginalURIBaseIDs); diff != "" {
		t.Errorf("originalUriBaseIds: %s", diff)
	}
	type res struct {
		Rule, Level, URI, Base string
		Line                   int
	}
	var results []res
	prints := map[string]bool{}
	for _, r := range run.Results {
		if d.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("ruleIndex %d for %s", r.RuleIndex, r.RuleID)
		}
		if r.Message.Text == "" || len(r.Locations) != 1 {
			t.Errorf("result: %+v", r)
			continue
		}
		fp := r.PartialFingerprints[fingerprintKey]
		if len(r.PartialFingerprints) != 1 || prints[fp] || !strings.HasSuffix(fp, ":1") {
			t.Errorf("fingerprints %v: want one, unique", r.PartialFingerprints)
		}
		prints[fp] = true
		loc := r.Locations[0].PhysicalLocation
		results = append(results, res{r.RuleID, r.Level, loc.ArtifactLocation.URI, loc.ArtifactLocation.URIBaseID, loc.Region.StartLine})
	}
	want := []res{
		{RuleAuthenticatedPull, "note", "deploy/web.yaml", "%SRCROOT%", 35},
		{RuleAnonymousPull, "note", "deploy/web.yaml", "%SRCROOT%", 37},
		{RuleMissingSecret, "error", "deploy/web.yaml", "%SRCROOT%", 32},
		{RuleMissingCredential, "error", "pod.yaml", "%SRCROOT%", 7},
	}
	if diff := cmp.Diff(want, results); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

// TestSARIFFingerprints: a finding keeps its fingerprint when its line or message changes,
// and findings that differ in rule, file, object or field do not share one.
func TestSARIFFingerprints(t *testing.T) {
	base := Finding{File: "a.yaml", Kind: "Deployment", Namespace: "ns", Name: "web", Field: "spec.template.spec.containers[0].image",
		Line: 10, Rule: RuleMissingCredential, Severity: SeverityError, Message: "m"}
	fingerprint := func(f Finding) string {
		t.Helper()
		return writeSARIF(t, []Finding{f}, SARIFRun{}).Runs[0].Results[0].PartialFingerprints[fingerprintKey]
	}
	first := fingerprint(base)
	moved := base
	moved.Line, moved.Message, moved.Image = 40, "another message", "quay.io/acme/web:2"
	if got := fingerprint(moved); got != first {
		t.Errorf("moved finding: %s, want %s", got, first)
	}
	for name, change := range map[string]func(*Finding){
		"rule":  func(f *Finding) { f.Rule = RuleAnonymousPull },
		"file":  func(f *Finding) { f.File = "b.yaml" },
		"kind":  func(f *Finding) { f.Kind = "StatefulSet" },
		"ns":    func(f *Finding) { f.Namespace = "other" },
		"name":  func(f *Finding) { f.Name = "api" },
		"field": func(f *Finding) { f.Field = "spec.template.spec.containers[1].image" },
	} {
		f := base
		change(&f)
		if got := fingerprint(f); got == first {
			t.Errorf("%s changed, fingerprint %s did not", name, got)
		}
	}
	twice := writeSARIF(t, []Finding{base, base}, SARIFRun{}).Runs[0].Results
	if a, b := twice[0].PartialFingerprints[fingerprintKey], twice[1].PartialFingerprints[fingerprintKey]; a != first || b != strings.TrimSuffix(first, "1")+"2" {
		t.Errorf("the same finding twice: %s and %s", a, b)
	}
}

// TestSARIFLocations: files under the root are relative to it, a kustomization is its
// kustomization file, a file outside the root is an absolute file URI, stdin is stdin.
func TestSARIFLocations(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	for _, p := range []string{"app/kustomization.yaml", "dir with space/m.yaml"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	type loc struct{ URI, Base string }
	tests := []struct {
		file string
		want loc
	}{
		{filepath.Join(root, "app"), loc{"app/kustomization.yaml", "%SRCROOT%"}},
		{filepath.Join(root, "dir with space/m.yaml"), loc{"dir%20with%20space/m.yaml", "%SRCROOT%"}},
		{filepath.Join(root, "not-there.yaml"), loc{"not-there.yaml", "%SRCROOT%"}},
		{filepath.Join(outside, "m.yaml"), loc{"file://" + filepath.ToSlash(outside) + "/m.yaml", ""}},
		{StdinPath, loc{"stdin", ""}},
	}
	for _, tt := range tests {
		f := Finding{File: tt.file, Kind: "Pod", Namespace: "ns", Name: "p", Field: "spec", Rule: RuleMissingSecret, Severity: SeverityError}
		a := writeSARIF(t, []Finding{f}, SARIFRun{Root: root}).Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation
		if got := (loc{a.URI, a.URIBaseID}); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.file, got, tt.want)
		}
	}
}

func TestSARIFVersion(t *testing.T) {
	tests := []struct{ version, sarif, semantic string }{
		{"v1.2.3", "1.2.3", "1.2.3"},
		{"v0.1.0-dev", "0.1.0-dev", "0.1.0-dev"},
		{"v1.2.3-4-gabcdef+dirty", "1.2.3-4-gabcdef+dirty", "1.2.3-4-gabcdef+dirty"},
		{"v1.2", "1.2", ""},
		{"dev", "dev", ""},
	}
	for _, tt := range tests {
		d := sarifDriverOf(tt.version, nil)
		if d.Version != tt.sarif || d.SemanticVersion != tt.semantic {
			t.Errorf("%s: version %q, semanticVersion %q; want %q, %q", tt.version, d.Version, d.SemanticVersion, tt.sarif, tt.semantic)
		}
	}
}
