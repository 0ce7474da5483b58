package main

// pullgen render in a sidecar that shares its memory among its renders: slots taken
// before anything is read, each render's share of the memory as its cap.

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/argocd/slots"
)

// budgetSpec is a PullAccess over namespaces × serviceAccounts.
func budgetSpec(namespaces, serviceAccounts int) string {
	list := func(prefix string, n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprintf("%s%d", prefix, i)
		}
		return "[" + strings.Join(s, ", ") + "]"
	}
	return `apiVersion: pullgen.dev/v1alpha1
kind: PullAccess
metadata: {name: acme}
spec:
  namespaces: ` + list("team-", namespaces) + `
  registries:
  - {server: quay.io/acme, username: robot, passwordFrom: {env: ARGOCD_ENV_TOKEN}}
  serviceAccounts: ` + list("sa-", serviceAccounts) + `
  output: {encrypt: false}
`
}

func TestRenderSidecarBudget(t *testing.T) {
	repo := t.TempDir()
	app := func(name string, files map[string]string) string {
		for f, content := range files {
			writeFile(t, filepath.Join(repo, name, f), content)
		}
		return filepath.Join(repo, name)
	}
	benign := app("benign", map[string]string{"kustomization.yaml": "generators: [pa.yaml]\n", "pa.yaml": budgetSpec(2, 1)})
	// 12 KiB that would take gigabytes: 1,000 namespaces × 1,000 ServiceAccounts.
	hostile := app("hostile", map[string]string{"kustomization.yaml": "generators: [pa.yaml]\n", "pa.yaml": budgetSpec(1000, 1000)})
	// 15 MiB of manifests, within render's own caps.
	big := app("big", map[string]string{"kustomization.yaml": "resources: [cm.yaml]\n",
		"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {v: " + strings.Repeat("v", 15<<20) + "}\n"})
	env := []string{"ARGOCD_ENV_TOKEN=token", "ARGOCD_APP_SOURCE_PATH=."}
	alone := mustRun(t, benign, env, pullgen(), "render")

	slotDir := t.TempDir()
	// The kit's sidecar: 2 GiB for at most 4 renders.
	sidecar := append([]string{"PULLGEN_SLOT_DIR=" + slotDir, "PULLGEN_SIDECAR_MEMORY=2Gi", "PULLGEN_MAX_RENDERS=4"}, env...)
	plan, err := slots.Budget{Memory: 2 << 30, Renders: 4, MaxHeap: 512 << 20}.Plan()
	if err != nil || plan.Slots != 4 || plan.Heap >= 512<<20 {
		t.Fatalf("the plan of 2 GiB for 4 renders: %+v, %v", plan, err)
	}

	t.Run("admitted", func(t *testing.T) {
		if got := mustRun(t, benign, sidecar, pullgen(), "render"); got != alone {
			t.Errorf("render in a slot:\n%s\nwant what it prints alone:\n%s", got, alone)
		}
	})
	t.Run("busy", func(t *testing.T) {
		var held []*slots.Slot
		for range 4 {
			s, err := slots.Take(slotDir, 4, 0)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, s)
		}
		r := run(t, benign, sidecar, "", pullgen(), "render", "--slot-wait", "200ms")
		want := "pullgen: render: sidecar busy: all 4 of its render slots stayed taken for 200ms; Argo CD tries again at its next refresh\n"
		if r.code != 2 || r.stdout != "" || r.stderr != want {
			t.Errorf("all slots taken: exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout, %q", r.code, r.stdout, r.stderr, want)
		}
		held[1].Release()
		if got := mustRun(t, benign, sidecar, pullgen(), "render", "--slot-wait", "200ms"); got != alone {
			t.Errorf("a slot free again: %q", got)
		}
		for _, s := range held {
			s.Release()
		}
	})
	for _, c := range []struct {
		name, dir string
		flags     []string
		sidecar   string // stderr in the sidecar
		alone     string // stderr without a slot directory, "" for success
	}{
		{"hostile", hostile, []string{"--max-memory", "512Mi"},
			fmt.Sprintf("render allocated more memory than its cap (%d bytes, --max-memory): the share of each of 4 renders at once of this sidecar's 2048 MiB\n", plan.Heap),
			fmt.Sprintf("render allocated more memory than its cap (%d bytes, --max-memory)\n", 512<<20)},
		{"big-output", big, nil, fmt.Sprintf("the manifests take 15728705 bytes, more than the %d each of 4 renders at once may print in this sidecar's 2048 MiB\n", plan.Output), ""},
		{"too-small", benign, []string{"--sidecar-memory", "300Mi"},
			"sharing the sidecar's memory: the sidecar's memory limit, 300 MiB, is too small for one render: one needs 459 MiB (256 MiB for argocd-cmp-server and waiting processes, 203 MiB for a render that may allocate 64 MiB): raise the container's memory limit\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, c.dir, sidecar, "", pullgen(), append([]string{"render"}, c.flags...)...)
			if want := "pullgen: render: " + c.sidecar; r.code != 2 || r.stdout != "" || r.stderr != want {
				t.Errorf("in the sidecar: exit %d, stdout %d bytes, stderr %q; want exit 2, nothing on stdout, %q", r.code, len(r.stdout), r.stderr, want)
			}
			// The control: without a slot directory, render's own caps alone.
			r = run(t, c.dir, env, "", pullgen(), append([]string{"render"}, c.flags...)...)
			switch {
			case c.alone == "" && (r.code != 0 || r.stdout == ""):
				t.Errorf("alone: exit %d, stderr %q; want the manifests", r.code, r.stderr)
			case c.alone != "" && r.stderr != "pullgen: render: "+c.alone:
				t.Errorf("alone: exit %d, stderr %q; want %q", r.code, r.stderr, "pullgen: render: "+c.alone)
			}
		})
	}
}
