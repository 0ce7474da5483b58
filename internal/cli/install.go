package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"pullgen.dev/pullgen/schema/v1alpha1"
)

// legacyPluginPath is where kustomize looks for the PullAccess exec plugin under a plugin
// home: <home>/pullgen.dev/v1alpha1/pullaccess/PullAccess.
func legacyPluginPath(home string) string {
	return filepath.Join(home, v1alpha1.Group, v1alpha1.Version, "pullaccess", v1alpha1.Kind)
}

// pluginHome is kustomize's plugin home: $KUSTOMIZE_PLUGIN_HOME, else
// $XDG_CONFIG_HOME/kustomize/plugin, else ~/.config/kustomize/plugin.
func pluginHome(getenv func(string) string) (string, error) {
	if h := getenv("KUSTOMIZE_PLUGIN_HOME"); h != "" {
		return h, nil
	}
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "kustomize", "plugin"), nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", fmt.Errorf("neither KUSTOMIZE_PLUGIN_HOME, XDG_CONFIG_HOME nor HOME is set: give a directory")
	}
	return filepath.Join(home, ".config", "kustomize", "plugin"), nil
}

// runInstall is `pullgen install [DIR]`: it copies this binary to the legacy plugin path
// under DIR, or under kustomize's plugin home.
func runInstall(args []string, std IO) int {
	fs := flag.NewFlagSet("pullgen install", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: pullgen install [DIR]: copy pullgen to kustomize's legacy plugin path under DIR, or under its plugin home")
	}
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	args = fs.Args()
	if len(args) > 1 {
		return fail(std, "install: usage: pullgen install [DIR]")
	}
	home := ""
	if len(args) == 1 {
		home = args[0]
	} else {
		h, err := pluginHome(std.Getenv)
		if err != nil {
			return fail(std, "install: %v", err)
		}
		home = h
	}
	self, err := os.Executable()
	if err != nil {
		return fail(std, "install: finding this program: %v", err)
	}
	dst := legacyPluginPath(home)
	if err := copyExecutable(self, dst); err != nil {
		return fail(std, "install: %v", err)
	}
	fmt.Fprintln(std.Stdout, dst)
	return ExitOK
}

// copyExecutable copies src to dst through a temporary file, so that a running kustomize
// never sees half a binary.
func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(dst), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".pullgen-install-")
	if err != nil {
		return fmt.Errorf("writing in %s: %w", filepath.Dir(dst), err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return fmt.Errorf("setting the mode of %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}
