// Package hooks is a planted example of injection through package state.
package hooks

// Build is set by whoever uses the package.
var Build func(dir string) ([]byte, error)

// Read is a default another package replaces.
var Read = func(p string) (string, error) { return p, nil }

// Names is computed once, by calling a function literal: not a function variable.
var Names = func() []string { return []string{"a"} }()

// Limit is a plain variable.
var Limit = 10
