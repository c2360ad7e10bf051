// Package themes owns tenant branding: design tokens, presets, validation and
// the CSS variables injected into the storefront's first paint.
package themes

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/fiatdashboard/fiatdashboard"
)

// Theme is a tenant's design tokens. Every value is validated before it is
// stored, so CSS() can print it into a <style> element as it is.
type Theme struct {
	Primary         string `json:"primary"`
	PrimaryContrast string `json:"primary_contrast"`
	Background      string `json:"background"`
	Surface         string `json:"surface"`
	Text            string `json:"text"`
	Muted           string `json:"muted"`
	Border          string `json:"border"`
	Radius          string `json:"radius"`
	Font            string `json:"font"`
	LogoURL         string `json:"logo_url"`
}

// Default is the theme of a tenant that has not set its own, and of the console.
func Default() Theme {
	return Theme{
		Primary:         "#4f46e5",
		PrimaryContrast: "#ffffff",
		Background:      "#f8fafc",
		Surface:         "#ffffff",
		Text:            "#0f172a",
		Muted:           "#64748b",
		Border:          "#e2e8f0",
		Radius:          "0.75rem",
		Font:            "Inter, ui-sans-serif, system-ui, sans-serif",
	}
}

var (
	hexColor = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	length   = regexp.MustCompile(`^(0|[0-9]{1,2}(\.[0-9]{1,3})?(rem|px|em))$`)
	fontList = regexp.MustCompile(`^[A-Za-z0-9 ,\-"']{1,120}$`)
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

// Validate returns EINVALID naming the first token that is not acceptable.
func (t Theme) Validate() error {
	colors := []struct{ name, v string }{
		{"primary", t.Primary}, {"primary_contrast", t.PrimaryContrast}, {"background", t.Background},
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
	if !fontList.MatchString(t.Font) {
		return fiatdashboard.Invalid("font", "font must be a CSS font list of letters, digits, spaces, commas and quotes")
	}
	if t.LogoURL != "" && !(strings.HasPrefix(t.LogoURL, "https://") || strings.HasPrefix(t.LogoURL, "/")) || strings.ContainsAny(t.LogoURL, "\"'<> ") {
		return fiatdashboard.Invalid("logo_url", "logo_url must be an https:// URL or a path on this host")
	}
	return nil
}

// CSS returns the :root rule that carries the theme as CSS variables.
func (t Theme) CSS() string {
	return fmt.Sprintf(":root{--fd-primary:%s;--fd-primary-contrast:%s;--fd-bg:%s;--fd-surface:%s;--fd-text:%s;--fd-muted:%s;--fd-border:%s;--fd-radius:%s;--fd-font:%s}",
		t.Primary, t.PrimaryContrast, t.Background, t.Surface, t.Text, t.Muted, t.Border, t.Radius, t.Font)
}
