package sopsx

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	fage "filippo.io/age"
	goyaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ageKey is an age identity generated for a test: the identity file and its recipient.
type ageKey struct {
	file      string
	recipient string
}

// newAgeKey generates an age key with age-keygen (with the age library when the tool is
// not installed) into a file of dir.
func newAgeKey(t testing.TB, dir, name string) ageKey {
	t.Helper()
	file := filepath.Join(dir, name+".txt")
	if bin, err := exec.LookPath("age-keygen"); err == nil {
		out, err := exec.Command(bin, "-o", file).CombinedOutput()
		if err != nil {
			t.Fatalf("age-keygen: %v: %s", err, out)
		}
		pub, err := exec.Command(bin, "-y", file).Output()
		if err != nil {
			t.Fatalf("age-keygen -y: %v", err)
		}
		return ageKey{file: file, recipient: strings.TrimSpace(string(pub))}
	}
	id, err := fage.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return ageKey{file: file, recipient: id.Recipient().String()}
}

// isolateKeys clears every place sops looks for keys, so that a test decides which key is
// at hand: HOME and XDG_CONFIG_HOME point to an empty directory, the SOPS_* variables are
// unset, and GNUPGHOME points to an empty directory unless gnupgHome is given.
func isolateKeys(t *testing.T, gnupgHome string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, v := range []string{"SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE", "SOPS_AGE_SSH_PRIVATE_KEY_CMD", "SOPS_PGP_FP", "SOPS_AGE_RECIPIENTS", "SOPS_DECRYPTION_ORDER"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	if gnupgHome == "" {
		gnupgHome = shortTempDir(t, "gnupg")
	}
	t.Setenv("GNUPGHOME", gnupgHome)
}

// shortTempDir is a temporary directory with a short path (gpg-agent's socket path has a
// length limit that t.TempDir can exceed).
func shortTempDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// pgpKey is a PGP key generated for a test in its own GNUPGHOME.
type pgpKey struct {
	home        string
	fingerprint string
}

var gpgMu sync.Mutex

// newPGPKey generates a PGP key without passphrase in a new GNUPGHOME, or skips the test
// with the reason when gpg cannot.
func newPGPKey(t *testing.T) pgpKey {
	t.Helper()
	gpgMu.Lock()
	defer gpgMu.Unlock()
	bin, err := exec.LookPath("gpg")
	if err != nil {
		skipOrFail(t, "gpg is not installed: PGP tests skipped")
	}
	home := shortTempDir(t, "gpg")
	env := append(os.Environ(), "GNUPGHOME="+home)
	cmd := exec.Command(bin, "--batch", "--passphrase", "", "--quick-gen-key", "pullgen test <test@pullgen.invalid>", "default", "default", "never")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		skipOrFail(t, "gpg cannot make a key here, PGP tests skipped: "+err.Error()+": "+string(out))
	}
	t.Cleanup(func() {
		kill := exec.Command("gpgconf", "--kill", "gpg-agent")
		kill.Env = env
		_ = kill.Run()
	})
	cmd = exec.Command(bin, "--batch", "--with-colons", "--list-secret-keys")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gpg --list-secret-keys: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "fpr:") {
			f := strings.Split(line, ":")
			if len(f) > 9 && f[9] != "" {
				return pgpKey{home: home, fingerprint: f[9]}
			}
		}
	}
	t.Fatalf("no fingerprint in gpg output")
	return pgpKey{}
}

// skipOrFail skips a test for a missing tool, or fails it in CI (CI set).
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set: the tools must be there)")
	}
	t.Skip(msg)
}

// sopsCLI returns the real sops binary: ../../../bin/sops, else sops on PATH.
func sopsCLI(t *testing.T) string {
	t.Helper()
	if abs, err := filepath.Abs(filepath.Join("..", "..", "..", "bin", "sops")); err == nil {
		if st, err := os.Stat(abs); err == nil && !st.IsDir() {
			return abs
		}
	}
	if p, err := exec.LookPath("sops"); err == nil {
		return p
	}
	skipOrFail(t, "the sops CLI is not in ../../../bin/sops nor on PATH (build it: GOBIN=$PWD/bin go install github.com/getsops/sops/v3/cmd/sops@v3.13.3)")
	return ""
}

// runSops runs the sops CLI in dir with the test's environment, and returns stdout.
func runSops(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	out, stderr, err := runSopsErr(t, dir, args...)
	if err != nil {
		t.Fatalf("sops %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

func runSopsErr(t *testing.T, dir string, args ...string) ([]byte, string, error) {
	t.Helper()
	cmd := exec.Command(sopsCLI(t), args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.Bytes(), stderr.String(), err
}

// decode parses YAML (or JSON) into plain Go values, for comparing meanings.
func decode(t *testing.T, data []byte) interface{} {
	t.Helper()
	var v interface{}
	if err := goyaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("parsing YAML: %v\n%s", err, data)
	}
	return v
}

func sameYAML(t *testing.T, got, want []byte) {
	t.Helper()
	if g, w := decode(t, got), decode(t, want); !reflect.DeepEqual(g, w) {
		t.Fatalf("documents differ\n--- got\n%s\n--- want\n%s", got, want)
	}
}

// topKeys lists the top-level keys of a mapping object, in order.
func topKeys(rn *yaml.RNode) []string {
	var keys []string
	c := rn.YNode().Content
	for i := 0; i+1 < len(c); i += 2 {
		keys = append(keys, c[i].Value)
	}
	return keys
}

func mustParse(t testing.TB, s string) *yaml.RNode {
	t.Helper()
	rn, err := yaml.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return rn
}

func mustString(t testing.TB, rn *yaml.RNode) string {
	t.Helper()
	s, err := rn.String()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// noLeak fails when text holds any of the secrets.
func noLeak(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Fatalf("%s leaks a secret value: %q", where, text)
		}
	}
}
