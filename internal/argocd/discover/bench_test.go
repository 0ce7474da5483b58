package discover

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkFind measures discovery in a monorepo of 200 applications of 10 files each:
// "overlay" finds the PullAccess through an overlay's ../../base, "miss" walks the whole
// repository from its root and finds none (the worst case below the bounds).
func BenchmarkFind(b *testing.B) {
	root := b.TempDir()
	t := b
	for app := range 200 {
		dir := filepath.Join(root, "apps", fmt.Sprintf("app-%03d", app))
		write(t, filepath.Join(dir, "base", "kustomization.yaml"), "resources: [d0.yaml, d1.yaml, d2.yaml, d3.yaml, d4.yaml, d5.yaml]\n")
		for i := range 6 {
			write(t, filepath.Join(dir, "base", fmt.Sprintf("d%d.yaml", i)), deployment)
		}
		write(t, filepath.Join(dir, "overlays", "prod", "kustomization.yaml"), "resources: [../../base]\n")
		write(t, filepath.Join(dir, "overlays", "prod", "patch.yaml"), deployment)
		write(t, filepath.Join(dir, "overlays", "dev", "kustomization.yaml"), "resources: [../../base]\n")
	}
	withPA := filepath.Join(root, "apps", "app-199")
	write(t, filepath.Join(withPA, "base", "kustomization.yaml"), "resources: [d0.yaml]\ngenerators: [access.yaml]\n")
	write(t, filepath.Join(withPA, "base", "access.yaml"), pullAccess)
	b.Run("overlay", func(b *testing.B) {
		for b.Loop() {
			if found, err := Find(Options{Root: root, Dir: filepath.Join(withPA, "overlays", "prod")}); found == "" || err != nil {
				b.Fatalf("%q, %v", found, err)
			}
		}
	})
	b.Run("miss", func(b *testing.B) {
		write(t, filepath.Join(withPA, "base", "access.yaml"), deployment)
		for b.Loop() {
			if found, err := Find(Options{Root: root, Dir: root}); found != "" || err != nil {
				b.Fatalf("%q, %v", found, err)
			}
		}
	})
}
