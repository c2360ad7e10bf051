package web

import (
	"strings"
	"testing"

	"github.com/fiatdashboard/fiatdashboard/themes"
)

// TestRenderIndexBrandsTheHead proves the tenant's name, theme and config are
// injected at the marker, and that a hostile tenant name cannot break out of
// the <title> or the JSON <script>.
func TestRenderIndexBrandsTheHead(t *testing.T) {
	index := []byte(`<html><head><meta charset="utf-8">` + headMarker + `</head><body></body></html>`)
	th := themes.Default()
	th.Primary = "#0ea5e9"
	info := SiteInfo{Realm: "tenant", Tenant: TenantInfo{Slug: "demo", Name: `Evil</title><script>alert(1)</script>`}, StripeMode: "mock", theme: th}
	out := string(renderIndex(index, info))
	if strings.Contains(out, headMarker) {
		t.Error("marker left in the page")
	}
	if strings.Contains(out, "<script>alert") {
		t.Errorf("tenant name broke out of its element: %s", out)
	}
	for _, want := range []string{
		`<title>Evil&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>`,
		`--fd-primary:#0ea5e9`,
		`<script id="fd-config" type="application/json">{"realm":"tenant"`,
		`"stripe_mode":"mock"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered head lacks %s:\n%s", want, out)
		}
	}
}
