package credsource

import (
	"errors"
	"fmt"
	"strings"

	"pullgen.dev/pullgen/schema/v1alpha1"
)

// Value resolves one credential source: the environment variable src.Env, or the file
// src.File (relative to BaseDir), whole or, with src.Key, the value at that key of the
// structured file. Exactly one of Env and File must be set. An empty value is an error.
func (r *Resolver) Value(src v1alpha1.Source) (string, error) {
	switch {
	case src.Env != "" && src.File != "":
		return "", errors.New("a credential source sets both env and file; set exactly one")
	case src.Env != "":
		if src.Key != "" {
			return "", fmt.Errorf("environment variable %s: key %q applies to files only", src.Env, src.Key)
		}
		return r.envValue(src.Env)
	case src.File != "":
		return r.fileValue(src.File, src.Key)
	default:
		return "", errors.New("a credential source sets neither env nor file; set exactly one")
	}
}

func (r *Resolver) envValue(name string) (string, error) {
	v, ok := r.lookupEnv(name)
	if !ok {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	if v == "" {
		return "", fmt.Errorf("environment variable %s is empty", name)
	}
	return v, nil
}

func (r *Resolver) fileValue(name, key string) (string, error) {
	data, err := r.readFile(name)
	if err != nil {
		return "", err
	}
	if key == "" {
		v := trimNewline(string(data))
		if v == "" {
			return "", fmt.Errorf("reading %s: file is empty", name)
		}
		return v, nil
	}
	v, err := lookupKey(data, DetectFormat(name), key, r.Numbers)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", name, err)
	}
	if v == "" {
		return "", fmt.Errorf("reading %s: key %s is empty", name, key)
	}
	return v, nil
}

// trimNewline removes one trailing newline (\n or \r\n), as $(cat file) would not but
// as editors add one.
func trimNewline(s string) string {
	if strings.HasSuffix(s, "\r\n") {
		return s[:len(s)-2]
	}
	return strings.TrimSuffix(s, "\n")
}
