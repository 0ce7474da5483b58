package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"pullgen.dev/pullgen/internal/untrusted/regularfile"
	"pullgen.dev/pullgen/internal/untrusted/rooted"
	"pullgen.dev/pullgen/internal/untrusted/yamlcap"
)

// repoFS is the repository as render and kustomize see it: a filesys.FileSystem that reads
// through to the real files under the root, when they are asked for and not before, with an
// in-memory overlay for what render writes (its rewritten kustomizations and the objects
// of PullAccess generators and transformers). It serves nothing outside the root: every
// access resolves symbolic links one by one and refuses a target outside the root; it
// reads only regular files (opened so that a FIFO or a device cannot block), none bigger
// than the file cap, never the decryption keys, and measures every file against the YAML
// caps before anyone parses it. Nothing is ever written to disk.
type repoFS struct {
	tree     *rooted.Root
	root     string // absolute, without symbolic links
	limits   Limits
	keys     []os.FileInfo
	deadline time.Time

	mu      sync.Mutex
	overlay map[string][]byte
	dirs    map[string]bool
	// measured holds what each file read counted for, so that kustomize reading a file
	// again (each build of render reads its bases anew) does not count it again.
	measured map[string]counted
	total    counted
	// refused is the first refusal: kustomize sometimes tries a path another way after an
	// error and reports the second failure, so render reports this one.
	refused error
}

// counted is what files count for against the caps.
type counted struct {
	bytes                     int64
	nodes, documents, breadth int
}

func newRepoFS(root string, keyFiles []string, limits Limits) (*repoFS, error) {
	tree, err := rooted.New(root, "the repository root")
	if err != nil {
		return nil, err
	}
	f := &repoFS{tree: tree, root: tree.Dir(), limits: limits, overlay: map[string][]byte{}, dirs: map[string]bool{},
		measured: map[string]counted{}}
	tree.Virtual = f.isOverlay
	if limits.Timeout > 0 {
		f.deadline = time.Now().Add(limits.Timeout)
	}
	for _, k := range keyFiles {
		if st, err := os.Stat(k); err == nil {
			f.keys = append(f.keys, st)
		}
	}
	return f, nil
}

// rel is a path relative to the root, for messages.
func (f *repoFS) rel(p string) string { return f.tree.Show(p) }

// resolve turns p into the real path it names under the root (package rooted: links
// followed one component at a time, none leading outside); what render wrote in its
// overlay counts as it is. A path that does not exist (yet) resolves to where it would be.
func (f *repoFS) resolve(p string) (string, error) { return f.tree.Resolve(p) }

func (f *repoFS) isOverlay(p string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, file := f.overlay[p]
	return file || f.dirs[p]
}

// alive fails once the render is out of time, so that kustomize stops at its next read.
func (f *repoFS) alive() error {
	if !f.deadline.IsZero() && time.Now().After(f.deadline) {
		return f.refuse(f.limits.timeoutError())
	}
	return nil
}

// refuse records the first refusal and returns err.
func (f *repoFS) refuse(err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refused == nil {
		f.refused = err
	}
	return err
}

// Refused is the first read refused for a rule of the sandbox, if any.
func (f *repoFS) Refused() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

// ReadFile reads a file under the root: from the overlay, else from disk, measured.
func (f *repoFS) ReadFile(p string) ([]byte, error) {
	if err := f.alive(); err != nil {
		return nil, err
	}
	real, err := f.resolve(p)
	if err != nil {
		return nil, f.refuse(fmt.Errorf("reading %s: %w", f.rel(p), err))
	}
	f.mu.Lock()
	data, written := f.overlay[real]
	f.mu.Unlock()
	if !written {
		if data, err = f.readDisk(real); err != nil {
			return nil, err
		}
	}
	if err := f.measure(real, data); err != nil {
		return nil, f.refuse(err)
	}
	if written {
		data = bytes.Clone(data) // the overlay keeps what was written, whatever the reader does
	}
	return data, nil
}

// readDisk reads a regular file without following a link in its last component and
// without blocking on a FIFO or a device (package regularfile), never the decryption key.
func (f *repoFS) readDisk(real string) ([]byte, error) {
	file, st, err := regularfile.Open(real)
	switch {
	case errors.Is(err, regularfile.ErrNotRegular):
		return nil, f.refuse(fmt.Errorf("reading %s: %w: render reads only regular files", f.rel(real), err))
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("reading %s: %w", f.rel(real), pathCause(err))
	case err != nil:
		return nil, f.refuse(fmt.Errorf("reading %s: %w", f.rel(real), pathCause(err)))
	}
	defer file.Close()
	for _, k := range f.keys {
		if os.SameFile(k, st) {
			return nil, f.refuse(fmt.Errorf("reading %s: it is the decryption key, which render never reads", f.rel(real)))
		}
	}
	data, err := regularfile.ReadAll(file, st, f.limits.FileBytes)
	var big *regularfile.TooBigError
	switch {
	case errors.As(err, &big):
		return nil, f.refuse(fmt.Errorf("reading %s: %w (--max-file-size)", f.rel(real), err))
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", f.rel(real), pathCause(err))
	}
	return data, nil
}

// measure counts a file against the total caps, once per path and content.
func (f *repoFS) measure(real string, data []byte) error {
	f.mu.Lock()
	_, done := f.measured[real]
	f.mu.Unlock()
	if done {
		return nil
	}
	st, err := yamlcap.Measure(data, f.limits.yaml())
	if err != nil {
		return fmt.Errorf("reading %s: %w", f.rel(real), err)
	}
	c := counted{int64(len(data)), st.Nodes, st.Documents, st.Breadth}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.measured[real] = c
	f.total = counted{f.total.bytes + c.bytes, f.total.nodes + c.nodes, f.total.documents + c.documents, f.total.breadth + c.breadth}
	switch {
	case f.limits.TotalBytes > 0 && f.total.bytes > f.limits.TotalBytes:
		return fmt.Errorf("reading %s: render read more than %d bytes in all (--max-total-size)", f.rel(real), f.limits.TotalBytes)
	case f.limits.Nodes > 0 && f.total.nodes > f.limits.Nodes:
		return fmt.Errorf("reading %s: render read more than %d YAML nodes in all (--max-nodes)", f.rel(real), f.limits.Nodes)
	case f.limits.Documents > 0 && f.total.documents > f.limits.Documents:
		return fmt.Errorf("reading %s: render read more than %d YAML documents in all (--max-documents)", f.rel(real), f.limits.Documents)
	case f.limits.Keys > 0 && f.total.breadth > f.limits.breadth():
		return fmt.Errorf("reading %s: render read YAML mappings too wide in all (the squares of their widths add up to more than %d)", f.rel(real), f.limits.breadth())
	}
	return nil
}

// documents is the number of YAML documents read so far.
func (f *repoFS) documents() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.total.documents
}

// cost is what the file read at real, data, costs a build that names it (see fileCost).
func (f *repoFS) cost(real string, data []byte) fileCost {
	f.mu.Lock()
	c := f.measured[real]
	f.mu.Unlock()
	return fileCost{documents: c.documents, bytes: int64(len(data)), hidden: max(0, yamlcap.Estimate(data)-c.nodes)}
}

// forget drops what was counted for a path whose overlay content changes.
func (f *repoFS) forget(real string) {
	if c, ok := f.measured[real]; ok {
		f.total = counted{f.total.bytes - c.bytes, f.total.nodes - c.nodes, f.total.documents - c.documents, f.total.breadth - c.breadth}
		delete(f.measured, real)
	}
}

func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// WriteFile writes into the overlay only.
func (f *repoFS) WriteFile(p string, data []byte) error {
	real, err := f.resolve(p)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forget(real)
	f.overlay[real] = append([]byte(nil), data...)
	return nil
}

// MkdirAll makes directories in the overlay.
func (f *repoFS) MkdirAll(p string) error {
	real, err := f.resolve(p)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for d := real; rooted.Within(f.root, d) && d != f.root; d = filepath.Dir(d) {
		f.dirs[d] = true
	}
	return nil
}

// Mkdir makes a directory in the overlay.
func (f *repoFS) Mkdir(p string) error { return f.MkdirAll(p) }

// RemoveAll removes what render wrote at and under p; the real files stay.
func (f *repoFS) RemoveAll(p string) error {
	real, err := f.resolve(p)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.overlay {
		if rooted.Within(real, k) {
			f.forget(k)
			delete(f.overlay, k)
		}
	}
	for k := range f.dirs {
		if rooted.Within(real, k) {
			delete(f.dirs, k)
		}
	}
	return nil
}

// IsDir tells whether p is a directory under the root.
func (f *repoFS) IsDir(p string) bool {
	real, err := f.resolve(p)
	if err != nil {
		return false
	}
	return f.isDir(real)
}

func (f *repoFS) isDir(real string) bool {
	f.mu.Lock()
	dir := f.dirs[real]
	f.mu.Unlock()
	if dir {
		return true
	}
	st, err := os.Lstat(real)
	return err == nil && st.IsDir()
}

// Exists tells whether p is a file or a directory under the root.
func (f *repoFS) Exists(p string) bool {
	real, err := f.resolve(p)
	if err != nil {
		return false
	}
	if f.isOverlay(real) {
		return true
	}
	_, err = os.Lstat(real)
	return err == nil
}

// CleanedAbs is the real directory of p and its file name ("" for a directory), as
// kustomize's loader expects; paths outside the root or that do not exist are errors.
func (f *repoFS) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	if err := f.alive(); err != nil {
		return "", "", err
	}
	real, err := f.resolve(p)
	if err != nil {
		return "", "", f.refuse(err)
	}
	if f.isDir(real) {
		return filesys.ConfirmedDir(real), "", nil
	}
	if !f.Exists(real) {
		return "", "", fmt.Errorf("%s does not exist", f.rel(real))
	}
	return filesys.ConfirmedDir(filepath.Dir(real)), filepath.Base(real), nil
}

// errNoListing answers the calls that would list or stream directories, which neither
// kustomize's build nor render needs: render reads only files that are named.
var errNoListing = errors.New("render reads only the files a kustomization names")

// Create is not offered: render writes only with WriteFile.
func (f *repoFS) Create(string) (filesys.File, error) { return nil, errNoListing }

// Open is not offered: files are read whole with ReadFile.
func (f *repoFS) Open(string) (filesys.File, error) { return nil, errNoListing }

// ReadDir is not offered.
func (f *repoFS) ReadDir(string) ([]string, error) { return nil, errNoListing }

// Glob is not offered.
func (f *repoFS) Glob(string) ([]string, error) { return nil, errNoListing }

// Walk is not offered.
func (f *repoFS) Walk(string, filepath.WalkFunc) error { return errNoListing }
