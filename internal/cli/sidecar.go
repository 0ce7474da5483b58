package cli

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"pullgen.dev/pullgen/internal/argocd/render"
	"pullgen.dev/pullgen/internal/argocd/slots"
	"pullgen.dev/pullgen/internal/untrusted/bound"
)

// The sidecar's settings of render's budget, in the container's environment (which a
// repository cannot set), for the flags left unset.
const (
	SlotDirEnv       = "PULLGEN_SLOT_DIR"
	MaxRendersEnv    = "PULLGEN_MAX_RENDERS"
	SidecarMemoryEnv = "PULLGEN_SIDECAR_MEMORY"
)

// sidecarBudget are render's flags for sharing the Argo CD sidecar's memory (package
// slots): with a slot directory, render waits for one of the slots before it reads
// anything and takes its share of the sidecar's memory as its cap.
type sidecarBudget struct {
	dir     string
	memory  sizeFlag
	renders int
	wait    time.Duration
}

// defaultRenders is how many renders a sidecar admits at once unless told.
const defaultRenders = 4

// addSidecarBudget registers the flags on fs.
func addSidecarBudget(fs *flag.FlagSet) *sidecarBudget {
	b := &sidecarBudget{}
	fs.StringVar(&b.dir, "slot-dir", "", "share the sidecar's memory among its renders through the lock files of `DIR`, a directory of the container's own (default $"+SlotDirEnv+"; none: no sharing)")
	fs.IntVar(&b.renders, "max-renders", 0, "with --slot-dir, admit at most `N` renders at once, fewer when the memory does not allow N (default $"+MaxRendersEnv+", or "+strconv.Itoa(defaultRenders)+")")
	fs.Var(&b.memory, "sidecar-memory", "with --slot-dir, the `SIZE` of memory the renders' container has (default $"+SidecarMemoryEnv+", or its cgroup's memory limit)")
	fs.DurationVar(&b.wait, "slot-wait", 30*time.Second, "with --slot-dir, wait at most `DURATION` for a render slot, then fail with \"sidecar busy\"")
	return b
}

// admission is a render admitted to the sidecar's budget: its slot and the plan it was
// admitted under. The zero value (no slot directory) admits without bounds.
type admission struct {
	slot   *slots.Slot
	plan   slots.Plan
	memory int64
	// shared tells whether the render's memory cap is its share, below --max-memory.
	shared bool
}

// admit takes a render slot when a slot directory is set, waiting for one, and lowers the
// memory cap of limits to the render's share.
func (b *sidecarBudget) admit(getenv func(string) string, limits *render.Limits) (admission, error) {
	if b.dir == "" {
		b.dir = getenv(SlotDirEnv)
	}
	if b.dir == "" {
		return admission{}, nil
	}
	budget := slots.Budget{Memory: int64(b.memory), Renders: b.renders, MaxHeap: limits.Memory}
	if budget.Renders == 0 {
		budget.Renders = defaultRenders
		if v := getenv(MaxRendersEnv); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return admission{}, fmt.Errorf("%s: %q is not a number", MaxRendersEnv, v)
			}
			budget.Renders = n
		}
	}
	if budget.Memory == 0 {
		if v := getenv(SidecarMemoryEnv); v != "" {
			if err := (*sizeFlag)(&budget.Memory).Set(v); err != nil {
				return admission{}, fmt.Errorf("%s: %w", SidecarMemoryEnv, err)
			}
		} else {
			var err error
			if budget.Memory, _, err = slots.MemoryLimit("/"); err != nil {
				return admission{}, err
			}
		}
	}
	plan, err := budget.Plan()
	if err != nil {
		return admission{}, fmt.Errorf("sharing the sidecar's memory: %w", err)
	}
	slot, err := slots.Take(b.dir, plan.Slots, b.wait)
	if errors.Is(err, slots.ErrBusy) {
		return admission{}, fmt.Errorf("%w; Argo CD tries again at its next refresh", err)
	}
	if err != nil {
		return admission{}, err
	}
	a := admission{slot: slot, plan: plan, memory: budget.Memory, shared: plan.Heap != limits.Memory}
	limits.Memory = plan.Heap
	return a, nil
}

// release gives the slot back (the process's end does too).
func (a admission) release() { a.slot.Release() }

// explain is what a render's error adds when its cap was its share of the sidecar.
func (a admission) explain(err error) string {
	if !a.shared || !errors.Is(err, bound.ErrMemory) {
		return ""
	}
	return fmt.Sprintf(": the share of each of %d renders at once of this sidecar's %s", a.plan.Slots, slots.MiB(a.memory))
}

// checkOutput refuses manifests bigger than a render's share lets it print (argocd-cmp-server
// holds them several times over).
func (a admission) checkOutput(out []byte) error {
	if a.plan.Output > 0 && int64(len(out)) > a.plan.Output {
		return fmt.Errorf("the manifests take %d bytes, more than the %d each of %d renders at once may print in this sidecar's %s",
			len(out), a.plan.Output, a.plan.Slots, slots.MiB(a.memory))
	}
	return nil
}
