package render

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/types"

	"pullgen.dev/pullgen/internal/untrusted/bound"
)

// graph counts what kustomize will do to build each kustomization render prepares, before
// any build. Render prepares a kustomization once however often it is named, but kustomize
// builds it again for every kustomization that names it: a base named by two
// kustomizations, each named by two, twenty levels deep, is built a million times from a
// few kilobytes. So each kustomization's cost includes the cost of every kustomization it
// names, as often as it names them, and the caps hold the total: the kustomizations
// loaded, the files and directories named, the objects read and generated, the bytes read,
// and the bytes its replacements may walk, counting every reuse; and the nesting depth,
// which costs kustomize more than its square.
type graph struct {
	limits Limits
	// stack are the kustomizations being prepared, the innermost last.
	stack []*cost
	// done are the costs of the kustomizations prepared, by real directory.
	done map[string]tally
}

// tally is what one build of a kustomization costs kustomize, what it names included.
type tally struct {
	// kustomizations loaded (itself and those it names), references (files and directories
	// named), documents (objects read and generated), bytes read, and nodes hidden in
	// values (see fileCost).
	kustomizations, references, documents, hidden int
	bytes                                         int64
	// replaced is what the replacements of the kustomizations it names walk (walked).
	replaced int64
}

func (t *tally) plus(o tally) {
	t.kustomizations += o.kustomizations
	t.references += o.references
	t.documents += o.documents
	t.hidden += o.hidden
	t.bytes += o.bytes
	t.replaced += o.replaced
}

// cost is a kustomization being prepared.
type cost struct {
	tally
	where string
	// fieldPaths are the target field paths of its own replacements.
	fieldPaths int
	// named are the real paths of the files and directories it names.
	named map[string]string
}

// hiddenWeight is what a YAML node within a value costs a replacement, in bytes: a field
// path through a value that holds YAML or JSON makes kustomize parse the value and write
// it back, about as slow per node as reading 64 bytes of text.
const hiddenWeight = 64

// walked is what the replacements of a kustomization walk, in bytes: each target field
// path may visit every object the kustomization builds, and parse a value of it (or split
// it at a delimiter), so it costs up to their bytes and their hidden nodes; plus what
// those of the kustomizations it names walk.
func (c *cost) walked() int64 {
	return int64(c.fieldPaths)*(c.bytes+hiddenWeight*int64(c.hidden)) + c.replaced
}

func newGraph(l Limits) *graph { return &graph{limits: l, done: map[string]tally{}} }

// enter starts counting a kustomization (where names its file).
func (g *graph) enter(where string) error {
	if d := g.limits.KustomizationDepth; d > 0 && len(g.stack) >= d {
		return fmt.Errorf("%s: kustomizations nested more than %d deep (--max-kustomization-depth): kustomize's time grows faster than the square of the depth", where, d)
	}
	g.stack = append(g.stack, &cost{tally: tally{kustomizations: 1}, where: where, named: map[string]string{}})
	return nil
}

// leave ends counting the kustomization at real (its directory) and keeps its cost for
// those that name it.
func (g *graph) leave(real string) {
	c := g.top()
	g.stack = g.stack[:len(g.stack)-1]
	t := c.tally
	t.replaced = c.walked()
	g.done[real] = t
}

// top is the kustomization being prepared.
func (g *graph) top() *cost { return g.stack[len(g.stack)-1] }

// fileCost is what a file read costs: its objects, its bytes, and the nodes hidden in its
// values (text that parses as YAML or JSON where the file has a single value: yamlcap's
// estimate of the nodes its bytes may hold, less the nodes it has).
type fileCost struct {
	documents, hidden int
	bytes             int64
}

// name counts an entry e of the kustomization being prepared that names real: a
// kustomization directory (whose cost, once prepared, counts in full), or a file. A file
// or directory named twice is refused: kustomize would read it twice, for no honest
// purpose.
func (g *graph) name(e, real string, f fileCost) error {
	c := g.top()
	if first, ok := c.named[real]; ok {
		return fmt.Errorf("%s: %s and %s name the same file or directory", c.where, bound.Excerpt(first), bound.Excerpt(e))
	}
	c.named[real] = e
	c.plus(tally{documents: f.documents, hidden: f.hidden, bytes: f.bytes})
	if d, ok := g.done[real]; ok { // a kustomization directory (one still being prepared is a cycle, which kustomize reports)
		c.plus(d)
	}
	return g.check()
}

// refer counts the entries of the kustomization being prepared that name files and
// directories (references), before any is read.
func (g *graph) refer(n int) error {
	g.top().references += n
	return g.check()
}

// replace counts the target field paths of a replacement of the kustomization being
// prepared.
func (g *graph) replace(n int) error {
	g.top().fieldPaths += n
	return g.check()
}

// add counts what the kustomization being prepared reads or makes besides the entries it
// names: its own bytes, the objects of its generators.
func (g *graph) add(docs int, size int64) error {
	if len(g.stack) == 0 {
		return nil
	}
	g.top().plus(tally{documents: docs, bytes: size})
	return g.check()
}

// check holds the kustomization being prepared to the caps.
func (g *graph) check() error {
	c, l := g.top(), g.limits
	switch {
	case l.Kustomizations > 0 && c.kustomizations > l.Kustomizations:
		return fmt.Errorf("%s: kustomize would load more than %d kustomizations to build it, counting each as often as it is named (--max-kustomizations)", c.where, l.Kustomizations)
	case l.References > 0 && c.references > l.References:
		return fmt.Errorf("%s: kustomize would read more than %d files and directories to build it, counting each as often as it is named (--max-references)", c.where, l.References)
	case l.Documents > 0 && c.documents > l.Documents:
		return fmt.Errorf("%s: kustomize would build more than %d objects, counting each base as often as it is named (--max-documents)", c.where, l.Documents)
	case l.TotalBytes > 0 && c.bytes > l.TotalBytes:
		return fmt.Errorf("%s: kustomize would read more than %d bytes, counting each file as often as it is named (--max-total-size)", c.where, l.TotalBytes)
	case l.ReplacementBytes > 0 && c.walked() > l.ReplacementBytes:
		return fmt.Errorf("%s: replacements would walk more than %d bytes: %d target field paths, each over every object built here (--max-replacement-walk)", c.where, l.ReplacementBytes, c.fieldPaths)
	}
	return nil
}

// maxSelector caps each value of a selector (the target of a patch, the source and the
// select and reject of a replacement): kustomize parses a label selector in time that
// grows faster than its length, and matches each selector against every object.
const maxSelector = 1024

// selectorFields hold selectors; pathFields field paths, which kustomize splits into
// segments and walks in time that grows with the square of their number.
var (
	selectorFields = map[string]bool{"target": true, "select": true, "reject": true, "source": true, "labelselector": true, "annotationselector": true}
	pathFields     = map[string]string{"fieldpath": ".", "fieldpaths": ".", "path": "/"}
)

// checkCosts walks a kustomization or a built-in configuration (decoded as kustomize
// decodes it, see decodeJSON) for what costs kustomize more than its size: a field path
// (a replacement's source and targets, a var's, a field spec's) of more segments than a
// document may be nested deep, which can reach nothing render accepts; and a selector value
// over maxSelector bytes. It returns the first, as an error naming the field.
func checkCosts(v any, depth int) error {
	return walkCosts(v, "", "", false, depth)
}

func walkCosts(v any, field, sep string, selector bool, depth int) error {
	switch x := v.(type) {
	case string:
		switch {
		case selector && len(x) > maxSelector:
			return fmt.Errorf("%s: a selector of %d bytes, more than the %d one may have", field, len(x), maxSelector)
		case sep != "" && depth > 0 && strings.Count(x, sep) >= depth:
			return fmt.Errorf("%s: a path of more than %d segments, deeper than any document render reads", field, depth)
		}
	case []any:
		for i, e := range x {
			if err := walkCosts(e, fmt.Sprintf("%s[%d]", field, i), sep, selector, depth); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			p := k
			if field != "" {
				p = field + "." + k
			}
			lower := strings.ToLower(k)
			if err := walkCosts(x[k], p, pathFields[lower], selector || selectorFields[lower], depth); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkFields refuses what a kustomization or a built-in configuration of dir (doc,
// named where) asks for that render never does or that costs kustomize more than its
// size: a field naming something remote (walkRemote), and what checkCosts finds in it
// and in the replacement and configuration files it names. It decodes doc once.
func (r *renderer) checkFields(dir, where string, doc []byte) error {
	v, err := decodeJSON(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if field, value := walkRemote(v, ""); field != "" {
		return remoteError(where, field, value)
	}
	if err := checkCosts(v, r.limits.Depth); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	m, _ := v.(map[string]any)
	if err := r.graph.replace(fieldPaths(m["replacements"])); err != nil {
		return err
	}
	var files []string
	if list, ok := m["replacements"].([]any); ok {
		for _, e := range list {
			if rep, ok := e.(map[string]any); ok {
				if p, ok := rep["path"].(string); ok {
					files = append(files, p)
				}
			}
		}
	}
	if list, ok := m["configurations"].([]any); ok {
		for _, e := range list {
			if p, ok := e.(string); ok {
				files = append(files, p)
			}
		}
	}
	for _, f := range files {
		p := entryPath(dir, f)
		if !r.fs.Exists(p) {
			continue // kustomize reports it
		}
		data, err := r.fs.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", where, bound.Excerpt(f), err)
		}
		v, err := decodeJSON(data)
		if err != nil {
			continue // kustomize reports it
		}
		if err := checkCosts(v, r.limits.Depth); err != nil {
			return fmt.Errorf("%s: %s: %w", where, bound.Excerpt(f), err)
		}
		if err := r.graph.replace(fieldPaths(v)); err != nil {
			return err
		}
	}
	return nil
}

// fieldPaths counts the target field paths of replacements (a list of them, or one): a
// configuration file's list holds no replacements and counts none.
func fieldPaths(v any) int {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	n := 0
	for _, e := range list {
		rep, _ := e.(map[string]any)
		targets, _ := rep["targets"].([]any)
		for _, t := range targets {
			target, _ := t.(map[string]any)
			paths, _ := target["fieldPaths"].([]any)
			n += max(1, len(paths))
		}
	}
	return n
}

// references counts the entries of a kustomization that name files or directories, or
// stand for one (an inline patch or replacement).
func references(k *types.Kustomization) int {
	n := len(k.Resources) + len(k.Components) + len(k.Crds) + len(k.Generators) + len(k.Transformers) + len(k.Validators) +
		len(k.Configurations) + len(k.PatchesStrategicMerge) + len(k.Patches) + len(k.PatchesJson6902) + len(k.Replacements)
	for _, g := range append(configMapArgs(k.ConfigMapGenerator), secretArgs(k.SecretGenerator)...) {
		n += len(g.FileSources) + len(g.EnvSources) + 1
	}
	if k.OpenAPI != nil {
		n++
	}
	return n
}

// fileSourcePaths are the paths of a generator's file sources ("key=path" or "path").
func fileSourcePaths(files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		if _, path, ok := strings.Cut(f, "="); ok {
			f = path
		}
		out[i] = f
	}
	return out
}
