package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
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

// maxSpecFile is the biggest file diff and check read as a manifest or a spec, and
// generate and diff as a credential source.
const maxSpecFile = 16 << 20

// runGenerate is `pullgen generate SPEC... [-o DIR] [--quiet]`.
func runGenerate(args []string, std IO) int {
	fs := flag.NewFlagSet("pullgen generate", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	outDir := fs.String("o", "", "output directory (default: each spec's spec.output.dir)")
	quiet := fs.Bool("quiet", false, "print no summary")
	specs, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if len(specs) == 0 {
		return fail(std, "generate: give at least one PullAccess file or directory")
	}
	jobs, ok, err := generateJobs(specs, *outDir, std)
	if err != nil {
		return fail(std, "generate: %v", err)
	}
	outputs, ok2 := runJobs(jobs, std, false)
	if !ok || !ok2 {
		fmt.Fprintln(std.Stderr, "pullgen: nothing written")
		return ExitUsage
	}
	staged := make([]*stagedDir, 0, len(outputs))
	defer func() {
		for _, s := range staged {
			s.discard()
		}
	}()
	for _, o := range outputs {
		files, err := Files(o.objects)
		if err != nil {
			return fail(std, "%s: %v; nothing written", o.dir, err)
		}
		// Written where the directory really is (a link to it stays), which findJobs
		// checked is inside its work tree.
		real, err := o.tree.Resolve(o.dir)
		if err != nil {
			return fail(std, "%s: %v; nothing written", o.dir, err)
		}
		s, err := stage(real, files)
		if err != nil {
			return fail(std, "%v; nothing written", err)
		}
		staged = append(staged, s)
	}
	for i, s := range staged {
		if err := s.commit(); err != nil {
			return fail(std, "%v", err)
		}
		if !*quiet {
			fmt.Fprintln(std.Stderr, "pullgen: "+outputs[i].summary())
		}
	}
	return ExitOK
}

// generateJobs finds the jobs of generate's arguments: every PullAccess of a file, which
// needs an output directory, and every PullAccess with one (or with -o) under a directory.
// A file named twice, or named and under a directory named, counts once; runJobs orders
// the jobs, so the order of the arguments does not matter.
func generateJobs(args []string, outDir string, std IO) ([]job, bool, error) {
	var files, dirs []string
	for _, a := range args {
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			dirs = append(dirs, a)
		} else {
			files = append(files, filepath.Clean(a)) // a file, or an error readSpec reports
		}
	}
	slices.Sort(files)
	files = slices.Compact(files)
	named := make([]spec, len(files))
	for i, f := range files {
		named[i] = readSpec(f)
	}
	jobs, ok := findJobs(named, outDir, std, true)
	if len(dirs) == 0 {
		return jobs, ok, nil
	}
	found, err := findSpecs(dirs)
	if err != nil {
		return nil, false, err
	}
	found = slices.DeleteFunc(found, func(s spec) bool { _, named := slices.BinarySearch(files, s.file); return named })
	more, ok2 := findJobs(found, outDir, std, false)
	if len(more) == 0 && ok2 {
		return nil, false, fmt.Errorf("no PullAccess with spec.output.dir under %s", strings.Join(dirs, ", "))
	}
	return append(jobs, more...), ok && ok2, nil
}

// spec is a spec file and its PullAccess documents, or why they cannot be had.
type spec struct {
	file  string
	nodes []*yaml.RNode
	err   error
	// tree is the work tree the spec was found in: its output directory and the files its
	// credential sources name must be under it.
	tree *rooted.Root
}

// readSpec reads the PullAccess documents of a spec file named by the user.
func readSpec(file string) spec {
	tree, err := rooted.WorkTree(file)
	if err != nil {
		return spec{file: file, err: err}
	}
	data, err := tree.Read(file, maxSpecFile)
	if err != nil {
		return spec{file: file, err: fmt.Errorf("reading %s: %w", file, err)}
	}
	nodes, err := parsePullAccesses(file, data)
	return spec{file: file, nodes: nodes, err: err, tree: tree}
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
		data, err := regularfile.Read(path, maxSpecFile)
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

// parseExit is the exit code of a command whose flags did not parse: 0 when help was
// asked for (the flag package printed it), 2 otherwise.
func parseExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	return ExitUsage
}

// parseInterspersed parses flags that may stand before, between or after the positional
// arguments, and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
