package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreCommitHooks runs the repository's hooks with Debian's pre-commit, the way a team
// tries them before adding them to its .pre-commit-config.yaml: `pre-commit try-repo`
// against a scratch git repository holding a spec and its committed output, once in step
// (passes) and once after editing the spec without regenerating (fails, naming the drift).
func TestPreCommitHooks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds pullgen through pre-commit: skipped with -short")
	}
	precommit := tool(t, "pre-commit")
	git := tool(t, "git")
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	modCache, _ := exec.Command(goBin, "env", "GOMODCACHE").Output()
	env := []string{
		"PRE_COMMIT_HOME=" + t.TempDir(),
		// Share the module cache: pre-commit gives the hook a GOPATH of its own.
		"GOMODCACHE=" + strings.TrimSpace(string(modCache)),
		"ACME_REGISTRY_TOKEN=demo-token-not-a-real-secret",
		"SOPS_AGE_KEY_FILE=" + demoKey(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
	}
	repo := t.TempDir()
	spec, err := os.ReadFile(filepath.Join(repoRoot, "examples", "private-registry-password", "pullaccess.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The spec writes its encrypted output to pull/generated, for the examples' DEMO key.
	writeFile(t, filepath.Join(repo, "pull", "pullaccess.yaml"), string(spec))
	sopsConfig, err := os.ReadFile(filepath.Join(repoRoot, "examples", ".sops.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(repo, ".sops.yaml"), string(sopsConfig))
	mustRun(t, repo, env, git, "init", "-q")
	mustRun(t, repo, env, pullgen(), "generate", "--quiet", "pull/pullaccess.yaml")
	mustRun(t, repo, env, git, "add", "-A")
	mustRun(t, repo, env, git, "commit", "-qm", "spec and output")

	try := func() result {
		return run(t, repo, env, "", precommit, "try-repo", repoRoot, "pullgen-diff", "--all-files")
	}
	if r := try(); r.code != 0 {
		t.Fatalf("in step: pre-commit exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	writeFile(t, filepath.Join(repo, "pull", "pullaccess.yaml"), strings.Replace(string(spec), "[team-a, team-b]", "[team-a, team-b, team-c]", 1))
	mustRun(t, repo, env, git, "add", "-A")
	r := try()
	if r.code == 0 {
		t.Fatalf("pre-commit passed although the spec changed without regenerating:\n%s", r.stdout)
	}
	for _, want := range []string{"pullgen diff", "Failed", "added Secret team-c/acme-registry"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("pre-commit output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "demo-token-not-a-real-secret") {
		t.Errorf("the password appears in pre-commit's output")
	}
}
