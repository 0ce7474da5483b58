package manifest

import "strings"

// HeldPrefix starts the stand-in that render puts in the kustomize build in place of a
// value it keeps out of the build (a credential, or what was made of one) until it prints
// the result. The stand-in is valid base64, so that it passes where Secret data must be.
// Readers of a build (the pull check in a later PullAccess) treat a value that starts with
// it as unknown, like ciphertext.
const HeldPrefix = "pullgen+render+held+"

// IsHeld tells whether a value is, or holds, a stand-in of render's.
func IsHeld(s string) bool { return strings.Contains(s, HeldPrefix) }
