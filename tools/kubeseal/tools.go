//go:build tools

// Package kubeseal pins the kubeseal CLI that the tests of sealed output drive (the
// Makefile's tools target builds it into ./bin). It is a module of its own so that
// kubeseal's dependencies (the Kubernetes client) stay out of pullgen's.
package kubeseal

import _ "github.com/bitnami/sealed-secrets/cmd/kubeseal"
