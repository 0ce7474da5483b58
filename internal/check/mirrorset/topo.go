package mirrorset

import (
	"slices"
	"sort"
)

// mergeOrder merges the mirror lists that rules give one source into one list, keeping each
// list's relative order where the lists agree, as the Machine Config Operator does: every
// list is a chain of edges ending at the source (unless the source is in it), and the
// nodes are sorted topologically, ties and cycles broken by name. The source is dropped
// when it sorts last (the runtime tries it last anyway); elsewhere it stays, a mirror like
// any other.
func mergeOrder(source string, lists [][]string) []string {
	g := newGraph()
	for _, l := range lists {
		for i := 0; i+1 < len(l); i++ {
			g.edge(l[i], l[i+1])
		}
		if !slices.Contains(l, source) {
			g.edge(l[len(l)-1], source)
		}
	}
	order := g.sorted()
	if n := len(order); n > 0 && order[n-1] == source {
		order = order[:n-1]
	}
	return order
}

// graph is a small directed graph of mirror locations.
type graph struct {
	nodes map[string]*node
}

type node struct {
	name string
	used bool
	ins  map[*node]bool // predecessors not yet output
	outs map[*node]bool
}

func newGraph() *graph { return &graph{nodes: map[string]*node{}} }

func (g *graph) get(name string) *node {
	n, ok := g.nodes[name]
	if !ok {
		n = &node{name: name, ins: map[*node]bool{}, outs: map[*node]bool{}}
		g.nodes[name] = n
	}
	return n
}

func (g *graph) edge(from, to string) {
	f, t := g.get(from), g.get(to)
	f.outs[t] = true
	t.ins[f] = true
}

// sorted outputs the nodes in topological order: a queue that starts with the nodes
// without predecessors by name, takes a node's newly free successors by name after it, and,
// when it runs dry inside a cycle, goes on with the first unused node by name.
func (g *graph) sorted() []string {
	all := make([]*node, 0, len(g.nodes))
	for _, n := range g.nodes {
		all = append(all, n)
	}
	byName := func(ns []*node) { sort.Slice(ns, func(i, j int) bool { return ns[i].name < ns[j].name }) }
	byName(all)
	var queue []*node
	for _, n := range all {
		if len(n.ins) == 0 {
			queue = append(queue, n)
		}
	}
	out := make([]string, 0, len(all))
	next := 0
	for len(queue) > 0 || next < len(all) {
		var n *node
		if len(queue) > 0 {
			n, queue = queue[0], queue[1:]
		} else {
			n = all[next]
			next++
			if n.used {
				continue
			}
		}
		n.used = true
		out = append(out, n.name)
		var free []*node
		for succ := range n.outs {
			delete(succ.ins, n)
			if len(succ.ins) == 0 && !succ.used {
				free = append(free, succ)
			}
		}
		byName(free)
		queue = append(queue, free...)
	}
	return out
}
