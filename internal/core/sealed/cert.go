package sealed

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	sscrypto "github.com/bitnami/sealed-secrets/pkg/crypto"

	"pullgen.dev/pullgen/schema/v1alpha1"
)

// MinKeyBits is the smallest RSA key accepted for sealing. The controller makes 4096-bit
// keys; anything under 2048 bits is too weak to protect a credential kept in git for years.
const MinKeyBits = 2048

// Certificate is a sealed-secrets controller's public certificate, checked for sealing.
type Certificate struct {
	key *rsa.PublicKey
	// keyID is the SHA-256 of the public key (PKIX DER): what derived randomness is bound to.
	keyID [sha256.Size]byte
	// NotAfter is when the certificate expires: from then on pullgen refuses to seal with
	// it, as kubeseal does. What was sealed still opens; rotating a credential needs a
	// current certificate.
	NotAfter time.Time
	// Fingerprint names the key as the controller and kubeseal do (SHA256:… of its SSH form).
	Fingerprint string
}

// ParseCertificate reads the controller's certificate from PEM (what `kubeseal
// --fetch-cert` prints) and checks it for sealing at time now: a certificate, not a key or
// anything else; an RSA key of at least MinKeyBits; not expired. Like kubeseal it takes the
// first certificate of the PEM. A PEM that holds a private key is refused outright: the
// controller's private key must never sit beside the specs. Errors never quote the input.
func ParseCertificate(data []byte, now time.Time) (*Certificate, error) {
	var der []byte
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if strings.Contains(block.Type, "PRIVATE KEY") {
			return nil, errors.New("it holds a private key: give the controller's public certificate (kubeseal --fetch-cert prints it), and never commit the controller's private key")
		}
		if block.Type == "CERTIFICATE" && der == nil {
			der = block.Bytes
		}
	}
	if der == nil {
		return nil, errors.New("it is not a PEM certificate (-----BEGIN CERTIFICATE-----); kubeseal --fetch-cert prints the controller's")
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing the certificate: %w", err)
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the certificate's key is %s, not RSA: sealed-secrets seals with RSA-OAEP", cert.PublicKeyAlgorithm)
	}
	if bits := key.N.BitLen(); bits < MinKeyBits {
		return nil, fmt.Errorf("the certificate's RSA key has %d bits, fewer than %d", bits, MinKeyBits)
	}
	if now.After(cert.NotAfter) {
		return nil, fmt.Errorf("the certificate expired on %s: fetch the controller's current one (kubeseal --fetch-cert)", cert.NotAfter.UTC().Format(time.RFC3339))
	}
	fp, err := sscrypto.PublicKeyFingerprint(key)
	if err != nil {
		return nil, fmt.Errorf("fingerprinting the certificate's key: %w", err)
	}
	pkix, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding the certificate's key: %w", err)
	}
	return &Certificate{key: key, keyID: sha256.Sum256(pkix), NotAfter: cert.NotAfter, Fingerprint: fp}, nil
}

// ReadCertificate reads the controller's certificate from a source, the way pullgen reads
// its credential sources (resolve: a file relative to the spec's directory, an environment
// variable, optionally a key of a structured file), and checks it with ParseCertificate.
// Errors name the source.
func ReadCertificate(resolve func(v1alpha1.Source) (string, error), src v1alpha1.Source, now time.Time) (*Certificate, error) {
	text, err := resolve(src)
	if err != nil {
		return nil, err
	}
	c, err := ParseCertificate([]byte(text), now)
	if err != nil {
		what := "environment variable " + src.Env
		if src.File != "" {
			what = src.File
			if src.Key != "" {
				what += ", key " + src.Key
			}
		}
		return nil, fmt.Errorf("reading the controller's certificate from %s: %w", what, err)
	}
	return c, nil
}
