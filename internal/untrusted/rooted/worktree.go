package rooted

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"pullgen.dev/pullgen/internal/untrusted/regularfile"
)

// WorkTreeDir is the work tree of a path argument of generate, diff or check: what the path
// refers to may come from there, and nothing outside it is read. It is the git work tree
// that contains the path when there is one, else the path itself (its directory, for a
// file; its nearest existing parent, for a directory generate is to create). Never the
// working directory for its own sake.
func WorkTreeDir(p string) string {
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
	for d := abs; ; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil {
			if !st.IsDir() {
				return filepath.Dir(d)
			}
			return d
		}
		if filepath.Dir(d) == d {
			return abs
		}
	}
}

// WorkTree is the work tree of a path argument (WorkTreeDir), through which every path
// under it is resolved.
func WorkTree(p string) (*Root, error) {
	root := WorkTreeDir(p)
	return New(root, "the work tree "+root)
}

// ErrRefused is what ReadFound refuses (errors.Is).
var ErrRefused = errors.New("refused")

type refusedFile string

func (e refusedFile) Error() string        { return string(e) }
func (e refusedFile) Is(target error) bool { return target == ErrRefused }

// ReadFound reads a file found under the root (by a walk, a glob), opened so that nothing
// can block. A dangling link reads as nothing (nil, nil); a path or link that leads
// outside the root, a FIFO, a device, a socket or a file bigger than max bytes is refused
// with ErrRefused.
func (r *Root) ReadFound(p string, max int64) ([]byte, error) {
	data, err := r.Read(p, max)
	var big *regularfile.TooBigError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.Is(err, ErrOutside), errors.Is(err, ErrLinkLoop):
		return nil, refusedFile(err.Error())
	case errors.Is(err, regularfile.ErrNotRegular), errors.As(err, &big):
		return nil, refusedFile(fmt.Sprintf("%s: %v", p, err))
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return data, nil
}
