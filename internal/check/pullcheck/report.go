package pullcheck

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
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

// Write prints findings (sorted, as Analyze returns them) in a format; run is what a SARIF
// log says besides them.
func Write(w io.Writer, format string, findings []Finding, run SARIFRun) error {
	switch format {
	case FormatText, "":
		return WriteText(w, findings)
	case FormatJSON:
		return WriteJSON(w, findings)
	case FormatSARIF:
		return WriteSARIF(w, findings, run)
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

// plural writes a count with a noun, plural when it is not 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
