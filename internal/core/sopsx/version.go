package sopsx

import (
	"runtime/debug"
	"strings"
	"sync"
)

// sopsModule is the module of the sops library.
const sopsModule = "github.com/getsops/sops/v3"

// fallbackVersion is the sops version go.mod requires, used when the binary carries no
// module information (the sops version package is not imported: it would pull the sops
// CLI's own dependencies into the build).
const fallbackVersion = "3.13.3"

var libraryVersion = sync.OnceValue(func() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == sopsModule {
				if dep.Replace != nil && dep.Replace.Version != "" {
					return strings.TrimPrefix(dep.Replace.Version, "v")
				}
				if dep.Version != "" && dep.Version != "(devel)" {
					return strings.TrimPrefix(dep.Version, "v")
				}
			}
		}
	}
	return fallbackVersion
})

// Version is the version of the sops library, as written to the `version` field of the
// sops metadata.
func Version() string { return libraryVersion() }
