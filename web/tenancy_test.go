package web_test

import (
	"net/url"

	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// adminOf signs the tenant's owner in with two-factor on.
func adminOf(t *testing.T, w *world, host, email string) *browser {
	t.Helper()
	b := w.h.browser(t, host)
	b.login(email, pw)
	enrolTOTP(t, b)
	return b
}

func rootOf(t *testing.T, w *world) *browser {
	t.Helper()
	return adminOf(t, w, "console.localhost", "root@console.test")
}

func (h *harness) raw(t *testing.T, method, host, path string, body []byte, ctype string, b *browser) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Host = host
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if b != nil {
		var cs []string
		for k, v := range b.cookies {
			cs = append(cs, k+"="+v)
		}
		req.Header.Set("Cookie", strings.Join(cs, "; "))
		req.Header.Set("X-CSRF-Token", b.cookies["fd_csrf"])
	}
	res := h.send(t, req, -1)
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

// TestCustomDomainVerificationAndTLSAsk walks a domain from added to
// verified through the (fake) DNS resolver, and checks what tls-ask answers.
func TestCustomDomainVerificationAndTLSAsk(t *testing.T) {
	w := newWorld(t)
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	if r := owner.do("POST", "/api/admin/domains", map[string]string{"domain": "not a domain"}); r.status != 400 || r.errField() != "domain" {
		t.Errorf("bad domain = %d %s, want 400 on field domain", r.status, r.raw)
	}
	if r := owner.do("POST", "/api/admin/domains", map[string]string{"domain": "bravo.localhost"}); r.status != 400 {
		t.Errorf("a platform subdomain as custom domain = %d, want 400", r.status)
	}
	d := owner.must(201, "POST", "/api/admin/domains", map[string]string{"domain": "Cloud.Alpha-Example.com"})
	id := d.body["id"].(string)
	if d.body["status"] != "pending" || d.body["txt_name"] != "_fiatdashboard.cloud.alpha-example.com" || d.body["cname_target"] != "alpha.localhost" {
		t.Fatalf("added domain = %s", d.raw)
	}
	txt := d.body["txt_value"].(string)
	bravoOwner := adminOf(t, w, "bravo.localhost", "owner@bravo.test")
	// An unverified claim blocks nobody (the TXT record decides who owns
	// the name); a verified one does (TestDomainClaimsDoNotBlockOthers).
	if r := bravoOwner.do("POST", "/api/admin/domains", map[string]string{"domain": "cloud.alpha-example.com"}); r.status != 201 {
		t.Errorf("second tenant claiming an unverified domain = %d, want 201", r.status)
	}
	if r := bravoOwner.do("POST", "/api/admin/domains/"+id+"/verify", nil); r.status != 404 {
		t.Errorf("bravo verifying alpha's domain = %d, want 404", r.status)
	}

	ask := func(domain string) int {
		// Caddy asks on the internal listener.
		res, err := w.h.srv.Internal().Test(httptest.NewRequest("GET", "/internal/tls-ask?domain="+domain, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode
	}
	if st := ask("cloud.alpha-example.com"); st != 404 {
		t.Errorf("tls-ask for an unverified domain = %d, want 404", st)
	}
	// No TXT record yet: still pending, with a reason.
	v := owner.must(200, "POST", "/api/admin/domains/"+id+"/verify", nil)
	if v.body["status"] != "pending" || !strings.Contains(v.body["last_error"].(string), "no TXT record") {
		t.Errorf("verify without record = %s", v.raw)
	}
	w.h.dns.set("_fiatdashboard.cloud.alpha-example.com", "v=spf1 -all", "fiatdashboard-verify=wrong")
	v = owner.must(200, "POST", "/api/admin/domains/"+id+"/verify", nil)
	if v.body["status"] != "pending" || !strings.Contains(v.body["last_error"].(string), "does not contain") {
		t.Errorf("verify with a wrong record = %s", v.raw)
	}
	if st, _ := w.h.raw(t, "GET", "cloud.alpha-example.com", "/api/site", nil, "", nil); st != 404 {
		t.Errorf("unverified domain serves a site: %d", st)
	}
	w.h.dns.set("_fiatdashboard.cloud.alpha-example.com", "v=spf1 -all", txt)
	v = owner.must(200, "POST", "/api/admin/domains/"+id+"/verify", nil)
	if v.body["status"] != "verified" || v.body["last_error"] != "" {
		t.Fatalf("verify with the right record = %s", v.raw)
	}
	st, body := w.h.raw(t, "GET", "cloud.alpha-example.com", "/api/site", nil, "", nil)
	if st != 200 || !strings.Contains(body, `"slug":"alpha"`) {
		t.Errorf("verified domain /api/site = %d %s, want alpha's storefront", st, body)
	}
	for domain, want := range map[string]int{
		"cloud.alpha-example.com": 200, "CLOUD.alpha-example.com.": 200, "alpha.localhost": 200, "console.localhost": 200,
		"other.example.com": 404, "nobody.localhost": 404, "": 404, "%00%27;DROP": 404, "a..b": 404, strings.Repeat("x", 300) + ".com": 404,
	} {
		if got := ask(domain); got != want {
			t.Errorf("tls-ask %q = %d, want %d", domain, got, want)
		}
	}
	// A suspended tenant's domain gets no certificate, and its storefront
	// shows the maintenance page.
	root := rootOf(t, w)
	root.must(200, "POST", "/api/console/tenants/"+w.alpha.ID.String()+"/suspend", map[string]string{"reason": "unpaid platform invoice"})
	if got := ask("cloud.alpha-example.com"); got != 404 {
		t.Errorf("tls-ask for a suspended tenant's domain = %d, want 404", got)
	}
	if st, body := w.h.raw(t, "GET", "cloud.alpha-example.com", "/", nil, "", nil); st != 503 || !strings.Contains(body, "maintenance") {
		t.Errorf("suspended storefront on its domain = %d %q", st, body)
	}
	root.must(200, "POST", "/api/console/tenants/"+w.alpha.ID.String()+"/activate", nil)
	if got := ask("cloud.alpha-example.com"); got != 200 {
		t.Errorf("tls-ask after reactivation = %d, want 200", got)
	}
	// The periodic job verifies pending domains on its own.
	d2 := owner.must(201, "POST", "/api/admin/domains", map[string]string{"domain": "www.alpha-example.com"})
	w.h.dns.set("_fiatdashboard.www.alpha-example.com", d2.body["txt_value"].(string))
	checked, verified, err := w.h.tenants.VerifyPendingDomains(context.Background(), 10)
	// bravo's claim of alpha's verified domain is still pending: checked, and
	// never verified (its TXT value is not the one published).
	if err != nil || checked != 2 || verified != 1 {
		t.Errorf("VerifyPendingDomains = %d checked, %d verified, %v; want 2, 1", checked, verified, err)
	}
	if got := ask("www.alpha-example.com"); got != 200 {
		t.Errorf("tls-ask after the job verified = %d, want 200", got)
	}
}

// TestBrandingIsValidatedAndServed checks contrast refusal with its ratio,
// SVG refusal, and a PNG logo that reaches the storefront's first paint.
func TestBrandingIsValidatedAndServed(t *testing.T) {
	w := newWorld(t)
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	b := owner.must(200, "GET", "/api/admin/branding", nil)
	if n := len(b.body["presets"].([]any)); n < 4 {
		t.Errorf("%d presets, want at least 4", n)
	}
	theme := b.body["theme"].(map[string]any)
	theme["text"], theme["background"], theme["surface"] = "#b3b3b3", "#ffffff", "#ffffff"
	r := owner.do("PUT", "/api/admin/branding", theme)
	if r.status != 400 || r.errField() != "text" || !strings.Contains(r.raw, "2.09:1") {
		t.Errorf("2:1 text = %d %s, want 400 on field text with the ratio", r.status, r.raw)
	}
	theme["text"], theme["primary"], theme["product_name"] = "#111111", "#1d4ed8", "Alpha Compute"
	owner.must(200, "PUT", "/api/admin/branding", theme)

	st, body := w.h.raw(t, "PUT", "alpha.localhost", "/api/admin/branding/logo", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "image/svg+xml", owner)
	if st != 400 || !strings.Contains(body, "script") {
		t.Errorf("SVG with a script = %d %s, want 400", st, body)
	}
	var img bytes.Buffer
	png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 64, 64)))
	st, body = w.h.raw(t, "PUT", "alpha.localhost", "/api/admin/branding/logo", img.Bytes(), "image/png", owner)
	if st != 200 {
		t.Fatalf("PNG logo upload = %d %s", st, body)
	}
	logo := regexp.MustCompile(`/branding/logo\?v=[0-9a-f]{12}`).FindString(body)
	if logo == "" {
		t.Fatalf("upload response has no logo URL: %s", body)
	}
	st, served := w.h.raw(t, "GET", "alpha.localhost", logo, nil, "", nil)
	if st != 200 || served != img.String() {
		t.Errorf("GET %s = %d (%d bytes), want the uploaded PNG", logo, st, len(served))
	}
	if st, _ := w.h.raw(t, "GET", "bravo.localhost", logo, nil, "", nil); st != 404 {
		t.Errorf("alpha's logo on bravo's host = %d, want 404", st)
	}
	_, site := w.h.raw(t, "GET", "alpha.localhost", "/api/site", nil, "", nil)
	if !strings.Contains(site, `"name":"Alpha Compute"`) || !strings.Contains(site, logo) {
		t.Errorf("site after branding = %s", site)
	}
	// A customer cannot touch branding.
	ann := w.h.browser(t, "alpha.localhost")
	ann.login("ann@alpha.test", pw)
	if r := ann.do("PUT", "/api/admin/branding", theme); r.status != 404 {
		t.Errorf("customer PUT branding = %d, want 404", r.status)
	}
}

// TestApplicationBecomesTenant: a visitor applies on the console, a
// super-admin approves, the tenant is live and its owner is invited.
func TestApplicationBecomesTenant(t *testing.T) {
	w := newWorld(t)
	visitor := w.h.browser(t, "console.localhost")
	if r := visitor.do("POST", "/api/applications", map[string]string{"kind": "coop", "slug": "alpha", "name": "Taken", "contact_email": "x@y.test"}); r.status != 409 || r.errField() != "slug" {
		t.Errorf("taken slug = %d %s, want 409 on field slug", r.status, r.raw)
	}
	if r := visitor.do("POST", "/api/applications", map[string]string{"kind": "guild", "slug": "gamma", "name": "G", "contact_email": "x@y.test"}); r.status != 400 || r.errField() != "kind" {
		t.Errorf("bad kind = %d %s, want 400 on field kind", r.status, r.raw)
	}
	if r := w.h.browser(t, "alpha.localhost").do("POST", "/api/applications", map[string]string{"kind": "coop", "slug": "gamma", "name": "G", "contact_email": "x@y.test"}); r.status != 404 {
		t.Errorf("applying on a storefront = %d, want 404", r.status)
	}
	app := visitor.must(201, "POST", "/api/applications", map[string]string{"kind": "coop", "slug": "gamma", "name": "Gamma Co-op", "contact_email": "Lead@Gamma.test", "message": "12 farmers"})
	id := app.body["id"].(string)
	if st, _ := w.h.raw(t, "GET", "gamma.localhost", "/api/site", nil, "", nil); st != 404 {
		t.Errorf("a pending application serves a site: %d", st)
	}
	root := rootOf(t, w)
	list := root.must(200, "GET", "/api/console/applications?status=pending", nil)
	if !strings.Contains(list.raw, "Gamma Co-op") {
		t.Fatalf("pending applications = %s", list.raw)
	}
	root.must(200, "POST", "/api/console/applications/"+id+"/approve", nil)
	if r := root.do("POST", "/api/console/applications/"+id+"/approve", nil); r.status != 409 {
		t.Errorf("approving twice = %d, want 409", r.status)
	}
	st, site := w.h.raw(t, "GET", "gamma.localhost", "/api/site", nil, "", nil)
	if st != 200 || !strings.Contains(site, `"name":"Gamma Co-op"`) {
		t.Errorf("approved tenant's site = %d %s", st, site)
	}
	var text string
	if err := tenant.SystemTx(context.Background(), w.h.db.App, "test", func(tx *tenant.Tx) error {
		return tx.GetContext(context.Background(), &text, `SELECT body_text FROM outbox_emails WHERE to_addr = 'lead@gamma.test'`)
	}); err != nil || !strings.Contains(text, "http://gamma.localhost/reset-password?token=") || !strings.Contains(text, "owner") {
		t.Errorf("owner invitation = %q, %v", text, err)
	}
	// A rejection needs a reason, and the applicant is told it by e-mail.
	second := visitor.must(201, "POST", "/api/applications", map[string]string{"kind": "operator", "slug": "delta", "name": "Delta Cloud", "contact_email": "ops@delta.test"})
	third := visitor.must(201, "POST", "/api/applications", map[string]string{"kind": "operator", "slug": "epsilon", "name": "Epsilon", "contact_email": "ops@epsilon.test"})
	if r := root.do("POST", "/api/console/applications/"+second.body["id"].(string)+"/reject", map[string]string{"reason": " "}); r.status != 400 || r.errField() != "reason" {
		t.Errorf("rejecting without a reason = %d %s, want 400 on reason", r.status, r.raw)
	}
	root.must(200, "POST", "/api/console/applications/"+second.body["id"].(string)+"/reject", map[string]string{"reason": "We need a company registration number."})
	var rejection string
	if err := tenant.SystemTx(context.Background(), w.h.db.App, "test", func(tx *tenant.Tx) error {
		return tx.GetContext(context.Background(), &rejection, `SELECT body_text FROM outbox_emails WHERE to_addr = 'ops@delta.test'`)
	}); err != nil || !strings.Contains(rejection, "company registration number") || !strings.Contains(rejection, "Delta Cloud") {
		t.Errorf("rejection mail = %q, %v", rejection, err)
	}
	// Applications page by creation time: two pages of one, then none.
	p1 := root.must(200, "GET", "/api/console/applications?limit=1", nil)
	cursor, _ := p1.body["next_cursor"].(string)
	if items := p1.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != third.body["id"] || cursor == "" {
		t.Fatalf("first page = %s", p1.raw)
	}
	p2 := root.must(200, "GET", "/api/console/applications?limit=1&cursor="+url.QueryEscape(cursor), nil)
	if items := p2.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != second.body["id"] {
		t.Errorf("second page = %s", p2.raw)
	}
	if r := root.do("GET", "/api/console/applications?cursor=yesterday", nil); r.status != 400 || r.errField() != "cursor" {
		t.Errorf("bad cursor = %d %s", r.status, r.raw)
	}
	tenants := root.must(200, "GET", "/api/console/tenants", nil)
	if !strings.Contains(tenants.raw, `"slug":"gamma"`) || !strings.Contains(tenants.raw, `"kind":"coop"`) {
		t.Errorf("console tenants = %s", tenants.raw)
	}
	fee := root.must(200, "GET", "/api/console/settings", nil)
	if fee.body["platform_fee_bps"].(float64) != 200 {
		t.Errorf("default fee = %s", fee.raw)
	}
	if r := root.do("PUT", "/api/console/settings", map[string]int{"platform_fee_bps": 9000, "platform_fee_fixed_cents": 30}); r.status != 400 || r.errField() != "platform_fee_bps" {
		t.Errorf("90%% fee = %d %s, want 400", r.status, r.raw)
	}
	root.must(200, "PUT", "/api/console/settings", map[string]int{"platform_fee_bps": 150, "platform_fee_fixed_cents": 30})
	// The tenant owner is not a super-admin.
	alphaOwner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	if r := alphaOwner.do("GET", "/api/console/tenants", nil); r.status != 404 {
		t.Errorf("tenant owner on console API via storefront host = %d, want 404", r.status)
	}
}
