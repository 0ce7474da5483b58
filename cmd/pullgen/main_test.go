package main

// End-to-end tests: the pullgen binary driven by the tools users run it under
// (kustomize, kpt, kubectl) and by its own command line.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

var (
	// binDir holds the pullgen binary built for these tests.
	binDir string
	// repoRoot is the repository's top directory.
	repoRoot string
)

func TestMain(m *testing.M) {
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	dir, err := os.MkdirTemp("", "pullgen-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binDir = dir
	build := exec.Command("go", "build", "-o", filepath.Join(binDir, "pullgen"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as the Dockerfile builds it (render's sandbox then confines every thread without libpsx)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building pullgen:", err)
		os.Exit(2)
	}
	// pullgen first, then the project's tool folder (make tools), then the machine's PATH.
	os.Setenv("PATH", binDir+string(os.PathListSeparator)+filepath.Join(repoRoot, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// requiredTools are installed by make tools (and so by .ci/run); the others come with the
// machine image and their tests skip where they are absent.
var requiredTools = map[string]bool{"kustomize": true, "pre-commit": true, "git": true}

// tool returns the path of a command-line tool, skipping the test (or failing it in CI,
// for a tool the project installs itself) when it is missing.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if requiredTools[name] && os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed: .ci/run installs it with make tools", name)
	}
	t.Skipf("%s is not installed here: skipping (make tools installs kustomize; kubectl and kpt come with the machine image)", name)
	return ""
}

// result is what a command did.
type result struct {
	stdout, stderr string
	code           int
}

// run runs a command in dir with extra environment variables.
func run(t *testing.T, dir string, env []string, stdin string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", name, err)
	}
	return result{out.String(), errb.String(), code}
}

// mustRun is run that fails the test on a non-zero exit.
func mustRun(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	r := run(t, dir, env, "", name, args...)
	if r.code != 0 {
		t.Fatalf("%s %s: exit %d\nstderr:\n%s", name, strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// pullgen is the binary under test.
func pullgen() string { return filepath.Join(binDir, "pullgen") }

var exportLine = regexp.MustCompile(`(?m)^\s*export ([A-Z_][A-Z0-9_]*)=(\S+)\s*$`)

// readmeEnv is the environment an example's README tells users to export.
func readmeEnv(t *testing.T, dir string) []string {
	b, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatalf("every example has a README.md: %v", err)
	}
	var env []string
	for _, m := range exportLine.FindAllStringSubmatch(string(b), -1) {
		if m[1] != "SOPS_AGE_KEY_FILE" { // a path relative to the repository: tests set it
			env = append(env, m[1]+"="+m[2])
		}
	}
	return env
}

// copyDir copies a directory tree into a fresh temporary directory and returns it.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
	return dst
}

// writeFile writes a file, making its directory.
func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
