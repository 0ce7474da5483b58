package pullcheck

import "strings"

// ruleDoc documents a rule beyond RuleInfo.Description (what its finding means): a short
// title and what to do about it. SARIF reports carry them as each rule's
// shortDescription and help; the rule sections of docs/check.md are written from them
// (a test keeps the page in step), so that the report and the page say the same.
type ruleDoc struct {
	// title names the problem in a few words, without a final period.
	title string
	// fix says what to do. Code goes in backticks; there is no other markdown.
	fix string
}

// ruleDocs has an entry for every rule of Rules and OnlineRules, and no other.
var ruleDocs = map[string]ruleDoc{
	RuleMissingCredential: {"Image from a private registry without a credential",
		"Give the pod a pull secret with an entry that matches the image: cover its namespace and ServiceAccount with the PullAccess that declares the registry (`spec.namespaces` or `spec.namespaceSelector`, and `spec.serviceAccounts` or `spec.workloads`) and run `pullgen generate`, or list such a Secret in the pod's `imagePullSecrets`. A registry that serves the image to anyone is not private: drop it from `--private`."},
	RuleInvalidSecret: {"Pull secret the kubelet cannot parse",
		"Regenerate the Secret (`pullgen generate`), or repair its `.dockerconfigjson`: valid JSON with an `auths` object whose entries' `auth` is the base64 of `user:password`."},
	RuleMissingSecret: {"Pull secret missing from the namespace",
		"Create the Secret in the pod's namespace (a PullAccess that lists the namespace writes it: `pullgen generate`), or remove its name from the `imagePullSecrets` of the pod or of its ServiceAccount."},
	RuleMissingImagePuller: {"No image-puller binding in the image's namespace",
		"Bind the ClusterRole `system:image-puller` in the image's namespace to the pod's ServiceAccount, or to the group `system:serviceaccounts:<pod namespace>`: a PullAccess's `spec.imagePullers` writes that RoleBinding."},
	RuleInternalSecretLost: {"Pod loses its internal-registry pull secret",
		"Add the ServiceAccount's `<sa>-dockercfg-*` Secret to the pod's `imagePullSecrets`, or drop the pod's own list and link its Secrets to the ServiceAccount instead (`spec.serviceAccounts` of a PullAccess)."},
	RuleInvalidImage: {"Image name that cannot be parsed",
		"Write the image as `[registry[:port]/]repository[:tag][@digest]`, the repository in lowercase."},
	RuleCredentialExpired: {"Pull secret whose credentials have expired",
		"Rotate the credential at the registry, give its source the new value and expiry (`expiresAt` or `expiresAtFrom`), run `pullgen generate` and roll the new Secret out."},
	RuleNoPullSource: {"Image whose every pull source fails",
		"Give each private mirror a credential in the nodes' own credentials: a PullAccess registry with `mirror: true` and `spec.globalPullSecret` writes it into the global pull secret (`openshift-config/pull-secret`, or `kube-system/additional-pull-secret` on a hosted cluster). Or let the image itself be reached: `mirrorSourcePolicy: AllowContactingSource`, and an ImageTagMirrorSet for images by tag, which ImageDigestMirrorSet mirrors never serve."},
	RuleInvalidMirrorSet: {"Mirror set the cluster refuses",
		"Correct the field the finding names: a `source` is `host[:port][/namespace...]` or `*.domain`, a mirror `host[:port][/namespace...]`, listed once; one `mirrorSourcePolicy` per source across all mirror sets; `NeverContactSource` never with the source among its own mirrors."},
	RuleProviderAnnotationMissing: {"ServiceAccount without a credential provider's annotation",
		"Annotate the pod's ServiceAccount with every key of the provider's `tokenAttributes.requiredServiceAccountAnnotationKeys` (a workload identity's client ID, say), or give the pod a pull secret for the registry."},
	RuleMirrorCredentialMissing: {"Private mirror without a node credential",
		"Put the mirror's credential in the nodes' own credentials: a PullAccess registry with `mirror: true` and `spec.globalPullSecret`, then `pullgen generate`. Pull secrets in the pod's namespace do nothing for a mirror on another host."},
	RuleMirrorSecretUnused: {"Pull secret for a mirror, which the runtime never sends there",
		"Mark the registry `mirror: true` in its PullAccess and configure `spec.globalPullSecret`: its credential then goes to the nodes' own credentials, which the container runtime sends to mirrors, instead of namespace Secrets."},
	RuleMirrorPull: {"Pull through mirrors",
		"Nothing to do: the finding lists the pull sources the container runtime tries, in order, and the credential each gets."},
	RuleUnknownServiceAccount: {"ServiceAccount not in the input",
		"Check the ServiceAccount's manifest along with the pod (give its file or directory too), or create the ServiceAccount: until then the pod's pull secrets are unknown."},
	RuleUnusedLink: {"ServiceAccount pull secret that no pod gets",
		"Add the Secret to the pods' own `imagePullSecrets`, or drop their own lists so that they get the ServiceAccount's; if no pod needs it, remove the link (`spec.serviceAccounts` of the PullAccess)."},
	RuleCredentialExpiring: {"Pull secret whose credentials expire soon",
		"Rotate the credential before the date: give its source the new value and expiry (`expiresAt` or `expiresAtFrom`), run `pullgen generate` and roll the new Secret out. An annotation `pullgen.dev/expires-at` that is not an RFC 3339 time is reported too: correct it."},
	RuleSealingCertificateExpired: {"SealedSecret sealed with an expired certificate",
		"Nothing breaks yet: the controller keeps its old keys and still opens the SealedSecret. Before the next rotation, fetch the controller's current certificate (`kubeseal --fetch-cert`), commit it where `spec.output.sealed.certificate` points and run `pullgen generate`, which seals anew with it."},
	RuleSealingCertificateExpiring: {"SealedSecret sealed with a certificate that expires soon",
		"Fetch the controller's current certificate (`kubeseal --fetch-cert`) and commit it where `spec.output.sealed.certificate` points: once the old one has expired, `pullgen generate` refuses to seal with it. An annotation `pullgen.dev/sealing-certificate-expires-at` that is not an RFC 3339 time is reported too: run `pullgen generate` again."},
	RuleSelectedNamespaceGone: {"Generated Secret in a namespace that is gone",
		"Run `pullgen generate`: the PullAccess's `spec.namespaceSelector` no longer selects the namespace, and generation removes the Secret."},
	RuleNamespaceNotCovered: {"Namespace that no PullAccess covers",
		"List the namespace in `spec.namespaces` of a PullAccess that declares the registry, or give it the labels that its `spec.namespaceSelector` selects, then run `pullgen generate`."},
	RuleUnknownSecretKeys: {"Encrypted pull secret with unknown registry keys",
		"Give the check the key that decrypts the Secret (where sops looks for it, such as `SOPS_AGE_KEY_FILE`), or annotate the Secret with `pullgen.dev/registries`: its `auths` keys, comma-separated (a SealedSecret, which nothing but its controller opens, in its template's annotations). Secrets and SealedSecrets that `pullgen generate` writes carry it."},
	RuleAuthenticatedPull: {"Pull with credentials",
		"Nothing to do: the finding names the credentials the kubelet sends, in its order. `pullgen check --online` verifies that the registry accepts them."},
	RuleAnonymousPull: {"Anonymous pull",
		"Nothing to do if the registry serves the image to anyone. If it does not, declare the registry in a PullAccess, or name it with `--private`, so that a missing credential is an error."},
	RuleInternalRegistryPull: {"Pull from the OpenShift internal registry",
		"Nothing to do: the pod may pull the image."},
	RuleOnlineDenied: {"Registry refuses the credentials",
		"Check the credential at the registry: renew it, or grant it pull access to the repository, then run `pullgen generate`. When the registry delegates authentication, give the Secret an entry for the auth server (`authServer` in a PullAccess). A registry that would serve the image anonymously does not help: the kubelet does not fall back to an anonymous pull."},
	RuleOnlineNotFound: {"Image not in the registry",
		"Push the image, or correct the repository, tag or digest the pod names."},
	RuleOnlineAnonymous: {"Registry serves the image to anyone",
		"Make the repository private at the registry if it should be; otherwise the pull secret is not needed for it."},
	RuleOnlineUnverified: {"Credential that could not be tried",
		"Run the check with the key that decrypts the Secret (where sops looks for it, such as `SOPS_AGE_KEY_FILE`)."},
	RuleOnlineUnreachable: {"Registry not reachable",
		"Run the check where the registry can be reached: `--insecure-registry HOST` for a registry that answers in plain HTTP, `SSL_CERT_FILE` for a private certificate authority, `HTTPS_PROXY` for a proxy, a longer `--timeout` for a slow one."},
	RuleOnlineRegistryError: {"Registry error",
		"Run the check again later; if the error stays, the registry or its auth server needs fixing."},
	RuleOnlineVerified: {"Credentials verified",
		"Nothing to do: the registry served the image's manifest."},
	RuleOnlineSkipped: {"Image not verified online",
		"Nothing to do: the offline check covers the internal registry (`system:image-puller` bindings)."},
}

// ruleHelpURL is where docs/check.md is published; a rule's section is its identifier.
const ruleHelpURL = "https://pullgen.dev/docs/check.md#"

// ruleHelp is the help of a rule as plain text and as markdown: what its finding means
// and what to do.
func ruleHelp(r RuleInfo) (text, markdown string) {
	fix := ruleDocs[r.ID].fix
	text = r.Description + "\n\nFix: " + strings.ReplaceAll(fix, "`", "")
	markdown = escapeMarkdown(r.Description) + "\n\n**Fix:** " + markdownCode(fix)
	return text, markdown
}

// markdownCode writes text whose code is in backticks as markdown: the code spans stay,
// the text between them is escaped.
func markdownCode(s string) string {
	parts := strings.Split(s, "`")
	for i := 0; i < len(parts); i += 2 {
		parts[i] = escapeMarkdown(parts[i])
	}
	return strings.Join(parts, "`")
}

// markdownEscaper escapes the characters that markdown could read as markup in prose.
var markdownEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `<`, `\<`, `>`, `\>`, `[`, `\[`, `]`, `\]`, `|`, `\|`)

// escapeMarkdown makes plain text read as itself in markdown.
func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }
