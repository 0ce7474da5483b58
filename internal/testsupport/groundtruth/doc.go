// Package groundtruth holds tests only: they check pullgen's models of how a cluster pulls
// (packages mirrorset, registriesconf, nodecred and pullcheck) against the code that really
// does it, on corpora of inputs:
//
//   - the registries.conf that mirrorset.Translate writes against what the Machine Config
//     Operator's own translation (github.com/openshift/runtime-utils, at the version the
//     operator vendors) writes for the same mirror sets;
//   - the pull sources registriesconf resolves against containers/image's
//     pkg/sysregistriesv2 fed with that registries.conf;
//   - the node auth file lookups of nodecred against containers/image's pkg/docker/config;
//   - the credential providers nodecred picks for an image, and its refusals of a
//     CredentialProviderConfig, against the kubelet's own plugin code (k8s.io/kubernetes
//     pkg/credentialprovider/plugin), with real plugin executables.
package groundtruth
