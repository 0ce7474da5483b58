package pullcheck

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Output formats.
const (
	FormatText  = "text"
	FormatJSON  = "json"
	FormatSARIF = "sarif"
)

// Formats lists the output formats.
var Formats = []string{FormatText, FormatJSON, FormatSARIF}

// Write prints findings (sorted, as Analyze returns them) in a format.
func Write(w io.Writer, format string, findings []Finding) error {
	switch format {
	case FormatText, "":
		return WriteText(w, findings)
	case FormatJSON:
		return WriteJSON(w, findings)
	case FormatSARIF:
		return WriteSARIF(w, findings)
	default:
		return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
	}
}

// WriteText prints a readable table, grouped by object, and a summary line.
func WriteText(w io.Writer, findings []Finding) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	var last string
	for i := range findings {
		f := &findings[i]
		head := f.File + "\t" + f.Kind + " " + f.Namespace + "/" + f.Name
		if head != last {
			if last != "" {
				fmt.Fprintln(tw)
			}
			fmt.Fprintf(tw, "%s: %s %s/%s\n", f.File, f.Kind, f.Namespace, f.Name)
			fmt.Fprintln(tw, "  SEVERITY\tLINE\tFIELD\tIMAGE\tCREDENTIALS\tMESSAGE")
			last = head
		}
		line := "-"
		if f.Line > 0 {
			line = strconv.Itoa(f.Line)
		}
		image := f.Image
		if image == "" {
			image = "-"
		}
		creds := "-"
		if len(f.Credentials) > 0 {
			creds = describeCreds(f.Credentials)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", f.Severity, line, f.Field, image, creds, f.Message)
	}
	if len(findings) > 0 {
		fmt.Fprintln(tw)
	}
	s := Summarize(findings)
	fmt.Fprintf(tw, "%s checked: %s, %s, %d info\n", plural(s.Images, "image"), plural(s.Errors, "error"), plural(s.Warnings, "warning"), s.Infos)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing text report: %w", err)
	}
	return nil
}

// JSONReport is the document WriteJSON prints.
type JSONReport struct {
	// Images has one entry per container image.
	Images []Finding `json:"images"`
	// Findings are the findings not tied to an image (missing Secrets, unknown
	// ServiceAccounts).
	Findings []Finding `json:"findings"`
	Summary  Summary   `json:"summary"`
}

// WriteJSON prints the JSONReport, indented.
//
// Each entry of images and findings stands on a line of its own, compact: the report stays
// readable line by line and fast to write for tens of thousands of images. Entries are
// encoded by appendFinding, byte for byte as encoding/json encodes a Finding.
func WriteJSON(w io.Writer, findings []Finding) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf []byte
	list := func(name string, images bool) {
		fmt.Fprintf(bw, "  %q: [", name)
		n := 0
		for i := range findings {
			if findings[i].IsImage() != images {
				continue
			}
			if n > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n    ")
			buf = appendFinding(buf[:0], &findings[i])
			bw.Write(buf)
			n++
		}
		if n > 0 {
			bw.WriteString("\n  ")
		}
		bw.WriteString("],\n")
	}
	bw.WriteString("{\n")
	list("images", true)
	list("findings", false)
	summary, err := json.Marshal(Summarize(findings))
	if err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	fmt.Fprintf(bw, "  \"summary\": %s\n}\n", summary)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	return nil
}

// SARIF 2.1.0 documents, as much of them as the check writes.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		InformationURI string      `json:"informationUri,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string       `json:"id"`
		ShortDescription     sarifMessage `json:"shortDescription"`
		DefaultConfiguration struct {
			Level string `json:"level"`
		} `json:"defaultConfiguration"`
	}
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID    string          `json:"ruleId"`
		RuleIndex int             `json:"ruleIndex"`
		Level     string          `json:"level"`
		Message   sarifMessage    `json:"message"`
		Locations []sarifLocation `json:"locations"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical  `json:"physicalLocation"`
		LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	}
	sarifPhysical struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region struct {
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

// sarifURI turns a finding's file into a relative URI with forward slashes.
func sarifURI(file string) string {
	switch file {
	case "":
		return "unknown"
	case StdinPath:
		return "stdin"
	}
	if filepath.IsAbs(file) {
		if wd, err := filepath.Abs("."); err == nil {
			if rel, err := filepath.Rel(wd, file); err == nil && !strings.HasPrefix(rel, "..") {
				file = rel
			}
		}
	}
	return filepath.ToSlash(filepath.Clean(file))
}

// WriteSARIF prints a SARIF 2.1.0 log with one result per finding; the region is the
// field's line (1 when unknown, as code-scanning tools require one).
func WriteSARIF(w io.Writer, findings []Finding) error {
	rules := Rules
	for i := range findings {
		if findings[i].Online != nil {
			rules = append(append([]RuleInfo(nil), Rules...), OnlineRules...)
			break
		}
	}
	driver := sarifDriver{Name: "pullgen", InformationURI: "https://pullgen.dev", Rules: make([]sarifRule, len(rules))}
	ruleIndex := map[string]int{}
	for i, r := range rules {
		driver.Rules[i].ID = r.ID
		driver.Rules[i].ShortDescription.Text = r.Description
		driver.Rules[i].DefaultConfiguration.Level = sarifLevel(r.Severity)
		ruleIndex[r.ID] = i
	}
	results := make([]sarifResult, 0, len(findings))
	for i := range findings {
		f := &findings[i]
		var loc sarifLocation
		loc.PhysicalLocation.ArtifactLocation.URI = sarifURI(f.File)
		loc.PhysicalLocation.Region.StartLine = max(f.Line, 1)
		loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: f.Kind + "/" + f.Namespace + "/" + f.Name + ":" + f.Field, Kind: "object"}}
		msg := f.Message
		if f.Image != "" {
			msg = f.Image + ": " + msg
		}
		results = append(results, sarifResult{
			RuleID: f.Rule, RuleIndex: ruleIndex[f.Rule], Level: sarifLevel(f.Severity),
			Message:   sarifMessage{Text: f.Kind + " " + f.Namespace + "/" + f.Name + " " + f.Field + ": " + msg},
			Locations: []sarifLocation{loc},
		})
	}
	log := sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("writing SARIF report: %w", err)
	}
	return nil
}

// plural writes a count with a noun, plural when it is not 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
