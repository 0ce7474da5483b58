// Package regularfile reads files of a tree that may be hostile (a repository in Argo CD, a
// directory given to check or diff): only regular files, opened so that a FIFO or a device
// put in a file's place cannot block the read, without following a final symbolic link, and
// never more than a size cap. render, discover, check and diff read through it. It must
// not read anything but a regular file, nor more than its cap.
package regularfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular matches (errors.Is) the error for a FIFO, a device, a socket, a directory
// or a symbolic link, whose message says which it is ("a FIFO, not a regular file").
var ErrNotRegular = errors.New("not a regular file")

type notRegularError struct{ mode fs.FileMode }

func (e notRegularError) Error() string {
	return kind(e.mode) + ", " + ErrNotRegular.Error()
}

func (e notRegularError) Is(target error) bool { return target == ErrNotRegular }

// TooBigError is returned for a file of more than the cap.
type TooBigError struct {
	// Size is the size the file reported (0 when it grew while it was read).
	Size int64
	// Max is the cap.
	Max int64
}

func (e *TooBigError) Error() string {
	if e.Size > 0 {
		return fmt.Sprintf("%d bytes, more than the %d a file may have", e.Size, e.Max)
	}
	return fmt.Sprintf("more than the %d bytes a file may have", e.Max)
}

// Open opens path for reading when it is a regular file, and returns it with its status
// (taken from the opened file, so it describes what will be read); anything else is an
// error matching ErrNotRegular that says what the file is.
func Open(path string) (*os.File, fs.FileInfo, error) {
	if st, err := os.Lstat(path); err != nil {
		return nil, nil, err
	} else if !st.Mode().IsRegular() {
		return nil, nil, notRegularError{st.Mode()}
	}
	// O_NONBLOCK: a FIFO that replaced the file since Lstat opens without waiting for a
	// writer; O_NOFOLLOW: nor is a link that replaced it followed.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, nil, notRegularError{fs.ModeSymlink}
		}
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, notRegularError{st.Mode()}
	}
	return f, st, nil
}

// ReadAll reads the file Open returned, with its status st, whole: a *TooBigError when it
// holds more than max bytes (no cap when max <= 0), checked before reading and while reading.
func ReadAll(f *os.File, st fs.FileInfo, max int64) ([]byte, error) {
	if max > 0 && st.Size() > max {
		return nil, &TooBigError{Size: st.Size(), Max: max}
	}
	limit := st.Size() + 1
	if max > 0 {
		limit = max + 1
	}
	// Sized from the status (as os.ReadFile is), so that a file is read into one buffer
	// rather than grown into; it still grows if the file grew since.
	data := make([]byte, 0, min(st.Size(), limit)+1)
	r := io.LimitReader(f, limit)
	for {
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
	if max > 0 && int64(len(data)) > max {
		return nil, &TooBigError{Max: max}
	}
	return data, nil
}

// Read opens and reads the regular file at path, at most max bytes (see Open and ReadAll).
func Read(path string, max int64) ([]byte, error) {
	f, st, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, st, max)
}

// kind names what a file that is not regular is: "a FIFO", "a device", ...
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	}
	return "a special file"
}
