package registrytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Push writes a small random image to ref (host/repository:tag) as user u and returns its
// digest. rt is the transport, nil for the default (a TLS registry needs one that trusts
// its CA: see TrustingTransport).
func Push(tb testing.TB, ref string, u User, rt http.RoundTripper) string {
	tb.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		tb.Fatal(err)
	}
	img, err := random.Image(512, 1)
	if err != nil {
		tb.Fatal(err)
	}
	opts := []remote.Option{remote.WithAuth(&authn.Basic{Username: u.Name, Password: u.Password})}
	if rt != nil {
		opts = append(opts, remote.WithTransport(rt))
	}
	if err := remote.Write(r, img, opts...); err != nil {
		tb.Fatalf("pushing %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		tb.Fatal(err)
	}
	return d.String()
}

// TrustingTransport is a transport that trusts the CA in caFile.
func TrustingTransport(tb testing.TB, caFile string) *http.Transport {
	tb.Helper()
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t
}

// serverCert is a CA and a server certificate it signed, as PEM files.
type serverCert struct {
	caFile, certFile, keyFile string
}

// newServerCert makes a CA and a certificate for 127.0.0.1, localhost and names.
func newServerCert(tb testing.TB, names []string) *serverCert {
	tb.Helper()
	dir := tb.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "registrytest CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "registrytest"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: append([]string{"localhost"}, names...), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	c := &serverCert{caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem")}
	for file, block := range map[string]*pem.Block{
		c.caFile:   {Type: "CERTIFICATE", Bytes: caDER},
		c.certFile: {Type: "CERTIFICATE", Bytes: der},
		c.keyFile:  {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return c
}

// Front is a reverse proxy on loopback in front of a plain-HTTP registry that adds a delay
// to every request and counts the requests, and the most of them in flight at once.
type Front struct {
	// Host is the proxy's host:port.
	Host string

	mu                      sync.Mutex
	requests, inFlight, max int
}

// NewFront starts a Front for the registry at target (host:port) adding delay per request.
func NewFront(tb testing.TB, target string, delay time.Duration) *Front {
	tb.Helper()
	f := &Front{}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64 // keep the connections to the registry open
	proxy.Transport = t
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests++
		f.inFlight++
		f.max = max(f.max, f.inFlight)
		f.mu.Unlock()
		defer func() {
			f.mu.Lock()
			f.inFlight--
			f.mu.Unlock()
		}()
		time.Sleep(delay)
		proxy.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	f.Host = srv.Listener.Addr().String()
	return f
}

// Requests returns the number of requests so far and the most in flight at once.
func (f *Front) Requests() (total, maxInFlight int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests, f.max
}

// ConnectProxy is an HTTPS proxy on loopback (HTTP CONNECT) that connects every tunnel to
// target whatever host it is asked for, and records the hosts asked for.
type ConnectProxy struct {
	// URL is the proxy's URL, for HTTPS_PROXY.
	URL string

	mu    sync.Mutex
	asked []string
}

// NewConnectProxy starts a CONNECT proxy that tunnels to target (host:port).
func NewConnectProxy(tb testing.TB, target string) *ConnectProxy {
	tb.Helper()
	p := &ConnectProxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		p.mu.Lock()
		p.asked = append(p.asked, r.Host)
		p.mu.Unlock()
		up, err := net.Dial("tcp", target)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		hj, ok := w.(http.Hijacker)
		if !ok {
			up.Close()
			http.Error(w, "no hijacking", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		conn, buf, err := hj.Hijack()
		if err != nil {
			up.Close()
			return
		}
		go func() {
			_, _ = io.Copy(up, buf)
			up.Close()
		}()
		_, _ = io.Copy(conn, up)
		conn.Close()
	}))
	tb.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Asked returns the hosts the proxy was asked to connect to.
func (p *ConnectProxy) Asked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...)
}
