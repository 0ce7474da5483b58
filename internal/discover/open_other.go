//go:build !unix

package discover

import "os"

// openRegular opens p for reading.
func openRegular(p string) (*os.File, error) {
	return os.Open(p)
}
