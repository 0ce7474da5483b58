package generate

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/untrusted/regularfile"
)

// inventories gives generate and diff the Namespace and Project objects a
// spec.namespaceSelector chooses among: those in the YAML and JSON files under the spec's
// directory, recursively, as written (no kustomize build), skipping hidden directories and
// the output directories of the run. A spec's namespaces so depend on its own directory
// only, and generate and diff agree whatever paths they are given. Each file is read once
// per run, though the directories of several specs may hold it.
type inventories struct {
	skip   map[string]bool
	byDir  map[string][]*yaml.RNode
	byFile map[string][]*yaml.RNode
}

func newInventories(jobs []Job) *inventories {
	iv := &inventories{skip: map[string]bool{}, byDir: map[string][]*yaml.RNode{}, byFile: map[string][]*yaml.RNode{}}
	for _, j := range jobs {
		if abs, err := filepath.Abs(j.dir); err == nil {
			iv.skip[abs] = true
		}
	}
	return iv
}

// forJob returns the inventory of a job whose PullAccess has a namespaceSelector, and
// where it comes from; nothing for the others.
func (iv *inventories) forJob(j Job) ([]*yaml.RNode, string, error) {
	if sel, _ := j.node.Pipe(yaml.Lookup("spec", "namespaceSelector")); sel == nil {
		return nil, "", nil
	}
	dir := filepath.Dir(j.file)
	from := "the YAML files under " + dir
	if objs, ok := iv.byDir[dir]; ok {
		return objs, from, nil
	}
	objs, err := iv.read(dir)
	if err != nil {
		return nil, "", err
	}
	iv.byDir[dir] = objs
	return objs, from, nil
}

// read collects the Namespaces and Projects of the files under dir. Files that are not
// Kubernetes manifests (templates, other tools' configuration) are skipped.
func (iv *inventories) read(dir string) ([]*yaml.RNode, error) {
	var out []*yaml.RNode
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		if d.IsDir() {
			abs, _ := filepath.Abs(p)
			if p != dir && (strings.HasPrefix(d.Name(), ".") || iv.skip[abs]) {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		objs, read := iv.byFile[p]
		if !read {
			var err error
			if objs, err = readNamespaces(p); err != nil {
				return err
			}
			iv.byFile[p] = objs
		}
		out = append(out, objs...)
		return nil
	})
	return out, err
}

// readNamespaces reads the Namespaces and Projects of a file; none from a file that is not
// regular or not Kubernetes manifests.
func readNamespaces(p string) ([]*yaml.RNode, error) {
	data, err := regularfile.Read(p, MaxSpecFile)
	if errors.Is(err, regularfile.ErrNotRegular) {
		return nil, nil // a FIFO, a device or a link: not a manifest of the spec's own
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if !bytes.Contains(data, []byte("Namespace")) && !bytes.Contains(data, []byte("Project")) {
		return nil, nil
	}
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil, nil
	}
	var out []*yaml.RNode
	for _, n := range nodes {
		if manifest.IsNamespaceKind(n.GetApiVersion(), n.GetKind()) {
			out = append(out, n)
		}
	}
	return out, nil
}
