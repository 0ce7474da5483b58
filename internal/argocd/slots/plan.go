package slots

import "fmt"

// What the budget sets aside, measured in the sidecar's container (the figures are in the
// load benchmark of deploy/argocd): argocd-cmp-server and the pullgen processes waiting
// for a slot take Reserve in all; a render takes up to ProcessBase beyond its heap, its
// heap overshoots its cap by up to an eighth before the render is stopped, and
// argocd-cmp-server holds a render's output several times over while it splits it into
// manifests (OutputFactor times the Output bytes a render may print).
const (
	Reserve      = 256 << 20
	ProcessBase  = 80 << 20
	OutputFactor = 8
	// MinHeap is the smallest cap a render is admitted with: the examples' renders
	// allocate a few tens of MiB.
	MinHeap = 64 << 20
)

// Budget is what the renders of one sidecar share.
type Budget struct {
	// Memory is the sidecar container's memory (its cgroup limit); 0 when it has none.
	Memory int64
	// Renders is the most renders admitted at once.
	Renders int
	// MaxHeap is the most a render may allocate whatever its share (render's
	// --max-memory); 0 for no such cap.
	MaxHeap int64
}

// Plan is how the renders share the budget: Slots renders at once, each stopped once it
// allocated Heap bytes, each printing at most Output bytes. Heap and Output are 0 for no
// cap (no memory limit known: only the number of renders is bounded).
type Plan struct {
	Slots        int
	Heap, Output int64
}

// Plan shares the budget: Renders slots, fewer when a share would give a render less
// than MinHeap; an error when even one render does not fit.
func (b Budget) Plan() (Plan, error) {
	if b.Renders < 1 {
		return Plan{}, fmt.Errorf("%d renders at once: at least one", b.Renders)
	}
	if b.Memory <= 0 {
		return Plan{Slots: b.Renders, Heap: b.MaxHeap}, nil
	}
	if heap, _ := share(b.Memory, 1); heap < MinHeap {
		return Plan{}, fmt.Errorf("the sidecar's memory limit, %s, is too small for one render: one needs %s (%s for argocd-cmp-server and waiting processes, %s for a render that may allocate %s): raise the container's memory limit",
			MiB(b.Memory), MiB(MinMemory()), MiB(Reserve), MiB(MinMemory()-Reserve), MiB(MinHeap))
	}
	p := Plan{Slots: b.Renders}
	for ; ; p.Slots-- {
		if p.Heap, p.Output = share(b.Memory, p.Slots); p.Heap >= MinHeap {
			break
		}
	}
	if b.MaxHeap > 0 && p.Heap > b.MaxHeap {
		p.Heap = b.MaxHeap
	}
	return p, nil
}

// share is the heap cap and the output cap of each of n renders sharing memory.
func share(memory int64, n int) (heap, output int64) {
	s := (memory - Reserve) / int64(n)
	output = s / 32
	return (s - ProcessBase - OutputFactor*output) * 8 / 9, output
}

// MinMemory is the smallest memory limit that admits one render.
func MinMemory() int64 {
	m := int64(Reserve)
	for heap, _ := share(m, 1); heap < MinHeap; heap, _ = share(m, 1) {
		m += 1 << 20
	}
	return m
}

// MiB writes a byte count in MiB.
func MiB(n int64) string { return fmt.Sprintf("%d MiB", n>>20) }
