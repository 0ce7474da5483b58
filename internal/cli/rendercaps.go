package cli

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"pullgen.dev/pullgen/internal/argocd/render"
)

// renderCaps are render's flags for its caps and for the identity of decrypted objects.
type renderCaps struct {
	limits                       render.Limits
	allowRetarget, allowUnscoped bool
}

// addRenderCaps registers the flags on fs, with render's defaults.
func addRenderCaps(fs *flag.FlagSet) *renderCaps {
	s := &renderCaps{limits: render.DefaultLimits()}
	l := &s.limits
	fs.DurationVar(&l.Timeout, "timeout", l.Timeout, "stop and fail after `DURATION`")
	fs.Var((*sizeFlag)(&l.FileBytes), "max-file-size", "refuse a file bigger than `SIZE` (bytes, or with Ki, Mi, Gi)")
	fs.Var((*sizeFlag)(&l.TotalBytes), "max-total-size", "read at most `SIZE` in all")
	fs.IntVar(&l.Documents, "max-documents", l.Documents, "read at most `N` YAML documents (objects) in all")
	fs.IntVar(&l.Nodes, "max-nodes", l.Nodes, "read at most `N` YAML nodes in all, aliases expanded")
	fs.IntVar(&l.Namespaces, "max-namespaces", l.Namespaces, "refuse a PullAccess with more than `N` namespaces")
	fs.IntVar(&l.KustomizationDepth, "max-kustomization-depth", l.KustomizationDepth, "refuse kustomizations nested more than `N` deep")
	fs.IntVar(&l.Kustomizations, "max-kustomizations", l.Kustomizations, "load at most `N` kustomizations, each counted as often as it is named")
	fs.IntVar(&l.References, "max-references", l.References, "read at most `N` files and directories named by kustomizations, each counted as often as it is named")
	fs.Var((*sizeFlag)(&l.ReplacementBytes), "max-replacement-walk", "let replacements walk at most `SIZE`: target field paths times the objects they may visit")
	fs.Var((*sizeFlag)(&l.Memory), "max-memory", "stop and fail once the render has allocated `SIZE`")
	fs.BoolVar(&s.allowRetarget, "allow-retarget", false, "let kustomize rename decrypted objects (prefixes, suffixes, patches); their namespace stays bound to their scope")
	fs.BoolVar(&s.allowUnscoped, "allow-unscoped", false, "let ciphertext that names no scope go to any namespace: the repository is one trust domain")
	var required bool
	fs.BoolVar(&required, "require-namespace", false, "no effect: render always refuses unscoped ciphertext unless --allow-unscoped (kept for existing configurations)")
	return s
}

// sizeFlag is a byte count written as a number with an optional Ki, Mi or Gi suffix.
type sizeFlag int64

func (s *sizeFlag) String() string { return strconv.FormatInt(int64(*s), 10) }

func (s *sizeFlag) Set(v string) error {
	mult := int64(1)
	for suffix, m := range map[string]int64{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30} {
		if t, ok := strings.CutSuffix(v, suffix); ok {
			v, mult = t, m
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return fmt.Errorf("not a size: %q", v)
	}
	*s = sizeFlag(n * mult)
	return nil
}
