package credsource

import (
	"encoding/json"
	"errors"
	"fmt"
)

// jsonError describes a JSON decoding error without quoting the input: a syntax error
// names the character it stopped at, which may belong to a credential.
func jsonError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("invalid JSON at byte %d", syn.Offset)
	}
	return err
}
