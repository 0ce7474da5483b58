package cli

import (
	"flag"
	"fmt"
	"os"

	"pullgen.dev/pullgen/internal/argocd/plugin"
	"pullgen.dev/pullgen/internal/argocd/render"
)

const renderUsage = `Usage: pullgen render [DIR] [flags]

Builds the kustomization in DIR (default: the working directory) in process, runs its
PullAccess generators and transformers, decrypts what SOPS encrypted and prints one YAML
stream: the generate command of the Argo CD plugin. The repository is untrusted: before
reading it, render confines itself to reading beneath the repository root, running no
program, writing nothing and connecting only to the key services --allow-key-host names
(with Landlock and seccomp where the kernel has them; one warning line where it does not,
or with PULLGEN_KERNEL_SANDBOX=off). It decrypts with the age identities of
SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_SSH_PRIVATE_KEY_FILE or the default keys file,
and with other key types only when --enable-key-type enables them; it ignores the AWS
profile and role a file names and never runs gpg.

In the Argo CD sidecar (--slot-dir or PULLGEN_SLOT_DIR set), renders share the container's
memory limit: each waits for one of --max-renders slots before it reads anything, takes
its share of the limit as its cap, and fails with "sidecar busy" after --slot-wait.

Flags:
`

// runRender is `pullgen render [DIR] [--allow-env NAME]...`, the generate command of the
// Argo CD plugin: the YAML stream on stdout, errors on stderr, nothing on stdout on failure.
// It confines itself (package sandbox) before it reads the repository.
func runRender(args []string, std IO) int {
	fs := flag.NewFlagSet("pullgen render", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	var allowEnv stringsFlag
	var keys keyFlags
	fs.Var(&allowEnv, "allow-env", "let env: sources read variable `NAME` besides ARGOCD_ENV_* (repeatable)")
	keys.register(fs)
	fs.Usage = func() {
		fmt.Fprint(std.Stderr, renderUsage)
		fs.PrintDefaults()
	}
	caps := addRenderCaps(fs)
	budget := addSidecarBudget(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if len(pos) > 1 {
		return fail(std, "render: usage: pullgen render [DIR] [--allow-env NAME]...")
	}
	params, err := plugin.ReadParameters(std.Getenv, os.Environ())
	if err != nil {
		return fail(std, "render: %v", err)
	}
	dir, root, err := plugin.Locate(pos, params.Overlay, std.Getenv)
	if err != nil {
		return fail(std, "render: %v", err)
	}
	// Before anything is read: a slot's lock file is outside what render is confined to.
	admitted, err := budget.admit(std.Getenv, &caps.limits)
	if err != nil {
		return fail(std, "render: %v", err)
	}
	defer admitted.release()
	policy := keys.policy(std.Getenv)
	keyFiles := policy.Files(std.Getenv) // before Confine, which leaves them unreadable
	keySet, err := plugin.Confine(root, policy, std.Getenv, std.Stderr)
	if err != nil {
		return fail(std, "render: %v", err)
	}
	out, err := render.Render(render.Options{
		Dir:        dir,
		Root:       root,
		LookupEnv:  os.LookupEnv,
		AllowEnv:   allowEnv,
		KeyFiles:   keyFiles,
		Namespaces: params.Namespaces,
		Keys:       keySet,
		Decrypt:    true,

		Limits:        &caps.limits,
		AllowRetarget: caps.allowRetarget,
		AllowUnscoped: caps.allowUnscoped,
	})
	if err == nil {
		err = admitted.checkOutput(out)
	}
	if err != nil {
		return fail(std, "render: %v%s", err, admitted.explain(err))
	}
	std.Stdout.Write(out)
	return ExitOK
}
