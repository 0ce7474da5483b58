// Package drift compares the objects a PullAccess generates now with the ones committed in
// its output directory: semantically (go-cmp over the decoded objects, so key order and YAML
// style do not count), with decrypted values where the key is at hand, and renders what
// differs as summaries and unified diffs in which every secret value is masked; and the
// live ServiceAccounts with those the PullAccesses produce (Removed). It must not print a
// secret value, and it reads no file but the live dump it is given.
package drift

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/core/sealed"
)

// Object is an object and the file it lives in.
type Object struct {
	File string
	Node *yaml.RNode
}

// Options tune a comparison.
type Options struct {
	// Decrypt returns the plaintext of a committed object that carries a sops block, or an
	// error when it cannot (no key at hand). Nil means no object can be decrypted.
	Decrypt func(*yaml.RNode) (*yaml.RNode, error)
}

// Change is one object that differs.
type Change struct {
	// Op is "added" (generated, not committed), "removed" (committed, no longer generated)
	// or "changed".
	Op                    string
	Kind, Namespace, Name string
	File                  string
	// Details say what changed: registry keys, namespaces, links.
	Details []string
	// Diff is a unified diff of the masked objects.
	Diff string
}

// Summary is a change on one line.
func (c Change) Summary() string {
	id := c.Kind + " " + c.Name
	if c.Namespace != "" {
		id = c.Kind + " " + c.Namespace + "/" + c.Name
	}
	s := fmt.Sprintf("%s %s (%s)", c.Op, id, c.File)
	if len(c.Details) > 0 {
		s += ": " + strings.Join(c.Details, "; ")
	}
	return s
}

// Report is the outcome of a comparison.
type Report struct {
	Changes []Change
	// Unverified lists the committed objects whose encrypted values could not be compared.
	Unverified []string
}

// masked stands for a secret value in diffs; changed marks one that differs.
const (
	masked      = "<masked>"
	maskedNew   = "<masked: changed>"
	encryptedNV = "<encrypted: not verified>"
)

// Compare compares the regenerated objects (want, plaintext) with the committed ones.
func Compare(want, have []Object, opts Options) Report {
	var r Report
	index := func(objs []Object) (map[string]Object, []string) {
		m := map[string]Object{}
		var ids []string
		for _, o := range objs {
			id := o.Node.GetKind() + "/" + o.Node.GetNamespace() + "/" + o.Node.GetName()
			if _, dup := m[id]; !dup {
				ids = append(ids, id)
			}
			m[id] = o
		}
		return m, ids
	}
	wm, wids := index(want)
	hm, hids := index(have)
	ids := append(append([]string(nil), wids...), hids...)
	sort.Strings(ids)
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		w, inWant := wm[id]
		h, inHave := hm[id]
		switch {
		case inWant && !inHave:
			c := change("added", w)
			c.Diff = unified("/dev/null", w.File, "", render(maskSecret(decode(w.Node))))
			c.Details = addedDetails(w.Node)
			r.Changes = append(r.Changes, c)
		case inHave && !inWant:
			c := change("removed", h)
			hv, _ := decodeCommitted(h.Node, opts)
			c.Diff = unified(h.File, "/dev/null", render(maskSecret(hv)), "")
			r.Changes = append(r.Changes, c)
		default:
			hv, verified := decodeCommitted(h.Node, opts)
			if !verified {
				r.Unverified = append(r.Unverified, h.File)
			}
			wv := decode(w.Node)
			wv, hv = maskPair(wv, hv, verified)
			if cmp.Equal(wv, hv) {
				continue
			}
			c := change("changed", w)
			c.Details = details(h.Node.GetKind(), hv, wv)
			c.Diff = unified(h.File, w.File, render(hv), render(wv))
			r.Changes = append(r.Changes, c)
		}
	}
	return r
}

func change(op string, o Object) Change {
	return Change{Op: op, Kind: o.Node.GetKind(), Namespace: o.Node.GetNamespace(), Name: o.Node.GetName(), File: o.File}
}

// decode maps an object to plain Go values, without the bookkeeping annotations tools add.
func decode(n *yaml.RNode) map[string]any {
	m, err := n.Map()
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	if md, ok := m["metadata"].(map[string]any); ok {
		if a, ok := md["annotations"].(map[string]any); ok {
			for k := range a {
				if strings.HasPrefix(k, "config.kubernetes.io/") || strings.HasPrefix(k, "internal.config.kubernetes.io/") {
					delete(a, k)
				}
			}
			if len(a) == 0 {
				delete(md, "annotations")
			}
		}
	}
	delete(m, "sops")
	return m
}

// decodeCommitted decodes a committed object, decrypting it when it is encrypted and the
// key is at hand; verified is false when its encrypted values stay unknown.
func decodeCommitted(n *yaml.RNode, opts Options) (m map[string]any, verified bool) {
	if n.Field("sops") == nil {
		return decode(n), true
	}
	if opts.Decrypt != nil {
		if plain, err := opts.Decrypt(n); err == nil {
			return decode(plain), true
		}
	}
	return decode(n), false
}

// secretData decodes a Secret's data: docker configs as their JSON, other values as text.
func secretData(m map[string]any) map[string]any {
	data, _ := m["data"].(map[string]any)
	out := map[string]any{}
	for k, v := range data {
		s, _ := v.(string)
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			out[k] = s
			continue
		}
		var doc map[string]any
		if (k == ".dockerconfigjson" || k == ".dockercfg") && json.Unmarshal(b, &doc) == nil {
			out[k] = doc
			continue
		}
		out[k] = string(b)
	}
	return out
}

// secretFields are the fields of a docker config entry that hold a credential.
var secretFields = map[string]bool{"password": true, "auth": true, "identitytoken": true, "registrytoken": true}

// maskPair masks the secret values of two decoded versions of an object so that neither
// shows a credential while a changed value still shows as a changed line. When the
// committed values are not verified, both sides show them as not verified.
func maskPair(want, have map[string]any, verified bool) (map[string]any, map[string]any) {
	if isSealed(want) {
		maskSealed(want, have)
		maskSealed(have, nil)
		return want, have
	}
	if want["kind"] != "Secret" {
		return want, have
	}
	if !verified {
		want["data"] = encryptedNV
		have["data"] = encryptedNV
		return want, have
	}
	hd := secretData(have)
	want["data"] = maskData(secretData(want), hd)
	have["data"] = maskData(hd, nil)
	return want, have
}

// maskSecret masks a single object's secret values.
func maskSecret(m map[string]any) map[string]any {
	if isSealed(m) {
		maskSealed(m, nil)
	}
	if m["kind"] == "Secret" {
		if _, ok := m["data"].(map[string]any); ok {
			m["data"] = maskData(secretData(m), nil)
		} else {
			m["data"] = encryptedNV
		}
	}
	return m
}

// maskData masks a Secret's decoded data: the credential fields of docker configs, and
// every other value whole. Where other (the committed data) holds a different value at
// the same place, the mask says it changed.
func maskData(data, other map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range data {
		var ov any
		if other != nil {
			ov = other[k]
		}
		if doc, ok := v.(map[string]any); ok {
			out[k] = maskEntries(doc, ov, other != nil)
			continue
		}
		out[k] = maskScalar(v, ov, other != nil)
	}
	return out
}

func maskEntries(v, other any, compare bool) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	o, _ := other.(map[string]any)
	out := map[string]any{}
	for k, val := range m {
		var ov any
		if o != nil {
			ov = o[k]
		}
		if _, isString := val.(string); isString && secretFields[k] {
			out[k] = maskScalar(val, ov, compare && o != nil)
			continue
		}
		out[k] = maskEntries(val, ov, compare && o != nil)
	}
	return out
}

func maskScalar(v, other any, compare bool) string {
	if compare && other != nil && other != v {
		return maskedNew
	}
	return masked
}

// render writes a decoded object as YAML for a diff.
func render(m map[string]any) string {
	n, err := yaml.FromMap(m)
	if err != nil {
		return fmt.Sprintf("error: %v\n", err)
	}
	return n.MustString()
}

// addedDetails describes a new object.
func addedDetails(n *yaml.RNode) []string {
	if n.GetKind() == "Secret" || sealed.IsSealedSecret(n) {
		return []string{"registries " + n.GetAnnotations()[manifest.AnnotationRegistries]}
	}
	return nil
}

// details says what changed between two decoded versions of an object.
func details(kind string, old, cur map[string]any) []string {
	var out []string
	switch {
	case isSealed(cur):
		out = sealedDetails(old, cur)
	case kind == "Secret":
		if s, ok := cur["data"].(map[string]any); ok {
			o, _ := old["data"].(map[string]any)
			added, removed, changed := diffKeys(auths(o), auths(s))
			out = appendList(out, "registry keys added", added)
			out = appendList(out, "registry keys removed", removed)
			out = appendList(out, "credentials changed", changed)
		}
	case kind == "ServiceAccount":
		added, removed, _ := diffKeys(names(old["imagePullSecrets"]), names(cur["imagePullSecrets"]))
		out = appendList(out, "links added", added)
		out = appendList(out, "links removed", removed)
	case kind == "RoleBinding":
		added, removed, _ := diffKeys(subjects(old["subjects"]), subjects(cur["subjects"]))
		out = appendList(out, "subjects added", added)
		out = appendList(out, "subjects removed", removed)
	}
	if len(out) == 0 {
		out = append(out, "fields changed")
	}
	return out
}

// auths maps each auths key of a masked Secret's data to its entry.
func auths(data map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range data {
		doc, _ := v.(map[string]any)
		if k == ".dockerconfigjson" {
			doc, _ = doc["auths"].(map[string]any)
		}
		for key, e := range doc {
			out[key] = e
		}
	}
	return out
}

func names(v any) map[string]any {
	out := map[string]any{}
	list, _ := v.([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out[fmt.Sprint(m["name"])] = true
		}
	}
	return out
}

func subjects(v any) map[string]any {
	out := map[string]any{}
	list, _ := v.([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			id := fmt.Sprint(m["kind"], " ", m["name"])
			if ns, ok := m["namespace"]; ok {
				id = fmt.Sprint(m["kind"], " ", ns, "/", m["name"])
			}
			out[id] = true
		}
	}
	return out
}

// diffKeys compares two maps by key, and by value where both have a key.
func diffKeys(old, cur map[string]any) (added, removed, changed []string) {
	for k, v := range cur {
		ov, ok := old[k]
		switch {
		case !ok:
			added = append(added, k)
		case !cmp.Equal(ov, v):
			changed = append(changed, k)
		}
	}
	for k := range old {
		if _, ok := cur[k]; !ok {
			removed = append(removed, k)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	sort.Strings(changed)
	return added, removed, changed
}

func appendList(out []string, label string, items []string) []string {
	if len(items) == 0 {
		return out
	}
	return append(out, label+": "+strings.Join(items, ", "))
}
