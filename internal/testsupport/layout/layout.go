// Package layout checks rules of pullgen's structure over its Go sources, for the test that
// holds the module to them: no package injects a dependency through package state (an
// assignment to another package's variable, a package-level variable of function type),
// and imports go one way, from the command line down to the shared core and the toolkit.
//
// It is test support: no product package may import it.
package layout

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Violation is a place that breaks a rule.
type Violation struct {
	// Pos is file:line, relative to the root checked.
	Pos string
	// What says what the rule refuses there.
	What string
}

func (v Violation) String() string { return v.Pos + ": " + v.What }

// sources calls fn with every non-test Go file under root, parsed, outside testdata, hidden
// and bin directories and nested modules, with its directory relative to root.
func sources(root string, fn func(dir string, fset *token.FileSet, f *ast.File) error) error {
	fset := token.NewFileSet()
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && (d.Name() == "testdata" || d.Name() == "bin" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if p != root && isModule(p) {
				return filepath.SkipDir // another module (a tool's pin), not a package of this one
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		return fn(filepath.ToSlash(rel), fset, f)
	})
}

// isModule tells whether dir is the root of a Go module of its own.
func isModule(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "go.mod"))
	return err == nil
}

// Injection finds, in the non-test Go files under root, every assignment to a variable of
// another package (pkg.V = x, pkg.V.f = x, pkg.V++) and every package-level variable of
// function type (declared with a func type, or initialized with a function literal): the
// ways a package has another put its dependencies into package state.
func Injection(root string) ([]Violation, error) {
	var out []Violation
	err := sources(root, func(dir string, fset *token.FileSet, f *ast.File) error {
		pos := func(n ast.Node) string {
			p := fset.Position(n.Pos())
			rel, _ := filepath.Rel(root, p.Filename)
			return fmt.Sprintf("%s:%d", filepath.ToSlash(rel), p.Line)
		}
		imports := importNames(f)
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				_, funcType := vs.Type.(*ast.FuncType)
				for i, name := range vs.Names {
					_, funcLit := valueAt(vs, i).(*ast.FuncLit)
					if funcType || funcLit {
						out = append(out, Violation{pos(name), "package-level variable " + name.Name + " of function type"})
					}
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var targets []ast.Expr
			switch s := n.(type) {
			case *ast.AssignStmt:
				if s.Tok != token.DEFINE {
					targets = s.Lhs
				}
			case *ast.IncDecStmt:
				targets = []ast.Expr{s.X}
			}
			for _, t := range targets {
				if pkg, name, ok := otherPackageVar(t, imports); ok {
					out = append(out, Violation{pos(t), "assigns " + pkg + "." + name + ", a variable of another package"})
				}
			}
			return true
		})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Pos < out[j].Pos })
	return out, err
}

// valueAt is the value of the i-th name of a var spec, nil when it has none.
func valueAt(vs *ast.ValueSpec, i int) ast.Expr {
	if i < len(vs.Values) {
		return vs.Values[i]
	}
	return nil
}

// otherPackageVar tells whether an assignment target is (a field or an element of) a
// variable of an imported package: the root of the target is pkg.Name, pkg an import of
// the file that no local declaration shadows.
func otherPackageVar(e ast.Expr, imports map[string]bool) (pkg, name string, ok bool) {
	for {
		switch x := e.(type) {
		case *ast.ParenExpr:
			e = x.X
			continue
		case *ast.IndexExpr:
			e = x.X
			continue
		case *ast.StarExpr:
			e = x.X
			continue
		case *ast.SelectorExpr:
			if id, isIdent := x.X.(*ast.Ident); isIdent {
				// A local declaration resolves (Obj); an imported package does not.
				return id.Name, x.Sel.Name, id.Obj == nil && imports[id.Name]
			}
			e = x.X
			continue
		}
		return "", "", false
	}
}

// versionSuffix is the last element of an import path that names a major version.
var versionSuffix = regexp.MustCompile(`^v[0-9]+$`)

// importNames are the names a file's imports are known by.
func importNames(f *ast.File) map[string]bool {
	names := map[string]bool{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		switch {
		case imp.Name != nil:
			names[imp.Name.Name] = true
		case versionSuffix.MatchString(path.Base(p)):
			names[path.Base(path.Dir(p))] = true
		default:
			names[path.Base(p)] = true
		}
	}
	return names
}

// Imports maps each package directory under root (relative, "/"-separated) to the
// directories of the module's packages its non-test files import; module is the module's
// path (go.mod).
func Imports(root, module string) (map[string][]string, error) {
	seen := map[string]map[string]bool{}
	err := sources(root, func(dir string, _ *token.FileSet, f *ast.File) error {
		if seen[dir] == nil {
			seen[dir] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if rel, ok := strings.CutPrefix(p, module+"/"); ok {
				seen[dir][rel] = true
			}
		}
		return nil
	})
	out := map[string][]string{}
	for dir, imps := range seen {
		out[dir] = []string{}
		for p := range imps {
			out[dir] = append(out[dir], p)
		}
		sort.Strings(out[dir])
	}
	return out, err
}

// Importers lists the package directories under root whose non-test files import pkg.
func Importers(root, pkg string) ([]string, error) {
	seen := map[string]bool{}
	err := sources(root, func(dir string, _ *token.FileSet, f *ast.File) error {
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == pkg {
				seen[dir] = true
			}
		}
		return nil
	})
	out := make([]string, 0, len(seen))
	for dir := range seen {
		out = append(out, dir)
	}
	sort.Strings(out)
	return out, err
}

// Module is the module path of the go.mod in root.
func Module(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.TrimSpace(m), nil
		}
	}
	return "", fmt.Errorf("%s: no module line", filepath.Join(root, "go.mod"))
}
