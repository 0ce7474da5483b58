package pullcheck

import (
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/check/mirrorset"
	"pullgen.dev/pullgen/internal/core/manifest"
)

// PullAccess identity, read from the input to learn which registries are private.
const (
	pullAccessGroup = "pullgen.dev"
	pullAccessKind  = "PullAccess"
)

// nsName identifies a namespaced object.
type nsName struct{ ns, name string }

// objRef is an input object with its identity resolved.
type objRef struct {
	obj  *Object
	file string
	m    meta
	ns   string
}

// line returns l when the object's lines are lines of its file, else 0.
func (r objRef) line(l int) int {
	if !r.obj.Lines {
		return 0
	}
	return l
}

// secretEntry is a Secret of the input, parsed on first use.
type secretEntry struct {
	node   *yaml.Node
	ref    objRef
	expiry secretExpiry
	parsed bool
	info   secretInfo
	// sealed is set for a SealedSecret: node is then the Secret it opens into, and
	// annotations the path of that Secret's annotations in the object ("" for metadata.annotations).
	sealed      *sealedEntry
	annotations string
}

// annotationsField is the field path of the Secret's annotations in its object.
func (e *secretEntry) annotationsField() string {
	if e.annotations == "" {
		return "metadata.annotations"
	}
	return e.annotations
}

// saEntry is a ServiceAccount of the input.
type saEntry struct {
	ref         objRef
	pullSecrets []pullSecretRef
	annotations map[string]string
	reported    bool
}

// workload is a pod-bearing object.
type workload struct {
	ref objRef
	pod *podRecord
}

// index is the input, sorted by what the check needs.
type index struct {
	secrets   map[nsName]*secretEntry
	sas       map[nsName]*saEntry
	bindings  map[string][]pullerBinding
	cluster   []pullerBinding
	private   Keyring
	workloads []workload
	// namespaces are the Namespaces and Projects of the input, with their labels.
	namespaces map[string]map[string]string
	// coverage holds the PullAccesses of the input and those its generated Secrets name;
	// coverageList those of them that target namespaces, sorted.
	coverage     map[string]*coverage
	coverageList []*coverage
	// pullAccesses are the PullAccesses of the input.
	pullAccesses []objRef
	// mirrorSets are the image mirror sets of the input and the cluster, imageConfig the
	// cluster's image configuration, nil when absent.
	mirrorSets  []objRef
	imageConfig *objRef
}

// buildIndex classifies the input objects, and of the cluster's (Options.Cluster) those
// that shape pulls.
func buildIndex(objs []Object, opts Options) *index {
	ix := &index{
		secrets:  map[nsName]*secretEntry{},
		sas:      map[nsName]*saEntry{},
		bindings: map[string][]pullerBinding{},
	}
	defNS := opts.namespace()
	for i := range objs {
		ix.add(&objs[i], defNS, false)
	}
	for i := range opts.Cluster {
		ix.add(&opts.Cluster[i], defNS, true)
	}
	ix.resolveCoverage()
	from := opts.PrivateFrom
	if from == "" {
		from = "--private"
	}
	ix.addPrivate(from, opts.Private)
	return ix
}

// add classifies one object; of a cluster's, only its mirror sets, image configuration and
// the pull secrets the nodes get.
func (ix *index) add(o *Object, defNS string, cluster bool) {
	if o.pod != nil {
		if !cluster {
			ix.addWorkload(o, o.pod, defNS)
		}
		return
	}
	if o.Node == nil {
		return
	}
	n := o.Node.YNode()
	file := o.File
	if file == "" {
		file = fileOf(n)
	}
	m := readMeta(n)
	ns := m.namespace
	if ns == "" {
		ns = defNS
	}
	ref := objRef{obj: o, file: file, m: m, ns: ns}
	isSecret := m.kind == "Secret" && group(m.apiVersion) == ""
	switch {
	case mirrorset.Is(m.apiVersion, m.kind):
		ref.ns = "" // cluster-scoped
		if !cluster || !slices.ContainsFunc(ix.mirrorSets, func(r objRef) bool { return r.m.kind == m.kind && r.m.name == m.name }) {
			ix.mirrorSets = append(ix.mirrorSets, ref) // the input's own wins over the cluster's
		}
		return
	case mirrorset.IsImageConfig(m.apiVersion, m.kind, m.name):
		ref.ns = ""
		if !cluster || ix.imageConfig == nil {
			ix.imageConfig = &ref
		}
		return
	case cluster && !(isSecret && isNodePullSecret(ns, m.name)):
		return
	}
	switch {
	case isSecret && cluster && ix.secrets[nsName{ns, m.name}] != nil:
		// The input's own, what is about to be applied, wins over the cluster's.
	case isSecret:
		e := &secretEntry{node: n, ref: ref}
		readSecretExpiry(e)
		ix.generatedSecret(e)
		ix.secrets[nsName{ns, m.name}] = e
	case isSealedSecret(m):
		e := newSealedEntry(n, ref)
		readSecretExpiry(e)
		ix.generatedSecret(e)
		ix.secrets[nsName{ns, m.name}] = e
	case m.kind == "ServiceAccount" && group(m.apiVersion) == "":
		refs := readPullSecretRefs(nodeTree{}, n, "")
		markKept(n, refs)
		ix.sas[nsName{ns, m.name}] = &saEntry{ref: ref, pullSecrets: refs, annotations: labelsOf(field(n, "metadata"), "annotations")}
	case m.kind == pullAccessKind && group(m.apiVersion) == pullAccessGroup:
		ix.addPrivate("PullAccess "+m.name, pullAccessRegistries(n))
		ix.pullAccessCoverage(m.name, n)
		ix.pullAccesses = append(ix.pullAccesses, ref)
	case manifest.IsNamespaceKind(m.apiVersion, m.kind):
		if ix.namespaces == nil {
			ix.namespaces = map[string]map[string]string{}
		}
		ix.namespaces[m.name] = labelsOf(field(n, "metadata"), "labels")
	case m.kind == "RoleBinding" || m.kind == "ClusterRoleBinding":
		if b, ok := readPullerBinding(n, m, ns); ok {
			if m.kind == "ClusterRoleBinding" {
				ix.cluster = append(ix.cluster, b)
			} else {
				ix.bindings[ns] = append(ix.bindings[ns], b)
			}
		}
	default:
		if pod, ok := readPodRecord(nodeTree{}, n, m); ok {
			ix.addWorkload(o, &pod, defNS)
		}
	}
}

// isNodePullSecret tells whether a Secret is one the nodes' credentials come from: the
// global pull secret, or a hosted control plane's.
func isNodePullSecret(ns, name string) bool {
	switch {
	case ns == manifest.GlobalPullSecretNS:
		return name == manifest.GlobalPullSecretName
	case ns == manifest.HostedPullSecretNS:
		return name == manifest.AdditionalPullSecretName || name == manifest.OriginalPullSecretName || name == manifest.HostedGlobalPullSecretName
	}
	return false
}

// addWorkload records a pod-bearing object.
func (ix *index) addWorkload(o *Object, pod *podRecord, defNS string) {
	file := o.File
	if file == "" {
		file = pod.fileAnnotation
	}
	ns := pod.m.namespace
	if ns == "" {
		ns = defNS
	}
	ix.workloads = append(ix.workloads, workload{ref: objRef{obj: o, file: file, m: pod.m, ns: ns}, pod: pod})
}

// pullAccessRegistries returns the registry keys a PullAccess declares.
func pullAccessRegistries(n *yaml.Node) []string {
	var out []string
	for _, r := range items(path(n, "spec", "registries")) {
		if s := scalar(field(r, "server")); s != "" {
			out = append(out, s)
		}
		for _, a := range items(field(r, "aliases")) {
			if s := scalar(a); s != "" {
				out = append(out, s)
			}
		}
		for _, a := range items(path(r, "fromConfig", "registries")) {
			if s := scalar(a); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// addPrivate declares registry keys private. A Docker Hub key is declared under docker.io
// too, since generation writes it as https://index.docker.io/v1/ which covers every Docker
// Hub image.
func (ix *index) addPrivate(source string, keys []string) {
	for _, k := range keys {
		norm, ok := NormalizeKey(k)
		if !ok || !ix.private.add(source, k, k) {
			continue
		}
		host, rest, _ := strings.Cut(norm, "/")
		if manifest.IsDockerHubHost(host) && host != manifest.DockerHubDomain {
			alias := manifest.DockerHubDomain
			if rest != "" {
				alias += "/" + rest
			}
			ix.private.add(source, alias, k)
		}
	}
}

// secret returns what the check knows of a Secret, or nil when it is not in the input.
func (ix *index) secret(ns, name string, opts Options) *secretInfo {
	e := ix.secrets[nsName{ns, name}]
	if e == nil {
		return nil
	}
	if !e.parsed {
		if e.sealed != nil {
			e.info = readSealed(e, name)
		} else {
			e.info = readSecret(e.node, name, opts.Decrypt)
		}
		e.parsed = true
	}
	return &e.info
}
