package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"pullgen.dev/pullgen/internal/render"
	"pullgen.dev/pullgen/internal/yamlcap"
)

// The check reads manifests that may come from anyone (a pull request, a pipe). Before it
// parses anything, the files it would read and its stdin are held to caps: regular files
// only (a FIFO would block it), under the root of their path argument, and a size that the
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
	_, err := yamlcap.Measure(data, yamlcap.Limits{Nodes: checkNodes, Depth: render.DefaultLimits().Depth})
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

// guardCheckPaths measures every manifest file the check would read under the arguments
// that name files or directories (kustomizations are left to render, which guards itself).
func guardCheckPaths(args []string) error {
	var total int64
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || strings.HasPrefix(a, "-") {
			continue // a flag or its value, or a path the check reports itself
		}
		root := pathRoot(a)
		if !st.IsDir() {
			if err := guardManifest(root, a, &total); err != nil {
				return err
			}
			continue
		}
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // the check reports it
			}
			if d.IsDir() {
				if p != a && strings.HasPrefix(d.Name(), ".") || isKustomizationDir(p) {
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".yaml", ".yml", ".json":
				return guardManifest(root, p, &total)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func isKustomizationDir(dir string) bool {
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}

// guardManifest checks one file the check would read, and adds its size to total.
func guardManifest(root, p string, total *int64) error {
	data, err := readRegular(root, p, checkFileBytes)
	if err != nil || data == nil {
		return err
	}
	if *total += int64(len(data)); *total > checkTotalBytes {
		return fmt.Errorf("%s: the manifests given hold more than the %d bytes one check reads", p, checkTotalBytes)
	}
	if err := measureManifest(data); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	return nil
}

// cappedStdin holds what the check reads on stdin to the caps: at the end of the input it
// measures it, and answers with the error instead of the end when it is over a cap.
type cappedStdin struct {
	r   io.Reader
	buf bytes.Buffer
}

func (c *cappedStdin) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.buf.Write(p[:n])
	if c.buf.Len() > checkFileBytes {
		return n, fmt.Errorf("more than the %d bytes a manifest stream may have", checkFileBytes)
	}
	if errors.Is(err, io.EOF) {
		if merr := measureManifest(c.buf.Bytes()); merr != nil {
			return n, merr
		}
	}
	return n, err
}
