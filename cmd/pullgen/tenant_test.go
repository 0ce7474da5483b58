package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tenant boundary. One repository, two teams, one age key in the repo server (the
// layout most users of SOPS in Argo CD run). Team B's credentials are encrypted in team-b/;
// team A (the attacker) writes app/, rendered for namespace attacker-ns. Every way of
// getting team B's plaintext into attacker-ns is refused, and for each a control renders
// the same attack over the same files encrypted without a scope under --allow-unscoped
// (the operator's "one trust domain"), where it succeeds: so the refusal is the scope's
// doing, and the test can fail.

const victimPassword = "victim-pass-Q7ZZ"

// tenantWorld holds team B's files twice: scoped (as render requires) and unscoped.
type tenantWorld struct {
	env              []string
	rcpt             string            // the cluster's age recipient, public
	scoped, unscoped map[string]string // file under team-b/ → content
}

func newTenantWorld(t *testing.T) *tenantWorld {
	t.Helper()
	sops := tool(t, "sops")
	key, rcpt := ageKey(t)
	w := &tenantWorld{env: append(noKeyEnv(t), "SOPS_AGE_KEY_FILE="+key, "ARGOCD_ENV_USER=robot"), rcpt: rcpt,
		scoped: map[string]string{}, unscoped: map[string]string{}}
	dir := t.TempDir()
	encrypt := func(name, plain string, args ...string) string {
		writeFile(t, filepath.Join(dir, name), plain)
		return mustRun(t, dir, w.env, sops, append(append([]string{"-e", "--age", rcpt}, args...), name)...)
	}
	scope := func(name, encrypted string) string {
		writeFile(t, filepath.Join(dir, name), encrypted)
		mustRun(t, dir, w.env, pullgen(), "scope", "--namespace", "team-b", name)
		return string(readFile(t, filepath.Join(dir, name)))
	}
	auth := base64.StdEncoding.EncodeToString([]byte("robot:" + victimPassword))
	dockerConfig := `{"auths":{"registry.team-b.example":{"auth":"` + auth + `"}}}`
	secret := func(ns string) string {
		meta := "  name: db\n"
		if ns != "" {
			meta += "  namespace: " + ns + "\n"
		}
		return "apiVersion: v1\nkind: Secret\nmetadata:\n" + meta + "type: Opaque\nstringData:\n  password: " + victimPassword + "\n" +
			"data:\n  .dockerconfigjson: " + base64.StdEncoding.EncodeToString([]byte(dockerConfig)) + "\n"
	}
	for _, f := range []struct{ name, plain string }{
		{"token.enc.env", "TOKEN=" + victimPassword + "\nPIN=1700000000\n"},
		{"config.enc.json", dockerConfig},
	} {
		enc := encrypt(f.name, f.plain)
		w.unscoped[f.name] = enc
		w.scoped[f.name] = scope(f.name, enc)
	}
	bin := encrypt("token.enc.bin", victimPassword, "--input-type", "binary", "--output-type", "binary")
	w.unscoped["token.enc.bin"], w.scoped["token.enc.bin"] = bin, scope("token.enc.bin", bin)
	regex := []string{"--encrypted-regex", "^(data|stringData)$"}
	w.scoped["db.enc.yaml"] = encrypt("db.enc.yaml", secret("team-b"), regex...)
	w.unscoped["db.enc.yaml"] = encrypt("db.enc.yaml", secret(""), regex...)
	// Team B's own PullAccess and application, which render for team-b.
	// (Relative to the kustomization that lists it, as under kustomize.)
	spec := tenantSpec("team-b", "team-b-pull", "passwordFrom: {file: ../team-b/token.enc.env, key: TOKEN}")
	for _, m := range []map[string]string{w.scoped, w.unscoped} {
		m["pullaccess.yaml"] = spec
		m["kustomization.yaml"] = "generators: [pullaccess.yaml]\n"
	}
	return w
}

// tenantSpec is a PullAccess of one registry for namespace ns; source is the registry's
// credential fields (and anything else of the registry).
func tenantSpec(ns, name, source string) string {
	return "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata:\n  name: " + name + "\nspec:\n  namespaces: [" + ns + "]\n" +
		"  registries:\n  - server: registry.example\n    usernameFrom: {env: ARGOCD_ENV_USER}\n    " + source + "\n"
}

// repo lays out team B's files (scoped or not) and the attacker's app/ files.
func (w *tenantWorld) repo(t *testing.T, scoped bool, app map[string]string) string {
	root := t.TempDir()
	victim := w.scoped
	if !scoped {
		victim = w.unscoped
	}
	for name, content := range victim {
		writeFile(t, filepath.Join(root, "team-b", name), content)
	}
	for name, content := range app {
		if content == "copy" {
			content = victim[strings.TrimPrefix(name, "stolen-")]
		}
		writeFile(t, filepath.Join(root, "app", name), content)
	}
	return root
}

// leaks tells whether a render's output or messages hold secret (team B's password by
// default), in clear or inside base64 and JSON, however deep.
func leaks(text string, secret ...string) bool {
	if len(secret) == 0 {
		secret = []string{victimPassword}
	}
	seen := map[string]bool{}
	var look func(s string, depth int) bool
	look = func(s string, depth int) bool {
		if depth > 8 || seen[s] {
			return false
		}
		seen[s] = true
		for _, x := range secret {
			if strings.Contains(s, x) {
				return true
			}
		}
		if b, err := base64.StdEncoding.DecodeString(s); err == nil && look(string(b), depth+1) {
			return true
		}
		var v any
		if json.Unmarshal([]byte(s), &v) == nil {
			return lookJSON(v, func(s string) bool { return look(s, depth+1) })
		}
		return false
	}
	for _, word := range strings.Fields(text) {
		if look(strings.Trim(word, `"',`), 0) {
			return true
		}
	}
	return false
}

// lookJSON calls look with every string of a JSON value until it returns true.
func lookJSON(v any, look func(string) bool) bool {
	switch x := v.(type) {
	case string:
		return look(x)
	case map[string]any:
		for _, e := range x {
			if lookJSON(e, look) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if lookJSON(e, look) {
				return true
			}
		}
	}
	return false
}

func TestTenantBoundary(t *testing.T) {
	w := newTenantWorld(t)
	attacker := func(source string) map[string]string {
		return map[string]string{
			"pullaccess.yaml":    tenantSpec("attacker-ns", "steal", source),
			"kustomization.yaml": "generators: [pullaccess.yaml]\n",
		}
	}
	for _, c := range []struct {
		name string
		app  map[string]string
		dir  string   // rendered directory (default app)
		env  []string // more environment (Application parameters)
		says string
		// secret is what the control leaks; team B's password by default.
		secret []string
	}{
		{name: "passwordFrom a Secret's stringData", app: attacker("passwordFrom: {file: ../team-b/db.enc.yaml, key: stringData.password}"),
			says: "allows namespace team-b only, not namespace attacker-ns"},
		{name: "usernameFrom a Secret's stringData", app: map[string]string{
			"pullaccess.yaml":    strings.Replace(tenantSpec("attacker-ns", "steal", "passwordFrom: {env: ARGOCD_ENV_USER}"), "usernameFrom: {env: ARGOCD_ENV_USER}", "usernameFrom: {file: ../team-b/db.enc.yaml, key: stringData.password}", 1),
			"kustomization.yaml": "generators: [pullaccess.yaml]\n"},
			says: "not namespace attacker-ns"},
		{name: "a dotenv key", app: attacker("passwordFrom: {file: ../team-b/token.enc.env, key: TOKEN}"), says: "not namespace attacker-ns"},
		{name: "a binary file", app: attacker("passwordFrom: {file: ../team-b/token.enc.bin}"), says: "not namespace attacker-ns"},
		{name: "fromConfig", app: map[string]string{
			"pullaccess.yaml":    "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata:\n  name: steal\nspec:\n  namespaces: [attacker-ns]\n  registries:\n  - fromConfig: {file: ../team-b/config.enc.json}\n",
			"kustomization.yaml": "generators: [pullaccess.yaml]\n"},
			says: "not namespace attacker-ns"},
		{name: "globalPullSecret.base", app: map[string]string{
			"pullaccess.yaml": tenantSpec("attacker-ns", "steal", "passwordFrom: {env: ARGOCD_ENV_USER}") +
				"  globalPullSecret:\n    base: {file: ../team-b/config.enc.json}\n",
			"kustomization.yaml": "generators: [pullaccess.yaml]\n"},
			says: "allows namespace team-b only"},
		{name: "a committed Secret's .dockerconfigjson", app: attacker("passwordFrom: {file: ../team-b/db.enc.yaml, key: data..dockerconfigjson}"),
			says: "not namespace attacker-ns"},
		{name: "expiresAtFrom", app: attacker("passwordFrom: {env: ARGOCD_ENV_USER}\n    expiresAtFrom: {file: ../team-b/token.enc.env, key: PIN}"),
			says: "not namespace attacker-ns", secret: []string{"2023-11-14T22:13:20Z"}},
		{name: "ciphertext copied into the attacker's directory", app: map[string]string{
			"pullaccess.yaml":      tenantSpec("attacker-ns", "steal", "passwordFrom: {file: stolen-token.enc.env, key: TOKEN}"),
			"stolen-token.enc.env": "copy",
			"kustomization.yaml":   "generators: [pullaccess.yaml]\n"},
			says: "not namespace attacker-ns"},
		{name: "a generator naming the other team's PullAccess", app: map[string]string{
			"kustomization.yaml": "namespace: attacker-ns\ngenerators: [../team-b/pullaccess.yaml]\n"},
			says: "not namespace attacker-ns"},
		{name: "the other team's application with a namespaces parameter", dir: "team-b", env: []string{"PARAM_NAMESPACES_0=attacker-ns"},
			says: "not namespace attacker-ns"},
		{name: "a replacement copying the Secret's data out", app: map[string]string{
			"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: loot, namespace: attacker-ns}\ndata: {x: y}\n",
			"kustomization.yaml": "resources: [../team-b, cm.yaml]\nreplacements:\n- source: {kind: Secret, name: team-b-pull, fieldPath: data.\\.dockerconfigjson}\n" +
				"  targets:\n  - select: {kind: ConfigMap, name: loot}\n    fieldPaths: [data.x]\n"},
			says: "ConfigMap attacker-ns/loot: a value cannot go here"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := c.dir
			if dir == "" {
				dir = "app"
			}
			env := append(append(append([]string{}, w.env...), "ARGOCD_APP_SOURCE_PATH="+dir), c.env...)
			root := w.repo(t, true, c.app)
			r := run(t, filepath.Join(root, dir), env, "", pullgen(), "render")
			if r.code != 2 || r.stdout != "" {
				t.Errorf("render: exit %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, c.says) {
				t.Errorf("stderr does not say %q: %s", c.says, r.stderr)
			}
			if leaks(r.stdout+r.stderr, c.secret...) {
				t.Errorf("the other team's password leaked:\n%s%s", r.stdout, r.stderr)
			}
			// The control: the same files without a scope, in a repository the operator
			// declared one trust domain, give the attack what it wanted.
			root = w.repo(t, false, c.app)
			r = run(t, filepath.Join(root, dir), env, "", pullgen(), "render", "--allow-unscoped")
			if r.code != 0 || !leaks(r.stdout, c.secret...) || !strings.Contains(r.stdout, "attacker-ns") && !strings.Contains(r.stdout, "openshift-config") {
				t.Errorf("control (unscoped, --allow-unscoped): exit %d, the password not in the attacker's objects:\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}

	// Team B's own application renders, decrypted, for team-b.
	root := w.repo(t, true, nil)
	r := run(t, filepath.Join(root, "team-b"), append(w.env, "ARGOCD_APP_SOURCE_PATH=team-b"), "", pullgen(), "render")
	if r.code != 0 || !leaks(r.stdout) || !strings.Contains(r.stdout, "namespace: team-b") {
		t.Errorf("team B's own render: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Unscoped ciphertext is refused without the operator's allowance, naming the fix.
	root = w.repo(t, false, nil)
	r = run(t, filepath.Join(root, "team-b"), append(w.env, "ARGOCD_APP_SOURCE_PATH=team-b"), "", pullgen(), "render")
	if r.code != 2 || !strings.Contains(r.stderr, "token.enc.env") || !strings.Contains(r.stderr, "pullgen scope --namespace") {
		t.Errorf("unscoped ciphertext: exit %d, stderr: %s", r.code, r.stderr)
	}
}

// TestTenantMessagesQuoteNoPlaintext: errors raised over decrypted values, by pullgen's
// parsers and by kustomize's, quote none of their bytes. The control for kustomize's:
// the same replacement over the decrypted Secret, in the kustomize CLI, prints the value.
func TestTenantMessagesQuoteNoPlaintext(t *testing.T) {
	w := newTenantWorld(t)
	dump := "generators: [pullaccess.yaml]\n" + dumpingReplacement
	for _, c := range []struct{ name, kustomization, spec, not string }{
		{name: "a decrypted value that is not JSON", spec: tenantSpec("team-b", "team-b-pull", "passwordFrom: {env: ARGOCD_ENV_USER}") +
			"  globalPullSecret:\n    base: {file: ../team-b/token.enc.env, key: TOKEN}\n", not: "'Q'"},
		{name: "kustomize printing the node it failed on", kustomization: dump},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := w.repo(t, true, nil)
			if c.spec != "" {
				writeFile(t, filepath.Join(root, "team-b", "pullaccess.yaml"), c.spec)
			}
			if c.kustomization != "" {
				writeFile(t, filepath.Join(root, "team-b", "kustomization.yaml"), c.kustomization)
			}
			r := run(t, filepath.Join(root, "team-b"), append(w.env, "ARGOCD_APP_SOURCE_PATH=team-b"), "", pullgen(), "render")
			if r.code != 2 || r.stdout != "" {
				t.Fatalf("exit %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			if leaks(r.stderr) || c.not != "" && strings.Contains(r.stderr, c.not) {
				t.Errorf("the message quotes the plaintext: %s", r.stderr)
			}
		})
	}

	root := w.repo(t, true, nil)
	plain := mustRun(t, filepath.Join(root, "team-b"), append(w.env, "ARGOCD_APP_SOURCE_PATH=team-b"), pullgen(), "render")
	control := t.TempDir()
	writeFile(t, filepath.Join(control, "secret.yaml"), plain)
	writeFile(t, filepath.Join(control, "kustomization.yaml"), "resources: [secret.yaml]\n"+dumpingReplacement)
	r := run(t, control, nil, "", tool(t, "kustomize"), "build", ".")
	if r.code == 0 || !leaks(r.stderr) {
		t.Errorf("control: kustomize does not print the value it failed on (exit %d): %s", r.code, r.stderr)
	}
}

// dumpingReplacement makes kustomize fail on the generated Secret's data, printing the node.
const dumpingReplacement = "replacements:\n- source: {kind: Secret, name: team-b-pull, fieldPath: metadata.name}\n  targets:\n" +
	"  - select: {kind: Secret, name: team-b-pull}\n    fieldPaths: ['data.\\.dockerconfigjson.x']\n    options: {create: true}\n"

// TestKeysPerProject: with --keys-per-project, render decrypts only with the key of the
// Application's project (ARGOCD_APP_PROJECT_NAME): project A's Application cannot decrypt
// project B's ciphertext at all, not even B's own application directory rendered into B's
// namespace, nor B's files copied into A's directory. The control: one key shared by both
// projects decrypts B's application for an Application of project A (the scope allows
// team-b), which is what a single shared key still allows.
func TestKeysPerProject(t *testing.T) {
	sops := tool(t, "sops")
	keyA, rcptA := ageKey(t)
	keyB, rcptB := ageKey(t)
	keys := t.TempDir()
	for project, key := range map[string]string{"project-a": keyA, "project-b": keyB} {
		writeFile(t, filepath.Join(keys, project), string(readFile(t, key)))
	}
	root := t.TempDir()
	env := append(noKeyEnv(t), "ARGOCD_ENV_USER=robot")
	for team, rcpt := range map[string]string{"team-a": rcptA, "team-b": rcptB} {
		dir := filepath.Join(root, team)
		writeFile(t, filepath.Join(dir, "token.enc.env"), "TOKEN="+victimPassword+"-"+team+"\n")
		mustRun(t, dir, env, sops, "-e", "-i", "--age", rcpt, "token.enc.env")
		mustRun(t, dir, append(env, "SOPS_AGE_KEY_FILE="+map[string]string{"team-a": keyA, "team-b": keyB}[team]), pullgen(), "scope", "--namespace", team, "token.enc.env")
		writeFile(t, filepath.Join(dir, "pullaccess.yaml"), tenantSpec(team, "pull", "passwordFrom: {file: token.enc.env, key: TOKEN}"))
		writeFile(t, filepath.Join(dir, "kustomization.yaml"), "generators: [pullaccess.yaml]\n")
	}
	copied := filepath.Join(root, "team-a", "copied")
	writeFile(t, filepath.Join(copied, "token.enc.env"), string(readFile(t, filepath.Join(root, "team-b", "token.enc.env"))))
	writeFile(t, filepath.Join(copied, "pullaccess.yaml"), tenantSpec("team-b", "pull", "passwordFrom: {file: token.enc.env, key: TOKEN}"))
	writeFile(t, filepath.Join(copied, "kustomization.yaml"), "generators: [pullaccess.yaml]\n")

	render := func(dir, project string, args ...string) result {
		e := append(append([]string{}, env...), "ARGOCD_APP_SOURCE_PATH="+dir)
		if project != "" {
			e = append(e, "ARGOCD_APP_PROJECT_NAME="+project)
		}
		return run(t, filepath.Join(root, dir), e, "", pullgen(), append([]string{"render"}, args...)...)
	}
	perProject := []string{"--keys-per-project", keys}
	for _, c := range []struct {
		name, dir, project string
		args               []string
		says               string // "" when it renders team's password
		team               string
	}{
		{name: "project A renders its own", dir: "team-a", project: "project-a", args: perProject, team: "team-a"},
		{name: "project B renders its own", dir: "team-b", project: "project-b", args: perProject, team: "team-b"},
		{name: "project A on B's directory", dir: "team-b", project: "project-a", args: perProject, says: "token.enc.env"},
		{name: "project A on B's ciphertext copied", dir: "team-a/copied", project: "project-a", args: perProject, says: "token.enc.env"},
		{name: "no project", dir: "team-a", args: perProject, says: "ARGOCD_APP_PROJECT_NAME is not set"},
		{name: "a project without a key", dir: "team-a", project: "project-c", args: perProject, says: "no key for project project-c"},
		{name: "a project name that is a path", dir: "team-a", project: "../keys", args: perProject, says: "not a project name"},
		{name: "from the sidecar's environment", dir: "team-b", project: "project-a", says: "token.enc.env"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if args == nil {
				env = append(env, "PULLGEN_KEYS_PER_PROJECT="+keys)
				defer func() { env = env[:len(env)-1] }()
			}
			r := render(c.dir, c.project, args...)
			if c.says == "" {
				if r.code != 0 || !leaks(r.stdout, victimPassword+"-"+c.team) {
					t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
				}
				return
			}
			if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, c.says) || leaks(r.stderr) {
				t.Errorf("exit %d, stdout %q, stderr: %s", r.code, r.stdout, r.stderr)
			}
		})
	}
	// The control: one key for both projects.
	both := filepath.Join(t.TempDir(), "keys.txt")
	writeFile(t, both, string(readFile(t, keyA))+string(readFile(t, keyB)))
	env = append(env, "SOPS_AGE_KEY_FILE="+both)
	if r := render("team-a/copied", "project-a"); r.code != 0 || !leaks(r.stdout, victimPassword+"-team-b") {
		t.Errorf("control (one shared key): exit %d: %s", r.code, r.stderr)
	}
}

// readFile reads a file the test made.
func readFile(t *testing.T, name string) []byte {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestForgedScopeMarker: a scope cannot be changed without the key. The attacker rewrites
// team B's marker in clear, or puts in its place the marker ciphertext of a file of its
// own scoped to attacker-ns (encrypted for the cluster's public recipient, as anyone can),
// or drops it: render refuses the file as tampered, as the sops CLI does.
func TestForgedScopeMarker(t *testing.T) {
	w := newTenantWorld(t)
	sops := tool(t, "sops")
	victim := w.scoped["token.enc.env"]
	line := func(content string) string {
		for _, l := range strings.Split(content, "\n") {
			if strings.HasPrefix(l, "pullgen_scope=") {
				return l
			}
		}
		t.Fatalf("no marker in:\n%s", content)
		return ""
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "own.enc.env"), "TOKEN=mine\npullgen_scope=pullgen.dev/scope=attacker-ns\n")
	mustRun(t, dir, nil, sops, "-e", "-i", "--age", w.rcpt, "own.enc.env")
	for name, forged := range map[string]string{
		"in clear":           strings.Replace(victim, line(victim), "pullgen_scope=pullgen.dev/scope=attacker-ns", 1),
		"another file's":     strings.Replace(victim, line(victim), line(string(readFile(t, filepath.Join(dir, "own.enc.env")))), 1),
		"the marker dropped": strings.Replace(victim, line(victim)+"\n", "", 1),
	} {
		t.Run(name, func(t *testing.T) {
			app := map[string]string{
				"pullaccess.yaml":      tenantSpec("attacker-ns", "steal", "passwordFrom: {file: stolen-token.enc.env, key: TOKEN}"),
				"stolen-token.enc.env": forged,
				"kustomization.yaml":   "generators: [pullaccess.yaml]\n",
			}
			root := w.repo(t, true, app)
			r := run(t, filepath.Join(root, "app"), append(w.env, "ARGOCD_APP_SOURCE_PATH=app"), "", pullgen(), "render")
			if r.code != 2 || leaks(r.stdout+r.stderr) || !strings.Contains(r.stderr, "stolen-token.enc.env") {
				t.Errorf("render: exit %d: %s%s", r.code, r.stdout, r.stderr)
			}
			if r := run(t, filepath.Join(root, "app"), w.env, "", sops, "-d", "stolen-token.enc.env"); r.code == 0 {
				t.Errorf("control: sops -d decrypts the forgery:\n%s", r.stdout)
			}
		})
	}
}

// TestRenderLaterCheckOverHeldValues: a PullAccess transformer with check: error runs over
// the Secret an earlier generator made, whose values render keeps out of the build until
// it prints: its check reads the stand-ins as unknown keys (a warning), not as a Secret the
// kubelet cannot parse, and the render succeeds with the values in place.
func TestRenderLaterCheckOverHeldValues(t *testing.T) {
	dir := t.TempDir()
	spec := func(name, server, extra string) string {
		return "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: " + name + "}\nspec:\n  namespaces: [team-a]\n" +
			"  registries: [{server: " + server + ", username: u, passwordFrom: {env: ARGOCD_ENV_TOKEN}, expiresAt: \"2099-01-01T00:00:00Z\"}]\n" +
			"  serviceAccounts: []\n" + extra
	}
	writeFile(t, filepath.Join(dir, "a.yaml"), spec("acme", "r.example", ""))
	writeFile(t, filepath.Join(dir, "b.yaml"), spec("other", "q.example", "  check: error\n"))
	writeFile(t, filepath.Join(dir, "web.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team-a}\n"+
		"spec:\n  template:\n    spec:\n      imagePullSecrets: [{name: acme}]\n      containers: [{name: c, image: r.example/app:1}]\n")
	writeFile(t, filepath.Join(dir, "kustomization.yaml"), "resources: [web.yaml]\ngenerators: [a.yaml]\ntransformers: [b.yaml]\n")
	r := run(t, dir, append(noKeyEnv(t), "ARGOCD_ENV_TOKEN="+testToken), "", pullgen(), "render")
	if r.code != 0 || !leaks(r.stdout, testToken) || !strings.Contains(r.stdout, "pullgen.dev/expires-at: \"2099-01-01T00:00:00Z\"") {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}
