package main

import (
	"net"
	"path/filepath"
	"testing"

	"pullgen.dev/pullgen/internal/testsupport/tripwire"
)

// TestRenderRefusesFetchAndGitInEveryMode: kustomize fields that would fetch a URL or run
// git are refused (exit 2, nothing on stdout) with the kernel layer and without it; a
// loopback listener never sees a connection and a git first on PATH never runs. Render's
// field checks refuse these before kustomize runs; that the confinement alone stops
// kustomize, whatever the field, is TestKustomizeConfined in internal/argocd/render.
func TestRenderRefusesFetchAndGitInEveryMode(t *testing.T) {
	srv := tripwire.NewServer(t, "")
	url := srv.URL() + "/latest/meta-data"
	host, _, _ := net.SplitHostPort(srv.Addr())
	git := tripwire.NewPrograms(t, "git")
	path := "PATH=" + git.SearchPath()
	for _, c := range []struct{ name, kustomization string }{
		{"configMapGenerator files", "configMapGenerator:\n- name: x\n  files: [creds=" + url + "]\n"},
		{"secretGenerator envs", "secretGenerator:\n- name: x\n  envs: [" + url + "]\n"},
		{"patches path", "resources: [cm.yaml]\npatches:\n- path: " + url + "\n"},
		{"scp-like git resource", "resources: [evil@" + host + ":org/repo]\n"},
	} {
		for _, mode := range kernelModes {
			t.Run(c.name+"/"+mode.name, func(t *testing.T) {
				dir := t.TempDir()
				writeFile(t, filepath.Join(dir, "kustomization.yaml"), c.kustomization)
				writeFile(t, filepath.Join(dir, "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
				r := run(t, dir, append(mode.env, path), "", pullgen(), "render")
				if r.code != 2 || r.stdout != "" {
					t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
				}
			})
		}
	}
	if n := srv.Hits(); n != 0 {
		t.Errorf("the listener saw %d connections", n)
	}
	if len(git.Ran()) != 0 {
		t.Errorf("render ran git")
	}
}
