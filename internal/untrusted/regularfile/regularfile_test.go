package regularfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small := write("small.yaml", "kind: PullAccess\n")
	big := write("big.yaml", strings.Repeat("x", 100))
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(small, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		max        int64
		want       string
		wantErr    string
		notRegular bool
		tooBig     bool
	}{
		{name: "regular", path: small, max: 64, want: "kind: PullAccess\n"},
		{name: "no cap", path: big, max: 0, want: strings.Repeat("x", 100)},
		{name: "exactly the cap", path: big, max: 100, want: strings.Repeat("x", 100)},
		{name: "over the cap", path: big, max: 99, wantErr: "100 bytes, more than the 99 a file may have", tooBig: true},
		{name: "FIFO never blocks", path: fifo, max: 64, wantErr: "a FIFO, not a regular file", notRegular: true},
		{name: "device", path: "/dev/zero", max: 64, wantErr: "a device, not a regular file", notRegular: true},
		{name: "directory", path: dir, max: 64, wantErr: "a directory, not a regular file", notRegular: true},
		{name: "final link not followed", path: link, max: 64, wantErr: "a symbolic link, not a regular file", notRegular: true},
		{name: "missing", path: filepath.Join(dir, "absent"), max: 64, wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var got []byte
			var err error
			go func() { got, err = Read(tt.path, tt.max); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Read blocked")
			}
			if tt.wantErr == "" {
				if err != nil || string(got) != tt.want {
					t.Fatalf("Read = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Read error = %v; want one containing %q", err, tt.wantErr)
			}
			var big *TooBigError
			if errors.Is(err, ErrNotRegular) != tt.notRegular || errors.As(err, &big) != tt.tooBig {
				t.Errorf("error %v: Is(ErrNotRegular) = %v, As(TooBigError) = %v; want %v, %v",
					err, errors.Is(err, ErrNotRegular), errors.As(err, &big), tt.notRegular, tt.tooBig)
			}
		})
	}
}
