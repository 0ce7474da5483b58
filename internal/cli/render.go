package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"pullgen.dev/pullgen/internal/render"
	"pullgen.dev/pullgen/internal/sopsx"
)

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// runRender is `pullgen render [DIR] [--allow-env NAME]...`, the generate command of the
// Argo CD plugin: the YAML stream on stdout, errors on stderr, nothing on stdout on failure.
func runRender(args []string, std IO) int {
	fs := flag.NewFlagSet("pullgen render", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	var allowEnv, allowKeyHosts stringsFlag
	fs.Var(&allowEnv, "allow-env", "let env: sources read variable `NAME` besides ARGOCD_ENV_* (repeatable)")
	fs.Var(&allowKeyHosts, "allow-key-host", "let decryption use Vault and Azure Key Vault keys at `HOST` (repeatable)")
	caps := addRenderCaps(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) > 1 {
		return fail(std, "render: usage: pullgen render [DIR] [--allow-env NAME]...")
	}
	cwd, err := os.Getwd()
	if err != nil {
		return fail(std, "render: %v", err)
	}
	dir := cwd
	if len(pos) == 1 {
		dir, _ = filepath.Abs(pos[0])
	}
	params, err := argoParameters(std.Getenv)
	if err != nil {
		return fail(std, "render: %v", err)
	}
	root := repositoryRoot(cwd, dir, std.Getenv("ARGOCD_APP_SOURCE_PATH"))
	if overlay := params.overlay; overlay != "" {
		dir = filepath.Join(dir, overlay)
	}
	sopsx.AllowKeys(keysAllowedInRender(allowKeyHosts))
	out, err := render.Render(render.Options{
		Dir:        dir,
		Root:       root,
		LookupEnv:  os.LookupEnv,
		AllowEnv:   allowEnv,
		KeyFiles:   keyFiles(std.Getenv),
		Namespaces: params.namespaces,
		Decrypt:    sopsx.DecryptStream,

		Limits:           &caps.limits,
		AllowRetarget:    caps.allowRetarget,
		RequireNamespace: caps.requireNamespace,
	})
	if err != nil {
		return fail(std, "render: %v", err)
	}
	std.Stdout.Write(out)
	return ExitOK
}

// keysAllowedInRender accepts age, PGP, AWS KMS and GCP KMS keys, whose key services are
// fixed, and Vault and Azure Key Vault keys only at the hosts the operator named: their
// address comes from the repository, which would otherwise choose where credentials go.
func keysAllowedInRender(hosts []string) func(sopsx.Recipient) bool {
	return func(r sopsx.Recipient) bool {
		switch r.Type {
		case sopsx.KeyHCVaultTransit, sopsx.KeyAzureKeyVault:
			u, err := url.Parse(r.Key)
			return err == nil && u.Hostname() != "" && slices.Contains(hosts, u.Hostname())
		case sopsx.KeyHuaweiKMS:
			return false
		}
		return true
	}
}

// repositoryRoot is the working directory less ARGOCD_APP_SOURCE_PATH when Argo CD sets
// it (the app's path inside the repository), else the directory rendered.
func repositoryRoot(cwd, dir, sourcePath string) string {
	sp := filepath.Clean(strings.Trim(sourcePath, "/"))
	if sourcePath == "" || sp == "." {
		if sourcePath != "" {
			return cwd
		}
		return dir
	}
	if strings.HasSuffix(cwd, string(filepath.Separator)+sp) {
		return strings.TrimSuffix(cwd, string(filepath.Separator)+sp)
	}
	return dir
}

// keyFiles are the age key files sops would read: never readable as credentials.
func keyFiles(getenv func(string) string) []string {
	var files []string
	if f := getenv("SOPS_AGE_KEY_FILE"); f != "" {
		files = append(files, f)
	}
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		files = append(files, filepath.Join(x, "sops", "age", "keys.txt"))
	} else if h := getenv("HOME"); h != "" {
		files = append(files, filepath.Join(h, ".config", "sops", "age", "keys.txt"))
	}
	return files
}

// argoParams are the plugin parameters render understands.
type argoParams struct {
	overlay    string
	namespaces []string
}

// argoParameters reads the Application's plugin parameters as Argo CD passes them:
// PARAM_OVERLAY and PARAM_NAMESPACES_<i>, or the ARGOCD_APP_PARAMETERS JSON.
func argoParameters(getenv func(string) string) (argoParams, error) {
	var p argoParams
	if raw := getenv("ARGOCD_APP_PARAMETERS"); raw != "" {
		var list []struct {
			Name   string   `json:"name"`
			String *string  `json:"string"`
			Array  []string `json:"array"`
		}
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			return p, fmt.Errorf("reading ARGOCD_APP_PARAMETERS: %w", err)
		}
		for _, x := range list {
			switch x.Name {
			case "overlay":
				if x.String != nil {
					p.overlay = *x.String
				}
			case "namespaces":
				p.namespaces = x.Array
			}
		}
	}
	if v := getenv("PARAM_OVERLAY"); v != "" {
		p.overlay = v
	}
	var idx []int
	vals := map[int]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if n, ok := strings.CutPrefix(k, "PARAM_NAMESPACES_"); ok {
			if i, err := strconv.Atoi(n); err == nil {
				idx = append(idx, i)
				vals[i] = v
			}
		}
	}
	if len(idx) > 0 {
		sort.Ints(idx)
		p.namespaces = nil
		for _, i := range idx {
			p.namespaces = append(p.namespaces, vals[i])
		}
	}
	if strings.Contains(p.overlay, "..") || filepath.IsAbs(p.overlay) {
		return p, fmt.Errorf("overlay %q must be a path inside the application's directory", p.overlay)
	}
	return p, nil
}
