package pullcheck

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
)

// treeReader reads a parsed YAML tree whatever parsed it, so that one piece of code takes
// what the check needs from the full parser's nodes and from the fast reader's.
type treeReader[N any] interface {
	// field is the value of key in mapping n, aliases followed; absent when there is none.
	field(n N, key string) N
	// exists tells whether n is a node, not the absent one.
	exists(n N) bool
	// scalar is the value of a scalar, "" for null and any other node.
	scalar(n N) string
	// items are the elements of a sequence, nil for any other node.
	items(n N) []N
	// isMap tells whether n is a mapping.
	isMap(n N) bool
	// line is n's line.
	line(n N) int
}

// nodeTree reads the full parser's nodes.
type nodeTree struct{}

func (nodeTree) field(n *yaml.Node, key string) *yaml.Node { return field(n, key) }
func (nodeTree) exists(n *yaml.Node) bool                  { return n != nil }
func (nodeTree) scalar(n *yaml.Node) string                { return scalar(n) }
func (nodeTree) items(n *yaml.Node) []*yaml.Node           { return items(n) }
func (nodeTree) isMap(n *yaml.Node) bool {
	n = deref(n)
	return n != nil && n.Kind == yaml.MappingNode
}
func (nodeTree) line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// fastTree reads the fast reader's nodes; -1 is the absent node. Asking for the value of
// a skipped block scalar marks the document for the full parser.
type fastTree struct{ p *fparser }

func (t fastTree) node(n int32) *fnode {
	if n < 0 {
		return nil
	}
	nd := &t.p.nodes[n]
	if nd.kind == fOpaque {
		t.p.opaque = true
	}
	return nd
}

func (t fastTree) field(n int32, key string) int32 {
	nd := t.node(n)
	if nd == nil || nd.kind != fMap {
		return -1
	}
	kids := t.p.kids[nd.first : nd.first+nd.n]
	for i := 0; i+1 < len(kids); i += 2 {
		if t.p.nodes[kids[i]].value == key {
			return kids[i+1]
		}
	}
	return -1
}

func (t fastTree) exists(n int32) bool { return n >= 0 }

func (t fastTree) scalar(n int32) string {
	if nd := t.node(n); nd != nil && nd.kind == fScalar {
		return nd.value
	}
	return ""
}

func (t fastTree) items(n int32) []int32 {
	if nd := t.node(n); nd != nil && nd.kind == fSeq {
		return t.p.kids[nd.first : nd.first+nd.n]
	}
	return nil
}

func (t fastTree) isMap(n int32) bool {
	nd := t.node(n)
	return nd != nil && nd.kind == fMap
}

func (t fastTree) line(n int32) int {
	if n < 0 {
		return 0
	}
	return int(t.p.nodes[n].line)
}

// readMetaOf reads apiVersion, kind, metadata.name and metadata.namespace.
func readMetaOf[N any, T treeReader[N]](t T, n N) meta {
	md := t.field(n, "metadata")
	return meta{
		apiVersion: t.scalar(t.field(n, "apiVersion")),
		kind:       t.scalar(t.field(n, "kind")),
		namespace:  t.scalar(t.field(md, "namespace")),
		name:       t.scalar(t.field(md, "name")),
	}
}

// fileAnnotationOf is the path annotation of an object, "" when it has none.
func fileAnnotationOf[N any, T treeReader[N]](t T, n N) string {
	ann := t.field(t.field(n, "metadata"), "annotations")
	if p := t.scalar(t.field(ann, PathAnnotation)); p != "" {
		return p
	}
	return t.scalar(t.field(ann, LegacyPathAnnotation))
}

// pullSecretRef is one entry of an imagePullSecrets list.
type pullSecretRef struct {
	name string
	// prefix and index make the field path: prefix.imagePullSecrets[index].name.
	prefix string
	index  int
	line   int
	// kept is set on a ServiceAccount's entry that a PullAccess keeps: a live-only Secret.
	kept bool
}

// readPullSecretRefs reads the imagePullSecrets of a pod spec or ServiceAccount (prefix is
// the field path of n, "" for a ServiceAccount); entries without a name are left out.
func readPullSecretRefs[N any, T treeReader[N]](t T, n N, prefix string) []pullSecretRef {
	var out []pullSecretRef
	for i, it := range t.items(t.field(n, "imagePullSecrets")) {
		nameNode := t.field(it, "name")
		name := t.scalar(nameNode)
		if name == "" {
			continue
		}
		out = append(out, pullSecretRef{name: name, prefix: prefix, index: i, line: t.line(nameNode)})
	}
	return out
}

// podRecord is what the check reads of a pod-bearing object.
type podRecord struct {
	m meta
	// fileAnnotation is the object's path annotation, for objects read without a file.
	fileAnnotation string
	// prefix is the field path of the pod spec.
	prefix string
	// pullSecrets are the pod's own imagePullSecrets.
	pullSecrets []pullSecretRef
	// serviceAccount is serviceAccountName, else serviceAccount, else "default"; saField is
	// the field it comes from (the pod spec for the default) and saLine its line.
	serviceAccount, saField string
	saLine                  int
	containers              []containerRef
}

// containerRef is one entry of a container list.
type containerRef struct {
	// list indexes containerLists; index is the entry's place in that list.
	list  uint8
	index int
	name  string
	image string
	// line is the image's line, else the entry's.
	line int
}

// readPodRecord reads a pod-bearing object; ok is false when n is not one (its kind is not
// pod-bearing, or it has no pod spec mapping).
func readPodRecord[N any, T treeReader[N]](t T, n N, m meta) (r podRecord, ok bool) {
	p := manifest.PodSpecPathOf(m.apiVersion, m.kind)
	if p == nil {
		return r, false
	}
	spec := n
	for _, k := range p {
		if spec = t.field(spec, k); !t.exists(spec) {
			return r, false
		}
	}
	if !t.isMap(spec) {
		return r, false
	}
	r = podRecord{m: m, fileAnnotation: fileAnnotationOf(t, n), prefix: strings.Join(p, ".")}
	r.pullSecrets = readPullSecretRefs(t, spec, r.prefix)
	saNode := t.field(spec, "serviceAccountName")
	r.serviceAccount, r.saField = t.scalar(saNode), r.prefix+".serviceAccountName"
	if r.serviceAccount == "" {
		saNode = t.field(spec, "serviceAccount")
		r.serviceAccount, r.saField = t.scalar(saNode), r.prefix+".serviceAccount"
	}
	if r.serviceAccount == "" {
		r.serviceAccount, saNode, r.saField = "default", spec, r.prefix
	}
	r.saLine = t.line(saNode)
	count := 0
	lists := [len(containerLists)][]N{}
	for i, list := range containerLists {
		lists[i] = t.items(t.field(spec, list))
		count += len(lists[i])
	}
	r.containers = make([]containerRef, 0, count)
	for li, entries := range lists {
		for i, c := range entries {
			img := t.field(c, "image")
			line := t.line(img)
			if !t.exists(img) {
				line = t.line(c)
			}
			r.containers = append(r.containers, containerRef{list: uint8(li), index: i,
				name: t.scalar(t.field(c, "name")), image: t.scalar(img), line: line})
		}
	}
	return r, true
}
