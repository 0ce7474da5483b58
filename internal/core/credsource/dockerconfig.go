package credsource

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"pullgen.dev/pullgen/internal/core/dockercfg"
)

// Entry is one auths entry: the registry key as written in the config file and its
// credential.
type Entry struct {
	Key      string
	Username string
	Password string
	Email    string
}

// tokenUsername is the username docker uses to mark an identity token.
const tokenUsername = "<token>"

// configFile is a docker config.json or a podman auth.json (the formats are the same).
type configFile struct {
	Auths       map[string]authEntry `json:"auths"`
	CredsStore  string               `json:"credsStore"`
	CredHelpers map[string]string    `json:"credHelpers"`
}

// authEntry is one value of auths.
type authEntry struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	Email         string `json:"email"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

func parseConfig(data []byte) (*configFile, error) {
	var cfg configFile
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("parsing as a docker config.json or podman auth.json: %w", dockercfg.JSONError(err))
	}
	if cfg.Auths == nil && cfg.CredsStore == "" && cfg.CredHelpers == nil {
		return nil, errors.New(`not a docker config.json or podman auth.json: no "auths", "credsStore" or "credHelpers"`)
	}
	return &cfg, nil
}

// errIdentityToken is the refusal of a credential that is only an identity token.
var errIdentityToken = errors.New("an identity token cannot be used by the kubelet (it ignores identitytoken); " +
	"use a username with a password or an access token instead")

var errRegistryToken = errors.New("a registry token cannot be used by the kubelet (it ignores registrytoken); " +
	"use a username with a password or an access token instead")

// entry turns the auths value into an Entry. ok is false when the value carries no
// credential of its own.
func (a authEntry) entry(key string) (e Entry, ok bool, err error) {
	user, pass := a.Username, a.Password
	if a.Auth != "" {
		dec, err := decodeBase64(a.Auth)
		if err != nil {
			return Entry{}, false, fmt.Errorf("auth is not valid base64: %w", err)
		}
		var found bool
		user, pass, found = strings.Cut(string(dec), ":")
		if !found {
			return Entry{}, false, errors.New("auth is not base64 of username:password (no ':')")
		}
	}
	if user == tokenUsername {
		return Entry{}, false, errIdentityToken
	}
	if pass == "" {
		switch {
		case a.IdentityToken != "":
			return Entry{}, false, errIdentityToken
		case a.RegistryToken != "":
			return Entry{}, false, errRegistryToken
		case user != "":
			return Entry{}, false, errors.New("has a username but no password")
		default:
			return Entry{}, false, nil
		}
	}
	return Entry{Key: key, Username: user, Password: pass, Email: a.Email}, true, nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}
