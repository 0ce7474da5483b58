package fn

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/schema/v1alpha1"
)

// Problem is one finding about a PullAccess or the objects it produced: a field path
// (spec.registries[1].passwordFrom) and a message that never holds a credential.
type Problem struct {
	Severity framework.Severity
	// Field is the path within the object, empty when the finding is about the whole object.
	Field   string
	Message string
	// Object names another object than the PullAccess (a workload, a Secret); nil means the
	// PullAccess itself.
	Object *yaml.ResourceIdentifier
	// File is the object's file when it is not the PullAccess's.
	File string
}

// Problems is a list of findings.
type Problems []Problem

func (p *Problems) add(field, msg string) {
	*p = append(*p, Problem{Severity: framework.Error, Field: field, Message: msg})
}

func (p *Problems) addf(field, format string, args ...any) {
	p.add(field, fmt.Sprintf(format, args...))
}

// HasErrors tells whether any problem is an error.
func (p Problems) HasErrors() bool {
	for _, x := range p {
		if x.Severity == framework.Error {
			return true
		}
	}
	return false
}

// Err is p as an error of the PullAccess src when it holds an error (a *Error, whose
// message lists every problem as PrintResults does); nil otherwise.
func (p Problems) Err(src Source) error {
	if !p.HasErrors() {
		return nil
	}
	return &Error{Source: src, Problems: p}
}

// Error is a run that failed: its problems, kept as values.
type Error struct {
	Source   Source
	Problems Problems
}

func (e *Error) Error() string {
	var b strings.Builder
	PrintResults(&b, e.Problems.Results(e.Source))
	return strings.TrimSpace(b.String())
}

// Source names the PullAccess that problems are about.
type Source struct {
	// File is the PullAccess's file as the user knows it; may be empty.
	File string
	// Name is its metadata.name; may be empty when it could not be read.
	Name string
}

// Results turns problems into KRM function results, sorted (errors first, then by file
// and field) so that the output does not depend on the order checks ran in.
func (p Problems) Results(src Source) framework.Results {
	out := make(framework.Results, 0, len(p))
	for _, x := range p {
		r := &framework.Result{Severity: x.Severity, Message: x.Message}
		ref := x.Object
		if ref == nil {
			ref = &yaml.ResourceIdentifier{
				TypeMeta: yaml.TypeMeta{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind},
				NameMeta: yaml.NameMeta{Name: src.Name},
			}
		}
		r.ResourceRef = ref
		if x.Field != "" {
			r.Field = &framework.Field{Path: x.Field}
		}
		file := x.File
		if file == "" && x.Object == nil {
			file = src.File
		}
		if file != "" {
			r.File = &framework.File{Path: file}
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return resultKey(out[i]) < resultKey(out[j]) })
	return out
}

func resultKey(r *framework.Result) string {
	rank := map[framework.Severity]string{framework.Error: "0", framework.Warning: "1", framework.Info: "2"}[r.Severity]
	var file, field, ref string
	if r.File != nil {
		file = r.File.Path
	}
	if r.Field != nil {
		field = r.Field.Path
	}
	if r.ResourceRef != nil {
		ref = r.ResourceRef.Kind + "/" + r.ResourceRef.Namespace + "/" + r.ResourceRef.Name
	}
	return rank + "\x00" + file + "\x00" + ref + "\x00" + field + "\x00" + r.Message
}

// PrintResults writes one line per result, `file: field: message` as the command line
// reports them, with the severity in front of warnings and infos.
func PrintResults(w io.Writer, results framework.Results) {
	for _, r := range results {
		line := ""
		if r.File != nil && r.File.Path != "" {
			line += r.File.Path + ": "
		}
		if r.ResourceRef != nil && r.ResourceRef.Name != "" {
			line += objectName(r.ResourceRef) + ": "
		}
		if r.Field != nil {
			line += r.Field.Path + ": "
		}
		if r.Severity != framework.Error {
			line += string(r.Severity) + ": "
		}
		fmt.Fprintln(w, line+r.Message)
	}
}

func objectName(id *yaml.ResourceIdentifier) string {
	if id.Namespace != "" {
		return id.Kind + " " + id.Namespace + "/" + id.Name
	}
	return id.Kind + " " + id.Name
}
