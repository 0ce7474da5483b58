package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"pullgen.dev/pullgen/internal/testsupport/registrytest"
)

// onlineReport is the part of `pullgen check --format json` the online tests read.
type onlineReport struct {
	Images []struct {
		Name, Image, Severity, Rule, Message string
		Online                               *struct {
			VerifiedWith *struct{ Secret, Registry string }
			Attempts     []struct {
				Credential           *struct{ Secret, Registry string }
				AuthServer           string
				AuthServerCredential *struct{ Secret, Registry string }
				Outcome              string
			}
		}
	}
}

// onlineFinding returns the online finding of the one image of a check report.
func onlineFinding(t *testing.T, r result) (rule, severity, message string, verifiedWith, authServerCredential string) {
	t.Helper()
	var rep onlineReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("exit %d, stderr %s: %v\n%s", r.code, r.stderr, err, r.stdout)
	}
	for _, im := range rep.Images {
		if im.Online == nil {
			continue
		}
		if v := im.Online.VerifiedWith; v != nil {
			verifiedWith = v.Secret + "@" + v.Registry
		}
		for _, a := range im.Online.Attempts {
			if a.AuthServerCredential != nil {
				authServerCredential = a.AuthServerCredential.Secret + "@" + a.AuthServerCredential.Registry
			}
		}
		return im.Rule, im.Severity, im.Message, verifiedWith, authServerCredential
	}
	t.Fatalf("no online finding in\n%s", r.stdout)
	return
}

// TestCheckOnline drives `pullgen check --online` over what users check: the encrypted
// output of `pullgen generate` (decrypted with the key at hand, or a warning without it),
// and a kustomization whose PullAccess credentials come from the environment, against a
// registry that delegates authentication to a separate token server.
func TestCheckOnline(t *testing.T) {
	robot := registrytest.User{Name: "robot", Password: "Online-Robot-2b8e4f17"}
	pusher := registrytest.User{Name: "pusher", Password: "Online-Push-9c3a5d60"}
	ts := registrytest.NewTokenServer(t)
	ts.Grant(pusher, "pull,push", "*")
	ts.Grant(robot, "pull", "team/app")
	reg := registrytest.StartToken(t, ts)
	registrytest.Push(t, reg.Host+"/team/app:1", pusher, nil)
	key, rcpt := ageKey(t)

	dir := t.TempDir()
	spec := `apiVersion: pullgen.dev/v1alpha1
kind: PullAccess
metadata:
  name: acme
  annotations:
` + execAnnotation + `
spec:
  namespaces: [team-a]
  registries:
  - {server: "` + reg.Host + `", authServer: "` + ts.Host + `", username: robot, passwordFrom: {env: ROBOT_TOKEN}}
  serviceAccounts: [default]
  sops: {age: [` + rcpt + `]}
  output: {dir: generated}
`
	writeFile(t, filepath.Join(dir, "pullaccess.yaml"), spec)
	deploy := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team-a}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: \"" + reg.Host + "/team/app:1\"}]\n"
	writeFile(t, filepath.Join(dir, "deploy.yaml"), deploy)
	withToken := append(noKeyEnv(t), "ROBOT_TOKEN="+robot.Password, "SOPS_AGE_KEY_FILE="+key)
	mustRun(t, dir, withToken, pullgen(), "generate", "pullaccess.yaml")
	needles := []string{robot.Password, base64.StdEncoding.EncodeToString([]byte("robot:" + robot.Password))}
	noLeak := func(r result) {
		t.Helper()
		for _, n := range needles {
			if strings.Contains(r.stdout+r.stderr, n) {
				t.Errorf("check --online shows the credential")
			}
		}
	}
	check := []string{"check", "--online", "--insecure-registry", reg.Host, "--format", "json"}

	t.Run("generated Secrets, decrypted with the key at hand", func(t *testing.T) {
		r := run(t, dir, append(noKeyEnv(t), "SOPS_AGE_KEY_FILE="+key), "", pullgen(), append(check, "generated", "deploy.yaml")...)
		noLeak(r)
		rule, sev, msg, with, authServer := onlineFinding(t, r)
		if r.code != 0 || rule != "online-verified" || sev != "info" || with != "acme@"+reg.Host {
			t.Fatalf("exit %d: %s %s verified with %q: %s\n%s", r.code, sev, rule, with, msg, r.stderr)
		}
		// The token server got the Secret's entry for its own host (authServer).
		if authServer != "acme@"+ts.Host || !strings.Contains(msg, "token from the auth server "+ts.Host) {
			t.Errorf("auth server credential %q, message %q", authServer, msg)
		}
	})
	t.Run("generated Secrets without the key: a warning, not a guess", func(t *testing.T) {
		before := len(ts.Requests())
		r := run(t, dir, noKeyEnv(t), "", pullgen(), append(check, "generated", "deploy.yaml")...)
		noLeak(r)
		rule, sev, msg, _, _ := onlineFinding(t, r)
		if r.code != 0 || rule != "online-unverified" || sev != "warning" || !strings.Contains(msg, "could not be decrypted") {
			t.Errorf("exit %d: %s %s: %s", r.code, sev, rule, msg)
		}
		if n := len(ts.Requests()) - before; n != 0 {
			t.Errorf("%d token requests without a credential to try", n)
		}
	})

	kdir := filepath.Join(dir, "app")
	writeFile(t, filepath.Join(kdir, "pullaccess.yaml"), strings.Replace(spec, "  output: {dir: generated}\n", "", 1))
	writeFile(t, filepath.Join(kdir, "deploy.yaml"), deploy)
	writeFile(t, filepath.Join(kdir, "kustomization.yaml"), "resources: [deploy.yaml]\ngenerators: [pullaccess.yaml]\n")
	t.Run("kustomization with its credentials", func(t *testing.T) {
		r := run(t, dir, append(noKeyEnv(t), "ROBOT_TOKEN="+robot.Password), "", pullgen(), append(check, "app")...)
		noLeak(r)
		if rule, _, msg, _, _ := onlineFinding(t, r); r.code != 0 || rule != "online-verified" {
			t.Errorf("exit %d: %s: %s", r.code, rule, msg)
		}
	})
	t.Run("kustomization with a wrong credential", func(t *testing.T) {
		r := run(t, dir, append(noKeyEnv(t), "ROBOT_TOKEN=Not-The-Password-41"), "", pullgen(), append(check, "app")...)
		noLeak(r)
		rule, sev, msg, _, _ := onlineFinding(t, r)
		if r.code != 1 || rule != "online-denied" || sev != "error" || !strings.Contains(msg, "the auth server "+ts.Host+" refused the credential") {
			t.Errorf("exit %d: %s %s: %s", r.code, sev, rule, msg)
		}
	})
	t.Run("kustomization whose credential cannot be read", func(t *testing.T) {
		r := run(t, dir, noKeyEnv(t), "", pullgen(), append(check, "app")...)
		if r.code != 2 || !strings.Contains(r.stderr, "spec.registries[0].passwordFrom") || r.stdout != "" {
			t.Errorf("exit %d, stdout %q, stderr %q: want 2 naming the field", r.code, r.stdout, r.stderr)
		}
		// Offline, the check needs no credential.
		if r := run(t, dir, noKeyEnv(t), "", pullgen(), "check", "app"); r.code != 0 {
			t.Errorf("offline check: exit %d: %s", r.code, r.stderr)
		}
	})
}

// TestCheckOnlineThroughHTTPSProxy checks that --online goes through HTTPS_PROXY and
// verifies TLS against the system roots (SSL_CERT_FILE), by the registry's name.
func TestCheckOnlineThroughHTTPSProxy(t *testing.T) {
	const name = "registry.example.test"
	robot := registrytest.User{Name: "robot", Password: "Proxy-Robot-7e1c3a92"}
	pusher := registrytest.User{Name: "pusher", Password: "Proxy-Push-0f5b8d24"}
	reg := registrytest.StartHtpasswdTLS(t, []string{name}, pusher, robot)
	registrytest.Push(t, reg.Host+"/team/app:1", pusher, registrytest.TrustingTransport(t, reg.CAFile))
	proxy := registrytest.NewConnectProxy(t, reg.Host)
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("robot:" + robot.Password))
	cfg := base64.StdEncoding.EncodeToString([]byte(`{"auths":{"` + name + `":{"auth":"` + auth + `"}}}`))
	writeFile(t, filepath.Join(dir, "m.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: {name: pull, namespace: team-a}\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: "+cfg+
		"\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: team-a}\nspec:\n  imagePullSecrets: [{name: pull}]\n  containers: [{name: web, image: "+name+"/team/app:1}]\n")
	env := append(noKeyEnv(t), "SSL_CERT_FILE="+reg.CAFile, "NO_PROXY=", "no_proxy=")

	r := run(t, dir, append(env, "HTTPS_PROXY="+proxy.URL), "", pullgen(), "check", "--online", "--format", "json", "m.yaml")
	if rule, _, msg, with, _ := onlineFinding(t, r); r.code != 0 || rule != "online-verified" || with != "pull@"+name {
		t.Fatalf("exit %d: %s: %s", r.code, rule, msg)
	}
	if !slices.Contains(proxy.Asked(), name+":443") {
		t.Errorf("the proxy was asked for %v, want %s:443", proxy.Asked(), name)
	}
	if strings.Contains(r.stdout+r.stderr, robot.Password) || strings.Contains(r.stdout+r.stderr, auth) {
		t.Error("the credential shows")
	}
	// Without the proxy, the name does not resolve.
	r = run(t, dir, append(env, "HTTPS_PROXY="), "", pullgen(), "check", "--online", "--format", "json", "m.yaml")
	if rule, _, msg, _, _ := onlineFinding(t, r); rule != "online-unreachable" || !strings.Contains(msg, name) {
		t.Errorf("without the proxy: %s: %s", rule, msg)
	}
}

// TestFunctionCheckStaysOffline checks that spec.check in the KRM function (and so in
// kustomize builds and render) never asks a registry anything, and that it takes no
// online mode.
func TestFunctionCheckStaysOffline(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	host := srv.Listener.Addr().String()
	rl := func(check string) string {
		return `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: team-a}
  spec:
    template:
      spec:
        containers: [{name: web, image: "` + host + `/team/app:1"}]
functionConfig:
  apiVersion: pullgen.dev/v1alpha1
  kind: PullAccess
  metadata: {name: acme}
  spec:
    namespaces: [team-a]
    registries: [{server: "` + host + `", username: robot, passwordFrom: {env: TOKEN}}]
    workloads: {}
    output: {encrypt: false}
    check: ` + check + `
`
	}
	env := append(noKeyEnv(t), "TOKEN=function-token-5d1e")
	if r := run(t, t.TempDir(), env, rl("error"), pullgen()); r.code != 0 {
		t.Fatalf("function: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the function's check sent %d requests to the registry", n)
	}
	for _, check := range []string{"online", "{online: true}"} {
		r := run(t, t.TempDir(), env, rl(check), pullgen())
		if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "spec.check") {
			t.Errorf("check: %s: exit %d, want a failure naming spec.check\n%s\n%s", check, r.code, r.stdout, r.stderr)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the function sent %d requests to the registry", n)
	}
}
