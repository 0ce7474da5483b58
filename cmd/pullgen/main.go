// Command pullgen generates what pods need to pull images from private registries and
// from other namespaces, from one PullAccess file. See README.md. It only calls the
// command line (internal/cli); its tests are the end-to-end tests of the binary.
package main

import (
	"os"

	"pullgen.dev/pullgen/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], cli.Std())) }
