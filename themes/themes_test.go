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
		wantMsg   string
		wantCSS   string
	}{
		{"empty is the default", ``, "", "", "--fd-primary:#4f46e5"},
		{"override one token", `{"primary":"#0369a1"}`, "", "", "--fd-primary:#0369a1;--fd-primary-contrast:#ffffff"},
		{"font key becomes a stack", `{"font":"serif"}`, "", "", "--fd-font:ui-serif, Georgia"},
		// #777777 on #ffffff: L = 0.184, (1.05)/(0.234) = 4.48 — just under AA.
		{"grey text on white just fails", `{"text":"#777777","background":"#ffffff"}`, "text", "4.47:1", ""},
		// #999999 on #ffffff is 2.84:1; #aaaaaa on #ffffff is 2.32:1; #b3b3b3 is 2.09:1.
		{"2:1 text is rejected with its ratio", `{"text":"#b3b3b3","background":"#ffffff","surface":"#ffffff"}`, "text", "2.09:1", ""},
		{"unreadable button text", `{"primary":"#fde047","primary_contrast":"#ffffff"}`, "primary_contrast", "button text on primary", ""},
		{"css injection in a colour", `{"primary":"red;}</style><script>"}`, "primary", "", ""},
		{"bad radius", `{"radius":"calc(1px)"}`, "radius", "", ""},
		{"font outside the allow-list", `{"font":"Comic Sans"}`, "font", "", ""},
		{"logo url cannot be set by hand", `{"logo_url":"javascript:alert(1)"}`, "logo_url", "", ""},
		{"not an object", `[1]`, "theme", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, err := themes.Parse([]byte(tt.raw))
			if tt.wantField != "" {
				e, ok := err.(*fiatdashboard.Error)
				if !ok || e.Code != fiatdashboard.EINVALID || e.Field != tt.wantField || !strings.Contains(e.Message, tt.wantMsg) {
					t.Fatalf("err = %v, want EINVALID on field %s mentioning %q", err, tt.wantField, tt.wantMsg)
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

func TestPresetsAreValid(t *testing.T) {
	if len(themes.Presets) < 4 {
		t.Fatalf("%d presets, want at least 4", len(themes.Presets))
	}
	for name, p := range themes.Presets {
		if err := p.Theme.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
}

func TestContrast(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want float64
	}{{"#000000", "#ffffff", 21}, {"#ffffff", "#ffffff", 1}, {"#777", "#fff", 4.48}} {
		if got := themes.Contrast(c.a, c.b); got < c.want-0.01 || got > c.want+0.01 {
			t.Errorf("Contrast(%s, %s) = %.3f, want %.2f", c.a, c.b, got, c.want)
		}
	}
}
