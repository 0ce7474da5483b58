package generate

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"pullgen.dev/pullgen/schema/v1alpha1"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/fn"
	"pullgen.dev/pullgen/internal/core/manifest"
	"pullgen.dev/pullgen/internal/core/sealed"
	"pullgen.dev/pullgen/internal/untrusted/rooted"
)

// Job is one PullAccess of a spec file and the directory its output goes to.
type Job struct {
	file string
	node *yaml.RNode
	dir  string
	// tree is the spec's work tree: the files its credential sources name are read under it.
	tree *rooted.Root
	// out is the work tree of the output directory: the spec's, or that of -o.
	out *rooted.Root
	// keysOnly runs without the passwords (fn.Options.KeysOnly): its Secrets are never written.
	keysOnly bool
	// pa is the PullAccess decoded, once (nil when it cannot be), and problems what its
	// decoding found.
	pa       *v1alpha1.PullAccess
	problems fn.Problems
	// seeds are the sealing seed files the run creates, by absolute path: read from
	// here, written with the output.
	seeds map[string][]byte
}

// decoded is j with its PullAccess decoded.
func (j Job) decoded() Job {
	j.pa, j.problems = fn.Decode(j.node)
	return j
}

// FindJobs makes the jobs of the PullAccesses of spec files; a spec that could not be read
// is printed and makes ok false. The output directory is outDir when given (the user's
// own), else each spec's spec.output.dir relative to the spec, which must lead to a
// directory inside the spec's work tree; without either, a job is an error when required,
// and skipped otherwise.
func FindJobs(specs []Spec, outDir string, report io.Writer, required bool) ([]Job, bool) {
	var jobs []Job
	ok := true
	var outTree *rooted.Root
	if outDir != "" {
		var err error
		if outTree, err = rooted.WorkTree(outDir); err == nil {
			_, err = outTree.Resolve(outDir)
		}
		if err != nil {
			fmt.Fprintf(report, "pullgen: -o %s: %v\n", outDir, err)
			return nil, false
		}
	}
	for _, s := range specs {
		file := s.File
		if s.Err != nil {
			fmt.Fprintf(report, "pullgen: %v\n", s.Err)
			ok = false
			continue
		}
		for _, n := range s.Nodes {
			dir, out := outDir, outTree
			if dir == "" {
				out = s.Tree
				d, _ := n.Pipe(yaml.Lookup("spec", "output", "dir"))
				if d == nil || yaml.GetValue(d) == "" {
					if required {
						fmt.Fprintf(report, "%s: PullAccess %s: spec.output.dir: not set: give -o DIR or set spec.output.dir\n", file, n.GetName())
						ok = false
					}
					continue
				}
				dir = filepath.Join(filepath.Dir(file), yaml.GetValue(d))
				if _, err := s.Tree.Resolve(dir); err != nil {
					fmt.Fprintf(report, "%s: PullAccess %s: spec.output.dir: %q: %v\n", file, n.GetName(), yaml.GetValue(d), err)
					ok = false
					continue
				}
			}
			jobs = append(jobs, Job{file: file, node: n, dir: filepath.Clean(dir), tree: s.Tree, out: out}.decoded())
		}
	}
	return jobs, ok
}

// readFile reads a file a credential source of the job names: under the spec's work tree
// only.
func (j Job) readFile(p string) ([]byte, error) {
	if data, ok := j.seeds[p]; ok {
		return data, nil
	}
	if j.tree == nil {
		return nil, fmt.Errorf("%s: no work tree to read it from", p)
	}
	return j.tree.Read(p, MaxSpecFile)
}

// Output is what the jobs writing into one directory produced.
type Output struct {
	dir     string
	tree    *rooted.Root // the output directory's work tree
	objects []*yaml.RNode
	// namespaces and registries count what the specs cover, for the summary.
	namespaces, registries map[string]bool
	stats                  fn.Stats
	// expiresAt is the soonest expiry of the Secrets' credentials, "" when none is known.
	expiresAt string
	// seeds are the sealing seed files its jobs created, written with it.
	seeds []seedFile
}

// readEarlier reads what an earlier generate wrote into the job's directory; nothing when
// it cannot.
func readEarlier(j Job) []*yaml.RNode {
	if j.out == nil {
		return nil
	}
	objs, _, err := readCommitted(j.out, j.dir)
	if err != nil {
		return nil
	}
	var out []*yaml.RNode
	for _, o := range objs {
		out = append(out, o.Node)
	}
	return out
}

// Run runs every job and groups the objects by output directory, sorted by directory.
// The jobs of one directory run in the order of their PullAccess names (so that the result
// does not depend on the order of the arguments), each over the ServiceAccounts the ones
// before it produced: a ServiceAccount that several link is one object with every entry.
// Results are printed; ok is false when any is an error.
func Run(jobs []Job, report io.Writer, plaintext bool) ([]*Output, bool) {
	jobs = slices.Clone(jobs)
	sort.SliceStable(jobs, func(a, b int) bool {
		ja, jb := jobs[a], jobs[b]
		if ja.dir != jb.dir {
			return ja.dir < jb.dir
		}
		if ja.node.GetName() != jb.node.GetName() {
			return ja.node.GetName() < jb.node.GetName()
		}
		return ja.file < jb.file
	})
	byDir := map[string]*Output{}
	serviceAccounts := map[string][]*yaml.RNode{}
	ok := true
	earlier := map[string][]*yaml.RNode{}
	inventory := newInventories(jobs)
	seeds := map[string][]byte{}
	for _, j := range jobs {
		if _, read := earlier[j.dir]; !read && !plaintext { // plaintext runs keep no ciphertext
			earlier[j.dir] = readEarlier(j)
		}
		o := byDir[j.dir]
		if o == nil {
			o = &Output{dir: j.dir, tree: j.out, namespaces: map[string]bool{}, registries: map[string]bool{}}
			byDir[j.dir] = o
		}
		if !plaintext { // diff creates nothing
			seed, err := newSeedFile(j, seeds)
			if err != nil {
				fmt.Fprintf(report, "%s: PullAccess %s: %v\n", j.file, j.node.GetName(), err)
				ok = false
				continue
			}
			if seed != nil {
				o.seeds = append(o.seeds, *seed)
			}
		}
		j.seeds = seeds
		// The earlier Secrets of this PullAccess keep the ciphertext of unchanged values.
		var items []*yaml.RNode
		for _, o := range earlier[j.dir] {
			if o.GetKind() == "Secret" && manifest.IsGeneratedBy(o, j.node.GetName()) {
				items = append(items, o)
			}
		}
		items = append(items, serviceAccounts[j.dir]...)
		opts := fn.Options{
			File:      j.file,
			OutputDir: j.dir,
			Plaintext: plaintext,
			KeysOnly:  j.keysOnly,
			Stats:     &o.stats,
			Sources:   fn.Sources{BaseDir: filepath.Dir(j.file), AllowHelpers: true, ReadFile: j.readFile},
		}
		var err error
		if opts.Inventory, opts.InventoryFrom, err = inventory.forJob(j); err != nil {
			fmt.Fprintf(report, "%s: PullAccess %s: spec.namespaceSelector: %v\n", j.file, j.node.GetName(), err)
			ok = false
			continue
		}
		src, out, problems := fn.Source{File: j.file}, []*yaml.RNode(nil), j.problems
		if j.pa != nil {
			src.Name = j.pa.Metadata.Name
			out, problems = fn.Process(j.pa, j.problems, items, opts)
		}
		fn.PrintResults(report, problems.Results(src))
		if problems.HasErrors() {
			ok = false
			continue
		}
		serviceAccounts[j.dir] = nil
		for _, obj := range out {
			if manifest.IsServiceAccount(obj) {
				serviceAccounts[j.dir] = append(serviceAccounts[j.dir], obj)
				continue
			}
			o.objects = append(o.objects, obj)
			if obj.GetKind() == "Secret" || sealed.IsSealedSecret(obj) {
				o.namespaces[obj.GetNamespace()] = true
				for _, k := range strings.Split(obj.GetAnnotations()[manifest.AnnotationRegistries], ",") {
					if k != "" {
						o.registries[k] = true
					}
				}
				// The annotation is UTC RFC 3339: as strings, the soonest is the least.
				if e := obj.GetAnnotations()[manifest.AnnotationExpiresAt]; e != "" && (o.expiresAt == "" || e < o.expiresAt) {
					o.expiresAt = e
				}
			}
		}
	}
	var outs []*Output
	for dir, o := range byDir {
		o.objects = append(o.objects, serviceAccounts[dir]...)
		outs = append(outs, o)
	}
	sort.Slice(outs, func(i, j int) bool { return outs[i].dir < outs[j].dir })
	return outs, ok
}

// Summary says in a line what an output holds and what happened to its Secrets.
func (o *Output) Summary() string {
	s := o.Contents() + "; " + o.stats.String()
	for _, seed := range o.seeds {
		s += "; created the sealing seed " + seed.shown + " (SOPS-encrypted): commit it"
	}
	return s
}

// Contents says in a line what an output holds.
func (o *Output) Contents() string {
	kinds := map[string]int{}
	for _, obj := range o.objects {
		kinds[obj.GetKind()]++
	}
	var parts []string
	for _, k := range []string{"Secret", sealed.Kind, "ServiceAccount", "RoleBinding"} {
		if n := kinds[k]; n > 0 {
			parts = append(parts, Count(n, k))
		}
	}
	expiry := ""
	if o.expiresAt != "" {
		expiry = ", soonest expiry " + o.expiresAt
	}
	return fmt.Sprintf("%s: %s (%s), %s, %s%s", o.dir, Count(len(o.objects), "resource"), strings.Join(parts, ", "),
		Count(len(o.namespaces), "namespace"), Plural(len(o.registries), "registry", "registries"), expiry)
}

// Count is "1 thing" or "n things".
func Count(n int, thing string) string { return Plural(n, thing, thing+"s") }

// Plural is "1 one" or "n many".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Dir is the directory the output goes to.
func (o *Output) Dir() string { return o.dir }

// Objects are the objects of the output.
func (o *Output) Objects() []*yaml.RNode { return o.objects }

// LiveJobs are the jobs of every PullAccess of specs, with spec.output.dir or without
// (render and kustomize), as applied to one cluster: one output holds them all, and no
// password is read (diff --live compares ServiceAccounts only).
func LiveJobs(specs []Spec) []Job {
	var jobs []Job
	for _, s := range specs {
		for _, n := range s.Nodes {
			jobs = append(jobs, Job{file: s.File, node: n, dir: ".", keysOnly: true, tree: s.Tree}.decoded())
		}
	}
	return jobs
}
