package grid_test

import (
	"testing"

	"github.com/fiatdashboard/fiatdashboard/grid"
)

// FuzzParseTFT: any text parses without panicking; an accepted amount is
// non-negative and survives formatting and parsing again unchanged.
func FuzzParseTFT(f *testing.F) {
	for _, s := range []string{"12", "0.5", "1.0000001", "1.00000001", "-1", "1e9", "922337203685.4775807", "922337203685.4775808", "", ".5", "00.10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := grid.ParseTFT(s)
		if err != nil {
			return
		}
		if u < 0 {
			t.Fatalf("%q parsed to a negative amount %d", s, u)
		}
		back, err := grid.ParseTFT(grid.FormatTFT(u))
		if err != nil || back != u {
			t.Fatalf("%q → %d → %q → %d, %v", s, u, grid.FormatTFT(u), back, err)
		}
	})
}

// FuzzParseDecimal: any text parses without panicking, and only plain
// non-negative decimals are accepted.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0.0105", "25", "2.5", "1/3", "1e5", "-2", "0x10", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := grid.ParseDecimal(s)
		if err == nil && r.Sign() < 0 {
			t.Fatalf("%q parsed to a negative %v", s, r)
		}
	})
}
