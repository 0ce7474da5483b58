// Package credsource turns the credential parts of a PullAccess into values.
//
// A [Resolver] reads the credential sources of a spec (usernameFrom, passwordFrom,
// globalPullSecret.base): an environment variable, or a file relative to the spec's
// directory, optionally with a key that selects one value inside a YAML, JSON, dotenv or
// INI file. It also imports the entries of a docker config.json or a podman auth.json
// (fromConfig), running docker-credential-<name> helpers when the spec and the caller both
// allow it.
//
// Errors name what was being read (variable, file, key, registry) and never contain a
// credential value. It reads only what its Resolver's functions let it read, and must not
// run a credential helper unless the Resolver allows it.
package credsource
