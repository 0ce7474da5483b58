// Command pullgen generates what pods need to pull images from private registries and
// from other namespaces, from one PullAccess file. See README.md.
package main

import (
	"os"

	"pullgen.dev/pullgen/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], cli.Std())) }
