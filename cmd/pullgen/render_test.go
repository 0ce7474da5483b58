package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/testsupport/tripwire"
)

// TestRenderEqualsKustomizeBuild shows, on every example, that pullgen render gives the
// same resources as kustomize build with pullgen as the exec function; but for an example
// of sealed output, which render refuses (TestSealedRenderAndCheck).
func TestRenderEqualsKustomizeBuild(t *testing.T) {
	kustomize := tool(t, "kustomize")
	for _, dir := range pullAccessExamples(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			args := []string{"render"}
			for _, e := range readmeEnv(t, dir) {
				name, _, _ := strings.Cut(e, "=")
				args = append(args, "--allow-env", name)
			}
			env := exampleEnv(t, dir)
			if sealedOutput(t, dir) {
				if r := run(t, dir, env, "", pullgen(), args...); r.code != 2 || !strings.Contains(r.stderr, "spec.output.sealed: sealed output is made at author time") {
					t.Errorf("render of sealed output: exit %d, want 2 and the refusal\n%s", r.code, r.stderr)
				}
				return
			}
			got := mustRun(t, dir, env, pullgen(), args...)
			want := decryptDemo(t, mustRun(t, dir, env, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "."))
			if g, w := semantic(t, parseObjects(t, got)), semantic(t, parseObjects(t, want)); !reflect.DeepEqual(g, w) {
				t.Errorf("render:\n%s\nkustomize build, decrypted:\n%s", got, want)
			}
			if strings.Contains(got, "sops:") || strings.Contains(got, "ENC[") {
				t.Errorf("render left encrypted values:\n%s", got)
			}
		})
	}
}

// TestRenderArgoCDParameters renders the way argocd-cmp-server runs the plugin: the
// repository copied into a fresh directory, the working directory the app's path, the
// Argo CD variables set; the overlay and the namespaces come from the parameters.
func TestRenderArgoCDParameters(t *testing.T) {
	repo := t.TempDir()
	spec := strings.Replace(strings.Replace(pullAccess, "%s\n", "", 1), "{file: token.txt}", "{env: ARGOCD_ENV_REGISTRY_TOKEN}", 1)
	writeFile(t, filepath.Join(repo, "apps", "pull", "base", "pullaccess.yaml"), spec)
	writeFile(t, filepath.Join(repo, "apps", "pull", "base", "kustomization.yaml"), "generators: [pullaccess.yaml]\n")
	writeFile(t, filepath.Join(repo, "apps", "pull", "overlays", "prod", "kustomization.yaml"), "resources: [../../base]\nnamePrefix: prod-\n")
	app := filepath.Join(repo, "apps", "pull")
	env := []string{
		"ARGOCD_APP_NAME=pull", "ARGOCD_APP_NAMESPACE=argocd", "ARGOCD_APP_SOURCE_PATH=apps/pull",
		"ARGOCD_ENV_REGISTRY_TOKEN=" + testToken,
		`ARGOCD_APP_PARAMETERS=[{"name":"overlay","string":"overlays/prod"},{"name":"namespaces","array":["cluster-a","cluster-b"]}]`,
	}
	r := run(t, app, env, "", pullgen(), "render")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	got := ids(parseObjects(t, r.stdout))
	for _, want := range []string{"Secret cluster-a/prod-acme", "Secret cluster-b/prod-acme"} {
		if !contains(got, want) {
			t.Errorf("render lacks %s: %v", want, got)
		}
	}
	// PARAM_* variables win over the JSON, as Argo CD sets both.
	env = append(env, "PARAM_OVERLAY=base", "PARAM_NAMESPACES_0=only")
	got = ids(parseObjects(t, mustRun(t, app, env, pullgen(), "render")))
	if !contains(got, "Secret only/acme") || len(got) != 1+2+1 {
		t.Errorf("with PARAM_* variables: %v", got)
	}
}

// TestRenderSandbox renders hostile repositories: each is refused with a clear error, no
// program runs, and no secret reaches stdout or stderr.
func TestRenderSandbox(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "stolen.txt"), "outside-secret-value\n")
	keyDir := t.TempDir()
	keyFile := filepath.Join(keyDir, "keys.txt")
	writeFile(t, keyFile, "AGE-SECRET-KEY-1TESTKEYNOTREAL\n")
	evil := tripwire.NewPrograms(t, "evil")
	script := evil.Path("evil")

	base := func(source string) string {
		return strings.Replace(strings.Replace(pullAccess, "%s\n", "", 1), "{file: token.txt}", source, 1)
	}
	cases := []struct {
		name  string
		files map[string]string
		links map[string]string
		env   []string
		want  string
	}{
		{"file-outside-root", map[string]string{"app/pa.yaml": base("{file: OUTSIDE/stolen.txt}")}, nil, nil, "outside the repository root"},
		{"absolute-file", map[string]string{"app/pa.yaml": base("{file: " + filepath.Join(outside, "stolen.txt") + "}")}, nil, nil, "outside the repository root"},
		{"symlink-leaving-root", map[string]string{"app/pa.yaml": base("{file: token.txt}")}, map[string]string{"app/token.txt": filepath.Join(outside, "stolen.txt")}, nil, "is a link to"},
		{"key-file", map[string]string{"app/pa.yaml": base("{file: keys.txt}")}, map[string]string{"app/keys.txt": keyFile}, []string{"SOPS_AGE_KEY_FILE=" + keyFile}, "outside the repository root"},
		{"key-file-inside-root", map[string]string{"app/pa.yaml": base("{file: keys.txt}"), "app/keys.txt": "AGE-SECRET-KEY-1TESTKEYNOTREAL\n"}, nil, []string{"SOPS_AGE_KEY_FILE=APP/keys.txt"}, "decryption key"},
		{"env-sops-age-key", map[string]string{"app/pa.yaml": base("{env: SOPS_AGE_KEY}")}, nil, []string{"SOPS_AGE_KEY=AGE-SECRET-KEY-1TESTKEYNOTREAL"}, "env SOPS_AGE_KEY: render reads only ARGOCD_ENV_"},
		{"env-home", map[string]string{"app/pa.yaml": base("{env: HOME}")}, nil, nil, "env HOME: render reads only ARGOCD_ENV_"},
		// Every env: source is held to the rule, not only the password's: an expiry read from
		// the sidecar's environment would otherwise reach the output as an annotation.
		{"env-expires-at", map[string]string{"app/pa.yaml": base("{env: ARGOCD_ENV_T}\n      expiresAtFrom: {env: SIDECAR_DATE}")}, nil, []string{"SIDECAR_DATE=2031-05-06"}, "spec.registries[0].expiresAtFrom: env SIDECAR_DATE: render reads only ARGOCD_ENV_"},
		{"env-global-base", map[string]string{"app/pa.yaml": strings.Replace(base("{env: ARGOCD_ENV_T}"), "  output:", "  globalPullSecret: {base: {env: HOME}}\n  output:", 1)}, nil, nil, "spec.globalPullSecret.base: env HOME: render reads only ARGOCD_ENV_"},
		{"credential-helpers", map[string]string{"app/pa.yaml": strings.Replace(base("{file: token.txt}"), "    - server: quay.io/acme\n      username: robot\n      passwordFrom: {file: token.txt}\n", "    - fromConfig: {file: config.json, credentialHelpers: true}\n", 1),
			"app/config.json": `{"auths":{"quay.io":{}},"credsStore":"evil"}`}, nil, nil, "credentialHelpers: render runs no credential helper"},
		{"exec-function", map[string]string{"app/pa.yaml": base("{env: ARGOCD_ENV_T}"), "app/evil.yaml": "apiVersion: evil.example/v1\nkind: Evil\nmetadata:\n  name: evil\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: " + script + "\n"}, nil, nil, "is a KRM function; render runs no program"},
		{"container-function", map[string]string{"app/pa.yaml": base("{env: ARGOCD_ENV_T}"), "app/evil.yaml": "apiVersion: evil.example/v1\nkind: Evil\nmetadata:\n  name: evil\n  annotations:\n    config.kubernetes.io/function: |\n      container:\n        image: evil.example/evil:1\n"}, nil, nil, "is a KRM function"},
		{"legacy-plugin", map[string]string{"app/pa.yaml": base("{env: ARGOCD_ENV_T}"), "app/evil.yaml": "apiVersion: evil.example/v1\nkind: Evil\nmetadata: {name: evil}\n"}, nil, nil, "is a kustomize plugin"},
		{"remote-base", map[string]string{"app/pa.yaml": base("{env: ARGOCD_ENV_T}"), "app/kustomization.yaml": "resources:\n- https://github.com/example/repo//base?ref=v1\ngenerators: [pa.yaml]\n"}, nil, nil, "names a URL or a git remote"},
		{"base-outside-root", map[string]string{"app/pa.yaml": base("{env: ARGOCD_ENV_T}"), "app/kustomization.yaml": "resources: [OUTSIDE]\ngenerators: [pa.yaml]\n"}, nil, nil, "outside the repository root"},
		{"base-linked-outside-root", map[string]string{"app/pa.yaml": base("{env: ARGOCD_ENV_T}"), "app/kustomization.yaml": "resources: [base]\ngenerators: [pa.yaml]\n"}, map[string]string{"app/base": outside}, nil, "outside the repository root"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			repo := t.TempDir()
			files := map[string]string{"app/kustomization.yaml": "generators: [pa.yaml]\ntransformers: [evil.yaml]\n", "app/token.txt": testToken + "\n"}
			if _, ok := c.files["app/evil.yaml"]; !ok {
				files["app/kustomization.yaml"] = "generators: [pa.yaml]\n"
			}
			for k, v := range c.files {
				files[k] = v
			}
			// OUTSIDE is the outside directory, relative to the app.
			rel, _ := filepath.Rel(filepath.Join(repo, "app"), outside)
			for name, content := range files {
				writeFile(t, filepath.Join(repo, name), strings.ReplaceAll(content, "OUTSIDE", rel))
			}
			for name, target := range c.links {
				os.Remove(filepath.Join(repo, name))
				if err := os.Symlink(target, filepath.Join(repo, name)); err != nil {
					t.Fatal(err)
				}
			}
			var env []string
			for _, e := range append(c.env, "ARGOCD_ENV_T="+testToken, "ARGOCD_APP_SOURCE_PATH=app") {
				env = append(env, strings.Replace(e, "APP/", filepath.Join(repo, "app")+"/", 1))
			}
			r := run(t, filepath.Join(repo, "app"), env, "", pullgen(), "render")
			if r.code == 0 {
				t.Fatalf("render accepted a hostile repository:\n%s", r.stdout)
			}
			if r.stdout != "" {
				t.Errorf("render wrote to stdout on failure:\n%s", r.stdout)
			}
			if !strings.Contains(r.stderr, c.want) {
				t.Errorf("stderr %q does not say %q", r.stderr, c.want)
			}
			for _, secret := range []string{"outside-secret-value", "AGE-SECRET-KEY-1TESTKEYNOTREAL", testToken} {
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("a secret reached the output: %s", secret)
				}
			}
			if len(evil.Ran()) != 0 {
				t.Fatalf("render ran a program from the repository")
			}
		})
	}
}
