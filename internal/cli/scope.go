package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/credsource"
	"pullgen.dev/pullgen/internal/core/scope"
	"pullgen.dev/pullgen/internal/core/sopsx"
)

const scopeUsage = `Usage: pullgen scope [--namespace NS]... [--any] FILE...

Shows or sets where the values of SOPS-encrypted credential files may go when pullgen
render decrypts them in Argo CD. With no flag it prints each file's scope; with
--namespace (repeatable) or --any it writes the scope into each file, among the values
the file's MAC covers, with the key at hand (as sops edit would: the sops CLI still
decrypts the file). A Secret's scope is its metadata.namespace and needs no marker.
Files are all rewritten or none is.

Flags:
`

// runScope is `pullgen scope`.
func runScope(args []string, std IO) int {
	fs := flag.NewFlagSet("pullgen scope", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	var namespaces stringsFlag
	fs.Var(&namespaces, "namespace", "let the file's values go to namespace `NS` (repeatable)")
	anywhere := fs.Bool("any", false, "let the file's values go to every namespace (the file is public to every tenant of the repository)")
	fs.Usage = func() {
		fmt.Fprint(std.Stderr, scopeUsage)
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	switch {
	case len(files) == 0:
		return fail(std, "scope: usage: pullgen scope [--namespace NS]... [--any] FILE...")
	case *anywhere && len(namespaces) > 0:
		return fail(std, "scope: --any and --namespace exclude each other")
	}
	for _, n := range namespaces {
		if err := scope.CheckNamespace(n); err != nil {
			return fail(std, "scope: --namespace: %v", err)
		}
	}
	if !*anywhere && len(namespaces) == 0 {
		return showScopes(files, std)
	}
	marker := scope.Marker(namespaces...)
	out := make([][]byte, len(files))
	for i, f := range files {
		data, format, err := readScoped(f)
		if err != nil {
			return fail(std, "scope: %v", err)
		}
		if format == credsource.FormatYAML {
			if n, err := yaml.Parse(string(data)); err == nil && n.GetApiVersion() == "v1" && (n.GetKind() == "Secret" || n.GetKind() == "ConfigMap") {
				return fail(std, "scope: %s: %s %s: its scope is its metadata.namespace, which SOPS authenticates; set that instead of a marker (a marker would be an unknown field of the object)", f, n.GetKind(), n.GetName())
			}
		}
		if out[i], err = sopsx.DefaultKeys().SetScope(data, format, marker); err != nil {
			return fail(std, "scope: %s: %v", f, err)
		}
	}
	for i, f := range files {
		if err := replaceFile(f, out[i]); err != nil {
			return fail(std, "scope: %v", err)
		}
		fmt.Fprintf(std.Stdout, "%s: %s\n", f, scopeText(f, marker))
	}
	return ExitOK
}

// showScopes prints the scope of each file.
func showScopes(files []string, std IO) int {
	for _, f := range files {
		data, format, err := readScoped(f)
		if err != nil {
			return fail(std, "scope: %v", err)
		}
		opened, err := sopsx.DefaultKeys().OpenFile(data, format)
		if err != nil {
			return fail(std, "scope: %s: %v", f, err)
		}
		s, err := scope.OfFile(f, data, format, opened.Markers)
		if err != nil {
			return fail(std, "scope: %v", err)
		}
		if s.IsUnscoped() {
			fmt.Fprintf(std.Stdout, "%s: unscoped: %s (render refuses it unless --allow-unscoped)\n", f, s.Why())
			continue
		}
		fmt.Fprintf(std.Stdout, "%s: %s\n", f, s.Describe())
	}
	return ExitOK
}

// scopeText says in words where the values of a file with marker may go.
func scopeText(f, marker string) string {
	s, err := scope.Parse(f, marker)
	if err != nil {
		return err.Error()
	}
	return s.Describe()
}

// readScoped reads a SOPS-encrypted file and tells its format as sops does (by extension).
func readScoped(f string) ([]byte, string, error) {
	data, err := os.ReadFile(f)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", f, errors.Unwrap(err))
	}
	format := credsource.DetectFormat(f)
	if !sopsx.IsEncryptedFile(data, format) {
		return nil, "", fmt.Errorf("%s: not SOPS-encrypted (as %s): a scope protects ciphertext; encrypt the file with sops first", f, format)
	}
	return data, format, nil
}

// replaceFile writes data over f atomically, keeping its mode.
func replaceFile(f string, data []byte) error {
	st, err := os.Stat(f)
	if err != nil {
		return fmt.Errorf("writing %s: %w", f, errors.Unwrap(err))
	}
	tmp, err := os.CreateTemp(filepath.Dir(f), ".pullgen-scope-")
	if err != nil {
		return fmt.Errorf("writing %s: %w", f, errors.Unwrap(err))
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", f, errors.Unwrap(err))
	}
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", f, errors.Unwrap(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", f, errors.Unwrap(err))
	}
	return os.Rename(tmp.Name(), f)
}
