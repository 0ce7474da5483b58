package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Gate is the in-process network boundary: it connects only to the key-service endpoints
// the operator allowed (host and port, as named, before any name resolution) and refuses
// every other connection. Confine installs it under Go's default HTTP transport; key
// libraries that build their own clients get Client or DialContext.
type Gate struct {
	allowed []string // host:port, sorted
	dialer  net.Dialer
}

// NewGate returns a gate to the endpoints named, each HOST[:PORT] (port 443 when absent)
// or a URL (https://HOST[:PORT]/..., its scheme's port when absent).
func NewGate(endpoints []string) (*Gate, error) {
	g := &Gate{dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}}
	for _, e := range endpoints {
		hp, err := ParseEndpoint(e)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(g.allowed, hp) {
			g.allowed = append(g.allowed, hp)
		}
	}
	slices.Sort(g.allowed)
	return g, nil
}

// ParseEndpoint returns the canonical host:port of HOST[:PORT] or of a URL's host.
func ParseEndpoint(e string) (string, error) {
	s := strings.TrimSpace(e)
	port := "443"
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("key-service endpoint %q: not HOST[:PORT] nor a URL", clip(e))
		}
		if u.Scheme == "http" {
			port = "80"
		}
		s = u.Host
	}
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		host, p = strings.Trim(s, "[]"), port
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	n, err := strconv.Atoi(p)
	if host == "" || strings.ContainsAny(host, "/@?# \t") || err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("key-service endpoint %q: not HOST[:PORT] nor a URL", clip(e))
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

// Allows tells whether a connection to address (host:port) may be made.
func (g *Gate) Allows(address string) bool {
	hp, err := ParseEndpoint(address)
	return err == nil && slices.Contains(g.allowed, hp)
}

// ports are the TCP ports of the allowed endpoints, sorted.
func (g *Gate) ports() []uint16 {
	var ports []uint16
	for _, hp := range g.allowed {
		_, p, _ := net.SplitHostPort(hp)
		n, _ := strconv.Atoi(p)
		if !slices.Contains(ports, uint16(n)) {
			ports = append(ports, uint16(n))
		}
	}
	slices.Sort(ports)
	return ports
}

// DialContext connects to address over TCP if the operator allowed it.
func (g *Gate) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, &RefusedError{Address: address, why: "only TCP to key services"}
	}
	if !g.Allows(address) {
		return nil, &RefusedError{Address: address, why: "not a key-service endpoint the operator allowed (--allow-key-host)"}
	}
	return g.dialer.DialContext(ctx, network, address)
}

// RefusedError is the gate's refusal of a connection.
type RefusedError struct {
	// Address is the host:port refused.
	Address string
	why     string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("pullgen sandbox: connection to %q refused: %s", clip(e.Address), e.why)
}

// RefusedEndpoint is the address refused, for errors that explain it (sopsx).
func (e *RefusedError) RefusedEndpoint() string { return clip(e.Address) }

// configure makes t go through the gate: its dialer, no proxy, no custom TLS dialer.
func (g *Gate) configure(t *http.Transport) {
	t.Proxy = nil
	t.OnProxyConnectResponse = nil
	t.Dial = nil //nolint:staticcheck // cleared so that DialContext is the only way out
	t.DialTLS = nil
	t.DialTLSContext = nil
	t.DialContext = g.DialContext
}

// Client returns an HTTP client whose every connection goes through the gate. Its TLS
// roots are the system's and the certificates of extraRoots (PEM), for key services
// behind a private CA (AWS_CA_BUNDLE, VAULT_CACERT).
func (g *Gate) Client(extraRoots ...[]byte) (*http.Client, error) {
	var tlsConfig *tls.Config
	if len(extraRoots) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			return nil, fmt.Errorf("loading the TLS roots: %w", err)
		}
		for _, pem := range extraRoots {
			if !pool.AppendCertsFromPEM(pem) {
				return nil, errors.New("a CA bundle holds no PEM certificate")
			}
		}
		tlsConfig = &tls.Config{RootCAs: pool}
	}
	t := &http.Transport{
		TLSClientConfig:       tlsConfig,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	g.configure(t)
	return &http.Client{Transport: t, Timeout: 60 * time.Second}, nil
}

// clip quotes at most 200 bytes of what came from outside.
func clip(s string) string {
	if len(s) > 200 {
		return s[:197] + "..."
	}
	return s
}
