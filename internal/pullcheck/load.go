package pullcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/parallel"
)

// StdinPath is the path argument that reads manifests from standard input.
const StdinPath = "-"

// kustomizationFiles are the names that make a directory a kustomization.
var kustomizationFiles = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// Load reads the manifests named by paths: files, directories (recursively, *.yaml, *.yml
// and *.json, skipping hidden directories and files that are not Kubernetes objects), a
// kustomization directory (built in process, plugins disabled; its objects' file is the
// directory), or "-" for stdin. Errors name the file.
func Load(paths []string, stdin io.Reader) ([]Object, error) {
	var out []Object
	for _, p := range paths {
		objs, err := loadPath(p, stdin)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// loadPath reads one path argument.
func loadPath(p string, stdin io.Reader) ([]Object, error) {
	if p == StdinPath {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		objs, err := ParseManifests(data, StdinPath)
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		return objs, nil
	}
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if !st.IsDir() {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		objs, err := ParseManifests(data, p)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		return objs, nil
	}
	return loadDir(p)
}

// isKustomization reports whether dir holds a kustomization file.
func isKustomization(dir string) bool {
	for _, name := range kustomizationFiles {
		if st, err := os.Stat(filepath.Join(dir, name)); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}

// loadDir reads a directory: a kustomization is built, anything else walked recursively, a
// kustomization found inside being built in place of its files.
func loadDir(dir string) ([]Object, error) {
	if isKustomization(dir) {
		return BuildKustomization(dir)
	}
	var out []Object
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if p != dir && isKustomization(p) {
				objs, err := BuildKustomization(p)
				if err != nil {
					return err
				}
				out = append(out, objs...)
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		objs, err := ParseManifests(data, p)
		if err != nil {
			// Not Kubernetes manifests (templates, other tools' config): skip.
			return nil
		}
		out = append(out, objs...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BuildKustomization runs kustomize build on dir in process, with plugins disabled and
// kustomize's root-only load restrictions. The objects' file is dir.
func BuildKustomization(dir string) ([]Object, error) {
	data, err := Build(dir)
	if err != nil {
		return nil, fmt.Errorf("building kustomization %s: %w", dir, err)
	}
	objs, err := ParseManifests(data, dir)
	if err != nil {
		return nil, fmt.Errorf("building kustomization %s: %w", dir, err)
	}
	for i := range objs {
		objs[i].Lines = false // lines of the build, not of a file
	}
	return objs, nil
}

// Build builds a kustomization directory into a YAML stream. By default it is kustomize
// with plugins disabled; the command line sets pullgen's own in-process build, which also
// runs the PullAccess generators and transformers.
var Build = func(dir string) ([]byte, error) {
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, err
	}
	return m.AsYaml()
}

// ParseManifests parses a YAML or JSON stream of Kubernetes objects, expanding kind List,
// skipping documents that are not objects (no apiVersion or kind). Line numbers are kept.
func ParseManifests(data []byte, file string) ([]Object, error) {
	chunks := splitDocuments(data)
	// Documents parse independently: spread them over the cores, keep their order.
	parsed := make([][]*yaml.Node, len(chunks))
	errs := make([]error, len(chunks))
	parallel.Each(len(chunks), func(i int) { parsed[i], errs[i] = parseChunk(chunks[i]) })
	var out []Object
	doc := 0
	for i, nodes := range parsed {
		if errs[i] != nil {
			return nil, fmt.Errorf("parsing YAML document %d (line %d): %w", doc+1, chunks[i].line, errs[i])
		}
		for _, n := range nodes {
			doc++
			root := deref(n)
			if root == nil || root.Kind != yaml.MappingNode {
				continue
			}
			out = appendObject(out, root, file)
		}
	}
	return out, nil
}

// chunk is a piece of a YAML stream and the line it starts on (0-based).
type chunk struct {
	data []byte
	line int
}

// splitDocuments cuts a YAML stream at its document markers (a line that is "---", or
// starts with "--- "), which end any node before them; each piece keeps its first line.
func splitDocuments(data []byte) []chunk {
	var out []chunk
	start, startLine, line := 0, 0, 0
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if end >= 0 {
			next = i + end + 1
		}
		l := bytes.TrimRight(data[i:next], "\r\n")
		if i > start && (bytes.Equal(l, []byte("---")) || bytes.HasPrefix(l, []byte("--- ")) || bytes.HasPrefix(l, []byte("---\t"))) {
			out = append(out, chunk{data[start:i], startLine})
			start, startLine = i, line
		}
		i = next
		line++
	}
	if start < len(data) {
		out = append(out, chunk{data[start:], startLine})
	}
	return out
}

// parseChunk decodes the documents of a chunk, with line numbers of the whole stream.
func parseChunk(c chunk) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(c.data))
	var out []*yaml.Node
	for {
		n := &yaml.Node{}
		err := dec.Decode(n)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if c.line > 0 {
			shiftLines(n, c.line)
		}
		out = append(out, n)
	}
}

func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// appendObject adds an object, or the items of a List.
func appendObject(out []Object, n *yaml.Node, file string) []Object {
	m := readMeta(n)
	if m.apiVersion == "" || m.kind == "" {
		return out
	}
	if strings.HasSuffix(m.kind, "List") && field(n, "items") != nil && m.apiVersion == "v1" {
		for _, it := range items(field(n, "items")) {
			if it = deref(it); it != nil && it.Kind == yaml.MappingNode {
				out = appendObject(out, it, file)
			}
		}
		return out
	}
	return append(out, Object{Node: yaml.NewRNode(n), File: file, Lines: true})
}
