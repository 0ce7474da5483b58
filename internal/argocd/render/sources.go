package render

import (
	"fmt"

	"pullgen.dev/pullgen/internal/core/credsource"
	"pullgen.dev/pullgen/internal/core/scope"
	"pullgen.dev/pullgen/internal/core/sopsx"
)

// The scope of a PullAccess's sources. Every file a PullAccess reads (usernameFrom,
// passwordFrom, fromConfig, globalPullSecret.base, expiresAtFrom, and any source added
// later: they all read through credsource.Resolver.Decrypt) is decrypted here, and its
// scope joins the scope of the run: what the PullAccess makes may go only where all of its
// ciphertext may. The check is not here but where values are put in place (place.go).

// sourceScope accumulates the scope of what one PullAccess run decrypted.
type sourceScope struct {
	r *renderer
	s scope.Scope
}

// decrypt is the run's credsource.Resolver.Decrypt: a SOPS-encrypted file is decrypted and
// its scope read from its MAC-covered content; a plain file is returned as it is (it binds
// nothing: anyone who reads the repository reads it).
func (ss *sourceScope) decrypt(path string, data []byte) ([]byte, error) {
	format := credsource.DetectFormat(path)
	if !sopsx.IsEncryptedFile(data, format) {
		return data, nil
	}
	opened, err := ss.r.o.Keys.OpenFile(data, format)
	if err != nil {
		return nil, err
	}
	s, err := scope.OfFile(ss.r.fs.rel(path), data, format, opened.Markers)
	if err != nil {
		return nil, err
	}
	if s.IsUnscoped() {
		if !ss.r.o.AllowUnscoped {
			return nil, fmt.Errorf("its ciphertext %s, so render does not know where its values may go: "+
				"give it a scope with `pullgen scope --namespace NAMESPACE FILE` (with its key at hand), "+
				"or let the operator declare the repository one trust domain (render --allow-unscoped)", s.Why())
		}
		s = s.Allow()
	}
	ss.s = scope.Intersect(ss.s, s.Loose())
	return opened.Plain, nil
}
