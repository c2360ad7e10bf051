package tenant

import (
	"errors"
	"strings"
	"testing"

	"github.com/fiatdashboard/fiatdashboard"
)

// TestEmailStart: the search box's text is trimmed and lowercased as it is
// (no wildcards to escape: ^@ has none), and a text too long to be part of
// an e-mail is refused on field q.
func TestEmailStart(t *testing.T) {
	for in, want := range map[string]string{"  Ann@Ex ": "ann@ex", "d%_": "d%_", "": "", "   ": ""} {
		if got, err := EmailStart(in); err != nil || got != want {
			t.Errorf("EmailStart(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := EmailStart(strings.Repeat("a", 255))
	var e *fiatdashboard.Error
	if !errors.As(err, &e) || e.Code != fiatdashboard.EINVALID || e.Field != "q" {
		t.Errorf("255 characters: %v; want EINVALID on q", err)
	}
}
