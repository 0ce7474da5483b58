package pullcheck

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fage "filippo.io/age"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/check/online"
	"pullgen.dev/pullgen/internal/core/sopsx"
	"pullgen.dev/pullgen/internal/testsupport/registrytest"
)

var (
	onlinePusher = registrytest.User{Name: "pusher", Password: "Push-b71e3c0a"}
	onlineRobot  = registrytest.User{Name: "robot", Password: "Robot-4d9a2f68"}
	onlineWrong  = registrytest.User{Name: "robot", Password: "Wrong-0c6e1b93"}
)

// onlineSecret is a kubernetes.io/dockerconfigjson Secret of team-a with one entry per key.
func onlineSecret(name string, entries map[string]registrytest.User) string {
	auths := map[string]map[string]string{}
	for key, u := range entries {
		auths[key] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(u.Name + ":" + u.Password))}
	}
	b, _ := json.Marshal(map[string]any{"auths": auths})
	return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: %s, namespace: team-a}\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: %s\n",
		name, base64.StdEncoding.EncodeToString(b))
}

// onlineDeployment is a Deployment of team-a with one container per image and pull secrets.
func onlineDeployment(name string, secrets []string, images ...string) string {
	spec := containers(images...)
	if len(secrets) > 0 {
		spec = pullSecrets(secrets...) + spec
	}
	return deployment("team-a", name, spec)
}

// checkFile checks file as `pullgen check --format FORMAT` does, with --online when
// verify (registries reached over plain HTTP at the insecure hosts), and returns whether
// it found errors (exit code 1) and the report.
func checkFile(t *testing.T, file, format string, verify bool, insecure ...string) (bool, string) {
	t.Helper()
	objs, err := Load([]string{file}, Input{Reader: NewFiles()})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Decrypt: sopsx.DefaultKeys().Decrypt}
	if verify {
		opts.Verify = func(ctx context.Context, p []online.Probe) []online.Result {
			return online.Verify(ctx, p, online.Options{Insecure: insecure})
		}
	}
	findings := Check(context.Background(), objs, opts)
	var out strings.Builder
	if err := Write(&out, format, findings, SARIFRun{Version: "v1.2.3"}); err != nil {
		t.Fatal(err)
	}
	return HasErrors(findings), out.String()
}

// onlineFindings checks manifests online (insecure: checkFile) and returns whether it
// found errors, the online findings by object name and container, and the JSON report.
func onlineFindings(t *testing.T, manifests []string, insecure ...string) (bool, map[string]Finding, string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "manifests.yaml")
	if err := os.WriteFile(file, []byte(strings.Join(manifests, "---\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	failed, out := checkFile(t, file, FormatJSON, true, insecure...)
	noOnlineLeak(t, out)
	var rep JSONReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output %s: %v", out, err)
	}
	got := map[string]Finding{}
	for _, f := range rep.Images {
		if f.Online != nil {
			got[f.Name+"/"+f.Container] = f
		}
	}
	return failed, got, out
}

// noOnlineLeak fails when a text shows a test password or its base64.
func noOnlineLeak(t *testing.T, text string) {
	t.Helper()
	for _, u := range []registrytest.User{onlinePusher, onlineRobot, onlineWrong} {
		for _, needle := range []string{u.Password, base64.StdEncoding.EncodeToString([]byte(u.Name + ":" + u.Password))} {
			if strings.Contains(text, needle) {
				t.Errorf("the output shows a credential of %s", u.Name)
			}
		}
	}
}

func TestOnline(t *testing.T) {
	reg := registrytest.StartHtpasswd(t, onlinePusher, onlineRobot)
	digest := registrytest.Push(t, reg.Host+"/team/app:1", onlinePusher, nil)
	h := reg.Host
	manifests := []string{
		onlineSecret("good", map[string]registrytest.User{h: onlineRobot}),
		onlineSecret("bad", map[string]registrytest.User{h: onlineWrong}),
		onlineSecret("stale", map[string]registrytest.User{h + "/team": onlineWrong}),
		onlineDeployment("right", []string{"good"}, h+"/team/app:1", h+"/team/app@"+digest),
		onlineDeployment("wrong", []string{"bad"}, h+"/team/app:1"),
		onlineDeployment("missing", []string{"good"}, h+"/team/app:2"),
		onlineDeployment("anonymous", nil, h+"/team/app:1"),
		// The kubelet tries h/team (the longer key, in reverse lexical order) first.
		onlineDeployment("two", []string{"good", "stale"}, h+"/team/app:1"),
		onlineDeployment("internal", nil, "image-registry.openshift-image-registry.svc:5000/team-a/app:1"),
	}
	failed, got, out := onlineFindings(t, manifests, h)
	if !failed {
		t.Errorf("no error found: exit 0, want 1")
	}
	tests := []struct {
		key      string
		rule     string
		severity Severity
		verified *Credential
		words    []string
	}{
		{"right/c0", RuleOnlineVerified, SeverityInfo, &Credential{"good", h}, []string{"served " + h + "/team/app:1 with good (" + h + ")"}},
		{"right/c1", RuleOnlineVerified, SeverityInfo, &Credential{"good", h}, []string{"team/app@" + digest}},
		{"wrong/c0", RuleOnlineDenied, SeverityError, nil, []string{"bad (" + h + "): registry " + h + " refused the credential", "401", "the pull fails"}},
		{"missing/c0", RuleOnlineNotFound, SeverityError, nil, []string{"no manifest team/app:2", "404", "the pull fails"}},
		{"anonymous/c0", RuleOnlineDenied, SeverityError, nil, []string{"without a credential: registry " + h + " requires a credential", "no pull secret of the pod matches"}},
		{"two/c0", RuleOnlineVerified, SeverityInfo, &Credential{"good", h}, []string{"tried before it: stale (" + h + "/team): registry " + h + " refused the credential"}},
		{"internal/c0", RuleOnlineSkipped, SeverityInfo, nil, []string{"reachable only inside the cluster"}},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			f, ok := got[tt.key]
			if !ok {
				t.Fatalf("no online finding for %s in\n%s", tt.key, out)
			}
			if f.Rule != tt.rule || f.Severity != tt.severity {
				t.Errorf("%s %s, want %s %s: %s", f.Severity, f.Rule, tt.severity, tt.rule, f.Message)
			}
			if (f.Online.VerifiedWith == nil) != (tt.verified == nil) || tt.verified != nil && *f.Online.VerifiedWith != *tt.verified {
				t.Errorf("verified with %+v, want %+v", f.Online.VerifiedWith, tt.verified)
			}
			for _, w := range tt.words {
				if !strings.Contains(f.Message, w) {
					t.Errorf("message %q does not say %q", f.Message, w)
				}
			}
		})
	}
	if a := got["two/c0"].Online.Attempts; len(a) != 2 || a[0].Credential.Secret != "stale" || a[0].Outcome != "denied" || a[0].Status != 401 || a[1].Credential.Secret != "good" {
		t.Errorf("attempts of two/c0: %+v", a)
	}
	// Every image counts once in the summary, and the offline findings are still there.
	var rep JSONReport
	_ = json.Unmarshal([]byte(out), &rep)
	if rep.Summary.Images != 7 {
		t.Errorf("summary counts %d images, want 7", rep.Summary.Images)
	}
	if n := len(rep.Images); n != 14 {
		t.Errorf("%d image entries, want 14 (offline and online for each image)", n)
	}

	t.Run("text and SARIF", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "m.yaml")
		_ = os.WriteFile(file, []byte(strings.Join(manifests, "---\n")), 0o600)
		_, text := checkFile(t, file, FormatText, true, h)
		noOnlineLeak(t, text)
		if !strings.Contains(text, "online: without a credential: registry "+h+" requires a credential") || !strings.Contains(text, "7 images checked: 3 errors") {
			t.Errorf("text report:\n%s", text)
		}
		_, sarif := checkFile(t, file, FormatSARIF, true, h)
		noOnlineLeak(t, sarif)
		var log sarifLog
		if err := json.Unmarshal([]byte(sarif), &log); err != nil {
			t.Fatal(err)
		}
		rules := map[string]bool{}
		for _, r := range log.Runs[0].Tool.Driver.Rules {
			rules[r.ID] = true
		}
		levels := map[string]string{}
		for _, r := range log.Runs[0].Results {
			if !rules[r.RuleID] {
				t.Errorf("result of undeclared rule %s", r.RuleID)
			}
			levels[r.RuleID] = r.Level
		}
		if levels[RuleOnlineDenied] != "error" || levels[RuleOnlineNotFound] != "error" || levels[RuleOnlineVerified] != "note" {
			t.Errorf("SARIF levels %v", levels)
		}
	})

	t.Run("without --online nothing changes", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "m.yaml")
		_ = os.WriteFile(file, []byte(strings.Join(manifests, "---\n")), 0o600)
		_, out := checkFile(t, file, FormatJSON, false)
		if strings.Contains(out, `"online"`) {
			t.Errorf("offline JSON has online entries:\n%s", out)
		}
		_, sarif := checkFile(t, file, FormatSARIF, false)
		var log sarifLog
		_ = json.Unmarshal([]byte(sarif), &log)
		if n := len(log.Runs[0].Tool.Driver.Rules); n != len(Rules) {
			t.Errorf("offline SARIF declares %d rules, want %d", n, len(Rules))
		}
	})
}

func TestOnlineUnreachableAndPlainHTTP(t *testing.T) {
	reg := registrytest.StartHtpasswd(t, onlinePusher, onlineRobot)
	down := registrytest.StartHtpasswd(t, onlineRobot)
	down.Stop()
	manifests := []string{
		onlineSecret("good", map[string]registrytest.User{reg.Host: onlineRobot, down.Host: onlineRobot}),
		onlineDeployment("web", []string{"good"}, reg.Host+"/team/app:1", down.Host+"/team/app:1"),
	}
	// Without --insecure-registry, the plain-HTTP registry is refused; the stopped one is down.
	failed, got, out := onlineFindings(t, manifests, down.Host)
	if failed {
		t.Errorf("exit 1, want 0 (unreachable registries are warnings)")
	}
	for key, words := range map[string][]string{
		"web/c0": {"registry " + reg.Host + " is unreachable", "--insecure-registry " + reg.Host},
		"web/c1": {"registry " + down.Host + " is unreachable: connection refused"},
	} {
		f := got[key]
		if f.Rule != RuleOnlineUnreachable || f.Severity != SeverityWarning {
			t.Errorf("%s: %s %s: %s\n%s", key, f.Severity, f.Rule, f.Message, out)
		}
		for _, w := range words {
			if !strings.Contains(f.Message, w) {
				t.Errorf("%s: message %q does not say %q", key, f.Message, w)
			}
		}
	}
}

// TestOnlineDecryptsOnce: with --online, an encrypted Secret is decrypted once, for its
// registry keys and for its credentials, with the key at hand.
func TestOnlineDecryptsOnce(t *testing.T) {
	id, err := fage.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	t.Setenv("SOPS_AGE_KEY", id.String())
	reg := registrytest.StartHtpasswd(t, onlinePusher, onlineRobot)
	registrytest.Push(t, reg.Host+"/team/app:1", onlinePusher, nil)
	plain, err := yaml.Parse(onlineSecret("enc", map[string]registrytest.User{reg.Host: onlineRobot}))
	if err != nil {
		t.Fatal(err)
	}
	enc, _, err := sopsx.Encrypt(plain, sopsx.Rules{Age: []string{id.Recipient().String()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	encrypted, err := enc.String()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := ParseManifests([]byte(docs(encrypted,
		onlineDeployment("a", []string{"enc"}, reg.Host+"/team/app:1"),
		onlineDeployment("b", []string{"enc"}, reg.Host+"/team/app:1", reg.Host+"/team/app:1"))), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	decrypted := 0
	opts := Options{Decrypt: func(n *yaml.RNode) (*yaml.RNode, error) {
		decrypted++
		return sopsx.DefaultKeys().Decrypt(n)
	}, Verify: func(ctx context.Context, p []online.Probe) []online.Result {
		return online.Verify(ctx, p, online.Options{Insecure: []string{reg.Host}})
	}}
	out := Check(context.Background(), objs, opts)
	verified := 0
	for _, f := range out {
		if f.Online != nil && f.Rule == RuleOnlineVerified && f.Online.VerifiedWith != nil && f.Online.VerifiedWith.Secret == "enc" {
			verified++
		}
	}
	if verified != 3 || decrypted != 1 {
		t.Errorf("%d images verified with Secret enc, want 3; the Secret was decrypted %d times, want once", verified, decrypted)
	}
}
