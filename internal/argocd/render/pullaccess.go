package render

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/fn"
	"pullgen.dev/pullgen/internal/core/scope"
	"pullgen.dev/pullgen/internal/untrusted/bound"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// runPullAccess runs one PullAccess over items: decoded once (fn.Decode), held to the caps
// and to the sandbox's rules, processed (fn.Process) with its sources read through the
// repository's file system and decrypted with their scope (sources.go); what it makes of
// its credentials is kept out of the build (held.go). A PullAccess that fails is an error
// holding its problems (*fn.Error).
func (r *renderer) runPullAccess(dir string, config *yaml.RNode, items []*yaml.RNode) ([]*yaml.RNode, error) {
	config = config.Copy()
	if len(r.o.Namespaces) > 0 {
		if err := config.PipeE(yaml.LookupCreate(yaml.MappingNode, "spec"), yaml.SetField("namespaces", yaml.NewListRNode(r.o.Namespaces...))); err != nil {
			return nil, fmt.Errorf("overriding the namespaces: %w", err)
		}
	}
	file := r.fs.rel(dir)
	what := fmt.Sprintf("%s: PullAccess %s", file, bound.Excerpt(config.GetName()))
	pa, problems := fn.Decode(config)
	src := fn.Source{File: file}
	if pa == nil {
		return nil, problems.Err(src)
	}
	src.Name = pa.Metadata.Name
	if err := r.checkPullAccess(what, pa, problems.HasErrors()); err != nil {
		return nil, err
	}
	sources := &sourceScope{r: r, s: scope.Anywhere()}
	out, problems := fn.Process(pa, problems, items, fn.Options{
		File:      file,
		Plaintext: true, // render's output is decrypted anyway
		KeysOnly:  r.o.KeysOnly,
		Sources: fn.Sources{
			BaseDir:      dir,
			LookupEnv:    r.lookupEnv,
			ReadFile:     r.fs.ReadFile,
			Decrypt:      sources.decrypt,
			AllowHelpers: r.o.Trusted,
		},
	})
	if err := problems.Err(src); err != nil {
		return nil, err
	}
	if err := r.held.holdSecrets(out, config.GetName(), sources.s); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// checkPullAccess holds a decoded PullAccess (what names it) to the caps (its namespaces,
// before anything expands them into objects) and refuses what render never does: a file:
// source that names something remote, and, unless the repository is trusted and when it
// decoded without error (else fn reports that), sealed output (which would put the
// credentials back in the repo server it keeps them from) and what sandboxRules refuses.
func (r *renderer) checkPullAccess(what string, pa *v1alpha1.PullAccess, decodeErrors bool) error {
	if err := r.limits.namespaceCount(len(pa.Spec.Namespaces)); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	files, envs := sourcesOf(pa)
	for _, s := range files {
		if remoteForm(s.value) {
			return remoteError(what, s.field, s.value)
		}
	}
	if r.o.Trusted || decodeErrors {
		return nil
	}
	if pa.Spec.Output.Sealed != nil {
		return fmt.Errorf("%s: spec.output.sealed: sealed output is made at author time and applied as committed, so that no credential reaches Argo CD: "+
			"commit what pullgen generate writes and point the Application at that directory, with no plugin", what)
	}
	if err := r.sandboxRules(pa, envs); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// lookupEnv is the environment as a PullAccess sees it: untrusted, only the variables
// sandboxRules lets env: sources name, whatever reads them (sandboxRules says which field
// asked; this holds for a reader it does not know of).
func (r *renderer) lookupEnv(name string) (string, bool) {
	if !r.o.Trusted && !r.envAllowed(name) {
		return "", false
	}
	if r.o.LookupEnv == nil {
		return os.LookupEnv(name)
	}
	return r.o.LookupEnv(name)
}

// envAllowed tells whether an untrusted PullAccess may read the variable name:
// ARGOCD_ENV_* (an Application's plugin.env) and those the operator allowed.
func (r *renderer) envAllowed(name string) bool {
	return strings.HasPrefix(name, EnvPrefix) || slices.Contains(r.o.AllowEnv, name)
}

// sandboxRules refuses what render never does: credential helpers, and env: sources
// (whatever field holds them: usernameFrom, passwordFrom, expiresAtFrom,
// globalPullSecret.base, and any added later) that name variables the operator did not
// allow.
func (r *renderer) sandboxRules(pa *v1alpha1.PullAccess, envs []source) error {
	var errs []string
	for _, s := range envs {
		if !r.envAllowed(s.value) {
			errs = append(errs, fmt.Sprintf("%s: env %s: render reads only %s* variables (from the Application's plugin.env) and those allowed with --allow-env", s.field, bound.Excerpt(s.value), EnvPrefix))
		}
	}
	for i, reg := range pa.Spec.Registries {
		if reg.FromConfig != nil && reg.FromConfig.CredentialHelpers {
			errs = append(errs, fmt.Sprintf("spec.registries[%d].fromConfig.credentialHelpers: render runs no credential helper (it would run a program)", i))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// source is a file: or env: source of a PullAccess: the field that holds it and its value.
type source struct{ field, value string }

// sourcesOf finds every file: and env: source of a decoded PullAccess, whatever field holds
// it (any struct field named file or env, so that a source added to the API later is found
// too), in the order of their field paths: an env source by the field that holds it
// (spec.registries[0].passwordFrom), a file by its own (...passwordFrom.file).
func sourcesOf(pa *v1alpha1.PullAccess) (files, envs []source) {
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		case reflect.Map:
			keys := v.MapKeys()
			slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
			for _, k := range keys {
				walk(v.MapIndex(k), joinField(path, fmt.Sprint(k)))
			}
		case reflect.Struct:
			fields := map[string]reflect.Value{}
			for i := 0; i < v.NumField(); i++ {
				if name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ","); name != "" && name != "-" && v.Type().Field(i).IsExported() {
					fields[name] = v.Field(i)
				}
			}
			for _, name := range slices.Sorted(maps.Keys(fields)) {
				f := fields[name]
				switch {
				case name == "env" && f.Kind() == reflect.String && f.String() != "":
					envs = append(envs, source{path, f.String()})
				case name == "file" && f.Kind() == reflect.String && f.String() != "":
					files = append(files, source{joinField(path, name), f.String()})
				default:
					walk(f, joinField(path, name))
				}
			}
		}
	}
	walk(reflect.ValueOf(pa), "")
	return files, envs
}

func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
