// Package sopsx does the SOPS encryption and decryption of Kubernetes objects and
// credential files, through the sops library (github.com/getsops/sops/v3).
//
// Objects are encrypted in place the way `sops -e --encrypted-regex '^(data|stringData)$'`
// encrypts a Secret file: the values under the selected keys become ENC[AES256_GCM,...]
// strings and the object gains a top-level `sops:` block, so that what this package writes
// decrypts with `sops -d`, and what `sops -e` wrote decrypts here. An earlier encrypted copy
// of an object can be passed to Encrypt to keep its ciphertext stable (the recipe of
// `sops edit`: same data key, same IVs for unchanged values).
//
// Data keys are wrapped and unwrapped by the sops key sources through an in-process (local)
// key service only; no remote key service is ever contacted. Every decryption is given the
// keys it may use as a value (Keys): DefaultKeys, where the sops CLI looks for them (an
// author's machine), or an operator's (OperatorKeys, for render), which a file's sops
// metadata cannot widen. The package holds no key of its own and must not: no process
// setting decides which keys a decryption uses.
//
// No error of this package carries a plaintext value: errors name objects, files, field
// paths and recipients only. The sops library's logging is silenced when the package loads.
package sopsx
