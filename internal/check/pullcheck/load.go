package pullcheck

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/check/mirrorset"
	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/core/parallel"
	"pullgen.dev/pullgen/internal/untrusted/yamlstream"
)

// StdinPath is the path argument that reads manifests from standard input.
const StdinPath = "-"

// Reader reads what the check is given (Files holds it to the check's caps).
type Reader interface {
	// ReadFile reads the manifest file p, found under the path argument arg (p itself for
	// a file argument), into a string; its errors name the file.
	ReadFile(arg, p string) (string, error)
	// ReadStdin reads the manifests on standard input into a string.
	ReadStdin(r io.Reader) (string, error)
}

// Input is where the check's manifests come from.
type Input struct {
	// Reader reads the files and stdin.
	Reader Reader
	// Build builds the kustomization directory dir, found under the path argument arg,
	// into a YAML stream. The command line gives pullgen's own in-process build, which
	// also runs the PullAccess generators and transformers (for their registry keys only,
	// or, with --online, with their credentials), loading from the root of arg.
	Build func(arg, dir string) ([]byte, error)
	// Stdin is what the path "-" reads.
	Stdin io.Reader
}

// Load reads the manifests named by paths: files, directories (recursively, *.yaml, *.yml
// and *.json, skipping hidden directories and files that are not Kubernetes objects), a
// kustomization directory (built with in.Build; its objects' file is the directory), or
// "-" for stdin. Errors name the file.
func Load(paths []string, in Input) ([]Object, error) {
	var out []Object
	for _, p := range paths {
		objs, err := in.loadPath(p)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// loadPath reads one path argument.
func (in Input) loadPath(p string) ([]Object, error) {
	if p == StdinPath {
		data, err := in.Reader.ReadStdin(in.Stdin)
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		objs, err := parseManifests(data, StdinPath, true)
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
		data, err := in.Reader.ReadFile(p, p)
		if err != nil {
			return nil, err
		}
		objs, err := parseManifests(data, p, true)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		return objs, nil
	}
	return in.loadDir(p)
}

// isKustomization reports whether dir holds a kustomization file.
func isKustomization(dir string) bool {
	for _, name := range manifest.KustomizationFileNames() {
		if st, err := os.Stat(filepath.Join(dir, name)); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}

// loadDir reads a directory: a kustomization is built, anything else walked recursively, a
// kustomization found inside being built in place of its files.
func (in Input) loadDir(dir string) ([]Object, error) {
	if isKustomization(dir) {
		return in.buildKustomization(dir, dir)
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
				objs, err := in.buildKustomization(dir, p)
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
		data, err := in.Reader.ReadFile(dir, p)
		if err != nil {
			return err
		}
		objs, err := parseManifests(data, p, true)
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

// buildKustomization builds the kustomization dir, found under the path argument arg, with
// Build. The objects' file is dir.
func (in Input) buildKustomization(arg, dir string) ([]Object, error) {
	data, err := in.Build(arg, dir)
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

// ParseManifests parses a YAML or JSON stream of Kubernetes objects, expanding kind List,
// skipping documents that are not objects (no apiVersion or kind). Line numbers are kept.
// Objects the check does not look at may be left out.
func ParseManifests(data []byte, file string) ([]Object, error) {
	return parseManifests(string(data), file, true)
}

// parseManifests is ParseManifests; without fast, every document goes through the full
// YAML parser (the reference the fast reader is tested against).
func parseManifests(data string, file string, fast bool) ([]Object, error) {
	chunks := yamlstream.Split(data)
	// Documents parse independently: spread them over the cores, keep their order.
	read := make([]chunkResult, len(chunks))
	parallel.Each(len(chunks), func(i int) { read[i] = readChunk(chunks[i], fast) })
	var out []Object
	doc := 0
	for i, r := range read {
		if r.err != nil {
			return nil, fmt.Errorf("parsing YAML document %d (line %d): %w", doc+1, chunks[i].Line, r.err)
		}
		doc += r.docs
		if r.pod != nil {
			out = append(out, Object{File: file, Lines: true, pod: r.pod})
		}
		for _, n := range r.nodes {
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

// chunkResult is what was read of a chunk: a pod-bearing object the fast reader read, or
// the full parser's documents, or only the count of documents the check has no use for.
type chunkResult struct {
	docs  int
	pod   *podRecord
	nodes []*yaml.Node
	err   error
}

// nodeKinds are the kinds the check keeps whole (as nodes of the full parser).
var nodeKinds = map[string]bool{
	"Secret": true, "ServiceAccount": true, pullAccessKind: true, "RoleBinding": true, "ClusterRoleBinding": true,
	"Namespace": true, "Project": true, "SealedSecret": true,
	mirrorset.KindIDMS: true, mirrorset.KindITMS: true, mirrorset.KindICSP: true, mirrorset.KindImage: true,
}

var parsers = sync.Pool{New: func() any { return &fparser{} }}

// readChunk reads a chunk with the fast reader where it can: a pod-bearing object becomes
// a podRecord, an object of a kind the check ignores is only counted; the rest, and
// anything the fast reader does not handle, goes to the full parser.
func readChunk(c yamlstream.Doc, fast bool) chunkResult {
	if fast {
		p := parsers.Get().(*fparser)
		defer parsers.Put(p)
		docs, root, ok := p.parse(c.Text, c.Line)
		if ok && root < 0 {
			return chunkResult{docs: docs}
		}
		if ok {
			t := fastTree{p}
			m := readMetaOf(t, root)
			switch {
			case p.opaque || nodeKinds[m.kind] || strings.HasSuffix(m.kind, "List"):
			case manifest.PodSpecPathOf(m.apiVersion, m.kind) == nil || !t.isMap(root) || m.apiVersion == "":
				return chunkResult{docs: 1}
			default:
				pod, isPod := readPodRecord(t, root, m)
				switch {
				case p.opaque:
				case isPod:
					return chunkResult{docs: 1, pod: &pod}
				default:
					return chunkResult{docs: 1}
				}
			}
		}
	}
	nodes, err := parseChunk(c)
	return chunkResult{nodes: nodes, err: err}
}

// parseChunk decodes the documents of a chunk, with line numbers of the whole stream.
func parseChunk(c yamlstream.Doc) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(c.Text))
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
		if c.Line > 0 {
			shiftLines(n, c.Line)
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
