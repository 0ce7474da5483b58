package cli

import (
	"strings"
	"testing"

	"pullgen.dev/pullgen/internal/benchgen"
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
