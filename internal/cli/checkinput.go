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
// parses anything, the files it would read and its stdin are held to render's caps: regular
// files only (a FIFO would block it), under the root of their path argument, no bigger than
// a file may be, and YAML that does not expand beyond the node and depth caps.

// checkCaps are the caps of one input of the check.
func checkCaps() (int64, yamlcap.Limits) {
	l := render.DefaultLimits()
	return l.FileBytes, yamlcap.Limits{Nodes: l.Nodes, Keys: l.Keys, Depth: l.Depth}
}

// guardCheckPaths measures every manifest file the check would read under the arguments
// that name files or directories (kustomizations are left to render, which guards itself).
func guardCheckPaths(args []string) error {
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || strings.HasPrefix(a, "-") {
			continue // a flag or its value, or a path the check reports itself
		}
		root := pathRoot(a)
		if !st.IsDir() {
			if err := guardManifest(root, a); err != nil {
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
				return guardManifest(root, p)
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

// guardManifest checks one file the check would read.
func guardManifest(root, p string) error {
	data, err := readRegular(root, p)
	if err != nil || data == nil {
		return err
	}
	_, caps := checkCaps()
	if _, err := yamlcap.Measure(data, caps); err != nil {
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
	maxBytes, caps := checkCaps()
	if int64(c.buf.Len()) > maxBytes {
		return n, fmt.Errorf("more than the %d bytes a manifest stream may have", maxBytes)
	}
	if errors.Is(err, io.EOF) {
		if _, merr := yamlcap.Measure(c.buf.Bytes(), caps); merr != nil {
			return n, merr
		}
	}
	return n, err
}
