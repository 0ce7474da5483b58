package generate

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"

	"pullgen.dev/pullgen/internal/author/drift"
	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/core/sopsx"
	"pullgen.dev/pullgen/internal/untrusted/rooted"
)

// Compare compares the output with what its directory holds (the committed objects and
// kustomization.yaml, each encrypted Secret's values and recipients); jobs are those the
// output was made of. Errors name the directory, or the field that sent diff there.
func (o *Output) Compare(jobs []Job) (drift.Report, error) {
	want, wantFiles, err := layout(o)
	if err != nil {
		return drift.Report{}, fmt.Errorf("%s: %v", o.dir, err)
	}
	have, kustomization, err := readCommitted(o.tree, o.dir)
	if err != nil {
		return drift.Report{}, fmt.Errorf("%s: %v", outputField(jobs, o.dir), err)
	}
	report := drift.Compare(want, have, drift.Options{Decrypt: sopsx.DefaultKeys().Decrypt})
	report.Changes = append(report.Changes, recipientChanges(jobs, o.dir, have)...)
	if !bytes.Equal(kustomization, wantFiles[manifest.KustomizationFile]) {
		k := filepath.Join(o.dir, manifest.KustomizationFile)
		report.Changes = append(report.Changes, drift.Change{Op: "changed", Kind: "Kustomization", Name: manifest.KustomizationFile, File: k,
			Details: []string{"its resource list differs"}})
	}
	return report, nil
}

// outputField names the field that sent diff to an output directory: the spec.output.dir
// of the first PullAccess writing there.
func outputField(jobs []Job, dir string) string {
	for _, j := range jobs {
		if j.dir == dir {
			return fmt.Sprintf("%s: PullAccess %s: spec.output.dir", j.file, j.node.GetName())
		}
	}
	return dir
}

// recipientChanges reports the committed encrypted Secrets whose recipients or
// encryption settings are no longer those of their spec (spec.sops or .sops.yaml); this
// needs no key.
func recipientChanges(jobs []Job, dir string, have []drift.Object) []drift.Change {
	var out []drift.Change
	for _, h := range have {
		if !sopsx.IsEncrypted(h.Node) {
			continue
		}
		for _, j := range jobs {
			if j.dir != dir || !manifest.IsGeneratedBy(h.Node, j.node.GetName()) {
				continue
			}
			rules, ok := encryptionRules(j, h.File)
			if !ok {
				continue
			}
			if same, err := sopsx.HasRules(h.Node, rules); err == nil && !same {
				out = append(out, drift.Change{Op: "changed", Kind: h.Node.GetKind(), Namespace: h.Node.GetNamespace(), Name: h.Node.GetName(),
					File: h.File, Details: []string{"encrypted for other recipients or settings than the spec's"}})
			}
		}
	}
	return out
}

// encryptionRules are the rules a job encrypts a file with: spec.sops, else the .sops.yaml
// rule for the file.
func encryptionRules(j Job, file string) (sopsx.Rules, bool) {
	if j.pa == nil || j.problems.HasErrors() {
		return sopsx.Rules{}, false
	}
	if j.pa.Spec.SOPS != nil {
		return sopsx.FromSpec(j.pa.Spec.SOPS), true
	}
	rules, _, found, err := sopsx.FindRules(file)
	return rules, found && err == nil
}

// FindSpecs reads the YAML files under paths that hold a PullAccess, sorted by path.
func FindSpecs(paths []string) ([]Spec, error) {
	seen := map[string]bool{}
	var specs []Spec
	add := func(tree *rooted.Root, p string) error {
		data, err := tree.ReadFound(p, MaxSpecFile)
		if errors.Is(err, rooted.ErrRefused) || data == nil {
			return nil // not a spec diff may read
		}
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte("PullAccess")) && !seen[p] {
			nodes, err := parsePullAccesses(p, data)
			switch {
			case err == nil:
				seen[p] = true
				specs = append(specs, Spec{File: p, Nodes: nodes, Tree: tree})
			case declaresPullAccess.Match(data):
				// A spec that does not parse is an error, not a file to pass over: its
				// output would go unchecked.
				return err
			}
		}
		return nil
	}
	for _, root := range paths {
		st, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", root, err)
		}
		tree, err := rooted.WorkTree(root)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if err := add(tree, root); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if ext := filepath.Ext(p); ext == ".yaml" || ext == ".yml" {
				return add(tree, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].File < specs[j].File })
	return specs, nil
}

// declaresPullAccess finds a line that says a document is a PullAccess.
var declaresPullAccess = regexp.MustCompile(`(?m)^\s*kind:\s*["']?PullAccess["']?\s*(#.*)?$`)

// layout names the regenerated objects by the files generate would write them to.
func layout(o *Output) ([]drift.Object, map[string][]byte, error) {
	files, err := Files(o.objects)
	if err != nil {
		return nil, nil, err
	}
	var objs []drift.Object
	for _, obj := range o.objects {
		objs = append(objs, drift.Object{File: filepath.Join(o.dir, manifest.FileName(obj)), Node: obj})
	}
	return objs, files, nil
}

// readCommitted reads the objects and the kustomization.yaml of an output directory under
// its work tree: the directory and its files may be links, to somewhere in the tree.
func readCommitted(tree *rooted.Root, dir string) ([]drift.Object, []byte, error) {
	real, err := tree.Resolve(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	entries, err := os.ReadDir(real)
	if os.IsNotExist(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	var objs []drift.Object
	var kustomization []byte
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() || filepath.Ext(e.Name()) != ".yaml" {
			continue
		}
		data, err := tree.Read(filepath.Join(real, e.Name()), MaxSpecFile)
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", p, err)
		}
		if e.Name() == manifest.KustomizationFile {
			kustomization = data
			continue
		}
		nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: parsing YAML: %w", p, err)
		}
		for _, n := range nodes {
			objs = append(objs, drift.Object{File: p, Node: n})
		}
	}
	return objs, kustomization, nil
}
