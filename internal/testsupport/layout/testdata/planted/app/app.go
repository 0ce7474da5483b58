// Package app is a planted example that assigns another package's variables.
package app

import (
	"strings"

	"example.com/planted/hooks"
)

func setUp() {
	hooks.Build = func(string) ([]byte, error) { return nil, nil }
	hooks.Limit++
	local := struct{ Limit int }{}
	local.Limit = 2 // a local value: allowed
	var strings struct{ Title bool }
	strings.Title = true // shadows the import: a local value, allowed
	_ = local
}

var _ = strings.ToUpper
