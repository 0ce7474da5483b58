//go:build ignore

// Command layout (built by Send beside util/io/files of the Argo CD module, unchanged)
// does to a repository what Argo CD does to send it to a plugin: `layout ROOT APP WORK`
// packs ROOT as the repo server does (util/cmp GetCompressedRepoAndMetadata), unpacks it
// as argocd-cmp-server does (generateManifestGeneric: a fresh WORK/<uuid>, file modes
// dropped) and prints the directory of APP there.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"argocdlayout/files"
)

func main() {
	if err := run(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(root, app, work string) error {
	var tgz bytes.Buffer
	n, err := files.Tgz(root, nil, nil, &tgz)
	if err != nil {
		return fmt.Errorf("error compressing repo files: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("no files to send(%s)", root)
	}
	rel, err := files.RelativePath(app, root)
	if err != nil {
		return fmt.Errorf("error building app relative path: %w", err)
	}
	dir, err := files.CreateTempDir(work)
	if err != nil {
		return fmt.Errorf("error creating workdir for manifest generation: %w", err)
	}
	if err := files.Untgz(dir, &tgz, math.MaxInt64, false); err != nil {
		return fmt.Errorf("error decompressing tgz file: %w", err)
	}
	appPath := filepath.Clean(filepath.Join(dir, rel))
	if !strings.HasPrefix(appPath, dir) {
		return errors.New("illegal appPath: out of workDir bound")
	}
	fmt.Println(appPath)
	return nil
}
