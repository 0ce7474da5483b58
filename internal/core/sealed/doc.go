// Package sealed turns pullgen's image pull Secrets into Bitnami SealedSecrets
// (bitnami.com/v1alpha1): sealed at author time with the public certificate of a
// sealed-secrets controller, and opened only by that controller in the destination cluster.
// Nothing that renders or caches manifests on the way (Argo CD's repo server and Redis, a
// CI log) ever holds the credentials.
//
// # Encryption and scope
//
// Each value of the Secret's data is encrypted with sealed-secrets' own HybridEncrypt
// (github.com/bitnami/sealed-secrets/pkg/crypto: a fresh AES-256-GCM session key, wrapped
// with RSA-OAEP-SHA256 for the controller's key), with the OAEP label that binds the
// ciphertext to where it may be opened, as sealed-secrets defines it:
//
//   - strict (the default): "NAMESPACE/NAME"; the SealedSecret opens only under its own
//     namespace and name, so a copy moved to another namespace, or renamed, opens nowhere;
//   - namespace-wide: "NAMESPACE"; it may be renamed within its namespace;
//   - cluster-wide: ""; it opens in any namespace under any name.
//
// The controller reads the scope from the annotations sealedsecrets.bitnami.com/namespace-wide
// and sealedsecrets.bitnami.com/cluster-wide of the SealedSecret; they are written there and
// on its template, as kubeseal writes them. The label rules and annotations are written here
// rather than imported: sealed-secrets keeps them in its API package, which links the whole
// Kubernetes client scheme (tens of megabytes) into the binary; a test checks them against
// that package, and the tests with the real kubeseal open what this package seals in each
// scope.
//
// # Stable output
//
// Sealing is randomized: HybridEncrypt draws the session key and the OAEP seed from a
// random source, so sealing the same Secret twice gives different bytes, which churns git
// and shows a diff in Argo CD on every run. pullgen cannot tell whether a credential
// changed by opening the earlier SealedSecret (that needs the controller's private key),
// and must not write anything beside the ciphertext that would let someone test a guess of
// the credential offline (a hash, or an HMAC keyed by anything public).
//
// So the randomness is derived instead of drawn: from a sealing seed, a secret of at least
// 32 bytes that the author holds (kept, like the credential sources, SOPS-encrypted in the
// repository, or given in the environment), and the context of the value: the
// certificate's public key, the scope, the namespace, the name, the data key and the
// plaintext. Equal inputs give equal random bytes, hence equal ciphertext byte for byte;
// any change of credential, certificate, scope or place gives fresh, unrelated randomness.
// The output holds nothing but what sealed-secrets itself writes.
//
// What it costs: without the seed the construction is as strong as sealed-secrets'
// own (the derived bytes are a pseudorandom function of a secret key, indistinguishable
// from random to anyone without it); but whoever holds the seed can test a guess of a
// credential offline against the committed ciphertext (seal the guess, compare bytes). The
// seed must therefore be guarded like the credentials themselves: SOPS-encrypted for the
// same recipients as the credential sources, never in plaintext in git. Equal ciphertext
// also tells an observer that a value did not change between two commits, which the
// unchanged bytes are for. Because each session key depends on the plaintext, a session
// key never encrypts two different plaintexts, so the zero GCM nonce of HybridEncrypt stays
// safe (a synthetic-IV construction).
package sealed
