package registrytest

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TokenServer is a separate token server for a registry's token authentication (the
// delegated authentication of the Docker registry token specification): it checks Basic
// credentials, grants each user the actions it was given on the repositories it was given,
// and signs ES256 JWTs with a test key the registry trusts through a JWKS file.
type TokenServer struct {
	// Service and Issuer are the registry's service name and the tokens' issuer.
	Service, Issuer string
	// Host is localhost:port: a name, not an address, as clients refuse token realms at
	// private or loopback IP addresses.
	Host string

	jwksFile string
	key      *ecdsa.PrivateKey
	keyID    string

	mu        sync.Mutex
	users     map[string]*tokenUser
	anonymous map[string]string
	requests  []TokenRequest
}

type tokenUser struct {
	password string
	grants   map[string]string // repository ("*" for all) → actions ("pull", "pull,push")
}

// TokenRequest is one request the token server received.
type TokenRequest struct {
	// Account is the user name of the Basic credential, "" for an anonymous request.
	Account string
	// Scopes are the scope parameters.
	Scopes []string
	// Refused reports a 401 (unknown user or wrong password).
	Refused bool
}

// NewTokenServer starts a token server on loopback.
func NewTokenServer(tb testing.TB) *TokenServer {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	ts := &TokenServer{Service: "registrytest", Issuer: "registrytest-issuer", key: key,
		users: map[string]*tokenUser{}, anonymous: map[string]string{}}
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		tb.Fatal(err)
	}
	ts.keyID = thumb(pub)
	jwks, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": ts.keyID,
		"x": b64(pub.Bytes()[1:33]), "y": b64(pub.Bytes()[33:65]),
	}}})
	if err != nil {
		tb.Fatal(err)
	}
	ts.jwksFile = filepath.Join(tb.TempDir(), "jwks.json")
	if err := os.WriteFile(ts.jwksFile, jwks, 0o600); err != nil {
		tb.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(ts.serve))
	srv.Listener = l
	srv.Start()
	tb.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(l.Addr().String())
	ts.Host = "localhost:" + port
	return ts
}

// Realm is the token endpoint the registry's challenge names.
func (ts *TokenServer) Realm() string { return "http://" + ts.Host + "/token" }

// Grant gives a user (created with password when new) actions on repositories ("*" for
// every repository).
func (ts *TokenServer) Grant(u User, actions string, repositories ...string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	tu := ts.users[u.Name]
	if tu == nil {
		tu = &tokenUser{password: u.Password, grants: map[string]string{}}
		ts.users[u.Name] = tu
	}
	for _, r := range repositories {
		tu.grants[r] = actions
	}
}

// GrantAnonymous lets anyone pull repositories.
func (ts *TokenServer) GrantAnonymous(repositories ...string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, r := range repositories {
		ts.anonymous[r] = "pull"
	}
}

// Requests returns the requests received so far.
func (ts *TokenServer) Requests() []TokenRequest {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]TokenRequest(nil), ts.requests...)
}

// access is a JWT claim's access entry.
type access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

func (ts *TokenServer) serve(w http.ResponseWriter, r *http.Request) {
	scopes := r.URL.Query()["scope"]
	user, pass, hasAuth := r.BasicAuth()
	ts.mu.Lock()
	req := TokenRequest{Scopes: scopes}
	var grants map[string]string
	if hasAuth {
		req.Account = user
		tu := ts.users[user]
		if tu == nil || tu.password != pass {
			req.Refused = true
			ts.requests = append(ts.requests, req)
			ts.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`))
			return
		}
		grants = tu.grants
	} else {
		grants = ts.anonymous
	}
	var list []access
	for _, s := range scopes {
		for _, one := range strings.Fields(s) {
			typ, rest, ok := strings.Cut(one, ":")
			i := strings.LastIndexByte(rest, ':')
			if !ok || typ != "repository" || i < 0 {
				continue
			}
			repo, want := rest[:i], strings.Split(rest[i+1:], ",")
			granted := grants[repo]
			if granted == "" {
				granted = grants["*"]
			}
			a := access{Type: "repository", Name: repo, Actions: []string{}}
			for _, act := range want {
				if strings.Contains(","+granted+",", ","+act+",") {
					a.Actions = append(a.Actions, act)
				}
			}
			list = append(list, a)
		}
	}
	ts.requests = append(ts.requests, req)
	ts.mu.Unlock()
	tok, err := ts.sign(user, list)
	if err != nil {
		http.Error(w, "signing failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"token": tok, "access_token": tok, "expires_in": 300,
		"issued_at": time.Now().UTC().Format(time.RFC3339)})
}

// sign makes an ES256 JWT with the claims distribution's token authentication reads.
func (ts *TokenServer) sign(subject string, list []access) (string, error) {
	now := time.Now()
	jti := make([]byte, 8)
	_, _ = rand.Read(jti)
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": ts.keyID})
	claims, err := json.Marshal(map[string]any{
		"iss": ts.Issuer, "sub": subject, "aud": ts.Service,
		"exp": now.Add(5 * time.Minute).Unix(), "nbf": now.Add(-time.Second).Unix(), "iat": now.Unix(),
		"jti": hex.EncodeToString(jti), "access": list,
	})
	if err != nil {
		return "", err
	}
	signing := b64(header) + "." + b64(claims)
	digest := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, ts.key, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signing + "." + b64(sig), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// thumb is a short key ID derived from the public key.
func thumb(pub *ecdh.PublicKey) string {
	sum := sha256.Sum256(pub.Bytes())
	return hex.EncodeToString(sum[:8])
}
