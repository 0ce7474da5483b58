package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/testsupport/registrytest"
)

// sarifValidator is Microsoft's SARIF validator, which make tools installs from npm into
// ./bin. The test skips where it cannot be installed (no npm), and fails in CI when npm is
// there but the validator is not.
func sarifValidator(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("Sarif.Multitool"); err == nil {
		return p
	}
	if _, err := exec.LookPath("npm"); err == nil && os.Getenv("CI") != "" {
		t.Fatal("Sarif.Multitool is missing: make tools installs it from npm into ./bin")
	}
	t.Skip("Microsoft's SARIF validator (Sarif.Multitool) is not installed here: make tools installs it from npm into ./bin")
	return ""
}

// validatorLog is the part of the validator's own SARIF log that the tests read.
type validatorLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Version string
				Rules   []validatorRule
			}
		}
		Results []struct {
			RuleID    string
			RuleIndex int
			Level     string
			Message   struct {
				ID        string
				Arguments []string
			}
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI string }
				}
			}
		}
	}
}

// validatorRule is a rule of the validator, with the messages its results format.
type validatorRule struct {
	ID                   string
	MessageStrings       map[string]struct{ Text string }
	DefaultConfiguration struct{ Level string }
}

// withoutHelp is a SARIF log like log whose first rule has no help: what GitHub's ingestion
// rules refuse (GH2012).
func withoutHelp(t *testing.T, log []byte) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(log, &doc); err != nil {
		t.Fatal(err)
	}
	rule := doc["runs"].([]any)[0].(map[string]any)["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)[0].(map[string]any)
	delete(rule, "help")
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// validatorConfig turns off the one rule that reaches the network, SARIF2006 (a note
// that every URI of the log answers): tests send nothing off this machine.
const validatorConfig = `<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key="SARIF2006.UrisShouldBeReachable.Options">
    <Property Key="RuleEnabled" Value="Disabled" Type="Driver.RuleEnabledState" />
  </Properties>
</Properties>
`

var scanned = regexp.MustCompile(`Done\. (\d+) files? scanned\.`)

// validateSARIF runs the validator once, as GitHub code scanning's ingestion is checked
// (rule kinds Sarif and Gh), over SARIF logs named by file name, and fails the test on any
// error or warning it reports. Along with them it validates, as a control, the first log
// with a rule stripped of its help, and fails unless the validator reports that.
func validateSARIF(t *testing.T, logs map[string][]byte) {
	t.Helper()
	validator := sarifValidator(t)
	dir := t.TempDir()
	var files []string
	var first string
	for name, b := range logs {
		if first == "" || name < first {
			first = name
		}
		files = append(files, filepath.Join(dir, name))
		writeFile(t, files[len(files)-1], string(b))
	}
	control := filepath.Join(dir, "control-without-help.sarif")
	writeFile(t, control, string(withoutHelp(t, logs[first])))
	files = append(files, control)

	config := filepath.Join(t.TempDir(), "config.xml")
	writeFile(t, config, validatorConfig)
	out := filepath.Join(t.TempDir(), "validation.sarif")
	args := append([]string{"validate", "--rule-kind", "Sarif;Gh", "--config", config, "--output", out}, files...)
	r := run(t, dir, []string{"DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1"}, "", validator, args...)
	if m := scanned.FindStringSubmatch(r.stdout); r.code != 0 || m == nil || m[1] != fmt.Sprint(len(files)) {
		t.Fatalf("Sarif.Multitool validate over %d files: exit %d\n%s%s", len(files), r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var vlog validatorLog
	if err := json.Unmarshal(b, &vlog); err != nil || len(vlog.Runs) != 1 {
		t.Fatalf("the validator's log: %v\n%s", err, b)
	}
	vrun := vlog.Runs[0]
	if v := vrun.Tool.Driver.Version; !strings.HasPrefix(v, "5.7.0") {
		t.Errorf("validator version %s, want 5.7.0 (the Makefile's pin)", v)
	}
	controlReported := false
	for _, res := range vrun.Results {
		var rule validatorRule
		if rules := vrun.Tool.Driver.Rules; res.RuleIndex >= 0 && res.RuleIndex < len(rules) {
			rule = rules[res.RuleIndex]
		}
		level := res.Level
		if level == "" {
			level = rule.DefaultConfiguration.Level
		}
		if level == "" {
			level = "warning" // SARIF's default
		}
		if level != "error" && level != "warning" {
			continue
		}
		msg := rule.MessageStrings[res.Message.ID].Text
		for i, a := range res.Message.Arguments {
			msg = strings.ReplaceAll(msg, fmt.Sprintf("{%d}", i), a)
		}
		file := "?"
		if len(res.Locations) > 0 {
			file = res.Locations[0].PhysicalLocation.ArtifactLocation.URI
			if u, err := url.Parse(file); err == nil && u.Scheme == "file" {
				file = u.Path
			}
		}
		if file == control {
			controlReported = controlReported || res.RuleID == "GH2012" && level == "error"
			continue
		}
		t.Errorf("%s: %s %s: %s", filepath.Base(file), level, res.RuleID, msg)
	}
	if !controlReported {
		t.Errorf("the validator did not report the rule without help of %s: its report cannot be trusted\n%s", control, b)
	}
}

// sarifOf parses pullgen's SARIF enough to check where its results point and which
// version it names.
func sarifOf(t *testing.T, b []byte) (version string, uris []string) {
	t.Helper()
	var log struct {
		Runs []struct {
			Tool    struct{ Driver struct{ Version string } }
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI, URIBaseID string }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b, &log); err != nil || len(log.Runs) != 1 {
		t.Fatalf("pullgen's SARIF: %v\n%s", err, b)
	}
	for _, res := range log.Runs[0].Results {
		for _, l := range res.Locations {
			a := l.PhysicalLocation.ArtifactLocation
			if a.URIBaseID != "%SRCROOT%" {
				t.Errorf("location %s: uriBaseId %q, want %%SRCROOT%%", a.URI, a.URIBaseID)
			}
			uris = append(uris, a.URI)
		}
	}
	return log.Runs[0].Tool.Driver.Version, uris
}

// TestSARIFExamplesValidate: the SARIF of every examples/check-* directory, as a workflow
// in the repository's checkout writes it, passes the SARIF validator with GitHub's
// ingestion rules (no error, no warning); its locations are files of the repository,
// relative to its root, and its tool version is the one pullgen version prints.
func TestSARIFExamplesValidate(t *testing.T) {
	sarifValidator(t)
	dirs, _ := filepath.Glob(filepath.Join(repoRoot, "examples", "check-*"))
	if len(dirs) < 16 {
		t.Fatalf("%d examples/check-* directories, want every rule's", len(dirs))
	}
	version := strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(mustRun(t, repoRoot, nil, pullgen(), "version"), "pullgen")), "v")
	logs := map[string][]byte{}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		// The expiry window shows the finding of check-credential-expiring too.
		r := run(t, repoRoot, nil, "", pullgen(), "check", "--format", "sarif", "--expiring-within", "30000d", "examples/"+name)
		if r.code > 1 {
			t.Fatalf("pullgen check %s: exit %d\n%s", name, r.code, r.stderr)
		}
		v, uris := sarifOf(t, []byte(r.stdout))
		if v != version || len(uris) == 0 {
			t.Errorf("%s: tool version %q (want %q), %d locations", name, v, version, len(uris))
		}
		for _, u := range uris {
			if !strings.HasPrefix(u, "examples/"+name+"/") {
				t.Errorf("%s: location %s is not a file of the example, relative to the repository root", name, u)
			} else if _, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(u))); err != nil {
				t.Errorf("%s: location %s: %v", name, u, err)
			}
		}
		logs[name+".sarif"] = []byte(r.stdout)
	}
	validateSARIF(t, logs)
}

// TestSARIFOnlineValidates: the SARIF of `pullgen check --online` against a real registry
// on loopback (a verified pull, a refused one and a missing image) passes the validator too.
func TestSARIFOnlineValidates(t *testing.T) {
	sarifValidator(t)
	robot := registrytest.User{Name: "robot", Password: "Sarif-Robot-5e2a9c41"}
	pusher := registrytest.User{Name: "pusher", Password: "Sarif-Push-8b0d3f76"}
	reg := registrytest.StartHtpasswd(t, pusher, robot)
	registrytest.Push(t, reg.Host+"/team/app:1", pusher, nil)
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("robot:" + robot.Password))
	cfg := base64.StdEncoding.EncodeToString([]byte(`{"auths":{"` + reg.Host + `":{"auth":"` + auth + `"}}}`))
	writeFile(t, filepath.Join(dir, "deploy", "secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: {name: pull, namespace: team-a}\n"+
		"type: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: "+cfg+"\n")
	writeFile(t, filepath.Join(dir, "deploy", "web.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team-a}\n"+
		"spec:\n  template:\n    spec:\n      imagePullSecrets: [{name: pull}]\n      containers:\n"+
		"      - {name: app, image: "+reg.Host+"/team/app:1}\n      - {name: gone, image: "+reg.Host+"/team/gone:1}\n---\n"+
		"apiVersion: v1\nkind: Pod\nmetadata: {name: bare, namespace: team-a}\nspec:\n  containers: [{name: app, image: "+reg.Host+"/team/app:1}]\n")
	r := run(t, dir, nil, "", pullgen(), "check", "--online", "--insecure-registry", reg.Host, "--format", "sarif", "deploy")
	if r.code != 1 {
		t.Fatalf("pullgen check --online: exit %d, want 1 (a refused pull, a missing image)\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, robot.Password) || strings.Contains(r.stdout+r.stderr, auth) {
		t.Fatal("the SARIF shows the credential")
	}
	for _, rule := range []string{"online-verified", "online-denied", "online-not-found"} {
		if !strings.Contains(r.stdout, `"ruleId": "`+rule+`"`) {
			t.Errorf("no %s result:\n%s", rule, r.stdout)
		}
	}
	_, uris := sarifOf(t, []byte(r.stdout))
	for _, u := range uris {
		if u != "deploy/web.yaml" {
			t.Errorf("location %s, want deploy/web.yaml, relative to the working directory (no git work tree)", u)
		}
	}
	validateSARIF(t, map[string][]byte{"online.sarif": []byte(r.stdout)})
}
