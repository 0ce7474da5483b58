package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"pullgen.dev/pullgen/internal/render"
)

// pathRoot is the root that what a path argument refers to may come from: the git work
// tree that contains it when there is one, else the path itself (its directory, for a
// file). Never the working directory for its own sake.
func pathRoot(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		return filepath.Dir(abs)
	}
	return abs
}

// maxSpecFile is the biggest file diff reads while it looks for specs.
const maxSpecFile = 16 << 20

// readCandidate reads a file that may hold a spec, found under root: ok is false (and
// nothing is read) for a file whose links lead outside root, a FIFO, a device or a socket,
// or a file too big to be a spec. The file is opened so that nothing can block.
func readCandidate(root, p string) (data []byte, ok bool, err error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, false, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, false, nil // a dangling link: as good as absent
	}
	if realRoot, err := filepath.EvalSymlinks(root); err == nil && !render.Within(realRoot, real) {
		return nil, false, nil
	}
	fd, err := syscall.Open(real, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", p, err)
	}
	f := os.NewFile(uintptr(fd), real)
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", p, err)
	}
	if !st.Mode().IsRegular() || st.Size() > maxSpecFile {
		return nil, false, nil
	}
	data, err = io.ReadAll(io.LimitReader(f, maxSpecFile+1))
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", p, err)
	}
	return data, len(data) <= maxSpecFile, nil
}
