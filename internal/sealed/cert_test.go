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
	"strings"
	"testing"
	"time"

	sscrypto "github.com/bitnami/sealed-secrets/pkg/crypto"

	"pullgen.dev/pullgen/internal/sealedtest"
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
