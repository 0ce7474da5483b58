package pullcheck

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"pullgen.dev/pullgen/internal/testsupport/benchgen"
	"pullgen.dev/pullgen/internal/untrusted/rooted"
)

func TestMayHoldAlias(t *testing.T) {
	tests := []struct {
		yaml string
		want bool
	}{
		{"a: &x 1\nb: *x\n", true},
		{"- *x\n", true},
		{"[*x, 1]", true},
		{"{a: 1,b:*x}", true},
		{"*x: 1\n", true},
		{"args: [sh, -c, 'make && make test']\n", true}, // "&&" reads as an anchor: measured, to be safe
		{"excludeNamespaces: [kube-*, openshift-*]\n", false},
		{"image: quay.io/acme/web@sha256:abc\nhost: '*.example.com'\n", false},
		{"glob: a*b\nurl: http://x/?a=1&b=2\n", false},
		{"star: *\namp: & \n", false},
	}
	for _, tt := range tests {
		if got := mayHoldAlias([]byte(tt.yaml)); got != tt.want {
			t.Errorf("mayHoldAlias(%q) = %v, want %v", tt.yaml, got, tt.want)
		}
	}
}

func TestMeasureManifest(t *testing.T) {
	laughs := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'j'; i++ {
		prev := string(i - 1)
		laughs += string(i) + ": &" + string(i) + " [*" + prev + strings.Repeat(", *"+prev, 9) + "]\n"
	}
	tests := []struct {
		name, yaml string
		wantErr    string
	}{
		{"a fleet of 10,000 workloads", benchgen.CheckManifests(10000), ""},
		{"aliases that stay small", "a: &a [1, 2]\nb: *a\n", ""},
		{"billion laughs", laughs, "aliases expand to more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := measureManifest([]byte(tt.yaml))
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("measureManifest: %v, want error %q", err, tt.wantErr)
			}
		})
	}
}

// TestCheckInput: what the check reads is held to its caps (here made small), refused
// with an error naming the file; the total counts every file of the run.
func TestCheckInput(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	doc := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n" // 51 bytes
	for name, content := range map[string]string{"a.yaml": doc, "b.yaml": doc, "big.yaml": doc + doc + doc} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "stolen.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"out.yaml": filepath.Join(outside, "stolen.yaml"), "gone.yaml": "nowhere.yaml"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	in := func() *Files {
		return &Files{fileBytes: 110, totalBytes: 140, trees: map[string]*rooted.Root{}}
	}
	tests := []struct {
		name    string
		files   []string
		wantErr string
	}{
		{"files within the caps", []string{"a.yaml", "b.yaml"}, ""},
		{"a file over the cap", []string{"big.yaml"}, "big.yaml: 153 bytes, more than the 110"},
		{"the files together over the cap", []string{"a.yaml", "b.yaml", "a.yaml"}, "a.yaml: the manifests given hold more than the 140 bytes"},
		{"a FIFO", []string{"fifo.yaml"}, "fifo.yaml: a FIFO, not a regular file"},
		{"a link out of the root", []string{"out.yaml"}, "out.yaml is a link to " + filepath.Join(outside, "stolen.yaml") + ": outside the work tree"},
		{"a link to nothing", []string{"gone.yaml"}, "reading " + filepath.Join(dir, "gone.yaml") + ": open " + filepath.Join(dir, "gone.yaml") + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := in()
			var err error
			for _, f := range tt.files {
				var got string
				if got, err = c.ReadFile(dir, filepath.Join(dir, f)); err != nil {
					break
				}
				if got != doc {
					t.Errorf("%s read as %q", f, got)
				}
			}
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
	t.Run("stdin", func(t *testing.T) {
		if got, err := in().ReadStdin(strings.NewReader(doc + doc)); err != nil || got != doc+doc {
			t.Errorf("read %q, %v", got, err)
		}
		if _, err := in().ReadStdin(strings.NewReader(doc + doc + doc)); err == nil || !strings.Contains(err.Error(), "more than the 110 bytes a manifest stream may have") {
			t.Errorf("stdin over the cap: %v", err)
		}
	})
}
