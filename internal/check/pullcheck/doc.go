// Package pullcheck predicts ImagePullBackOff from manifests, before anything is deployed.
//
// For every pod-bearing object it works out which pull secrets a pod gets (its own
// imagePullSecrets, else its ServiceAccount's), which credentials the kubelet would try for
// each image under the kubelet's own matching rules (see Keyring), whether an image from a
// private registry gets none, and whether cross-namespace pulls from the OpenShift internal
// registry are allowed by a system:image-puller binding.
//
// Encrypted Secrets are fine input: the check needs the registry keys, not the passwords.
// It reads them from a decrypted Secret when Options.Decrypt is given and otherwise from the
// annotation pullgen.dev/registries (manifest.AnnotationRegistries), which generation writes on every
// Secret: a comma-separated list of the Secret's auths keys, never a credential.
//
// Nothing in this package prints or keeps a password or an auth value: findings carry only
// Secret names and auths keys.
//
// With --online, the credentials' values are read from the input's Secrets (each decrypted
// once, for its keys and its values), in memory only, and handed to package online, which
// asks the registries whether they work; its findings (rules online-*) follow each image's
// offline finding.
//
// It is a library: what it reads comes through its Input (a Reader held to the check's
// caps, Files; the build of kustomizations) and the online verification through
// Options.Verify, all values the command line gives. It must not import a renderer or hold
// a flag or an exit code.
package pullcheck
