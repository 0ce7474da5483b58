// Package schema publishes the PullAccess API: the versioned Go types live in
// schema/v1alpha1, and this package derives the JSON Schema from them (their doc comments
// become descriptions), so that the types stay the one source of truth. The committed copy
// is pullaccess.v1alpha1.schema.json; `make schema` rewrites it and a test fails when it is
// stale.
package schema

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"

	"pullgen.dev/pullgen/schema/v1alpha1"
)

// ID is the $id of the PullAccess schema.
const ID = "https://pullgen.dev/schema/pullaccess.v1alpha1.schema.json"

// CommittedFile is the committed copy of the schema, relative to this package.
const CommittedFile = "pullaccess.v1alpha1.schema.json"

// JSON returns the JSON Schema of PullAccess v1alpha1, indented, ending with a newline.
func JSON() ([]byte, error) {
	comments, err := typeComments(reflect.TypeOf(v1alpha1.PullAccess{}).PkgPath(), v1alpha1.TypesSource)
	if err != nil {
		return nil, err
	}
	r := &jsonschema.Reflector{
		ExpandedStruct: true,
		Namer:          func(t reflect.Type) string { return t.Name() },
		CommentMap:     comments,
	}
	s := r.Reflect(&v1alpha1.PullAccess{})
	allowShorthands(s, reflect.TypeOf(v1alpha1.PullAccess{}), map[reflect.Type]bool{})
	s.ID = ID
	s.Title = "PullAccess " + v1alpha1.APIVersion
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the JSON Schema: %w", err)
	}
	return append(b, '\n'), nil
}

// shorthandType is the interface of API types that may be written as one string.
var shorthandType = reflect.TypeOf((*v1alpha1.Shorthand)(nil)).Elem()

// allowShorthands lets every definition of a type reachable from t that implements
// v1alpha1.Shorthand be written as a string too: oneOf the string and the object.
func allowShorthands(s *jsonschema.Schema, t reflect.Type, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	if def, ok := s.Definitions[t.Name()]; ok && t.Implements(shorthandType) {
		field := reflect.Zero(t).Interface().(v1alpha1.Shorthand).ShorthandField()
		object := *def
		object.Description = ""
		s.Definitions[t.Name()] = &jsonschema.Schema{
			Description: def.Description,
			OneOf: []*jsonschema.Schema{
				{Type: "string", Description: "The " + field + " alone."},
				&object,
			},
		}
	}
	for i := 0; i < t.NumField(); i++ {
		allowShorthands(s, t.Field(i).Type, seen)
	}
}

// typeComments maps "pkg.Type" and "pkg.Type.Field" to the doc comments of Go source src.
func typeComments(pkg string, src []byte) (map[string]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "types.go", src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parsing the API types: %w", err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.TYPE {
			continue
		}
		for _, spec := range g.Specs {
			ts := spec.(*ast.TypeSpec)
			name := pkg + "." + ts.Name.Name
			doc := ts.Doc
			if doc == nil {
				doc = g.Doc
			}
			if t := strings.TrimSpace(doc.Text()); t != "" {
				out[name] = t
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, field := range st.Fields.List {
				t := strings.TrimSpace(field.Doc.Text())
				for _, n := range field.Names {
					if t != "" {
						out[name+"."+n.Name] = t
					}
				}
			}
		}
	}
	return out, nil
}
