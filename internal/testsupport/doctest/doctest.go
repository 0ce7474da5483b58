// Package doctest runs what the documentation tells users to run: the tests of a guide
// take its code blocks, each marked with an HTML comment `<!-- name -->` on the line
// before, and run them as written. For tests only.
package doctest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"testing"
)

// Block returns the fenced code block that follows `<!-- name -->` in a Markdown file.
func Block(t testing.TB, file, name string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- " + regexp.QuoteMeta(name) + " -->\\s*```[a-z]*\n(.*?)```")
	m := re.FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s has no code block marked <!-- %s -->", file, name)
	}
	return string(m[1])
}

// Result is what a script did.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Shell runs script with bash -e in dir, with env added to the test's environment.
func Shell(t testing.TB, dir string, env []string, script string) Result {
	t.Helper()
	cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running bash: %v", err)
	}
	return Result{out.String(), errb.String(), code}
}
