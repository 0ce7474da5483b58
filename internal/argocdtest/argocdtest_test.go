package argocdtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// TestFollowsArgoCD holds NewApp, Environ and Send to the Argo CD code they reproduce:
// the name of argocd-cmp-server's work directory, read from the module, and the source of
// every function reproduced, as last reviewed.
func TestFollowsArgoCD(t *testing.T) {
	m := regexp.MustCompile(`^DefaultCMPWorkDirName\s*=\s*"([^"]*)"$`).FindStringSubmatch(Decl(t, "common/common.go", "DefaultCMPWorkDirName"))
	if m == nil || m[1] != WorkDirName {
		t.Errorf("common.DefaultCMPWorkDirName is %q, WorkDirName %q", m, WorkDirName)
	}
	CheckUpstream(t, "internal/argocdtest (Environ, rootPath, Send, layout.go)",
		Upstream{"reposerver/repository/repository.go", "newEnv", "128a6d9d8668a0b399b0909e976f96229205d975013caf07d40c2a1519c5a4ff"},
		Upstream{"reposerver/repository/repository.go", "getPluginEnvs", "1cff930cd6500177be2aefc7af780ede3c9f96ca2d51af4d59f0d58bcd1cec9f"},
		Upstream{"reposerver/repository/repository.go", "getPluginParamEnvs", "d368b484f8d219e3db3b127592351bdd3c44b94d0806af45ac793aea032ec66d"},
		Upstream{"pkg/apis/application/v1alpha1/types.go", "Env.Envsubst", "4c1116da42677deba7849df9d543e7f982aff91d798736326b1f77b2b46c8227"},
		Upstream{"pkg/apis/application/v1alpha1/types.go", "ApplicationSourcePluginParameters.Environ", "d9416e3e9d4e362d057329581ccad7f1d9d26409914f3ffe0cb5615574342370"},
		Upstream{"pkg/apis/application/v1alpha1/types.go", "ApplicationSourcePluginParameter.MarshalJSON", "b7c0b5a9941e00fd11e52ac053a20e9b7d957f803d70abd5685b869c51bc430d"},
		Upstream{"pkg/apis/application/v1alpha1/types.go", "escaped", "7e9ef9acbfb949ab7d09d543e6dcea8812830db2766c88a19250ef884808d709"},
		Upstream{"reposerver/repository/repository.go", "runConfigManagementPluginSidecars", "76d8e1afa14180e6020d12d9db1fa57f0d2921832fcb9d7cbf0a65315b76448b"},
		Upstream{"util/app/discovery/discovery.go", "matchRepositoryCMP", "c5d95ee39caa524bd50f11f5c442f770a5bc51e0a34d92daf03a25a4a57ff381"},
		Upstream{"reposerver/repository/utils.go", "getApplicationRootPath", "a4c43e44b8ddbe0b767add14ed11ed739a0f5e27e0dd0c5a9250cfc6c585a235"},
		Upstream{"reposerver/repository/utils.go", "getPaths", "8db16a4609f682af1879e622ff36132304d651d37780716b3930630bb788d842"},
		Upstream{"util/cmp/stream.go", "GetCompressedRepoAndMetadata", "f1d6792ca6d0c9223b399103d2fecf3f1957266ea0f019aabca65f088dd0773a"},
		Upstream{"cmpserver/plugin/plugin.go", "Service.generateManifestGeneric", "26639c082db25675d116ed405605bdd0ce9a00cd0c42d3f6b9de75c9330f0ea8"},
		Upstream{"common/common.go", "GetCMPWorkDir", "e8ee2b7e83b8da90cccb301994e1ca33d7354388b888fe7c6b810eb7039c41bc"},
	)
}

func TestEnviron(t *testing.T) {
	prod := "overlays/prod"
	a := NewApp("apps/acme")
	a.Revision = "abc"
	a.PluginEnv = []EnvEntry{{"CLUSTER", "$ARGOCD_APP_NAME-$KUBE_VERSION"}, {"PRICE", "$$5 ${UNSET}x"}}
	a.Params = []Param{
		{Name: "overlay", String: &prod},
		{Name: "name-spaces", Array: []string{"a", "b"}},
		{Name: "labels", Map: map[string]string{"team.x": "1", "env": "2"}},
	}
	want := []string{
		"ARGOCD_APP_NAME=pull-access", "ARGOCD_APP_NAMESPACE=argocd", "ARGOCD_APP_PROJECT_NAME=default",
		"ARGOCD_APP_REVISION=abc", "ARGOCD_APP_REVISION_SHORT=abc", "ARGOCD_APP_REVISION_SHORT_8=abc",
		"ARGOCD_APP_SOURCE_REPO_URL=https://git.example.com/platform/pull-access.git", "ARGOCD_APP_SOURCE_PATH=apps/acme",
		"ARGOCD_APP_SOURCE_TARGET_REVISION=main", "KUBE_VERSION=1.33.0", "KUBE_API_VERSIONS=v1,apps/v1,rbac.authorization.k8s.io/v1",
		"ARGOCD_ENV_CLUSTER=pull-access-1.33.0", "ARGOCD_ENV_PRICE=$5 x",
		`ARGOCD_APP_PARAMETERS=[{"name":"overlay","string":"overlays/prod"},{"name":"name-spaces","array":["a","b"]},{"name":"labels","map":{"env":"2","team.x":"1"}}]`,
		"PARAM_OVERLAY=overlays/prod", "PARAM_NAME_SPACES_0=a", "PARAM_NAME_SPACES_1=b", "PARAM_LABELS_ENV=2", "PARAM_LABELS_TEAM_X=1",
	}
	if got := a.Environ(); !slices.Equal(got, want) {
		t.Errorf("Environ:\n%q\nwant\n%q", got, want)
	}
	if got := NewApp(".").Environ(); !slices.Contains(got, "ARGOCD_APP_PARAMETERS=null") {
		t.Errorf("an Application without parameters: %q, want ARGOCD_APP_PARAMETERS=null", got)
	}
}

// TestSend lays out a repository for an Application at apps/acme/overlays/prod with and
// without manifest-generate-paths: the files under the root sent, and only those, in
// <tmp>/_cmp_server/<uuid>, the application's directory returned, modes dropped, a link
// kept; discovery sent the whole repository; a link leading outside what is sent makes
// argocd-cmp-server refuse the request.
func TestSend(t *testing.T) {
	repo := t.TempDir()
	for name, mode := range map[string]os.FileMode{
		"apps/acme/base/kustomization.yaml":          0o600,
		"apps/acme/overlays/prod/kustomization.yaml": 0o755,
		"apps/other/secret.yaml":                     0o644,
		"README.md":                                  0o644,
	} {
		if err := os.MkdirAll(filepath.Join(repo, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, name), []byte(name), mode); err != nil {
			t.Fatal(err)
		}
	}
	const app = "apps/acme/overlays/prod"
	if err := os.Symlink("../../base/kustomization.yaml", filepath.Join(repo, app, "base.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ annotation, root string }{
		{"", "."},
		{".;../../base", "apps/acme"},
		{"/apps/other;.", "apps"},
		{"../../../../../..", "."}, // .. beyond the repository stops at its top
	} {
		a := NewApp(app)
		a.ManifestGeneratePaths = c.annotation
		for call, root := range map[Call]string{MatchRepository: ".", GenerateManifest: c.root} {
			dir := Send(t, repo, a, call)
			rel, _ := filepath.Rel(root, app)
			top := dir
			for range strings.Count(rel, "/") + 1 {
				top = filepath.Dir(top)
			}
			if filepath.Join(top, rel) != dir || filepath.Base(filepath.Dir(top)) != WorkDirName {
				t.Errorf("annotation %q, call %d: the application is at %s, want <tmp>/%s/<uuid>/%s", c.annotation, call, dir, WorkDirName, rel)
				continue
			}
			if got, want := tree(t, top), tree(t, filepath.Join(repo, root)); !slices.Equal(got, want) {
				t.Errorf("annotation %q, call %d: sent %q, want %q", c.annotation, call, got, want)
			}
			if st, err := os.Stat(filepath.Join(dir, "kustomization.yaml")); err != nil || st.Mode().Perm() != 0o644 {
				t.Errorf("annotation %q, call %d: kustomization.yaml: %v, want mode 0644 (modes are not preserved)", c.annotation, call, err)
			}
		}
	}

	// Only the application's directory sent: its link to the base leads outside.
	a := NewApp(app)
	out, err := exec.Command(layoutProgram(t), rootPath(repo, filepath.Join(repo, app), "."), filepath.Join(repo, app), filepath.Join(t.TempDir(), WorkDirName)).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "illegal filepath in symlink") {
		t.Errorf("%s sent alone: %v %s, want the link refused", a.Path, err, out)
	}
}

// tree lists the files under dir, relative, links marked with ->.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.Type()&os.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			rel += " -> " + target
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
