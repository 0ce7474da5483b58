package credsource

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"pullgen.dev/pullgen/internal/core/dockercfg"
	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// FromConfig reads the docker config.json or podman auth.json fc.File and returns its
// entries, filtered by fc.Registries, sorted by key. Keys are returned as written in the
// file. Registries whose credentials live in a credential store (credsStore, credHelpers)
// are resolved with docker-credential-<name> get when fc.CredentialHelpers and
// r.AllowHelpers are both true, and are an error otherwise. A credential that is only an
// identity token is refused: the kubelet cannot use it.
func (r *Resolver) FromConfig(fc v1alpha1.FromConfig) ([]Entry, error) {
	if fc.File == "" {
		return nil, errors.New("fromConfig: file is not set")
	}
	data, err := r.readFile(fc.File)
	if err != nil {
		return nil, err
	}
	cfg, err := parseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", fc.File, err)
	}
	wanted, err := cfg.wanted(fc.Registries)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", fc.File, err)
	}
	if len(wanted) == 0 {
		return nil, fmt.Errorf("reading %s: no registry entries", fc.File)
	}
	helpersOn := fc.CredentialHelpers && r.AllowHelpers
	var entries []Entry
	var viaHelper []string
	for _, key := range wanted {
		a, inAuths := cfg.Auths[key]
		_, inHelpers := cfg.CredHelpers[key]
		if inHelpers && helpersOn {
			// Docker asks credHelpers before anything else for a registry.
			viaHelper = append(viaHelper, key)
			continue
		}
		if inAuths {
			e, ok, err := a.entry(key)
			if err != nil {
				return nil, fmt.Errorf("reading %s: registry %s: %w", fc.File, key, err)
			}
			if ok {
				entries = append(entries, e)
				continue
			}
		}
		if cfg.helperFor(key) == "" {
			return nil, fmt.Errorf("reading %s: registry %s: the entry has no credentials", fc.File, key)
		}
		viaHelper = append(viaHelper, key)
	}
	if len(viaHelper) > 0 {
		switch {
		case r.KeysOnly:
			for _, key := range viaHelper {
				entries = append(entries, Entry{Key: key, Username: KeysOnlyPlaceholder, Password: KeysOnlyPlaceholder})
			}
			viaHelper = nil
		case !fc.CredentialHelpers:
			return nil, fmt.Errorf("reading %s: %s: the credentials are in a credential store (credsStore/credHelpers); "+
				"set credentialHelpers: true to run docker-credential-<name> get, or use a config with auth entries",
				fc.File, registryList(viaHelper))
		case !r.AllowHelpers:
			return nil, fmt.Errorf("reading %s: %s: the credentials are in a credential store (credsStore/credHelpers), "+
				"and credential helpers are not run here (render never runs another program); use a config with auth entries",
				fc.File, registryList(viaHelper))
		}
		for _, key := range viaHelper {
			e, err := r.helperEntry(cfg.helperFor(key), key)
			if err != nil {
				return nil, fmt.Errorf("reading %s: registry %s: %w", fc.File, key, err)
			}
			e.Email = cfg.Auths[key].Email
			entries = append(entries, e)
		}
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
	return entries, nil
}

// KeysOnlyPlaceholder stands for a credential that is not read: one KeysOnly does not ask a
// store for, or a user name or password fn.Resolve cannot read in keys-only mode.
const KeysOnlyPlaceholder = "unread"

// helperFor names the credential helper for key: credHelpers[key], else credsStore.
func (c *configFile) helperFor(key string) string {
	if h := c.CredHelpers[key]; h != "" {
		return h
	}
	return c.CredsStore
}

// wanted returns the sorted keys that filter selects among the auths and credHelpers
// keys (every key without a filter). A filter entry that matches no key is asked of the
// credsStore when there is one (Docker Hub as https://index.docker.io/v1/, the key docker
// stores it under), and is an error otherwise.
func (c *configFile) wanted(filter []string) ([]string, error) {
	set := map[string]bool{}
	for k := range c.Auths {
		set[k] = true
	}
	for k := range c.CredHelpers {
		set[k] = true
	}
	keys := slices.Sorted(maps.Keys(set))
	if len(filter) == 0 {
		return keys, nil
	}
	out := map[string]bool{}
	var unmatched []string
	for _, f := range filter {
		m := matchKeys(f, keys)
		switch {
		case len(m) > 0:
			for _, k := range m {
				out[k] = true
			}
		case c.CredsStore != "":
			k := f
			if dockercfg.IsDockerHub(f) {
				k = manifest.DockerHubKey
			}
			out[k] = true
		default:
			unmatched = append(unmatched, f)
		}
	}
	if len(unmatched) > 0 {
		return nil, fmt.Errorf("registries %s match no entry (entries: %s)",
			strings.Join(unmatched, ", "), strings.Join(keys, ", "))
	}
	return slices.Sorted(maps.Keys(out)), nil
}

// registryList names one or more registries for an error message.
func registryList(keys []string) string {
	if len(keys) == 1 {
		return "registry " + keys[0]
	}
	return "registries " + strings.Join(keys, ", ")
}
