package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"pullgen.dev/pullgen/internal/untrusted/regularfile"
	"pullgen.dev/pullgen/internal/untrusted/rooted"
)

// pathRoot is the work tree of a path argument of generate, diff or check: what the path
// refers to may come from there, and nothing outside it is read. It is the git work tree
// that contains the path when there is one, else the path itself (its directory, for a
// file; its nearest existing parent, for a directory generate is to create). Never the
// working directory for its own sake.
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

// workTree is the work tree of a path argument (pathRoot), through which every path
// under it is resolved (package rooted).
func workTree(p string) (*rooted.Root, error) {
	root := pathRoot(p)
	return rooted.New(root, "the work tree "+root)
}

// maxSpecFile is the biggest file diff and check read as a manifest or a spec, and
// generate and diff as a credential source.
const maxSpecFile = 16 << 20

// errRefusedFile is what readRegular refuses (errors.Is).
var errRefusedFile = errors.New("refused")

type refusedFile string

func (e refusedFile) Error() string        { return string(e) }
func (e refusedFile) Is(target error) bool { return target == errRefusedFile }

// readRegular reads a file found under the work tree, opened so that nothing can block. A
// dangling link reads as nothing (nil, nil); a path or link that leads outside the tree, a
// FIFO, a device, a socket or a file bigger than max bytes is refused with errRefusedFile.
func readRegular(tree *rooted.Root, p string, max int64) ([]byte, error) {
	data, err := tree.Read(p, max)
	var big *regularfile.TooBigError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.Is(err, rooted.ErrOutside), errors.Is(err, rooted.ErrLinkLoop):
		return nil, refusedFile(err.Error())
	case errors.Is(err, regularfile.ErrNotRegular), errors.As(err, &big):
		return nil, refusedFile(fmt.Sprintf("%s: %v", p, err))
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return data, nil
}
