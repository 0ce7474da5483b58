package pullcheck

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"pullgen.dev/pullgen/internal/core/manifest"
)

// SARIFRun is what a SARIF log says besides the findings.
type SARIFRun struct {
	// Version is pullgen's version as `pullgen version` prints it (v1.2.3).
	Version string
	// Root is the absolute path of the repository root: file locations under it are
	// written relative to it (base %SRCROOT%), as code scanning resolves them against
	// the checkout. Empty: the working directory.
	Root string
}

// SARIF 2.1.0 documents, as much of them as the check writes.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool               sarifTool                `json:"tool"`
		OriginalURIBaseIDs map[string]sarifArtifact `json:"originalUriBaseIds,omitempty"`
		Results            []sarifResult            `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name            string      `json:"name"`
		Version         string      `json:"version,omitempty"`
		SemanticVersion string      `json:"semanticVersion,omitempty"`
		InformationURI  string      `json:"informationUri"`
		Rules           []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string       `json:"id"`
		Name                 string       `json:"name"`
		ShortDescription     sarifMessage `json:"shortDescription"`
		FullDescription      sarifMessage `json:"fullDescription"`
		Help                 sarifHelp    `json:"help"`
		HelpURI              string       `json:"helpUri"`
		DefaultConfiguration struct {
			Level string `json:"level"`
		} `json:"defaultConfiguration"`
	}
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifHelp struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown"`
	}
	sarifResult struct {
		RuleID              string            `json:"ruleId"`
		RuleIndex           int               `json:"ruleIndex"`
		Level               string            `json:"level"`
		Message             sarifMessage      `json:"message"`
		Locations           []sarifLocation   `json:"locations"`
		PartialFingerprints map[string]string `json:"partialFingerprints"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical  `json:"physicalLocation"`
		LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	}
	sarifArtifact struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId,omitempty"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           struct {
			StartLine int `json:"startLine"`
		} `json:"region"`
	}
	sarifLogical struct {
		FullyQualifiedName string `json:"fullyQualifiedName"`
		Kind               string `json:"kind"`
	}
)

// SARIFSchema is the schema URI written in SARIF output.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// sarifRootBase is the uriBaseId of the repository root.
const sarifRootBase = "%SRCROOT%"

// fingerprintKey names the partial fingerprint of a finding: the rule, the file, the object
// and the field, so that code scanning tracks a finding across commits whatever its line.
const fingerprintKey = "pullgenFinding/v1"

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s Severity) string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	default:
		return "note"
	}
}

// semverPattern is a Semantic Versioning 2.0.0 version, without the leading v.
var semverPattern = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(-(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?` +
	`(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$`)

// sarifDriverOf describes pullgen and rules.
func sarifDriverOf(version string, rules []RuleInfo) sarifDriver {
	// SARIF's version starts with a digit: v1.2.3 is 1.2.3, a semantic version too.
	v := strings.TrimPrefix(version, "v")
	d := sarifDriver{Name: "pullgen", Version: v, InformationURI: "https://pullgen.dev", Rules: make([]sarifRule, len(rules))}
	if semverPattern.MatchString(v) {
		d.SemanticVersion = v
	}
	for i, r := range rules {
		text, markdown := ruleHelp(r)
		d.Rules[i] = sarifRule{
			ID:               r.ID,
			Name:             friendlyName(r.ID),
			ShortDescription: sarifMessage{ruleDocs[r.ID].title},
			FullDescription:  sarifMessage{r.Description},
			Help:             sarifHelp{text + "\n\nSee " + ruleHelpURL + r.ID, markdown + "\n\nSee [the pull check](" + ruleHelpURL + r.ID + ")."},
			HelpURI:          ruleHelpURL + r.ID,
		}
		d.Rules[i].DefaultConfiguration.Level = sarifLevel(r.Severity)
	}
	return d
}

// friendlyName writes a rule identifier in Pascal case: missing-credential is
// MissingCredential.
func friendlyName(id string) string {
	words := strings.Split(id, "-")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, "")
}

// sarifPaths turns the files of findings into artifact locations, each file once.
type sarifPaths struct {
	root string
	seen map[string]sarifArtifact
}

// artifact is the location of a finding's file, found once per file.
func (p *sarifPaths) artifact(file string) sarifArtifact {
	a, ok := p.seen[file]
	if !ok {
		a = p.locate(file)
		p.seen[file] = a
	}
	return a
}

// locate is the location of a file: relative to the repository root when the file is under
// it, an absolute file URI otherwise; a kustomization directory is its kustomization file.
func (p *sarifPaths) locate(file string) sarifArtifact {
	switch file {
	case StdinPath:
		return sarifArtifact{URI: "stdin"}
	case "":
		return sarifArtifact{URI: "unknown"}
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return sarifArtifact{URI: (&url.URL{Path: filepath.ToSlash(file)}).String()}
	}
	for _, name := range manifest.KustomizationFileNames() {
		if st, err := os.Stat(filepath.Join(abs, name)); err == nil && !st.IsDir() {
			abs = filepath.Join(abs, name)
			break
		}
	}
	rel, err := filepath.Rel(p.root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return sarifArtifact{URI: fileURI(abs)}
	}
	return sarifArtifact{URI: (&url.URL{Path: filepath.ToSlash(rel)}).String(), URIBaseID: sarifRootBase}
}

// fileURI is the file URI of an absolute path.
func fileURI(abs string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

// fingerprint identifies a finding across commits by its rule, its file (as uri), its
// object and its field, not by its line or its message; the same finding twice in a report
// is told apart by its occurrence, appended by WriteSARIF.
func fingerprint(f *Finding, uri string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{f.Rule, uri, f.Kind, f.Namespace, f.Name, f.Field}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// WriteSARIF prints a SARIF 2.1.0 log with one result per finding, as GitHub code scanning
// takes it: every rule with its help, each result with a region (the field's line, 1 when
// unknown) and a partial fingerprint that does not depend on the line.
func WriteSARIF(w io.Writer, findings []Finding, run SARIFRun) error {
	root, err := filepath.Abs(run.Root)
	if err != nil {
		return fmt.Errorf("writing SARIF report: %w", err)
	}
	rules := Rules
	for i := range findings {
		if findings[i].Online != nil {
			rules = append(append([]RuleInfo(nil), Rules...), OnlineRules...)
			break
		}
	}
	ruleIndex := map[string]int{}
	for i, r := range rules {
		ruleIndex[r.ID] = i
	}
	paths := &sarifPaths{root: root, seen: map[string]sarifArtifact{}}
	occurrences := map[string]int{}
	results := make([]sarifResult, 0, len(findings))
	for i := range findings {
		f := &findings[i]
		var loc sarifLocation
		loc.PhysicalLocation.ArtifactLocation = paths.artifact(f.File)
		loc.PhysicalLocation.Region.StartLine = max(f.Line, 1)
		loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: f.Kind + "/" + f.Namespace + "/" + f.Name + ":" + f.Field, Kind: "object"}}
		msg := f.Message
		if f.Image != "" {
			msg = f.Image + ": " + msg
		}
		key := fingerprint(f, loc.PhysicalLocation.ArtifactLocation.URI)
		occurrences[key]++
		results = append(results, sarifResult{
			RuleID: f.Rule, RuleIndex: ruleIndex[f.Rule], Level: sarifLevel(f.Severity),
			Message:             sarifMessage{Text: f.Kind + " " + f.Namespace + "/" + f.Name + " " + f.Field + ": " + msg},
			Locations:           []sarifLocation{loc},
			PartialFingerprints: map[string]string{fingerprintKey: key + ":" + strconv.Itoa(occurrences[key])},
		})
	}
	log := sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{{
		Tool:               sarifTool{Driver: sarifDriverOf(run.Version, rules)},
		OriginalURIBaseIDs: map[string]sarifArtifact{sarifRootBase: {URI: strings.TrimSuffix(fileURI(root), "/") + "/"}},
		Results:            results,
	}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("writing SARIF report: %w", err)
	}
	return nil
}
