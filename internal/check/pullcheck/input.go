package pullcheck

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"pullgen.dev/pullgen/internal/untrusted/rooted"
	"pullgen.dev/pullgen/internal/untrusted/yamlcap"
)

// The check reads manifests that may come from anyone (a pull request, a pipe). Each file
// it reads, and its stdin, are held to caps before a parser sees them: regular files only
// (a FIFO would block it), under the root of their path argument, and a size that the
// check holds in memory with room to spare. Its caps are its own, larger than render's: the
// check is made to read a fleet (50,000 workloads are about 28 MB of YAML) and reads it in
// linear time and memory, where kustomize's work grows faster than its input.
const (
	// checkFileBytes caps one file or stdin; checkTotalBytes all the files of one run.
	checkFileBytes  = 64 << 20
	checkTotalBytes = 96 << 20
	// checkNodes caps the YAML nodes of one input, aliases expanded.
	checkNodes = 8_000_000
)

// measureManifest holds one input to the node and depth caps. YAML without anchors or
// aliases parses into no more nodes than yamlcap.Estimate counts from its bytes, so within
// the size caps it needs nothing more; only input that may hold an alias (which can expand
// a small file into billions of nodes) is measured exactly before a parser sees it.
func measureManifest(data []byte) error {
	if !mayHoldAlias(data) && yamlcap.Estimate(data) <= checkNodes {
		return nil
	}
	_, err := yamlcap.Measure(data, yamlcap.Limits{Nodes: checkNodes, Depth: yamlcap.Defaults().Depth})
	return err
}

// mayHoldAlias tells whether data has a '&' or '*' where YAML could read an anchor or an
// alias: at the start of a token (after a blank, a line break or a flow or mapping
// indicator) and followed by a name. It errs on the side of yes ("a && b" counts).
func mayHoldAlias(data []byte) bool {
	for i := 0; i < len(data); i++ {
		j := bytes.IndexAny(data[i:], "&*")
		if j < 0 {
			return false
		}
		i += j
		startsToken := i == 0 || bytes.IndexByte([]byte(" \t\r\n[{,:"), data[i-1]) >= 0
		named := i+1 < len(data) && bytes.IndexByte([]byte(" \t\r\n,]}"), data[i+1]) < 0
		if startsToken && named {
			return true
		}
	}
	return false
}

// Files is the Reader of `pullgen check`: each manifest file once, through
// rooted.Root.ReadFound (regular files only, none by a link out of the root of its path
// argument), and stdin, each held to the caps, and measured before a parser sees it. What
// it measures is what the check parses.
type Files struct {
	// fileBytes caps a file or stdin, totalBytes all the files of one run.
	fileBytes, totalBytes int64
	total                 int64
	// trees are the work trees of the path arguments (rooted.WorkTree), by argument.
	trees map[string]*rooted.Root
}

// NewFiles is a Files with the check's caps, for one run.
func NewFiles() *Files {
	return &Files{fileBytes: checkFileBytes, totalBytes: checkTotalBytes, trees: map[string]*rooted.Root{}}
}

// tree is the work tree of a path argument: what it refers to may come from there.
func (in *Files) tree(arg string) (*rooted.Root, error) {
	if t, ok := in.trees[arg]; ok {
		return t, nil
	}
	t, err := rooted.WorkTree(arg)
	if err != nil {
		return nil, err
	}
	in.trees[arg] = t
	return t, nil
}

// ReadFile reads the manifest file p found under the path argument arg.
func (in *Files) ReadFile(arg, p string) (string, error) {
	tree, err := in.tree(arg)
	if err != nil {
		return "", err
	}
	data, err := tree.ReadFound(p, in.fileBytes)
	if err != nil {
		return "", err
	}
	if data == nil {
		// A link that leads nowhere: the error of opening it (which does not block).
		f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			f.Close()
			err = fs.ErrNotExist
		}
		return "", fmt.Errorf("reading %s: %w", p, err)
	}
	if in.total += int64(len(data)); in.total > in.totalBytes {
		return "", fmt.Errorf("%s: the manifests given hold more than the %d bytes one check reads", p, in.totalBytes)
	}
	if err := measureManifest(data); err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return string(data), nil
}

// ReadStdin reads the manifests on stdin.
func (in *Files) ReadStdin(r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, in.fileBytes+1))
	switch {
	case err != nil:
		return "", err
	case int64(len(data)) > in.fileBytes:
		return "", fmt.Errorf("more than the %d bytes a manifest stream may have", in.fileBytes)
	}
	if err := measureManifest(data); err != nil {
		return "", err
	}
	return string(data), nil
}
