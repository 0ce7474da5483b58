package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiscoverProtocol holds `pullgen discover` to the protocol argocd-cmp-server reads
// from a discover.find.command: exit 0 with the file found on stdout is a match, exit 0
// with nothing on stdout is no match, and any other exit is an error, which Argo CD
// reports. deploy/argocd's tests run it in the real argocd-cmp-server.
func TestDiscoverProtocol(t *testing.T) {
	pa := fmt.Sprintf(pullAccess, "")
	deep := "app" + strings.Repeat("/d", 34) + "/cm.yaml"
	cases := []struct {
		name   string
		files  map[string]string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "match", files: map[string]string{"app/access.yml": pa}, code: 0, stdout: "access.yml\n"},
		{name: "match in a base", files: map[string]string{"app/kustomization.yaml": "resources: [../base]\n", "base/kustomization.yaml": "generators: [pa.yaml]\n", "base/pa.yaml": pa}, code: 0, stdout: filepath.Join("..", "base", "pa.yaml") + "\n"},
		{name: "no match", files: map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\n", "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"}, code: 0, stderr: "no PullAccess in"},
		{name: "a bound reached", files: map[string]string{deep: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"}, code: 2, stderr: "no PullAccess found before discovery stopped at its bound: directories deeper than 32"},
		{name: "usage", files: map[string]string{"app/access.yml": pa}, args: []string{"a", "b"}, code: 2, stderr: "usage: pullgen discover [DIR]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range c.files {
				writeFile(t, filepath.Join(root, name), content)
			}
			r := run(t, filepath.Join(root, "app"), []string{"ARGOCD_APP_SOURCE_PATH=app"}, "", pullgen(), append([]string{"discover"}, c.args...)...)
			if r.code != c.code || r.stdout != c.stdout || !strings.Contains(r.stderr, c.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr with %q", r.code, r.stdout, r.stderr, c.code, c.stdout, c.stderr)
			}
		})
	}
}
