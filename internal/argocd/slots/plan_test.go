package slots

import (
	"strings"
	"testing"
)

func TestPlan(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name   string
		budget Budget
		slots  int
		heap   int64
		says   string
	}{
		{"no memory limit: the number of renders alone", Budget{Renders: 4, MaxHeap: 768 * mib}, 4, 768 * mib, ""},
		{"the kit's 2 GiB, 4 renders", Budget{Memory: 2048 * mib, Renders: 4, MaxHeap: 768 * mib}, 4, 227 * mib, ""},
		{"one render: its cap is --max-memory", Budget{Memory: 8192 * mib, Renders: 1, MaxHeap: 768 * mib}, 1, 768 * mib, ""},
		{"fewer renders than asked", Budget{Memory: 1024 * mib, Renders: 8, MaxHeap: 768 * mib}, 3, 99 * mib, ""},
		{"just one render", Budget{Memory: MinMemory(), Renders: 4, MaxHeap: 768 * mib}, 1, MinHeap, ""},
		{"too small for one", Budget{Memory: MinMemory() - mib, Renders: 4}, 0, 0,
			"the sidecar's memory limit, 458 MiB, is too small for one render: one needs 459 MiB"},
		{"no render", Budget{Memory: 2048 * mib}, 0, 0, "0 renders at once"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := c.budget.Plan()
			if c.says != "" {
				if err == nil || !strings.Contains(err.Error(), c.says) {
					t.Fatalf("Plan: %+v, %v; want an error saying %q", p, err, c.says)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The heap caps are MiB-rounded in the table.
			if p.Slots != c.slots || p.Heap>>20 != c.heap>>20 {
				t.Errorf("Plan: %d slots of %d MiB, want %d of %d MiB", p.Slots, p.Heap>>20, c.slots, c.heap>>20)
			}
			if c.budget.Memory > 0 {
				// What the plan promises: the renders' worst case fits the memory.
				worst := int64(Reserve) + int64(p.Slots)*(p.Heap*9/8+ProcessBase+OutputFactor*p.Output)
				if worst > c.budget.Memory {
					t.Errorf("%d renders of %d MiB may take %d MiB, more than the %d MiB there is", p.Slots, p.Heap>>20, worst>>20, c.budget.Memory>>20)
				}
			}
		})
	}
}
