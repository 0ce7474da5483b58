//go:build !linux

package sandbox

// landlockRestrict: Landlock is Linux's.
func landlockRestrict(dirs, files []string, ports []uint16) (int, error) { return 0, nil }

// seccompRestrict: seccomp is Linux's.
func seccompRestrict(noSockets bool) (bool, error) { return false, nil }

// landlockABI: none.
func landlockABI() (int, error) { return 0, nil }
