// Package online verifies image pull credentials against the registries themselves, before
// anything is deployed: for each image it follows the Docker Registry HTTP API v2 flow a
// container runtime follows (GET /v2/; on a 401, Basic authentication with the credential
// or a Bearer token from the challenge's realm; then HEAD of the manifest by tag or
// digest, accepting OCI and Docker v2 manifests and indexes), trying the credentials in the
// order the kubelet tries them, and says which one worked or why none did.
//
// The HTTP flow is go-containerregistry's (pkg/v1/remote and its transport), assembled step
// by step so that each step is asked once per registry (the ping), per registry, credential
// and repository (the token) and per credential and reference (the HEAD), and so that a
// token realm on another host receives the credential the same Secret holds for that host.
//
// Nothing in this package prints or logs a credential: reasons are composed from status
// codes, error types and names (hosts, repositories, labels), and every reason is scrubbed
// of the credentials' values before it leaves the package.
package online

import (
	"context"
	"net/http"
	"runtime"
	"sync"
	"time"
)

// Outcome is what a registry said about an image with one credential, or about the image.
type Outcome string

// Outcomes, from the best to the worst news.
const (
	// Verified: the registry served the manifest.
	Verified Outcome = "verified"
	// NotFound: the credential was accepted but the repository, tag or digest does not
	// exist (404).
	NotFound Outcome = "not-found"
	// Unverified: the credential could not be tried (its values are unknown).
	Unverified Outcome = "unverified"
	// Denied: the registry or its auth server refused the credential, or the credential has
	// no pull access to the repository (401, 403).
	Denied Outcome = "denied"
	// RegistryError: the registry answered, but not as the API says (5xx, 429, a bad
	// challenge or realm, a manifest without its headers).
	RegistryError Outcome = "registry-error"
	// Unreachable: no answer (connection refused, DNS, timeout, TLS, plain HTTP refused).
	Unreachable Outcome = "unreachable"
)

// Credential is one credential the kubelet would send for an image.
type Credential struct {
	// Label names the credential in reasons (a Secret and its registry key), never a value.
	Label string
	// Username and Password are the credential's values.
	Username, Password string
	// Unavailable, when not empty, says why the values are unknown (an encrypted Secret
	// without its key): the credential is not tried, and the image is not declared broken
	// on its account.
	Unavailable string
	// AuthServer returns the entry the same Secret holds for a token realm on another host
	// than the registry (given as host[:port]/path), if any: container runtimes send that
	// host's credential to the auth server (delegated authentication). Without one, the
	// credential itself is sent, as go-containerregistry, containerd and docker do.
	AuthServer func(realm string) (AuthEntry, bool)
}

// AuthEntry is a Secret's entry for an auth server.
type AuthEntry struct {
	Label, Username, Password string
}

// Probe is one image to verify with the credentials the kubelet would try, in its order;
// none means an anonymous pull.
type Probe struct {
	Image       string
	Credentials []Credential
}

// Attempt is one try of a credential (or of none) against the registry.
type Attempt struct {
	// Credential is the index in Probe.Credentials, -1 for an anonymous attempt.
	Credential int
	// AuthServer is the host of the token realm, when the registry delegates
	// authentication to another host.
	AuthServer string
	// AuthServerLabel names the Secret entry sent to that auth server, when it is not the
	// credential tried.
	AuthServerLabel string
	// Outcome is what happened.
	Outcome Outcome
	// Status is the HTTP status that decided, 0 when none did.
	Status int
	// Reason says what happened, naming hosts, repositories and labels, never a value.
	Reason string

	// authServer tells that the auth server (not the registry) gave the status.
	authServer bool
}

// Result is the verdict for one probe.
type Result struct {
	// Reference is the reference asked for (registry/repository:tag or @digest), or the
	// image as written when it does not parse.
	Reference string
	// Registry is the registry host.
	Registry string
	// Outcome is the verdict: Verified when a credential (or, for an anonymous pull, none)
	// worked; otherwise the most telling outcome of the attempts.
	Outcome Outcome
	// Used is the index of the credential that worked, -1 when none did or the pull is
	// anonymous.
	Used int
	// AnonymousWorks reports that the registry serves the image to anyone although the
	// pod pulls it with a credential: known when the registry asks for no authentication,
	// and checked when every credential was refused by a token-authenticated registry.
	AnonymousWorks bool
	// Reason says why no credential could be tried (the registry is unreachable or its
	// ping failed), or "".
	Reason string
	// Attempts are the tries, in order: the credentials in the kubelet's order up to the
	// first that worked, then an anonymous one when it was made.
	Attempts []Attempt
}

// Options tune a verification.
type Options struct {
	// Concurrency is the most requests in flight at once; default 8.
	Concurrency int
	// Timeout bounds each request (connection, TLS, answer and body); default 10s.
	Timeout time.Duration
	// Insecure are the registries (host[:port]; a host alone matches every port) that may
	// be reached over plain HTTP. Every other registry is reached over HTTPS only.
	Insecure []string
	// Transport is the base transport; default http.DefaultTransport's settings with
	// http.ProxyFromEnvironment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
	Transport http.RoundTripper
}

// Default option values.
const (
	DefaultConcurrency = 8
	DefaultTimeout     = 10 * time.Second
)

// Verify checks every probe and returns one result per probe, in order. Each registry is
// pinged once, each (registry, credential, repository) authenticates once and each
// (credential, reference) is asked once, however many probes share them.
func Verify(ctx context.Context, probes []Probe, o Options) []Result {
	v := newVerifier(o, probes)
	// Ping every registry at once first, so that no worker waits for a ping later.
	var pings sync.WaitGroup
	seen := map[string]bool{}
	for _, p := range probes {
		if ref, err := v.parse(p.Image); err == nil && !seen[ref.Context().RegistryStr()] {
			seen[ref.Context().RegistryStr()] = true
			pings.Go(func() { v.registry(ctx, ref.Context().Registry) })
		}
	}
	pings.Wait()
	results := make([]Result, len(probes))
	work := make(chan int)
	var wg sync.WaitGroup
	// Workers wait on shared tokens and HEADs without holding a request slot: twice as
	// many workers as slots keeps the slots busy.
	for range min(len(probes), 2*v.o.Concurrency) {
		wg.Go(func() {
			for i := range work {
				results[i] = v.probe(ctx, probes[i])
			}
		})
	}
	for i := range probes {
		work <- i
	}
	close(work)
	wg.Wait()
	return results
}

// normalizeOptions fills in the defaults.
func normalizeOptions(o Options) Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = http.ProxyFromEnvironment
		t.MaxIdleConnsPerHost = max(o.Concurrency, runtime.GOMAXPROCS(0))
		o.Transport = t
	}
	return o
}
