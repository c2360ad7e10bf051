package themes_test

import (
	"strings"
	"testing"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/themes"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		wantField string // "" = valid
		wantCSS   string
	}{
		{"empty is the default", ``, "", "--fd-primary:#4f46e5"},
		{"override one token", `{"primary":"#0ea5e9"}`, "", "--fd-primary:#0ea5e9;--fd-primary-contrast:#ffffff"},
		{"css injection in a colour", `{"primary":"red;}</style><script>"}`, "primary", ""},
		{"bad radius", `{"radius":"calc(1px)"}`, "radius", ""},
		{"bad font", `{"font":"x;}body{display:none"}`, "font", ""},
		{"javascript logo", `{"logo_url":"javascript:alert(1)"}`, "logo_url", ""},
		{"not an object", `[1]`, "theme", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, err := themes.Parse([]byte(tt.raw))
			if tt.wantField != "" {
				e, ok := err.(*fiatdashboard.Error)
				if !ok || e.Code != fiatdashboard.EINVALID || e.Field != tt.wantField {
					t.Fatalf("err = %v, want EINVALID on field %s", err, tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(th.CSS(), tt.wantCSS) {
				t.Errorf("CSS() = %s, want it to contain %s", th.CSS(), tt.wantCSS)
			}
		})
	}
}
