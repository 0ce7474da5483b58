package online

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
)

// userAgent is sent with every request.
const userAgent = "pullgen-check-online"

// limiter bounds the requests in flight and each request's duration. A slot is held from
// the request until its body is closed (or the request fails), and the timeout covers the
// body too.
type limiter struct {
	inner   http.RoundTripper
	slots   chan struct{}
	timeout time.Duration
}

func (l *limiter) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case l.slots <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	ctx, cancel := context.WithTimeout(req.Context(), l.timeout)
	release := sync.OnceFunc(func() {
		cancel()
		<-l.slots
	})
	out := req.Clone(ctx)
	if out.Header.Get("User-Agent") == "" {
		out.Header.Set("User-Agent", userAgent)
	}
	resp, err := l.inner.RoundTrip(out)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// releasingBody releases its request's slot when closed.
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

// errPlainHTTP refuses a plain-HTTP request to a registry not named by --insecure-registry:
// a credential never travels in clear text unless the user said so.
var errPlainHTTP = errors.New("plain HTTP refused")

// httpsOnly refuses plain-HTTP requests unless the registry may be reached over HTTP.
type httpsOnly struct {
	inner     http.RoundTripper
	allowHTTP bool
}

func (g *httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" && !g.allowHTTP {
		return nil, errPlainHTTP
	}
	return g.inner.RoundTrip(req)
}

// schemeFixer sends the requests to the registry host with the scheme its ping succeeded
// with, whatever scheme go-containerregistry guessed from the name (it guesses http for
// loopback and private addresses).
type schemeFixer struct {
	inner  http.RoundTripper
	host   string
	scheme string
}

func (s *schemeFixer) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == s.host && req.URL.Scheme != s.scheme {
		out := req.Clone(req.Context())
		out.URL.Scheme = s.scheme
		return s.inner.RoundTrip(out)
	}
	return s.inner.RoundTrip(req)
}
