package credsource

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// DefaultHelperTimeout bounds one credential helper run when Resolver.HelperTimeout is 0.
const DefaultHelperTimeout = 10 * time.Second

// Resolver resolves credential sources relative to BaseDir (the spec's directory).
// The zero value reads the process environment and files relative to the working
// directory, and runs no credential helper.
type Resolver struct {
	// BaseDir is the directory that relative file names are joined with.
	BaseDir string
	// LookupEnv reads an environment variable; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// ReadFile reads a file named by a spec (absolute path after joining with BaseDir);
	// nil means os.ReadFile. Callers use it to confine reads to a root (Argo CD sandbox).
	ReadFile func(path string) ([]byte, error)
	// Decrypt opens what ReadFile read when it is SOPS-encrypted, and returns it unchanged
	// when it is not; nil leaves every file as it is. It is the one place decrypted content
	// enters a resolution, so that its caller can tell where the content may go (render
	// binds it to the file's scope).
	Decrypt func(path string, data []byte) ([]byte, error)
	// AllowHelpers false forbids credential helpers even where the spec asks (render sandbox).
	AllowHelpers bool
	// KeysOnly lists the registries of a credential store without asking it: their entries
	// carry a placeholder credential and no helper runs (the pull check needs keys only).
	KeysOnly bool
	// HelperTimeout bounds one docker-credential-<name> run; 0 means DefaultHelperTimeout.
	HelperTimeout time.Duration
	// LookPath finds docker-credential-<name>; nil means exec.LookPath.
	LookPath func(string) (string, error)
	// Numbers reads a number at a key of a YAML or JSON file as its text, for values that
	// are not credentials (an expiry in Unix seconds); credentials must be strings.
	Numbers bool
}

func (r *Resolver) lookupEnv(name string) (string, bool) {
	if r.LookupEnv != nil {
		return r.LookupEnv(name)
	}
	return os.LookupEnv(name)
}

// readFile reads name (as written in the spec) after joining it with BaseDir, and
// decrypts it when it is SOPS-encrypted. The error names the file as written.
func (r *Resolver) readFile(name string) ([]byte, error) {
	read := r.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	p := r.path(name)
	data, err := read(p)
	if err == nil && r.Decrypt != nil {
		data, err = r.Decrypt(p, data)
	}
	if err != nil {
		// The spec's own name for the file is clearer than the joined path; keep the cause.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return data, nil
}

// path is name joined with BaseDir, made absolute.
func (r *Resolver) path(name string) string {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.BaseDir, p)
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return p
}

func (r *Resolver) lookPath(file string) (string, error) {
	if r.LookPath != nil {
		return r.LookPath(file)
	}
	return exec.LookPath(file)
}

func (r *Resolver) helperTimeout() time.Duration {
	if r.HelperTimeout > 0 {
		return r.HelperTimeout
	}
	return DefaultHelperTimeout
}
