// Package themes owns tenant branding: design tokens, presets, contrast and
// asset validation, the CSS variables injected into the storefront's first
// paint, and the uploaded logo and favicon.
package themes

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/fiatdashboard/fiatdashboard"
)

// Theme is a tenant's design tokens. Every value is validated before it is
// stored, so CSS() can print it into a <style> element as it is.
type Theme struct {
	ProductName     string `json:"product_name,omitempty"` // shown in the header; the tenant's name when empty
	Primary         string `json:"primary"`
	PrimaryContrast string `json:"primary_contrast"` // text on primary buttons
	Accent          string `json:"accent"`
	Background      string `json:"background"`
	Surface         string `json:"surface"`
	Text            string `json:"text"`
	Muted           string `json:"muted"`
	Border          string `json:"border"`
	Radius          string `json:"radius"`
	Font            string `json:"font"` // a key of Fonts
	Mode            string `json:"mode"` // light or dark: the default colour scheme
	// LogoURL and FaviconURL are set by the server when an image is uploaded.
	LogoURL    string `json:"logo_url,omitempty"`
	FaviconURL string `json:"favicon_url,omitempty"`
}

// Fonts are the font families a tenant may choose, as CSS font stacks. Only
// Inter is bundled with the UI; the others are system stacks, so no page
// loads a font from elsewhere.
var Fonts = map[string]string{
	"inter":   `Inter, ui-sans-serif, system-ui, sans-serif`,
	"system":  `ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`,
	"serif":   `ui-serif, Georgia, Cambria, "Times New Roman", serif`,
	"rounded": `ui-rounded, "SF Pro Rounded", "Nunito", ui-sans-serif, system-ui, sans-serif`,
	"mono":    `ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace`,
}

// Default is the theme of a tenant that has not set its own, and of the console.
func Default() Theme { return Presets["indigo"].Theme }

// Preset is a ready-made theme a tenant can start from.
type Preset struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Theme Theme  `json:"theme"`
}

// Presets are the built-in themes; each passes Validate.
var Presets = map[string]Preset{
	"indigo": {"indigo", "Indigo", Theme{Primary: "#4f46e5", PrimaryContrast: "#ffffff", Accent: "#0ea5e9", Background: "#f8fafc", Surface: "#ffffff",
		Text: "#0f172a", Muted: "#64748b", Border: "#e2e8f0", Radius: "0.75rem", Font: "inter", Mode: "light"}},
	"lagoon": {"lagoon", "Lagoon", Theme{Primary: "#0f766e", PrimaryContrast: "#ffffff", Accent: "#f59e0b", Background: "#f6faf9", Surface: "#ffffff",
		Text: "#0b2522", Muted: "#4b635f", Border: "#d7e5e2", Radius: "0.75rem", Font: "inter", Mode: "light"}},
	"ember": {"ember", "Ember", Theme{Primary: "#c2410c", PrimaryContrast: "#ffffff", Accent: "#0f766e", Background: "#fffaf5", Surface: "#ffffff",
		Text: "#1c1917", Muted: "#57534e", Border: "#ece3da", Radius: "0.375rem", Font: "system", Mode: "light"}},
	"midnight": {"midnight", "Midnight", Theme{Primary: "#818cf8", PrimaryContrast: "#0b1020", Accent: "#34d399", Background: "#0b1020", Surface: "#131a2e",
		Text: "#e5e7eb", Muted: "#9ca3af", Border: "#273049", Radius: "0.75rem", Font: "inter", Mode: "dark"}},
	"paper": {"paper", "Paper", Theme{Primary: "#111827", PrimaryContrast: "#ffffff", Accent: "#b45309", Background: "#fbfaf7", Surface: "#ffffff",
		Text: "#111827", Muted: "#4b5563", Border: "#e7e5e4", Radius: "0.25rem", Font: "serif", Mode: "light"}},
}

var (
	hexColor = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	length   = regexp.MustCompile(`^(0|[0-9]{1,2}(\.[0-9]{1,3})?(rem|px|em))$`)
	assetURL = regexp.MustCompile(`^/branding/(logo|favicon)\?v=[0-9a-f]{12}$`)
)

// Parse reads stored tokens over the default theme. Empty input gives the
// default. A bad value is an EINVALID error naming the token.
func Parse(raw []byte) (Theme, error) {
	t := Default()
	if len(strings.TrimSpace(string(raw))) == 0 {
		return t, nil
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return Default(), fiatdashboard.Invalid("theme", "theme must be a JSON object of tokens")
	}
	return t, t.Validate()
}

// Validate returns EINVALID naming the first token that is not acceptable,
// including colour pairs that people could not read.
func (t Theme) Validate() error {
	if len(t.ProductName) > 60 || strings.ContainsAny(t.ProductName, "<>") {
		return fiatdashboard.Invalid("product_name", "the product name must be at most 60 characters, without < or >")
	}
	colors := []struct{ name, v string }{
		{"primary", t.Primary}, {"primary_contrast", t.PrimaryContrast}, {"accent", t.Accent}, {"background", t.Background},
		{"surface", t.Surface}, {"text", t.Text}, {"muted", t.Muted}, {"border", t.Border},
	}
	for _, c := range colors {
		if !hexColor.MatchString(c.v) {
			return fiatdashboard.Invalid(c.name, "%s must be a hex colour such as #4f46e5", c.name)
		}
	}
	if !length.MatchString(t.Radius) {
		return fiatdashboard.Invalid("radius", "radius must be a length such as 0.75rem or 12px")
	}
	if _, ok := Fonts[t.Font]; !ok {
		return fiatdashboard.Invalid("font", "font must be one of inter, system, serif, rounded, mono")
	}
	if t.Mode != "light" && t.Mode != "dark" {
		return fiatdashboard.Invalid("mode", "mode must be light or dark")
	}
	for _, u := range []struct{ name, v string }{{"logo_url", t.LogoURL}, {"favicon_url", t.FaviconURL}} {
		if u.v != "" && !assetURL.MatchString(u.v) {
			return fiatdashboard.Invalid(u.name, "%s is set by uploading an image", u.name)
		}
	}
	// WCAG 2.1 AA asks 4.5:1 for normal text.
	for _, p := range []struct{ field, fg, bg, what string }{
		{"text", t.Text, t.Background, "text on background"},
		{"text", t.Text, t.Surface, "text on surface"},
		{"primary_contrast", t.PrimaryContrast, t.Primary, "button text on primary"},
	} {
		if r := Contrast(p.fg, p.bg); r < 4.5 {
			return fiatdashboard.Invalid(p.field, "%s has a contrast of %s:1; it needs at least 4.5:1 to be readable (WCAG AA)", p.what, strconv.FormatFloat(math.Floor(r*100)/100, 'f', -1, 64))
		}
	}
	return nil
}

// Contrast is the WCAG contrast ratio of two hex colours, from 1 to 21.
func Contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	h := strings.TrimPrefix(hex, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	v, _ := strconv.ParseUint(h, 16, 32)
	ch := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(v>>16&0xff) + 0.7152*ch(v>>8&0xff) + 0.0722*ch(v&0xff)
}

// CSS returns the :root rule that carries the theme as CSS variables.
func (t Theme) CSS() string {
	return fmt.Sprintf(":root{color-scheme:%s;--fd-primary:%s;--fd-primary-contrast:%s;--fd-accent:%s;--fd-bg:%s;--fd-surface:%s;--fd-text:%s;--fd-muted:%s;--fd-border:%s;--fd-radius:%s;--fd-font:%s}",
		t.Mode, t.Primary, t.PrimaryContrast, t.Accent, t.Background, t.Surface, t.Text, t.Muted, t.Border, t.Radius, Fonts[t.Font])
}
