package sandbox

import (
	"runtime"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// landlockRestrict enforces, on every thread (go-landlock uses the kernel's thread
// synchronisation from ABI 8, libpsx or Go's AllThreadsSyscall before it), a domain
// that handles every right the kernel knows and grants only reading beneath dirs,
// reading files, and TCP connect to ports. It returns the ABI version enforced, 0 when
// the kernel has no Landlock.
func landlockRestrict(dirs, files []string, ports []uint16) (int, error) {
	abi, err := landlockABI()
	if err != nil || abi < 1 {
		return 0, nil
	}
	var rules []landlock.Rule
	if len(dirs) > 0 {
		rules = append(rules, landlock.PathAccess(ll.AccessFSReadFile|ll.AccessFSReadDir, dirs...))
	}
	if len(files) > 0 {
		rules = append(rules, landlock.PathAccess(ll.AccessFSReadFile, files...).IgnoreIfMissing())
	}
	for _, p := range ports {
		rules = append(rules, landlock.ConnectTCP(p))
	}
	if err := landlock.V11.BestEffort().Restrict(rules...); err != nil {
		return 0, err
	}
	return min(abi, 11), nil
}

// landlockABI is the kernel's Landlock ABI version.
func landlockABI() (int, error) { return ll.LandlockGetABIVersion() }

// seccompRestrict loads, with TSYNC (every thread), a filter making execve and execveat
// fail with EPERM, and with noSockets socket(AF_INET|AF_INET6, ...) too. It returns false
// when the kernel has no seccomp.
func seccompRestrict(noSockets bool) (bool, error) {
	if !seccomp.Supported() {
		return false, nil
	}
	groups := []seccomp.SyscallGroup{{Action: seccomp.ActionErrno, Names: []string{"execve", "execveat"}}}
	if noSockets {
		var socket []seccomp.NameWithConditions
		for _, family := range []uint64{unix.AF_INET, unix.AF_INET6} {
			socket = append(socket, seccomp.NameWithConditions{Name: "socket", Conditions: seccomp.ArgumentConditions{
				{Argument: 0, Operation: seccomp.Equal, Value: family},
			}})
		}
		groups = append(groups, seccomp.SyscallGroup{Action: seccomp.ActionErrno, NamesWithCondtions: socket})
	}
	// no_new_privs and the filter must be set from the same thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	err := seccomp.LoadFilter(seccomp.Filter{
		NoNewPrivs: true,
		Flag:       seccomp.FilterFlagTSync,
		Policy:     seccomp.Policy{DefaultAction: seccomp.ActionAllow, Syscalls: groups},
	})
	return err == nil, err
}
