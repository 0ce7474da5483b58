package layout

import (
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the top of pullgen's repository.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// TestInjectionCatchesPlanted: the check finds what a planted module does (a function
// variable set from outside, one with a default replaced, another package's variable
// incremented) and nothing of what it may do.
func TestInjectionCatchesPlanted(t *testing.T) {
	got, err := Injection(filepath.Join("testdata", "planted"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, v := range got {
		lines = append(lines, v.String())
	}
	want := []string{
		"app/app.go:11: assigns hooks.Build, a variable of another package",
		"app/app.go:12: assigns hooks.Limit, a variable of another package",
		"hooks/hooks.go:5: package-level variable Build of function type",
		"hooks/hooks.go:8: package-level variable Read of function type",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("found\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestNoInjection: no non-test code of pullgen assigns another package's variable or
// declares a package-level variable of function type: dependencies are passed as values.
// The one exception is the sandbox, which replaces the standard library's network
// defaults so that code it does not control (the key services' libraries) can reach only
// the gate: that is confinement, not a dependency.
func TestNoInjection(t *testing.T) {
	got, err := Injection(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	confinement := map[string]bool{"net.DefaultResolver": true, "http.DefaultTransport": true, "http.DefaultClient": true}
	for _, v := range got {
		if strings.HasPrefix(v.Pos, "internal/argocd/sandbox/") && confinement[strings.TrimSuffix(strings.TrimPrefix(v.What, "assigns "), ", a variable of another package")] {
			continue
		}
		t.Errorf("%s: pass the dependency as a value instead", v)
	}
}

// TestImportDirection: imports go one way. The thin main reaches everything through the
// command line; each surface (author, argocd, check) builds on the shared core and the
// toolkit for untrusted input and not on another surface (the check's build of
// kustomizations and its reader are values the command line gives it); the core builds on
// the toolkit only; the toolkit on nothing of pullgen's; and test support is for tests.
func TestImportDirection(t *testing.T) {
	root := repoRoot(t)
	module, err := Module(root)
	if err != nil {
		t.Fatal(err)
	}
	imports, err := Imports(root, module)
	if err != nil {
		t.Fatal(err)
	}
	// allowed: the package directories (by prefix) that packages under a prefix may
	// import; the longest prefix applies.
	allowed := map[string][]string{
		"cmd/pullgen":          {"internal/cli"},
		"internal/cli":         {"fn", "schema", "internal/author", "internal/argocd", "internal/check", "internal/core", "internal/untrusted"},
		"internal/author":      {"internal/author", "fn", "schema", "internal/core", "internal/untrusted"},
		"internal/argocd":      {"internal/argocd", "fn", "schema", "internal/core", "internal/untrusted"},
		"internal/check":       {"internal/check", "schema", "internal/core", "internal/untrusted"},
		"fn":                   {"schema", "internal/check/pullcheck", "internal/core", "internal/untrusted"},
		"internal/core":        {"internal/core", "schema", "internal/untrusted"},
		"internal/untrusted":   {"internal/untrusted"},
		"schema":               {"schema"},
		"internal/testsupport": {"internal/testsupport", "fn", "schema", "internal/core", "internal/untrusted"},
		"deploy":               {"internal/testsupport"},
		"docs":                 {"internal/testsupport"},
	}
	rule := func(dir string) (string, []string) {
		best := ""
		for p := range allowed {
			if (dir == p || strings.HasPrefix(dir, strings.TrimSuffix(p, "/")+"/")) && len(p) > len(best) {
				best = p
			}
		}
		return best, allowed[best]
	}
	under := func(p string, prefixes []string) bool {
		return slices.ContainsFunc(prefixes, func(q string) bool { return p == q || strings.HasPrefix(p, q+"/") })
	}
	if len(imports) < 20 {
		t.Fatalf("only %d packages found under %s", len(imports), root)
	}
	for dir, deps := range imports {
		prefix, ok := rule(dir)
		if prefix == "" {
			t.Errorf("%s: no rule says what it may import: add one", dir)
			continue
		}
		for _, d := range deps {
			if !under(d, ok) {
				t.Errorf("%s imports %s: %s may import only %v", dir, d, prefix, ok)
			}
		}
	}
}

// TestFlagsOnlyInTheCommandLine: the command line alone parses flags; the packages of the
// surfaces are given values.
func TestFlagsOnlyInTheCommandLine(t *testing.T) {
	got, err := Importers(repoRoot(t), "flag")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"internal/cli"}) {
		t.Errorf("the flag package is imported by %v, want internal/cli alone", got)
	}
}
