package online

import (
	"cmp"
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// verifier holds one run's transports and caches.
type verifier struct {
	o    Options
	base http.RoundTripper

	mu      sync.Mutex
	secrets map[string]bool
	sorted  []string // secrets, the longest first
	pings   map[string]*pingEntry
	auths   map[authKey]*authEntry
	heads   map[headKey]*headEntry
}

func newVerifier(o Options, probes []Probe) *verifier {
	o = normalizeOptions(o)
	v := &verifier{
		o:       o,
		base:    &limiter{inner: o.Transport, slots: make(chan struct{}, o.Concurrency), timeout: o.Timeout},
		secrets: map[string]bool{},
		pings:   map[string]*pingEntry{},
		auths:   map[authKey]*authEntry{},
		heads:   map[headKey]*headEntry{},
	}
	for _, p := range probes {
		for _, c := range p.Credentials {
			v.addSecret(c.Username, c.Password)
		}
	}
	return v
}

// addSecret remembers a credential's values, to scrub them from every reason.
func (v *verifier) addSecret(user, pass string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if pass != "" {
		v.secrets[pass] = true
		v.secrets[base64.StdEncoding.EncodeToString([]byte(pass))] = true
	}
	if user != "" || pass != "" {
		v.secrets[base64.StdEncoding.EncodeToString([]byte(user+":"+pass))] = true
	}
}

// scrub removes every known credential value from a reason, the longest first.
func (v *verifier) scrub(s string) string {
	v.mu.Lock()
	if len(v.sorted) != len(v.secrets) {
		v.sorted = make([]string, 0, len(v.secrets)) // a new slice: others may be reading the old one
		for secret := range v.secrets {
			v.sorted = append(v.sorted, secret)
		}
		slices.SortFunc(v.sorted, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	}
	secrets := v.sorted
	v.mu.Unlock()
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	return s
}

// pingEntry is what GET /v2/ said of a registry.
type pingEntry struct {
	once      sync.Once
	reg       name.Registry
	challenge *transport.Challenge
	// chain carries the requests of this registry (and of its auth server).
	chain http.RoundTripper
	// realm is the token realm of a Bearer challenge; elsewhere tells that it is on
	// another host than the registry.
	realm     *url.URL
	elsewhere bool
	// failure is set when the registry cannot be used.
	failure *Attempt
}

// authKey identifies one authentication: a registry, a repository, the credential and
// what is sent to the auth server.
type authKey struct {
	registry, repository string
	anonymous            bool
	user, pass           string
	realmUser, realmPass string
}

// authEntry is an authenticated transport for one authKey, or why there is none.
type authEntry struct {
	once    sync.Once
	rt      http.RoundTripper
	failure *Attempt
}

// headKey identifies one manifest request.
type headKey struct {
	auth       authKey
	identifier string
}

// headEntry is what HEAD of a manifest said.
type headEntry struct {
	once   sync.Once
	result Attempt
}

// cached returns the entry of k in one of the verifier's caches, adding it when new; the
// entry's sync.Once then does its work once.
func cached[K comparable, E any](v *verifier, m map[K]*E, k K) *E {
	v.mu.Lock()
	defer v.mu.Unlock()
	e := m[k]
	if e == nil {
		e = new(E)
		m[k] = e
	}
	return e
}

// probe verifies one image; no reason leaves it with a credential's value.
func (v *verifier) probe(ctx context.Context, p Probe) Result {
	res := v.check(ctx, p)
	res.Reason = v.scrub(res.Reason)
	for i := range res.Attempts {
		res.Attempts[i].Reason = v.scrub(res.Attempts[i].Reason)
	}
	return res
}

// check verifies one image.
func (v *verifier) check(ctx context.Context, p Probe) Result {
	res := Result{Reference: p.Image, Used: -1}
	ref, err := v.parse(p.Image)
	if err != nil {
		res.Outcome = RegistryError
		res.Reason = "the image name does not parse: " + firstLine(err.Error())
		return res
	}
	res.Reference = ref.Name()
	res.Registry = ref.Context().RegistryStr()
	reg := v.registry(ctx, ref.Context().Registry)
	if reg.failure != nil {
		res.Outcome, res.Reason = reg.failure.Outcome, reg.failure.Reason
		return res
	}
	if len(p.Credentials) == 0 {
		a := v.attempt(ctx, reg, ref, -1, nil)
		res.Attempts = []Attempt{a}
		res.Outcome = a.Outcome
		return res
	}
	for i := range p.Credentials {
		c := &p.Credentials[i]
		if c.Unavailable != "" {
			res.Attempts = append(res.Attempts, Attempt{Credential: i, Outcome: Unverified, Reason: c.Unavailable})
			continue
		}
		a := v.attempt(ctx, reg, ref, i, c)
		res.Attempts = append(res.Attempts, a)
		if a.Outcome == Verified {
			res.Used = i
			break
		}
	}
	res.Outcome = verdict(res.Attempts)
	switch {
	case reg.challenge.Scheme == "":
		// The registry asks for no authentication at all.
		res.AnonymousWorks = res.Outcome == Verified
	case res.Outcome == Denied && reg.realm != nil:
		// Every credential was refused: would the registry serve the image to anyone?
		a := v.attempt(ctx, reg, ref, -1, nil)
		res.Attempts = append(res.Attempts, a)
		res.AnonymousWorks = a.Outcome == Verified
	}
	return res
}

// verdict is an image's outcome from its attempts: verified when one worked, else the most
// telling failure (a missing image, then an untried credential, then a refusal).
func verdict(attempts []Attempt) Outcome {
	order := []Outcome{Verified, NotFound, Unverified, Denied, RegistryError, Unreachable}
	best := len(order)
	for _, a := range attempts {
		for i, o := range order {
			if a.Outcome == o && i < best {
				best = i
			}
		}
	}
	if best == len(order) {
		return Unverified
	}
	return order[best]
}

// parse parses an image reference the way container runtimes complete it (docker.io,
// library/, :latest), marking the registry insecure when --insecure-registry names it.
func (v *verifier) parse(image string) (name.Reference, error) {
	ref, err := name.ParseReference(image)
	if err != nil {
		return nil, err
	}
	if v.insecure(ref.Context().RegistryStr()) {
		return name.ParseReference(image, name.Insecure)
	}
	return ref, nil
}

// insecure reports whether a registry host may be reached over plain HTTP.
func (v *verifier) insecure(host string) bool {
	for _, h := range v.o.Insecure {
		if h == host || !strings.Contains(h, ":") && strings.Split(host, ":")[0] == h {
			return true
		}
	}
	return false
}

// registry pings a registry once.
func (v *verifier) registry(ctx context.Context, reg name.Registry) *pingEntry {
	e := cached(v, v.pings, reg.RegistryStr())
	e.once.Do(func() {
		e.reg = reg
		v.ping(ctx, e)
	})
	return e
}

// ping is GET /v2/: it finds the scheme and the authentication challenge.
func (v *verifier) ping(ctx context.Context, e *pingEntry) {
	host := e.reg.RegistryStr()
	guarded := &httpsOnly{inner: v.base, allowHTTP: v.insecure(host)}
	ch, err := transport.Ping(ctx, e.reg, guarded)
	if err != nil {
		a := v.failure(err, stepPing, host, "", false)
		e.failure = &a
		return
	}
	e.challenge = ch
	scheme := "https"
	if ch.Insecure {
		scheme = "http"
	}
	e.chain = &schemeFixer{inner: guarded, host: host, scheme: scheme}
	switch strings.ToLower(ch.Scheme) {
	case "", "basic":
	case "bearer":
		u, err := url.Parse(ch.Parameters["realm"])
		if err != nil || u.Host == "" {
			e.failure = &Attempt{Outcome: RegistryError, Reason: "registry " + host + " asks for a Bearer token without a valid realm"}
			return
		}
		e.realm = u
		e.elsewhere = !sameHost(u, host)
	default:
		e.failure = &Attempt{Outcome: RegistryError, Reason: "registry " + host + " asks for authentication scheme " + quoteShort(ch.Scheme) + ", which container runtimes do not speak"}
	}
}

// sameHost tells whether a realm is on the registry's host (default ports aside).
func sameHost(u *url.URL, host string) bool {
	return u.Host == host || u.Port() == "" && u.Hostname() == host ||
		strings.TrimSuffix(u.Host, ":443") == host && u.Scheme == "https"
}

// attempt tries one credential (nil: none) for a reference.
func (v *verifier) attempt(ctx context.Context, reg *pingEntry, ref name.Reference, idx int, c *Credential) Attempt {
	a := Attempt{Credential: idx}
	k := authKey{registry: reg.reg.RegistryStr(), repository: ref.Context().RepositoryStr(), anonymous: c == nil}
	auth := authn.Anonymous
	if c != nil {
		k.user, k.pass = c.Username, c.Password
		auth = &authn.Basic{Username: c.Username, Password: c.Password}
	}
	realmAuth := auth
	k.realmUser, k.realmPass = k.user, k.pass
	if reg.realm != nil && reg.elsewhere {
		a.AuthServer = reg.realm.Host
		if c != nil && c.AuthServer != nil {
			if e, ok := c.AuthServer(reg.realm.Host + reg.realm.Path); ok {
				v.addSecret(e.Username, e.Password)
				a.AuthServerLabel = e.Label
				k.realmUser, k.realmPass = e.Username, e.Password
				realmAuth = &authn.Basic{Username: e.Username, Password: e.Password}
			}
		}
	}
	ae := v.authenticate(ctx, reg, k, ref.Context(), auth, realmAuth)
	if ae.failure != nil {
		f := *ae.failure
		a.Outcome, a.Status, a.Reason = f.Outcome, f.Status, f.Reason
		if f.Outcome == Denied && c != nil && a.AuthServer != "" && a.AuthServerLabel == "" {
			a.Reason += "; the Secret has no entry for the auth server " + a.AuthServer +
				", so the registry's credential was sent there: if it expects another one (delegated authentication), give the Secret an entry for " +
				a.AuthServer + " (authServer: " + a.AuthServer + " in the PullAccess)"
		}
		return a
	}
	h := v.head(ctx, headKey{auth: k, identifier: ref.Identifier()}, ae.rt, ref, c == nil)
	a.Outcome, a.Status, a.Reason = h.Outcome, h.Status, h.Reason
	if h.Outcome == Denied && c != nil && reg.realm != nil && !h.authServer {
		// The auth server gave a token, which the registry refused for this repository.
		a.Reason = "the auth server " + reg.realm.Host + " accepted the credential but registry " + reg.reg.RegistryStr() +
			" refused its token for " + ref.Context().RepositoryStr() + identifierSuffix(ref) + " (" + strconv.Itoa(h.Status) + " " +
			http.StatusText(h.Status) + "): the credential has no pull access to the repository"
	}
	return a
}

// authenticate makes the transport of one authKey once: for a Bearer challenge, it asks
// the realm for a token with scope repository:<path>:pull.
func (v *verifier) authenticate(ctx context.Context, reg *pingEntry, k authKey, repo name.Repository, auth, realmAuth authn.Authenticator) *authEntry {
	e := cached(v, v.auths, k)
	e.once.Do(func() {
		if reg.realm == nil {
			e.rt, _ = transport.FromToken(reg.reg, auth, reg.chain, reg.challenge, nil)
			return
		}
		tok, err := transport.Exchange(ctx, reg.reg, realmAuth, reg.chain, []string{repo.Scope(transport.PullScope)}, reg.challenge)
		if err == nil {
			if tok.Token == "" {
				tok.Token = tok.AccessToken
			}
			e.rt, err = transport.FromToken(reg.reg, realmAuth, reg.chain, reg.challenge, tok)
		}
		if err != nil {
			a := v.failure(err, stepToken, reg.reg.RegistryStr(), repo.RepositoryStr(), k.anonymous)
			e.failure = &a
		}
	})
	return e
}

// head asks for a manifest once per credential and reference.
func (v *verifier) head(ctx context.Context, k headKey, rt http.RoundTripper, ref name.Reference, anonymous bool) Attempt {
	e := cached(v, v.heads, k)
	e.once.Do(func() {
		_, err := remote.Head(ref, remote.WithTransport(rt), remote.WithContext(ctx))
		if err != nil {
			e.result = v.failure(err, stepHead, ref.Context().RegistryStr(), ref.Context().RepositoryStr()+identifierSuffix(ref), anonymous)
			return
		}
		e.result = Attempt{Outcome: Verified, Status: http.StatusOK, Reason: "registry " + ref.Context().RegistryStr() + " served the manifest of " + ref.Context().RepositoryStr() + identifierSuffix(ref)}
	})
	return e.result
}

// identifierSuffix is ":tag" or "@digest".
func identifierSuffix(ref name.Reference) string {
	if _, ok := ref.(name.Digest); ok {
		return "@" + ref.Identifier()
	}
	return ":" + ref.Identifier()
}
