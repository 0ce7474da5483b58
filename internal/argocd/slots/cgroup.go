package slots

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// unlimitedV1 is the smallest value cgroup v1 reports for "no limit" (its page counter's
// maximum, rounded down to pages: 9223372036854771712 with 4 KiB pages).
const unlimitedV1 = 1 << 62

// MemoryLimit is the memory limit of the cgroup this process runs in: the smallest of
// memory.max (cgroup v2) or memory.limit_in_bytes (v1, where the memory controller is on
// a v1 hierarchy) of its cgroup and the ancestors visible to it. root is the file system's
// root ("/"; a directory laid out like it in tests). ok is false when no limit is set or
// no cgroup file system is mounted.
//
// In a container the cgroup file system shows the container's own cgroup at the top of
// the mount (a cgroup namespace, or runc's bind mount of it under v1) while
// /proc/self/cgroup may name the host's path: when that path is not under the mount, the
// mount's top is the process's cgroup.
func MemoryLimit(root string) (limit int64, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(root, "proc", "self", "cgroup"))
	if err != nil {
		return 0, false, fmt.Errorf("reading the process's cgroup: %w", err)
	}
	var v1, v2 string
	found1, found2 := false, false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2, found2 = parts[2], true
		case hasController(parts[1], "memory"):
			v1, found1 = parts[2], true
		}
	}
	mount := filepath.Join(root, "sys", "fs", "cgroup")
	switch {
	case found1:
		return smallest(filepath.Join(mount, "memory"), v1, "memory.limit_in_bytes")
	case found2:
		return smallest(mount, v2, "memory.max")
	}
	return 0, false, nil
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// smallest reads file in the cgroup directory of path under mount and in each of its
// ancestors up to the mount's top, and returns the smallest limit.
func smallest(mount, path, file string) (int64, bool, error) {
	dir := filepath.Join(mount, filepath.FromSlash(path))
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = mount // the host's path, not visible in the container
	}
	limit, ok := int64(0), false
	for {
		v, set, err := readLimit(filepath.Join(dir, file))
		if err != nil {
			return 0, false, err
		}
		if set && (!ok || v < limit) {
			limit, ok = v, true
		}
		if dir == mount || !strings.HasPrefix(dir, mount) {
			return limit, ok, nil
		}
		dir = filepath.Dir(dir)
	}
}

// readLimit reads one limit file: "max" (v2), a v1 "unlimited" value or a missing file
// (the root cgroup has none) are no limit.
func readLimit(file string) (int64, bool, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reading the memory limit: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0, false, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, false, fmt.Errorf("reading the memory limit %s: %q is not a byte count", file, s)
	}
	if v >= unlimitedV1 {
		return 0, false, nil
	}
	return v, true, nil
}
