// Package discover is `pullgen discover`, the discovery command of the Argo CD config
// management plugin: it tells whether an application directory holds a PullAccess, by
// content, whatever the files are called.
//
// The repository is untrusted, so discovery reads only regular files under the repository
// root (symbolic links are followed only while they stay inside it), opens no FIFO or
// device, never follows a remote reference, runs no program, uses no network and stops at
// fixed bounds on the number of entries, the size of a file, the bytes read and the depth.
// It reads nothing but the files it examines, so that the process can be confined to the
// root before Find is called.
package discover

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/untrusted/regularfile"
	"pullgen.dev/pullgen/internal/untrusted/rooted"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// Default bounds: far above any application directory, far below what could hurt the
// sidecar.
const (
	DefaultMaxEntries   = 20000
	DefaultMaxFileSize  = 1 << 20
	DefaultMaxTotalSize = 64 << 20
	DefaultMaxDepth     = 32
)

// ErrLimit is returned, wrapped, when discovery stopped at one of its bounds before
// finding a PullAccess.
var ErrLimit = errors.New("discovery stopped at its bound")

// Options describe one discovery.
type Options struct {
	// Root is the repository root: nothing outside it is read.
	Root string
	// Dir is the application directory, at or below Root.
	Dir string
	// MaxEntries bounds the directory entries visited and the files examined,
	// MaxFileSize the size of a file examined (larger files are skipped), MaxTotalSize the
	// bytes read in all, MaxDepth the directory depth below Dir and the nesting of
	// kustomizations. Zero means the default.
	MaxEntries   int
	MaxFileSize  int64
	MaxTotalSize int64
	MaxDepth     int
}

// Find returns the first file that holds a PullAccess: in the kustomization tree of Dir
// (resources, bases, components, generators, transformers and validators, as far as they
// stay inside Root), in any file under Dir, or in the kustomization trees of the
// kustomizations under Dir. It returns "" when there is none. The path is absolute, with
// symbolic links resolved.
func Find(o Options) (string, error) {
	f, err := newFinder(o)
	if err != nil {
		return "", err
	}
	if found := f.tree(f.dir, 0); found != "" {
		return found, nil
	}
	if found := f.walk(); found != "" {
		return found, nil
	}
	for i := 0; i < len(f.pending); i++ {
		if found := f.tree(f.pending[i], 0); found != "" {
			return found, nil
		}
	}
	if f.stopped != "" {
		return "", fmt.Errorf("%w: %s", ErrLimit, f.stopped)
	}
	return "", nil
}

type finder struct {
	o       Options
	root    *rooted.Root
	dir     string
	entries int
	bytes   int64
	// seen holds the files examined and the kustomization directories followed.
	seen map[string]bool
	// pending are kustomization directories found under dir, to follow after the walk.
	pending []string
	// stopped says which bound was reached, if any.
	stopped string
}

func newFinder(o Options) (*finder, error) {
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.MaxTotalSize <= 0 {
		o.MaxTotalSize = DefaultMaxTotalSize
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	tree, err := rooted.New(o.Root, "the repository root")
	if err != nil {
		return nil, err
	}
	dir, err := tree.Resolve(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("the application directory: %w", err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("the application directory %s is not a directory", o.Dir)
	}
	return &finder{o: o, root: tree, dir: dir, seen: map[string]bool{}}, nil
}

// budget counts one entry, and tells whether the bound still allows it.
func (f *finder) budget() bool {
	if f.entries >= f.o.MaxEntries {
		f.stop(fmt.Sprintf("%d entries visited", f.o.MaxEntries))
		return false
	}
	f.entries++
	return true
}

func (f *finder) stop(why string) {
	if f.stopped == "" {
		f.stopped = why
	}
}

// walk examines every file under dir, in lexical order, skipping .git, and records the
// kustomization directories it passes.
func (f *finder) walk() string {
	if !f.budget() {
		return ""
	}
	found, _ := f.walkDir(f.dir, 1)
	return found
}

// walkDir walks the directory at dir, level directories below f.dir; done tells that the
// whole walk is over (found, or the entries bound reached).
func (f *finder) walkDir(dir string, level int) (found string, done bool) {
	entries, ok := f.readDir(dir)
	if !ok {
		return "", true
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if !e.IsDir() {
			// A link is followed to a file inside the root, never to a directory (no cycles).
			if found = f.examine(p); found != "" {
				return found, true
			}
			continue
		}
		if e.Name() == ".git" {
			continue
		}
		if level > f.o.MaxDepth {
			f.stop(fmt.Sprintf("directories deeper than %d", f.o.MaxDepth))
			continue
		}
		if kustomizationIn(p) != "" {
			f.pending = append(f.pending, p)
		}
		if found, done = f.walkDir(p, level+1); done {
			return found, true
		}
	}
	return "", false
}

// readDir reads the entries of a directory, sorted by name, counting them against the
// entries bound as it reads: a directory of millions of entries is read no further than
// the bound. ok is false when the bound is reached; an unreadable directory is as good as
// empty.
func (f *finder) readDir(dir string) ([]fs.DirEntry, bool) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, true
	}
	defer d.Close()
	left := f.o.MaxEntries - f.entries
	entries, _ := d.ReadDir(left + 1) // what was read before an error is walked
	if len(entries) > left {
		f.entries = f.o.MaxEntries
		f.stop(fmt.Sprintf("%d entries visited", f.o.MaxEntries))
		return nil, false
	}
	f.entries += len(entries)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, true
}

// tree follows the kustomization in dir: the files it names are examined, the
// directories it names are followed in turn.
func (f *finder) tree(dir string, level int) string {
	k := kustomizationIn(dir)
	if k == "" || f.seen[dir] {
		return ""
	}
	f.seen[dir] = true
	if level > f.o.MaxDepth {
		f.stop(fmt.Sprintf("kustomizations nested deeper than %d", f.o.MaxDepth))
		return ""
	}
	if !f.budget() {
		return ""
	}
	data := f.read(filepath.Join(dir, k))
	if data == nil {
		return ""
	}
	var kust struct {
		Resources    []string `yaml:"resources"`
		Bases        []string `yaml:"bases"`
		Components   []string `yaml:"components"`
		Generators   []string `yaml:"generators"`
		Transformers []string `yaml:"transformers"`
		Validators   []string `yaml:"validators"`
	}
	if yaml.Unmarshal(data, &kust) != nil {
		return ""
	}
	for _, list := range [][]string{kust.Generators, kust.Transformers, kust.Validators, kust.Resources, kust.Bases, kust.Components} {
		// A URL or a git remote names no local file: it is never fetched, and joined to
		// dir it names nothing that exists.
		for _, ref := range list {
			p := ref
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			resolved, ok := f.inside(p)
			if !ok {
				continue
			}
			st, err := os.Stat(resolved)
			if err != nil {
				continue
			}
			if st.IsDir() {
				if found := f.tree(resolved, level+1); found != "" {
					return found
				}
				continue
			}
			if !f.budget() {
				return ""
			}
			if found := f.examine(resolved); found != "" {
				return found
			}
		}
	}
	return ""
}

// examine tells whether the file at p (a link is resolved first) holds a PullAccess, and
// returns its resolved path if so.
func (f *finder) examine(p string) string {
	resolved, ok := f.inside(p)
	if !ok || f.seen[resolved] {
		return ""
	}
	f.seen[resolved] = true
	if holdsPullAccess(f.read(resolved)) {
		return resolved
	}
	return ""
}

// inside resolves the links of p and tells whether the result is under the root.
func (f *finder) inside(p string) (string, bool) {
	resolved, err := f.root.Resolve(p)
	return resolved, err == nil
}

// read returns the content of the regular file at p (links already resolved), or nil
// when it is not a regular file, is larger than the bound, or the bytes read in all
// would pass theirs.
func (f *finder) read(p string) []byte {
	file, st, err := regularfile.Open(p)
	if err != nil {
		return nil
	}
	defer file.Close()
	if st.Size() > f.o.MaxFileSize {
		return nil
	}
	if f.bytes+st.Size() > f.o.MaxTotalSize {
		f.stop(fmt.Sprintf("%d bytes read", f.o.MaxTotalSize))
		return nil
	}
	data, err := regularfile.ReadAll(file, st, f.o.MaxFileSize)
	f.bytes += int64(len(data))
	if err != nil {
		return nil
	}
	return data
}

// holdsPullAccess tells whether a YAML (or JSON) stream has a document of apiVersion
// pullgen.dev/v1alpha1 and kind PullAccess at its top level. Other fields are not
// decoded, so that aliases elsewhere are never expanded.
func holdsPullAccess(data []byte) bool {
	if !bytes.Contains(data, []byte(v1alpha1.Kind)) || !bytes.Contains(data, []byte(v1alpha1.APIVersion)) {
		return false
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
		}
		err := dec.Decode(&doc)
		if err == io.EOF {
			return false
		}
		var typeErr *yaml.TypeError
		if err != nil && !errors.As(err, &typeErr) {
			return false // not YAML from here on
		}
		if err == nil && doc.APIVersion == v1alpha1.APIVersion && doc.Kind == v1alpha1.Kind {
			return true
		}
	}
}

// kustomizationIn returns the name of the kustomization file in dir, or "".
func kustomizationIn(dir string) string {
	for _, name := range manifest.KustomizationFileNames() {
		if st, err := os.Lstat(filepath.Join(dir, name)); err == nil && st.Mode().IsRegular() {
			return name
		}
	}
	return ""
}
