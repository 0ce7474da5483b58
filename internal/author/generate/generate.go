// Package generate is what `pullgen generate` and `pullgen diff` share: it finds the
// PullAccess specs under the paths given and the output directory of each (Jobs,
// FindSpecs), runs package fn over them in a fixed order, one output directory at a time
// (Run), lays the objects out as files with their kustomization (Files), and writes them
// (Write: staged beside each directory, then each directory replaced whole) or reads what
// an earlier run wrote (ReadCommitted) for diff to compare (Compare).
//
// Every path it reads or writes is resolved under the work tree of its argument (package
// rooted): it must not read a credential source or write an output outside it. It parses
// no flag and sets no exit code; it reports the problems of specs to the writer it is
// given, one line each.
package generate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/core/parallel"
	"pullgen.dev/pullgen/internal/untrusted/regularfile"
	"pullgen.dev/pullgen/internal/untrusted/rooted"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// MaxSpecFile is the biggest file generate and diff read as a spec, a manifest or a
// credential source.
const MaxSpecFile = 16 << 20

// Write writes every output into its directory: each is staged beside its directory
// first (nothing is written when one cannot be), then each replaces its directory whole,
// after which written is called with it. Errors say what was not written.
func Write(outputs []*Output, written func(*Output)) error {
	staged := make([]*stagedDir, 0, len(outputs))
	defer func() {
		for _, s := range staged {
			s.discard()
		}
	}()
	for _, o := range outputs {
		files, err := Files(o.objects)
		if err != nil {
			return fmt.Errorf("%s: %v; nothing written", o.dir, err)
		}
		// Written where the directory really is (a link to it stays), which FindJobs
		// checked is inside its work tree.
		real, err := o.tree.Resolve(o.dir)
		if err != nil {
			return fmt.Errorf("%s: %v; nothing written", o.dir, err)
		}
		s, err := stage(real, files)
		if err != nil {
			return fmt.Errorf("%v; nothing written", err)
		}
		staged = append(staged, s)
	}
	for _, o := range outputs {
		for _, seed := range o.seeds {
			if err := seed.write(); err != nil {
				return fmt.Errorf("%v; nothing written", err)
			}
		}
	}
	for i, s := range staged {
		if err := s.commit(); err != nil {
			return err
		}
		written(outputs[i])
	}
	return nil
}

// Jobs finds the jobs of generate's arguments: every PullAccess of a file, which
// needs an output directory, and every PullAccess with one (or with -o) under a directory.
// A file named twice, or named and under a directory named, counts once; Run orders
// the jobs, so the order of the arguments does not matter.
func Jobs(args []string, outDir string, report io.Writer) ([]Job, bool, error) {
	var files, dirs []string
	for _, a := range args {
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			dirs = append(dirs, a)
		} else {
			files = append(files, filepath.Clean(a)) // a file, or an error ReadSpec reports
		}
	}
	slices.Sort(files)
	files = slices.Compact(files)
	named := make([]Spec, len(files))
	for i, f := range files {
		named[i] = ReadSpec(f)
	}
	jobs, ok := FindJobs(named, outDir, report, true)
	if len(dirs) == 0 {
		return jobs, ok, nil
	}
	found, err := FindSpecs(dirs)
	if err != nil {
		return nil, false, err
	}
	found = slices.DeleteFunc(found, func(s Spec) bool { _, named := slices.BinarySearch(files, s.File); return named })
	more, ok2 := FindJobs(found, outDir, report, false)
	if len(more) == 0 && ok2 {
		return nil, false, fmt.Errorf("no PullAccess with spec.output.dir under %s", strings.Join(dirs, ", "))
	}
	return append(jobs, more...), ok && ok2, nil
}

// Spec is a spec file and its PullAccess documents, or why they cannot be had.
type Spec struct {
	File  string
	Nodes []*yaml.RNode
	Err   error
	// Tree is the work tree the spec was found in: its output directory and the files its
	// credential sources name must be under it.
	Tree *rooted.Root
}

// ReadSpec reads the PullAccess documents of a spec file named by the user.
func ReadSpec(file string) Spec {
	tree, err := rooted.WorkTree(file)
	if err != nil {
		return Spec{File: file, Err: err}
	}
	data, err := tree.Read(file, MaxSpecFile)
	if err != nil {
		return Spec{File: file, Err: fmt.Errorf("reading %s: %w", file, err)}
	}
	nodes, err := parsePullAccesses(file, data)
	return Spec{File: file, Nodes: nodes, Err: err, Tree: tree}
}

// parsePullAccesses parses the PullAccess documents of a spec file's content.
func parsePullAccesses(file string, data []byte) ([]*yaml.RNode, error) {
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil, fmt.Errorf("%s: parsing YAML: %w", file, err)
	}
	var out []*yaml.RNode
	for _, n := range nodes {
		if n.GetKind() == v1alpha1.Kind {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PullAccess (apiVersion %s, kind %s) in the file", file, v1alpha1.APIVersion, v1alpha1.Kind)
	}
	return out, nil
}

// Files lays out generated objects as generate writes them: one file per object, named
// <kind>-<namespace>-<name>.yaml in lower case, and a kustomization.yaml listing them.
func Files(objs []*yaml.RNode) (map[string][]byte, error) {
	files := map[string][]byte{}
	owners := map[string]string{}
	for _, o := range objs {
		name := manifest.FileName(o)
		owner := o.GetAnnotations()[manifest.AnnotationPullAccess]
		if _, dup := files[name]; dup {
			return nil, fmt.Errorf("PullAccess %s and PullAccess %s both generate %s %s/%s (%s): give them distinct names (spec.secret.name, metadata.name) or output directories",
				owners[name], owner, o.GetKind(), o.GetNamespace(), o.GetName(), name)
		}
		owners[name] = owner
		s, err := o.String()
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", name, err)
		}
		files[name] = []byte(s)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var k bytes.Buffer
	k.WriteString("# Generated by pullgen: do not edit. Run pullgen generate again instead.\n")
	k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, n := range names {
		k.WriteString("- " + n + "\n")
	}
	files[manifest.KustomizationFile] = k.Bytes()
	return files, nil
}

// stagedDir is an output directory written next to its final place, waiting to replace it.
type stagedDir struct {
	dir, tmp string
}

// stage writes files into a fresh directory beside dir. It refuses when dir holds files
// that pullgen did not write, since commit replaces the directory whole.
func stage(dir string, files map[string][]byte) (*stagedDir, error) {
	if err := checkOwned(dir); err != nil {
		return nil, err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".pullgen-")
	if err != nil {
		return nil, fmt.Errorf("creating a staging directory in %s: %w", parent, err)
	}
	s := &stagedDir{dir: dir, tmp: tmp}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	errs := make([]error, len(names))
	// Creating files costs a system call each: on every core.
	parallel.Each(len(names), func(i int) { errs[i] = os.WriteFile(filepath.Join(tmp, names[i]), files[names[i]], 0o644) })
	for i, err := range errs {
		if err != nil {
			s.discard()
			return nil, fmt.Errorf("writing %s: %w", filepath.Join(tmp, names[i]), err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		s.discard()
		return nil, fmt.Errorf("setting the mode of %s: %w", tmp, err)
	}
	return s, nil
}

// commit replaces dir with the staged directory.
func (s *stagedDir) commit() error {
	old := s.tmp + ".old"
	hadOld := true
	if err := os.Rename(s.dir, old); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("replacing %s: %w", s.dir, err)
		}
		hadOld = false
	}
	if err := os.Rename(s.tmp, s.dir); err != nil {
		if hadOld {
			os.Rename(old, s.dir)
		}
		return fmt.Errorf("replacing %s: %w", s.dir, err)
	}
	s.tmp = ""
	if hadOld {
		os.RemoveAll(old)
	}
	return nil
}

// discard removes the staged directory unless it was committed.
func (s *stagedDir) discard() {
	if s.tmp != "" {
		os.RemoveAll(s.tmp)
		s.tmp = ""
	}
}

// checkOwned fails when dir holds a file generate would not have written.
func checkOwned(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", dir, err)
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if e.Name() == manifest.KustomizationFile {
			continue
		}
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			return fmt.Errorf("%s: not written by pullgen; generate replaces %s whole, so give it a directory of its own", path, dir)
		}
		data, err := regularfile.Read(path, MaxSpecFile)
		if errors.Is(err, regularfile.ErrNotRegular) {
			return fmt.Errorf("%s: %v: not written by pullgen; generate replaces %s whole, so give it a directory of its own", path, err, dir)
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		n, err := yaml.Parse(string(data))
		if err != nil || n.GetLabels()[manifest.LabelManagedBy] != manifest.ManagedBy {
			return fmt.Errorf("%s: not written by pullgen (no %s: %s label); generate replaces %s whole, so give it a directory of its own",
				path, manifest.LabelManagedBy, manifest.ManagedBy, dir)
		}
	}
	return nil
}
