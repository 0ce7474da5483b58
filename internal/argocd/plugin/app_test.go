package plugin

import "testing"

// TestRepositoryRoot covers the layouts argocd-cmp-server runs the plugin in: the whole
// repository or, with --plugin-use-manifest-generate-paths, the deepest directory holding
// the app path and its annotation's paths, unpacked into a fresh directory.
func TestRepositoryRoot(t *testing.T) {
	const work = "/tmp/_cmp_server/3f2a9c1e-7d7b-4a55-9a55-5b1f0f0c2e11"
	for _, c := range []struct {
		name, cwd, dir, sourcePath, want string
	}{
		{"not in Argo CD: the directory rendered", "/home/u/repo", "/home/u/repo/apps/acme", "", "/home/u/repo/apps/acme"},
		{"whole repository", work + "/apps/acme", work + "/apps/acme", "apps/acme", work},
		{"whole repository, path written loosely", work + "/apps/acme", work + "/apps/acme", "./apps/acme/", work},
		{"app at the repository root", work, work, ".", work},
		{"app at the repository root, slash", work, work, "/", work},
		{"generate paths: overlay and ../../base", work + "/overlays/prod", work + "/overlays/prod", "apps/acme/overlays/prod", work},
		{"generate paths: the app path alone", work, work, "apps/acme/overlays/prod", work},
		{"generate paths: one level up", work + "/prod", work + "/prod", "apps/acme/overlays/prod", work},
		{"generate paths: a repeated name", work + "/a", work + "/a", "a/a", work},
		{"generate paths: the repository root again", work + "/apps/acme/overlays/prod", work + "/apps/acme/overlays/prod", "apps/acme/overlays/prod", work},
		{"a directory argument keeps the root of the working directory", work + "/apps/acme", work + "/apps/acme/clusters/east", "apps/acme", work},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := repositoryRoot(c.cwd, c.dir, c.sourcePath); got != c.want {
				t.Errorf("repositoryRoot(%q, %q, %q) = %q, want %q", c.cwd, c.dir, c.sourcePath, got, c.want)
			}
		})
	}
}
