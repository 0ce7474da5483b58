// Package sandbox confines the pullgen process before it reads a repository it does not
// trust (pullgen render and discover, in the Argo CD repo server): no program can run, no
// file outside the repository root can be read, nothing can be written, and no network
// connection can be made except to the key services the operator allowed.
//
// Confine does it in two layers. In process, for every kernel: the environment that
// would make a library run a program is cleared (PATH first), and Go's default HTTP
// transport and client connect only through a Gate to the allowed endpoints. In the
// kernel, where it offers them: a Landlock domain (read-only access beneath the
// repository root and the few files the allowed key services need, no execute, no write,
// TCP connect only to the allowed ports, no IPC out of the domain) and a seccomp filter
// that makes execve and execveat fail with EPERM (and, when no key service is allowed,
// every IPv4 and IPv6 socket). Both apply to every thread of the process. Where the
// kernel lacks them, Confine writes one warning line and the in-process layer remains.
//
// Everything the process needs from outside the root (the decryption keys, TLS roots)
// must be read before Confine. The package decides nothing about keys or repositories: it
// must not read either, and it cannot be undone once applied.
package sandbox

import (
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
)

// KernelEnv is the environment variable that, set to "off", skips the kernel layer
// (Landlock and seccomp), as on a kernel without them; the in-process layer stays. For
// tests and for diagnosing a kernel that refuses the confinement.
const KernelEnv = "PULLGEN_KERNEL_SANDBOX"

// Policy is what a confined process may still do.
type Policy struct {
	// ReadDirs are the directories the process may read beneath: the repository root.
	ReadDirs []string
	// ReadFiles are single files it may read (missing ones are ignored): credential
	// files that key-service libraries read when they decrypt.
	ReadFiles []string
	// Gate holds the key-service endpoints it may connect to; nil allows none.
	Gate *Gate
	// Warn receives the warning line when the kernel cannot confine.
	Warn io.Writer
}

// Report says what Confine enforced.
type Report struct {
	// LandlockABI is the Landlock ABI version enforced; 0 when none.
	LandlockABI int
	// Seccomp tells whether the seccomp filter is loaded.
	Seccomp bool
	// Warning is the line written to Policy.Warn, if any.
	Warning string
}

// resolverFiles are what Go's own DNS resolver reads, when a key service is allowed.
var resolverFiles = []string{"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf"}

// Confine applies p to the whole process, for the rest of its life. It fails only when
// the policy is invalid or the kernel refuses a confinement it offers; a kernel without
// Landlock or seccomp gives a warning instead.
func Confine(p Policy) (Report, error) {
	gate := p.Gate
	if gate == nil {
		gate = &Gate{}
	}
	for _, d := range p.ReadDirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return Report{}, fmt.Errorf("confining to %s: not a directory", d)
		}
	}
	files := slices.Clone(p.ReadFiles)
	if len(gate.allowed) > 0 {
		// Read now what reaching a key service needs: the TLS roots are loaded once per
		// process; the resolver re-reads its files, so they stay readable.
		if _, err := x509.SystemCertPool(); err != nil {
			return Report{}, fmt.Errorf("loading the TLS roots: %w", err)
		}
		net.DefaultResolver.PreferGo = true
		files = append(files, resolverFiles...)
	}
	installGate(gate)
	clearProgramEnv()
	if strings.EqualFold(os.Getenv(KernelEnv), "off") {
		return warn(p.Warn, Report{}, KernelEnv+"=off")
	}
	var r Report
	var err error
	if r.LandlockABI, err = landlockRestrict(p.ReadDirs, files, gate.ports()); err != nil {
		return Report{}, fmt.Errorf("confining with Landlock: %w", err)
	}
	noSockets := len(gate.allowed) == 0
	if r.Seccomp, err = seccompRestrict(noSockets); err != nil {
		return Report{}, fmt.Errorf("confining with seccomp: %w", err)
	}
	var missing []string
	switch {
	case r.LandlockABI == 0:
		missing = append(missing, "no Landlock")
	case r.LandlockABI < 4 && !(noSockets && r.Seccomp): // seccomp then refuses every socket
		missing = append(missing, fmt.Sprintf("Landlock ABI %d, without network rules", r.LandlockABI))
	}
	if !r.Seccomp {
		missing = append(missing, "no seccomp")
	}
	if len(missing) > 0 {
		return warn(p.Warn, r, "the kernel offers "+strings.Join(missing, ", "))
	}
	return r, nil
}

func warn(w io.Writer, r Report, why string) (Report, error) {
	r.Warning = "pullgen: warning: kernel confinement incomplete (" + why + "): continuing with in-process checks only"
	if w != nil {
		fmt.Fprintln(w, r.Warning)
	}
	return r, nil
}

// installGate makes Go's default HTTP transport, and every client and transport derived
// from it before or after (http.DefaultClient, clones), connect through gate only.
func installGate(gate *Gate) {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		t = &http.Transport{}
		http.DefaultTransport = t
	}
	gate.configure(t)
	t.CloseIdleConnections()
	http.DefaultClient.Transport = nil // nil is http.DefaultTransport
}

// programEnv are variables that make a library run a program or talk to a local agent;
// proxies are dropped too, as the gate connects directly.
var programEnv = []string{
	"PATH", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_CMD", "SOPS_GPG_EXEC", "GNUPGHOME",
	"GPG_AGENT_INFO", "SSH_AUTH_SOCK", "SSH_ASKPASS", "KUSTOMIZE_PLUGIN_HOME",
	"GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES", "BROWSER", "EDITOR", "VISUAL", "PAGER", "SHELL",
	"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy",
}

// clearProgramEnv unsets programEnv and every GIT_* variable.
func clearProgramEnv() {
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "GIT_") {
			os.Unsetenv(name)
		}
	}
	for _, name := range programEnv {
		os.Unsetenv(name)
	}
}
