package pullcheck

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ImagePullerRole is the OpenShift role that lets a subject pull from a namespace's image
// streams through the internal registry.
const ImagePullerRole = "system:image-puller"

// internalRegistryHosts are the service names of the OpenShift internal registry.
var internalRegistryHosts = map[string]bool{
	"image-registry.openshift-image-registry.svc":                    true,
	"image-registry.openshift-image-registry.svc:5000":               true,
	"image-registry.openshift-image-registry.svc.cluster.local":      true,
	"image-registry.openshift-image-registry.svc.cluster.local:5000": true,
}

// internalRegistryNamespace returns the namespace of an image of the OpenShift internal
// registry (host/<ns>/<name>), or "".
func internalRegistryNamespace(repo string) string {
	host, rest, ok := strings.Cut(repo, "/")
	if !ok || !internalRegistryHosts[host] {
		return ""
	}
	ns, _, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return ns
}

// IsInternalRegistryImage tells whether an image reference points into the OpenShift
// internal registry.
func IsInternalRegistryImage(image string) bool {
	host, _, ok := strings.Cut(image, "/")
	return ok && internalRegistryHosts[host]
}

// pullerBinding is a binding to system:image-puller.
type pullerBinding struct {
	kind, namespace, name string
	// subjects are normalized as "sa:<ns>:<name>", "group:<name>" or "user:<name>".
	subjects []string
}

// readPullerBinding reads a RoleBinding or ClusterRoleBinding (rbac.authorization.k8s.io, or
// the legacy authorization.openshift.io form with userNames and groupNames) to
// system:image-puller; ok is false for any other object.
func readPullerBinding(n *yaml.Node, m meta, ns string) (pullerBinding, bool) {
	if m.kind != "RoleBinding" && m.kind != "ClusterRoleBinding" {
		return pullerBinding{}, false
	}
	roleRef := field(n, "roleRef")
	if scalar(field(roleRef, "name")) != ImagePullerRole {
		return pullerBinding{}, false
	}
	if k := scalar(field(roleRef, "kind")); k != "" && k != "ClusterRole" && k != "Role" {
		return pullerBinding{}, false
	}
	b := pullerBinding{kind: m.kind, namespace: ns, name: m.name}
	for _, s := range items(field(n, "subjects")) {
		name := scalar(field(s, "name"))
		switch scalar(field(s, "kind")) {
		case "ServiceAccount":
			sns := scalar(field(s, "namespace"))
			if sns == "" {
				sns = ns
			}
			b.subjects = append(b.subjects, "sa:"+sns+":"+name)
		case "Group", "SystemGroup":
			b.subjects = append(b.subjects, "group:"+name)
		case "User", "SystemUser":
			b.subjects = append(b.subjects, "user:"+name)
		}
	}
	for _, u := range items(field(n, "userNames")) {
		b.subjects = append(b.subjects, "user:"+scalar(u))
	}
	for _, g := range items(field(n, "groupNames")) {
		b.subjects = append(b.subjects, "group:"+scalar(g))
	}
	return b, true
}

// covers reports whether the binding applies to ServiceAccount sa of namespace ns, and
// through which subject.
func (b pullerBinding) covers(ns, sa string) (string, bool) {
	want := map[string]string{
		"sa:" + ns + ":" + sa:                         "ServiceAccount " + ns + "/" + sa,
		"user:system:serviceaccount:" + ns + ":" + sa: "user system:serviceaccount:" + ns + ":" + sa,
		"group:system:serviceaccounts:" + ns:          "group system:serviceaccounts:" + ns,
		"group:system:serviceaccounts":                "group system:serviceaccounts",
		"group:system:authenticated":                  "group system:authenticated",
	}
	for _, s := range b.subjects {
		if via, ok := want[s]; ok {
			return via, true
		}
	}
	return "", false
}
