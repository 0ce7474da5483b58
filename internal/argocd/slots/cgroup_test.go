package slots

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMemoryLimit(t *testing.T) {
	const gib = 1 << 30
	for _, c := range []struct {
		name   string
		files  map[string]string
		limit  int64
		ok     bool
		errors bool
	}{
		{"v2 in a cgroup namespace", map[string]string{
			"proc/self/cgroup":         "0::/\n",
			"sys/fs/cgroup/memory.max": "2147483648\n"}, 2 * gib, true, false},
		{"v2 no limit", map[string]string{
			"proc/self/cgroup":         "0::/\n",
			"sys/fs/cgroup/memory.max": "max\n"}, 0, false, false},
		{"v2 the smallest of the ancestors", map[string]string{
			"proc/self/cgroup":                          "0::/kubepods/pod1/c1\n",
			"sys/fs/cgroup/kubepods/pod1/c1/memory.max": "max\n",
			"sys/fs/cgroup/kubepods/pod1/memory.max":    "1073741824\n",
			"sys/fs/cgroup/kubepods/memory.max":         "4294967296\n"}, gib, true, false},
		{"v1 under runc, the host's path not visible", map[string]string{
			"proc/self/cgroup":                           "12:pids:/libpod_parent/libpod-1\n4:memory:/libpod_parent/libpod-1\n0::/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "2147483648\n"}, 2 * gib, true, false},
		{"v1 unlimited", map[string]string{
			"proc/self/cgroup":                           "4:memory:/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 0, false, false},
		{"v1 beside v2 (hybrid)", map[string]string{
			"proc/self/cgroup": "9:cpu,memory:/a\n0::/a\n",
			"sys/fs/cgroup/memory/a/memory.limit_in_bytes": "536870912\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes":   "9223372036854771712\n",
			"sys/fs/cgroup/a/memory.max":                   "1073741824\n"}, gib / 2, true, false},
		{"no memory controller", map[string]string{"proc/self/cgroup": "1:cpu:/\n"}, 0, false, false},
		{"garbage", map[string]string{
			"proc/self/cgroup":         "0::/\n",
			"sys/fs/cgroup/memory.max": "lots\n"}, 0, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range c.files {
				p := filepath.Join(root, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			limit, ok, err := MemoryLimit(root)
			if (err != nil) != c.errors || limit != c.limit || ok != c.ok {
				t.Errorf("MemoryLimit: %d, %v, %v; want %d, %v, error %v", limit, ok, err, c.limit, c.ok, c.errors)
			}
		})
	}
}

// TestMemoryLimitHere reads this machine's cgroup file system as it is.
func TestMemoryLimitHere(t *testing.T) {
	if _, err := os.Stat("/proc/self/cgroup"); err != nil {
		t.Skip("no /proc/self/cgroup here")
	}
	limit, ok, err := MemoryLimit("/")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("memory limit %d (set: %v)", limit, ok)
}
