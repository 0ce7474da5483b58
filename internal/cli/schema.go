package cli

import (
	"pullgen.dev/pullgen/schema"
)

// runSchema is `pullgen schema`: it prints the JSON Schema of PullAccess.
func runSchema(args []string, std IO) int {
	if len(args) > 0 {
		return fail(std, "schema: takes no arguments")
	}
	b, err := schema.JSON()
	if err != nil {
		return fail(std, "schema: %v", err)
	}
	std.Stdout.Write(b)
	return ExitOK
}
