package argocdtest

import (
	"os"
	"os/exec"
	"testing"
)

// GitRepo makes a git repository of a copy of the tree at src (left as it is), with one
// commit: what Request.Repo wants, the repo server checking it out as it would a remote.
func GitRepo(tb testing.TB, src string) string {
	tb.Helper()
	repo := tb.TempDir()
	if err := os.CopyFS(repo, os.DirFS(src)); err != nil {
		tb.Fatalf("copying %s into a git repository: %v", src, err)
	}
	git(tb, repo, "init", "--quiet", "--initial-branch=main")
	Commit(tb, repo)
	return repo
}

// Commit commits everything under repo, a GitRepo, as a new revision (HEAD, which the
// repo server checks out).
func Commit(tb testing.TB, repo string) {
	tb.Helper()
	git(tb, repo, "add", "--all")
	git(tb, repo, "-c", "user.name=argocdtest", "-c", "user.email=argocdtest@example.com", "commit", "--quiet", "--allow-empty", "--message", "a revision")
}

func git(tb testing.TB, dir string, args ...string) {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	// The user's own configuration (signing, hooks, templates) stays out of it.
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("git %q in %s: %v\n%s", args, dir, err, out)
	}
}
