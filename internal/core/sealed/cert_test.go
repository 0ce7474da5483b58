package sealed

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sscrypto "github.com/bitnami/sealed-secrets/pkg/crypto"

	"pullgen.dev/pullgen/internal/core/credsource"
	"pullgen.dev/pullgen/internal/testsupport/sealedtest"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

func TestParseCertificate(t *testing.T) {
	kp := sealedtest.ControllerKeyPair(t)
	key, good := kp.Key, kp.Cert
	now := time.Now()

	expired, err := sscrypto.SignKeyWithNotBefore(rand.Reader, key, now.Add(-48*time.Hour), 24*time.Hour, "sealed-secret")
	if err != nil {
		t.Fatal(err)
	}
	shortKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	short, err := sscrypto.SignKey(rand.Reader, shortKey, time.Hour, "sealed-secret")
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sealed-secret"}, NotBefore: now, NotAfter: now.Add(time.Hour)}
	ecDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ecKey.PublicKey, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }

	tests := []struct {
		name string
		pem  []byte
		want string // error substring; "" for success
	}{
		{"the controller's certificate", certPEM(good), ""},
		{"first certificate of several, as kubeseal", append(certPEM(good), certPEM(expired)...), ""},
		{"expired", certPEM(expired), "the certificate expired on " + expired.NotAfter.UTC().Format(time.RFC3339)},
		{"RSA key under 2048 bits", certPEM(short), "RSA key has 1024 bits, fewer than 2048"},
		{"not RSA", pemOf("CERTIFICATE", ecDER), "the certificate's key is ECDSA, not RSA"},
		{"PKCS#1 private key", kp.KeyPEM(), "it holds a private key"},
		{"PKCS#8 private key", pemOf("PRIVATE KEY", pkcs8), "it holds a private key"},
		{"certificate with its private key", append(certPEM(good), kp.KeyPEM()...), "it holds a private key"},
		{"public key, not a certificate", pemOf("PUBLIC KEY", pub), "it is not a PEM certificate"},
		{"not PEM", []byte("hello: world\n"), "it is not a PEM certificate"},
		{"empty", nil, "it is not a PEM certificate"},
		{"damaged certificate", pemOf("CERTIFICATE", good.Raw[:100]), "parsing the certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCertificate(tc.pem, now)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("ParseCertificate: %v", err)
				}
				fp, _ := sscrypto.PublicKeyFingerprint(&key.PublicKey)
				if c.Fingerprint != fp || !c.NotAfter.Equal(good.NotAfter) {
					t.Errorf("got fingerprint %s, expiry %s; want %s, %s", c.Fingerprint, c.NotAfter, fp, good.NotAfter)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseCertificate: error %v, want one containing %q", err, tc.want)
			}
			for _, line := range strings.Split(string(tc.pem), "\n") {
				if len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(err.Error(), line) {
					t.Errorf("the error quotes the input: %v", err)
				}
			}
		})
	}
}

// TestReadCertificate reads the certificate from a file, from a key of a YAML file and from
// the environment, as credential sources are read; a source that holds something else is
// named in the error.
func TestReadCertificate(t *testing.T) {
	dir := t.TempDir()
	kp := sealedtest.ControllerKeyPair(t)
	writeTestFile(t, filepath.Join(dir, "cert.pem"), kp.CertPEM())
	writeTestFile(t, filepath.Join(dir, "cluster.yaml"), []byte("sealedSecrets:\n  cert: |\n"+indent(string(kp.CertPEM()), "    ")))
	writeTestFile(t, filepath.Join(dir, "key.pem"), kp.KeyPEM())
	env := map[string]string{"CERT": string(kp.CertPEM()), "NOT_A_CERT": "hello"}
	r := &credsource.Resolver{BaseDir: dir, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	tests := []struct {
		src  v1alpha1.Source
		want string
	}{
		{v1alpha1.Source{File: "cert.pem"}, ""},
		{v1alpha1.Source{File: "cluster.yaml", Key: "sealedSecrets.cert"}, ""},
		{v1alpha1.Source{Env: "CERT"}, ""},
		{v1alpha1.Source{File: "key.pem"}, "reading the controller's certificate from key.pem: it holds a private key"},
		{v1alpha1.Source{File: "cluster.yaml", Key: "sealedSecrets"}, "reading cluster.yaml"},
		{v1alpha1.Source{Env: "NOT_A_CERT"}, "reading the controller's certificate from environment variable NOT_A_CERT: it is not a PEM certificate"},
		{v1alpha1.Source{File: "missing.pem"}, "reading missing.pem"},
	}
	for _, tc := range tests {
		t.Run(tc.src.File+tc.src.Env, func(t *testing.T) {
			c, err := ReadCertificate(r.Value, tc.src, time.Now())
			if tc.want == "" {
				if err != nil || !c.NotAfter.Equal(kp.Cert.NotAfter) {
					t.Fatalf("ReadCertificate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ReadCertificate: error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+by) + "\n"
}
