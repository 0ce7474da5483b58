package argocd

// The sidecar's budget on the real plugin path, in the harness's sidecar (a directory laid
// out from the kit's container spec): a refresh that finds every slot taken waits, and
// either gets one that frees up or fails with "sidecar busy" as docs/argo-cd.md shows it;
// and the timeouts docs/argo-cd.md describes, held to Argo CD's code.

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pullgen.dev/pullgen/internal/argocd/slots"
	"pullgen.dev/pullgen/internal/testsupport/argocdtest"
)

func TestSidecarBusy(t *testing.T) {
	c, _ := findContainer(kitRepoServer(t).Spec.Template.Spec.Containers, "pullgen")
	dir, _ := c.env(slotDirEnv)
	renders, _ := c.env(maxRendersEnv)
	n := atoi(t, renders)
	config := withGenerate(t, readFile(t, "cmp/plugin.yaml"), "  generate:\n    command: [pullgen, render, --allow-env, ACME_REGISTRY_TOKEN]\n")
	rs, srv := startKit(t, config, map[string]string{"ACME_REGISTRY_TOKEN": "demo-token-not-a-real-secret"})
	repo := argocdtest.GitRepo(t, "../../examples")
	req := argocdtest.Request{Repo: repo, Path: "private-registry-password", Plugin: "pullgen-v1", App: "acme"}

	// Every slot taken, as by the kit's number of renders running.
	slotDir := filepath.Join(srv.Root, dir)
	var held []*slots.Slot
	for range n {
		s, err := slots.Take(slotDir, n, 0)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, s)
	}
	// One frees up during the wait: the refresh succeeds.
	time.AfterFunc(2*time.Second, func() { held[0].Release() })
	if res := rs.Generate(t, req); res.Err != nil || res.Duration < 2*time.Second {
		t.Errorf("a slot freed after 2 s: the refresh took %s: %v", res.Duration, res.Err)
	}
	s, err := slots.Take(slotDir, n, 0)
	if err != nil {
		t.Fatalf("the refresh left its slot taken: %v", err)
	}
	held[0] = s
	// None does: after the whole wait, the error docs/argo-cd.md shows.
	res := rs.Generate(t, req)
	doc := strings.Join(strings.Fields(docBlock(t, "../../docs/argo-cd.md", "sidecar busy")), " ")
	if res.Err == nil || res.Out != "" || !strings.HasSuffix(res.Err.Error(), doc) {
		t.Errorf("every slot taken: %v\nwant the error ending as docs/argo-cd.md shows it: %s", res.Err, doc)
	}
	for _, s := range held {
		s.Release()
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return n
}

// TestPluginTimeoutsFollowArgoCD holds to Argo CD's code what docs/argo-cd.md says of its
// timeouts: argocd-cmp-server runs the plugin's command under the request's context alone
// (not the sidecar's ARGOCD_EXEC_TIMEOUT, which only util/exec reads, 90 s by default).
func TestPluginTimeoutsFollowArgoCD(t *testing.T) {
	argocdtest.CheckUpstream(t, "docs/argo-cd.md (Timeouts) and the default of render's --slot-wait",
		argocdtest.Upstream{File: "cmpserver/plugin/plugin.go", Name: "runCommand", SHA256: "7b6e5c9b3569dc0c26a2aa0156aed90cb871f0c74c10bf314634b9ad1bd54dac"},
		argocdtest.Upstream{File: "util/exec/exec.go", Name: "initTimeout", SHA256: "092b07845980e3dfff21992662d2bc3250d665200a7911f3f1d6188cba9b7fb8"},
	)
	run := argocdtest.Decl(t, "cmpserver/plugin/plugin.go", "runCommand")
	if !strings.Contains(run, "exec.CommandContext(ctx,") || strings.Contains(run, "RunCommandExt") {
		t.Errorf("argocd-cmp-server's runCommand no longer runs the command under the request's context alone:\n%s", run)
	}
}
