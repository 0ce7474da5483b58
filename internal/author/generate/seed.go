package generate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/credsource"
	"pullgen.dev/pullgen/internal/core/sealed"
	"pullgen.dev/pullgen/internal/core/sopsx"
)

// Sealed output is byte-stable thanks to a sealing seed (package sealed), kept in a file:
// source that generate creates on first use, SOPS-encrypted whole for the recipients of
// spec.sops, else of the .sops.yaml rule for the file. A seed made in a run is read by its
// jobs from memory and written with the output (Write), so that nothing is written when
// the run fails.

// seedFile is a sealing seed file a run creates.
type seedFile struct {
	// path is where it goes (absolute), shown as the spec names it.
	path, shown string
	data        []byte
}

// newSeedFile makes the seed file of a job with sealed output whose seed source is a file
// that does not exist yet and that no earlier job of the run made (created, by absolute
// path); nil when there is none to make.
func newSeedFile(j Job, created map[string][]byte) (*seedFile, error) {
	if j.pa == nil {
		return nil, nil
	}
	src := j.pa.SealingSeed()
	if src == nil || src.File == "" {
		return nil, nil
	}
	shown := filepath.Join(filepath.Dir(j.file), src.File)
	if filepath.IsAbs(src.File) {
		shown = src.File
	}
	path, err := filepath.Abs(shown)
	if err != nil {
		return nil, err
	}
	if _, done := created[path]; done {
		return nil, nil
	}
	real, err := j.tree.Resolve(path)
	if err != nil {
		return nil, fmt.Errorf("spec.output.sealed.seed: %w", err)
	}
	if _, err := os.Lstat(real); !errors.Is(err, fs.ErrNotExist) {
		return nil, nil // there already, or fn reports why it cannot be read
	}
	text, err := sealed.NewSeed()
	if err != nil {
		return nil, err
	}
	format := credsource.DetectFormat(path)
	plain, err := seedContent(format, src.Key, text)
	if err != nil {
		return nil, fmt.Errorf("spec.output.sealed.seed: creating %s: %w", shown, err)
	}
	rules, err := seedRules(j, real)
	if err != nil {
		return nil, fmt.Errorf("spec.output.sealed.seed: creating %s: %w", shown, err)
	}
	data, err := sopsx.EncryptFile(plain, format, rules)
	if err != nil {
		return nil, fmt.Errorf("spec.output.sealed.seed: encrypting %s: %w", shown, err)
	}
	created[path] = data
	return &seedFile{path: real, shown: shown, data: data}, nil
}

// seedContent is the plain text of a seed file of format holding seed at key (a.b.c, as
// sources name keys), or whole when key is empty.
func seedContent(format, key, seed string) ([]byte, error) {
	switch {
	case key == "" && format == credsource.FormatBinary:
		return []byte(seed + "\n"), nil
	case key == "":
		return nil, fmt.Errorf("a %s file holds the seed at a key: give spec.output.sealed.seed.key", format)
	case format == credsource.FormatDotenv && !strings.Contains(key, "."):
		return []byte(key + "=" + seed + "\n"), nil
	case format != credsource.FormatYAML && format != credsource.FormatJSON:
		return nil, fmt.Errorf("pullgen writes a seed at a key of a YAML or JSON file, at a name of a .env file, or as a whole file of another name: create it with sops, or change spec.output.sealed.seed")
	}
	var doc any = seed
	parts := strings.Split(key, ".")
	for i := len(parts) - 1; i >= 0; i-- {
		doc = map[string]any{parts[i]: doc}
	}
	if format == credsource.FormatJSON {
		b, err := json.MarshalIndent(doc, "", "\t")
		return append(b, '\n'), err
	}
	return yaml.Marshal(doc)
}

// seedRules are the rules a job's seed file is encrypted with: spec.sops, else the
// .sops.yaml rule for the file.
func seedRules(j Job, path string) (sopsx.Rules, error) {
	if j.pa.Spec.SOPS != nil {
		return sopsx.FromSpec(j.pa.Spec.SOPS), nil
	}
	rules, _, found, err := sopsx.FindRules(path)
	switch {
	case err != nil:
		return sopsx.Rules{}, fmt.Errorf("reading the .sops.yaml that applies: %w", err)
	case !found:
		return sopsx.Rules{}, errors.New("no encryption keys: add spec.sops (for example age: [age1...]) or a .sops.yaml creation rule whose path_regex matches it, or set spec.output.sealed.seed to an env: source")
	}
	return rules, nil
}

// write writes the seed file: beside its place, then renamed into it.
func (s seedFile) write() error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(s.shown), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), "."+filepath.Base(s.path)+".pullgen-")
	if err != nil {
		return fmt.Errorf("writing %s: %w", s.shown, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(s.data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", s.shown, err)
	}
	return nil
}
