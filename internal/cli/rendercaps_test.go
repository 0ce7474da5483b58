package cli

import "testing"

// TestSizeFlag: sizes in bytes or with a binary suffix; anything else, negative sizes and
// sizes past what a byte count holds are refused (a size that wrapped around would turn
// the cap off).
func TestSizeFlag(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1000", 1000, true},
		{"16Mi", 16 << 20, true},
		{"2Gi", 2 << 30, true},
		{"8589934591Gi", 8589934591 << 30, true},
		{"8589934592Gi", 0, false},
		{"9000000000Gi", 0, false},
		{"-1", 0, false},
		{"1.5Mi", 0, false},
		{"Mi", 0, false},
		{"16MB", 0, false},
	} {
		var s sizeFlag
		err := s.Set(c.in)
		if (err == nil) != c.ok || (c.ok && int64(s) != c.want) {
			t.Errorf("Set(%q) = %d, %v; want %d, ok %v", c.in, s, err, c.want, c.ok)
		}
	}
}
