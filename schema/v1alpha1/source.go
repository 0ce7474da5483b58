package v1alpha1

import _ "embed"

// TypesSource is the text of types.go, whose doc comments become the descriptions of the
// JSON Schema wherever pullgen runs.
//
//go:embed types.go
var TypesSource []byte
