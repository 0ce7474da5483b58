//go:build unix

package discover

import (
	"os"
	"syscall"
)

// openRegular opens p for reading without following a final symbolic link and without
// blocking on a FIFO that replaced the file since it was examined.
func openRegular(p string) (*os.File, error) {
	return os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}
