package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"pullgen.dev/pullgen/internal/regularfile"
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

// maxSpecFile is the biggest file diff and check read as a manifest or a spec.
const maxSpecFile = 16 << 20

// errRefusedFile is what readRegular refuses (errors.Is).
var errRefusedFile = errors.New("refused")

type refusedFile string

func (e refusedFile) Error() string        { return string(e) }
func (e refusedFile) Is(target error) bool { return target == errRefusedFile }

// readRegular reads a file found under root, opened so that nothing can block. A dangling
// link reads as nothing (nil, nil); a link that leads outside root, a FIFO, a device, a
// socket or a file bigger than max bytes is refused with errRefusedFile.
func readRegular(root, p string, max int64) ([]byte, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, nil
	}
	if realRoot, err := filepath.EvalSymlinks(root); err == nil && !render.Within(realRoot, real) {
		return nil, refusedFile(fmt.Sprintf("%s: a link to %s, outside %s", p, real, root))
	}
	data, err := regularfile.Read(real, max)
	var big *regularfile.TooBigError
	switch {
	case errors.Is(err, regularfile.ErrNotRegular), errors.As(err, &big):
		return nil, refusedFile(fmt.Sprintf("%s: %v", p, err))
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return data, nil
}
