package web_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestInputThatReachesPostgresIsValid: a NUL byte in an anonymous route's
// string (which gave 500) is a 400 naming the field; a type error names the
// field, not "body"; a monthly price of 2^63-1 is refused.
func TestInputThatReachesPostgresIsValid(t *testing.T) {
	w := newWorld(t)
	anon := w.h.browser(t, "alpha.localhost")
	for _, tt := range []struct{ path, body, field string }{
		{"/api/auth/signup", `{"email":"a\u0000@alpha.test","password":"a long enough passphrase"}`, "email"},
		{"/api/auth/password-reset/request", `{"email":"x\u0000@alpha.test"}`, "email"},
		{"/api/quote", `{"size":"small","months":"x"}`, "months"},
	} {
		st, raw := w.h.raw(t, "POST", "alpha.localhost", tt.path, []byte(tt.body), "application/json", anon)
		if st != 400 || !strings.Contains(raw, `"field":"`+tt.field+`"`) {
			t.Errorf("POST %s %s = %d %s; want 400 naming %s", tt.path, tt.body, st, raw, tt.field)
		}
	}
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	r := owner.do("PUT", "/api/admin/pricing", map[string]any{"rule": map[string]any{"mode": "fixed", "ipv4_cents": 300,
		"sizes": []map[string]any{{"id": "s", "name": "S", "cpu": 1, "ram_gb": 2, "disk_gb": 25, "fixed_cents": int64(1<<63 - 1)}}}})
	if r.status != 400 || r.errField() != "rule.sizes[0].fixed_cents" {
		t.Errorf("fixed_cents 2^63-1 = %d %s; want 400 on rule.sizes[0].fixed_cents", r.status, r.raw)
	}
}

// TestSmallHoles: a customer cannot use the admin cancel route even on
// their own deployment; storefront routes on the console answer 404; the
// version is not told to anonymous callers.
func TestSmallHoles(t *testing.T) {
	w := newWorld(t)
	ann := w.h.browser(t, "alpha.localhost")
	me := ann.login("ann@alpha.test", pw)
	if me.status != 200 {
		t.Fatalf("login: %d %s", me.status, me.raw)
	}
	id := ann.must(200, "GET", "/api/me", nil)
	account := mustUUID(t, idOf(id.body))
	order := seedOrder(t, w.h, w.alpha.ID, account, 900, 0, time.Now(), "running")
	deps := ann.must(200, "GET", "/api/deployments", nil)
	items, _ := deps.body["items"].([]any)
	if len(items) == 0 {
		t.Fatalf("the customer's deployment of order %s is not listed: %s", order, deps.raw)
	}
	dep := items[0].(map[string]any)["id"].(string)
	if r := ann.do("POST", "/api/admin/deployments/"+dep+"/cancel", map[string]any{}); r.status != 403 && r.status != 404 {
		t.Errorf("a customer on the admin cancel route = %d %s; want 403", r.status, r.raw)
	}
	console := w.h.browser(t, "console.localhost")
	for _, p := range []string{"/api/catalog", "/api/cards", "/api/orders", "/api/deployments", "/api/subscriptions", "/api/offers", "/api/images"} {
		if r := console.do("GET", p, nil); r.status >= 500 {
			t.Errorf("storefront route %s on the console = %d %s; want a 4xx", p, r.status, r.raw)
		}
	}
	if r := console.do("GET", "/api/site", nil); strings.Contains(r.raw, `"version"`) {
		t.Errorf("/api/site tells anonymous callers the version: %s", r.raw)
	}
}

func idOf(body map[string]any) string {
	if v, ok := body["id"].(string); ok {
		return v
	}
	if a, ok := body["account"].(map[string]any); ok {
		if v, ok := a["id"].(string); ok {
			return v
		}
	}
	return ""
}

// TestRateLimitsOnTheirOwnCounters: sign-up and reset requests answer 429
// with Retry-After past their limits, and reset requests do not lock the
// address out of signing in.
func TestRateLimitsOnTheirOwnCounters(t *testing.T) {
	w := newWorld(t)
	b := w.h.browser(t, "alpha.localhost")
	var last reply
	for i := 0; i < 35; i++ {
		last = b.do("POST", "/api/auth/password-reset/request", map[string]any{"email": "ann@alpha.test"})
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" {
		t.Errorf("the 35th reset request = %d (Retry-After %q); want 429 with Retry-After", last.status, last.header.Get("Retry-After"))
	}
	if r := b.login("ann@alpha.test", pw); r.status != 200 {
		t.Errorf("sign-in after many reset requests = %d %s; want 200 (their own counter)", r.status, r.raw)
	}
	s := w.h.browser(t, "alpha.localhost")
	for i := 0; i < 12; i++ {
		last = s.do("POST", "/api/auth/signup", map[string]any{"email": "new" + string(rune('a'+i)) + "@alpha.test", "password": pw})
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" {
		t.Errorf("the 12th sign-up from one address = %d; want 429 with Retry-After", last.status)
	}
	for i := 0; i < 21; i++ {
		last = b.do("POST", "/api/tokens", map[string]any{"name": "t"})
	}
	if last.status != 429 {
		t.Errorf("the 21st token = %d; want 429", last.status)
	}
	for i := 0; i < 6; i++ {
		last = b.do("POST", "/api/account/password", map[string]any{"current_password": "wrong wrong wrong", "new_password": "another long passphrase"})
	}
	if last.status != 429 {
		t.Errorf("the 6th password change = %d; want 429", last.status)
	}
}

// TestDomainClaimsDoNotBlockOthers: a pending claim of one tenant does not
// stop another from adding the domain; only a verified one is taken.
func TestDomainClaimsDoNotBlockOthers(t *testing.T) {
	w := newWorld(t)
	a := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	b := adminOf(t, w, "bravo.localhost", "owner@bravo.test")
	ad := a.must(201, "POST", "/api/admin/domains", map[string]any{"domain": "shop.contested.com"})
	bd := b.must(201, "POST", "/api/admin/domains", map[string]any{"domain": "shop.contested.com"})
	if r := a.do("POST", "/api/admin/domains", map[string]any{"domain": "shop.contested.com"}); r.status != 409 {
		t.Errorf("adding one's own domain twice = %d; want 409", r.status)
	}
	// Both publish the record; bravo verifies first, alpha's claim then
	// stays pending, and a new claim by anyone is refused.
	w.h.dns.set("_fiatdashboard.shop.contested.com", bd.body["txt_value"].(string))
	if v := b.must(200, "POST", "/api/admin/domains/"+bd.body["id"].(string)+"/verify", nil); v.body["status"] != "verified" {
		t.Fatalf("bravo's verification: %s", v.raw)
	}
	w.h.dns.set("_fiatdashboard.shop.contested.com", ad.body["txt_value"].(string))
	if v := a.must(200, "POST", "/api/admin/domains/"+ad.body["id"].(string)+"/verify", nil); v.body["status"] == "verified" {
		t.Errorf("alpha verified a domain bravo holds verified: %s", v.raw)
	}
	a.must(204, "DELETE", "/api/admin/domains/"+ad.body["id"].(string), nil)
	if r := a.do("POST", "/api/admin/domains", map[string]any{"domain": "shop.contested.com"}); r.status != 409 {
		t.Errorf("claiming a domain another storefront verified = %d %s; want 409", r.status, r.raw)
	}
}

// TestLoginRefusesOtherSitesAndRotatesCSRF: a sign-in posted from another
// site (Origin or Sec-Fetch-Site), or as a form, is refused; a CSRF cookie
// planted before the sign-in does not survive it.
func TestLoginRefusesOtherSitesAndRotatesCSRF(t *testing.T) {
	w := newWorld(t)
	body := []byte(`{"email":"ann@alpha.test","password":"` + pw + `"}`)
	for _, h := range []map[string]string{
		{"Origin": "https://evil.example", "Content-Type": "application/json"},
		{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"},
		{"Content-Type": "text/plain"},
		{"Content-Type": "application/x-www-form-urlencoded"},
	} {
		req := httptest.NewRequest("POST", "/api/auth/login", bytes.NewReader(body))
		req.Host = "alpha.localhost"
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := w.h.srv.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode < 400 || res.StatusCode >= 500 || res.Header.Get("Set-Cookie") != "" {
			t.Errorf("login with %v = %d (cookies %q); want a 4xx and no session", h, res.StatusCode, res.Header.Get("Set-Cookie"))
		}
	}
	b := w.h.browser(t, "alpha.localhost")
	b.cookies["fd_csrf"] = "planted-by-an-attacker"
	if r := b.login("ann@alpha.test", pw); r.status != 200 {
		t.Fatalf("same-site login = %d %s", r.status, r.raw)
	}
	if b.cookies["fd_csrf"] == "planted-by-an-attacker" || b.cookies["fd_csrf"] == "" {
		t.Errorf("the CSRF token after sign-in is %q; want a new one", b.cookies["fd_csrf"])
	}
}

// TestTokensForTwoFactorRolesNeedTwoFactor: an owner or a super-admin who
// has not enrolled two-factor cannot create an API token; once enrolled
// (and signed in with it) they can, and the token passes the role's
// two-factor rule; a customer needs none.
func TestTokensForTwoFactorRolesNeedTwoFactor(t *testing.T) {
	w := newWorld(t)
	for _, who := range []struct{ host, email string }{{"alpha.localhost", "owner@alpha.test"}, {"console.localhost", "root@console.test"}} {
		b := w.h.browser(t, who.host)
		b.login(who.email, pw)
		if r := b.do("POST", "/api/tokens", map[string]any{"name": "ci"}); r.status != 403 || r.errField() != "mfa" {
			t.Errorf("%s creating a token without two-factor = %d %s; want 403 on mfa", who.email, r.status, r.raw)
		}
	}
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	tok := owner.must(201, "POST", "/api/tokens", map[string]any{"name": "ci"})
	token, _ := tok.body["token"].(string)
	req := httptest.NewRequest("GET", "/api/admin/members", nil)
	req.Host = "alpha.localhost"
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := w.h.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		t.Errorf("the enrolled owner's token on an admin route = %d; want 200", res.StatusCode)
	}
	ann := w.h.browser(t, "alpha.localhost")
	ann.login("ann@alpha.test", pw)
	ann.must(201, "POST", "/api/tokens", map[string]any{"name": "script"})
}

// TestUnverifiedDomainClaimsExpire: a claim never verified is deleted by
// the periodic check after 30 days; a recent one stays pending.
func TestUnverifiedDomainClaimsExpire(t *testing.T) {
	w := newWorld(t)
	a := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	old := a.must(201, "POST", "/api/admin/domains", map[string]any{"domain": "old.alpha-example.com"})
	a.must(201, "POST", "/api/admin/domains", map[string]any{"domain": "new.alpha-example.com"})
	if _, err := ownerDB(t, w.h.db).Exec(`UPDATE tenant_domains SET created_at = now() - interval '31 days' WHERE id = $1`, old.body["id"]); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.h.tenants.VerifyPendingDomains(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	list := a.must(200, "GET", "/api/admin/domains", nil)
	if strings.Contains(list.raw, "old.alpha-example.com") || !strings.Contains(list.raw, "new.alpha-example.com") {
		t.Errorf("domains after the periodic check = %s; want the 31-day-old claim gone and the new one pending", list.raw)
	}
	// The expired name is free for anyone.
	b := adminOf(t, w, "bravo.localhost", "owner@bravo.test")
	b.must(201, "POST", "/api/admin/domains", map[string]any{"domain": "old.alpha-example.com"})
}

// TestApplicationsReserveASlugOnlyOnApproval: two pending applications may
// ask for one address; approving one takes it, and then a new application
// for it and the approval of the other are refused with 409.
func TestApplicationsReserveASlugOnlyOnApproval(t *testing.T) {
	w := newWorld(t)
	visitor := w.h.browser(t, "console.localhost")
	first := visitor.must(201, "POST", "/api/applications", map[string]string{"kind": "coop", "slug": "zeta", "name": "Zeta Co-op", "contact_email": "a@zeta.test"})
	second := visitor.must(201, "POST", "/api/applications", map[string]string{"kind": "operator", "slug": "zeta", "name": "Zeta Cloud", "contact_email": "b@zeta.test"})
	root := rootOf(t, w)
	root.must(200, "POST", "/api/console/applications/"+first.body["id"].(string)+"/approve", nil)
	if r := visitor.do("POST", "/api/applications", map[string]string{"kind": "coop", "slug": "zeta", "name": "Zeta Again", "contact_email": "c@zeta.test"}); r.status != 409 || r.errField() != "slug" {
		t.Errorf("applying for an approved tenant's slug = %d %s; want 409 on slug", r.status, r.raw)
	}
	if r := root.do("POST", "/api/console/applications/"+second.body["id"].(string)+"/approve", nil); r.status != 409 {
		t.Errorf("approving a second application for a taken slug = %d %s; want 409", r.status, r.raw)
	}
}
