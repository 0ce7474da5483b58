// Package sealedtest gives the tests of sealed output what they need of sealed-secrets: a
// controller key pair made the way the controller makes its own, and the real kubeseal
// CLI (built into bin/ by make tools) to open what pullgen sealed, as an operator recovers
// a SealedSecret with the controller's private key.
package sealedtest

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	sscrypto "github.com/bitnami/sealed-secrets/pkg/crypto"
)

// repoRoot is the top of pullgen's repository.
var repoRoot = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}()

// Kubeseal returns the path of kubeseal: bin/kubeseal of the repository, else on PATH. It
// skips the test where kubeseal is missing, and fails it in CI (make tools builds it).
func Kubeseal(tb testing.TB) string {
	tb.Helper()
	p := filepath.Join(repoRoot, "bin", "kubeseal")
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p
	}
	if p, err := exec.LookPath("kubeseal"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		tb.Fatal("kubeseal not found (bin/, PATH): make tools builds it")
	}
	tb.Skip("kubeseal not found (bin/, PATH): skipping; make tools builds it")
	return ""
}

// KeyPair is a sealed-secrets controller's key pair.
type KeyPair struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

// controllerKeyPair is made once per test binary: RSA 4096 takes a while.
var controllerKeyPair = sync.OnceValues(func() (KeyPair, error) {
	key, cert, err := sscrypto.GeneratePrivateKeyAndCert(4096, 10*365*24*time.Hour, "sealed-secret")
	return KeyPair{key, cert}, err
})

// ControllerKeyPair is a key pair made with the controller's own code
// (crypto.GeneratePrivateKeyAndCert of sealed-secrets, with the controller's defaults: RSA
// 4096, a self-signed certificate for ten years, common name "sealed-secret"), the same
// for every test of the binary.
func ControllerKeyPair(tb testing.TB) KeyPair {
	tb.Helper()
	kp, err := controllerKeyPair()
	if err != nil {
		tb.Fatal(err)
	}
	return kp
}

// CertPEM is the certificate as `kubeseal --fetch-cert` prints it.
func (k KeyPair) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.Cert.Raw})
}

// KeyPEM is the private key as the controller keeps it in its tls.key.
func (k KeyPair) KeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.Key)})
}

// WriteKey writes the private key into dir and returns the file's path.
func (k KeyPair) WriteKey(tb testing.TB, dir string) string {
	tb.Helper()
	p := filepath.Join(dir, "sealed-secrets-key.pem")
	if err := os.WriteFile(p, k.KeyPEM(), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// Unseal opens a SealedSecret (YAML) with `kubeseal --recovery-unseal
// --recovery-private-key keyFile -o yaml` and returns the Secret it prints, or an error
// with kubeseal's message when it cannot open it.
func Unseal(tb testing.TB, kubeseal, keyFile string, sealed []byte) ([]byte, error) {
	tb.Helper()
	return runKubeseal(tb, sealed, kubeseal, "--recovery-unseal", "--recovery-private-key", keyFile, "-o", "yaml")
}

// Seal seals a Secret (YAML) as users do, with `kubeseal --cert certFile --scope scope -o
// yaml`, and returns the SealedSecret it prints.
func Seal(tb testing.TB, kubeseal, certFile, scope string, secret []byte) []byte {
	tb.Helper()
	out, err := runKubeseal(tb, secret, kubeseal, "--cert", certFile, "--scope", scope, "-o", "yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// runKubeseal runs kubeseal offline: no kubeconfig, a home of its own.
func runKubeseal(tb testing.TB, stdin []byte, kubeseal string, args ...string) ([]byte, error) {
	tb.Helper()
	home := tb.TempDir()
	cmd := exec.Command(kubeseal, args...)
	cmd.Env = []string{"HOME=" + home, "KUBECONFIG=" + filepath.Join(home, "no-kubeconfig"), "PATH=" + os.Getenv("PATH")}
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("kubeseal %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}
