package online

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// step is a step of the flow.
type step int

const (
	stepPing  step = iota // GET /v2/
	stepToken             // GET <realm>?service=…&scope=repository:<path>:pull
	stepHead              // HEAD /v2/<path>/manifests/<tag or digest>
)

// failure turns an error of a step into an attempt's outcome, status and reason. Reasons
// are composed from the error's type and status, never from response bodies; what is left
// of an unknown error is its first line, shortened, without its URL (probe scrubs every
// reason of the credentials' values).
// registry is the registry host; what is the repository (stepToken) or the repository and
// tag or digest (stepHead).
func (v *verifier) failure(err error, s step, registry, what string, anonymous bool) Attempt {
	var te *transport.Error
	if errors.As(err, &te) {
		host := registry
		if te.Request != nil && te.Request.URL != nil {
			host = te.Request.URL.Host
		}
		authServer := s == stepToken || host != registry
		return statusFailure(te.StatusCode, s, authServer, host, what, anonymous)
	}
	if reason, ok := networkReason(err, registry, v.insecure(registry), v.o.Timeout); ok {
		who := "registry " + registry
		if s == stepToken {
			who = "the auth server of registry " + registry
		}
		return Attempt{Outcome: Unreachable, Reason: who + " is unreachable: " + reason}
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // without the URL
	}
	msg := firstLine(err.Error())
	switch {
	case s == stepToken && strings.Contains(msg, "realm"):
		return Attempt{Outcome: RegistryError, Reason: "the token realm of registry " + registry + " is refused: " + msg}
	case s == stepToken:
		return Attempt{Outcome: RegistryError, Reason: "the token of registry " + registry + " could not be had: " + msg}
	case s == stepHead:
		return Attempt{Outcome: RegistryError, Reason: "registry " + registry + " answered HEAD of the manifest of " + what + " wrongly: " + msg}
	}
	return Attempt{Outcome: RegistryError, Reason: "registry " + registry + " did not answer GET /v2/ as a registry: " + msg}
}

// statusFailure describes an HTTP status of a step.
func statusFailure(status int, s step, authServer bool, host, what string, anonymous bool) Attempt {
	st := strconv.Itoa(status) + " " + http.StatusText(status)
	a := Attempt{Status: status, authServer: authServer}
	switch {
	case s == stepPing:
		a.Outcome, a.Reason = RegistryError, "registry "+host+" answered GET /v2/ with "+st+": not a registry API v2 endpoint, or failing"
	case authServer && (status == http.StatusUnauthorized || status == http.StatusForbidden):
		a.Outcome = Denied
		switch {
		case anonymous:
			a.Reason = "the auth server " + host + " gives no anonymous token (" + st + "): the registry requires a credential"
		case status == http.StatusUnauthorized:
			a.Reason = "the auth server " + host + " refused the credential (" + st + ")"
		default:
			a.Reason = "the auth server " + host + " denied pull access to " + what + " (" + st + ")"
		}
	case authServer:
		a.Outcome, a.Reason = RegistryError, "the auth server "+host+" answered "+st
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		a.Outcome = Denied
		switch {
		case anonymous:
			a.Reason = "registry " + host + " requires a credential for " + what + " (" + st + ")"
		case status == http.StatusUnauthorized:
			a.Reason = "registry " + host + " refused the credential for " + what + " (" + st + "): it is wrong, revoked or expired, or has no pull access to the repository"
		default:
			a.Reason = "registry " + host + " denied pull access to " + what + " (" + st + ")"
		}
	case status == http.StatusNotFound:
		a.Outcome, a.Reason = NotFound, "registry "+host+" has no manifest "+what+" ("+st+"): the repository, tag or digest does not exist"
	case status == http.StatusTooManyRequests:
		a.Outcome, a.Reason = RegistryError, "registry "+host+" rate-limits the requests ("+st+")"
	default:
		a.Outcome, a.Reason = RegistryError, "registry "+host+" answered HEAD of the manifest of "+what+" with "+st
	}
	return a
}

// networkReason describes an error that got no HTTP answer: TLS, refused, unresolved,
// timed out, plain HTTP refused. A ping tries HTTPS, then plain HTTP when the registry is
// on loopback or insecure: a plain-HTTP answer to HTTPS explains the failure only when
// plain HTTP is not allowed.
func networkReason(err error, registry string, insecure bool, timeout time.Duration) (string, bool) {
	var (
		unknownCA   x509.UnknownAuthorityError
		hostname    x509.HostnameError
		invalid     x509.CertificateInvalidError
		verify      *tls.CertificateVerificationError
		record      tls.RecordHeaderError
		alert       tls.AlertError
		dnsErr      *net.DNSError
		opErr       *net.OpError
		netErr      net.Error
		systemRoots x509.SystemRootsError
	)
	switch {
	case !insecure && (errors.As(err, &record) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")):
		return "it speaks plain HTTP, not TLS (allow plain HTTP with --insecure-registry " + registry + ")", true
	case errors.As(err, &unknownCA):
		return "TLS: the certificate is signed by an unknown authority", true
	case errors.As(err, &hostname):
		return "TLS: " + hostname.Error(), true
	case errors.As(err, &invalid):
		return "TLS: " + invalid.Error(), true
	case errors.As(err, &systemRoots):
		return "TLS: no system certificate roots", true
	case errors.As(err, &verify):
		return "TLS: " + firstLine(verify.Error()), true
	case errors.As(err, &alert):
		return "TLS: the server sent alert " + alert.Error(), true
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return "no answer within " + timeout.String(), true
	case errors.As(err, &dnsErr):
		return "host " + dnsErr.Name + " not found", true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset", true
	case errors.As(err, &opErr):
		if opErr.Op == "proxyconnect" {
			return "the proxy is unreachable: " + firstLine(opErr.Err.Error()), true
		}
		return opErr.Op + ": " + firstLine(opErr.Err.Error()), true
	case strings.Contains(err.Error(), "tls: "):
		return "TLS handshake failed", true
	case errors.Is(err, errPlainHTTP):
		return "plain HTTP is refused without --insecure-registry " + registry, true
	}
	return "", false
}

// firstLine keeps the first line of a message, at most 200 characters.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// quoteShort quotes a server-chosen word for a message.
func quoteShort(s string) string {
	return fmt.Sprintf("%q", firstLine(s))
}
