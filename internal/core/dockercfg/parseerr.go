package dockercfg

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
)

// JSONError describes a JSON decoding error without quoting the input: a syntax error
// names the character it stopped at, which may belong to a credential.
func JSONError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("invalid JSON at byte %d", syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("invalid JSON: %s at byte %d is a JSON %s", typ.Field, typ.Offset, typ.Value)
	}
	return errors.New("invalid JSON")
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// YAMLError describes a YAML decoding error without quoting the input (the parser quotes
// keys and values in some of its messages): only the line it names is kept.
func YAMLError(err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("invalid YAML at line %s", m[1])
	}
	return errors.New("invalid YAML")
}
