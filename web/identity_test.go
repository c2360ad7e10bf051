package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// browser is a cookie-keeping client of one host, sending the CSRF header
// the way the UI does.
type browser struct {
	t       *testing.T
	h       *harness
	host    string
	cookies map[string]string
	bearer  string
	noCSRF  bool
}

func (h *harness) browser(t *testing.T, host string) *browser {
	return &browser{t: t, h: h, host: host, cookies: map[string]string{}}
}

type reply struct {
	status int
	body   map[string]any
	raw    string
	header http.Header
}

func (r reply) errField() string {
	e, _ := r.body["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

func (r reply) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (b *browser) do(method, path string, in any) reply {
	b.t.Helper()
	var body io.Reader
	if in != nil {
		j, _ := json.Marshal(in)
		body = strings.NewReader(string(j))
	}
	req := httptest.NewRequest(method, path, body)
	req.Host = b.host
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	var cs []string
	for k, v := range b.cookies {
		cs = append(cs, k+"="+v)
	}
	if len(cs) > 0 {
		req.Header.Set("Cookie", strings.Join(cs, "; "))
	}
	if csrf := b.cookies["fd_csrf"]; csrf != "" && !b.noCSRF {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	if b.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+b.bearer)
	}
	res := b.h.send(b.t, req, -1)
	for _, c := range res.Cookies() {
		if c.Value == "" || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	raw, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, raw: string(raw), header: res.Header}
	json.Unmarshal(raw, &r.body)
	return r
}

func (b *browser) must(status int, method, path string, in any) reply {
	b.t.Helper()
	r := b.do(method, path, in)
	if r.status != status {
		b.t.Fatalf("%s %s%s = %d %s, want %d", method, b.host, path, r.status, r.raw, status)
	}
	return r
}

func (b *browser) login(email, password string) reply {
	b.t.Helper()
	return b.must(200, "POST", "/api/auth/login", map[string]string{"email": email, "password": password})
}

type world struct {
	h            *harness
	alpha, bravo *tenant.Tenant
}

const pw = "a long enough passphrase"

func newWorld(t *testing.T, opts ...harnessOption) *world {
	t.Helper()
	h := newHarness(t, nil, opts...)
	ctx := context.Background()
	w := &world{h: h}
	var err error
	if w.alpha, err = h.store.Create(ctx, tenant.NewTenant{Slug: "alpha", Name: "Alpha Cloud", Status: tenant.StatusActive}); err != nil {
		t.Fatal(err)
	}
	if w.bravo, err = h.store.Create(ctx, tenant.NewTenant{Slug: "bravo", Name: "Bravo Cloud", Status: tenant.StatusActive}); err != nil {
		t.Fatal(err)
	}
	rs := rbac.NewStore(h.db.App)
	for _, a := range []struct {
		tenant uuid.UUID
		email  string
		role   string
	}{
		{w.alpha.ID, "ann@alpha.test", rbac.RoleCustomer},
		{w.bravo.ID, "bob@bravo.test", rbac.RoleCustomer},
		{w.alpha.ID, "owner@alpha.test", rbac.RoleOwner},
		{w.bravo.ID, "owner@bravo.test", rbac.RoleOwner},
		{uuid.Nil, "root@console.test", rbac.RoleSuperAdmin},
		{uuid.Nil, "farmer@console.test", rbac.RoleNodeOperator},
	} {
		if _, err := rs.EnsureAccount(ctx, a.tenant, a.email, pw, a.role); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.authz.Reload(); err != nil {
		t.Fatal(err)
	}
	return w
}

// totpUsed is the last time step each secret's code was used for: the
// server takes a code once, and none of an earlier step after it.
var totpUsed sync.Map

// freshTOTP returns a code of a step after the last one used for secret
// (the next step, which the server's one-step skew accepts, or later after
// a wait).
func freshTOTP(t *testing.T, secret string) string {
	t.Helper()
	now := time.Now().Unix() / 30
	step := now
	if v, ok := totpUsed.Load(secret); ok && v.(int64) >= step {
		step = v.(int64) + 1
	}
	if step > now+1 {
		time.Sleep(time.Until(time.Unix((step-1)*30, 0)) + 100*time.Millisecond)
	}
	totpUsed.Store(secret, step)
	code, err := totp.GenerateCodeCustom(secret, time.Unix(step*30, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enrolTOTP turns on two-factor for the signed-in browser and returns the secret.
func enrolTOTP(t *testing.T, b *browser) string {
	t.Helper()
	e := b.must(200, "POST", "/api/account/2fa/enroll", nil)
	secret, _ := e.body["secret"].(string)
	code := freshTOTP(t, secret)
	r := b.must(200, "POST", "/api/account/2fa/confirm", map[string]string{"code": code})
	if codes, _ := r.body["recovery_codes"].([]any); len(codes) != 10 {
		t.Fatalf("confirm returned %d recovery codes, want 10", len(codes))
	}
	return secret
}

// TestCustomerOfOneTenantCannotReachAnother proves the realms are apart: a
// customer of alpha cannot log in on bravo's host, its session and API token
// do not work there, and bravo's objects answer 404.
func TestCustomerOfOneTenantCannotReachAnother(t *testing.T) {
	w := newWorld(t)
	ann := w.h.browser(t, "alpha.localhost")
	ann.login("ann@alpha.test", pw)
	ann.must(200, "GET", "/api/me", nil)
	tok := ann.must(201, "POST", "/api/tokens", map[string]string{"name": "script"})
	token, _ := tok.body["token"].(string)

	// Same credentials on bravo's host: no such account there.
	onBravo := w.h.browser(t, "bravo.localhost")
	if r := onBravo.do("POST", "/api/auth/login", map[string]string{"email": "ann@alpha.test", "password": pw}); r.status != 401 {
		t.Errorf("alpha's customer logging in on bravo = %d %s, want 401", r.status, r.raw)
	}
	// alpha's session cookies and token presented to bravo's host.
	stolen := w.h.browser(t, "bravo.localhost")
	stolen.cookies = ann.cookies
	if r := stolen.do("GET", "/api/me", nil); r.status != 401 {
		t.Errorf("alpha's session on bravo's host: /api/me = %d, want 401", r.status)
	}
	bearer := w.h.browser(t, "bravo.localhost")
	bearer.bearer = token
	if r := bearer.do("GET", "/api/me", nil); r.status != 401 {
		t.Errorf("alpha's API token on bravo's host: /api/me = %d, want 401", r.status)
	}
	// … and on alpha's host the token works.
	ownBearer := w.h.browser(t, "alpha.localhost")
	ownBearer.bearer = token
	ownBearer.must(200, "GET", "/api/me", nil)
	// Its use is noted, at most once a minute: a second call within the
	// minute leaves last_used_at as the first call wrote it.
	lastUsed := func() string {
		items := ann.must(200, "GET", "/api/tokens", nil).body["items"].([]any)
		used, _ := items[0].(map[string]any)["last_used_at"].(string)
		return used
	}
	first := lastUsed()
	if first == "" {
		t.Error("a used API token shows no last_used_at")
	}
	ownBearer.must(200, "GET", "/api/me", nil)
	if again := lastUsed(); again != first {
		t.Errorf("last_used_at moved from %s to %s within a minute; want one write a minute", first, again)
	}

	// bravo's objects are not found for alpha's people.
	bob := w.h.browser(t, "bravo.localhost")
	bob.login("bob@bravo.test", pw)
	sessions := bob.must(200, "GET", "/api/account/sessions", nil)
	bobSession := sessions.body["items"].([]any)[0].(map[string]any)["id"].(string)
	if r := ann.do("DELETE", "/api/account/sessions/"+bobSession, nil); r.status != 404 {
		t.Errorf("alpha's customer revoking bravo's session = %d, want 404", r.status)
	}
	bob.must(200, "GET", "/api/me", nil) // still signed in

	farmer := w.h.browser(t, "console.localhost")
	farmer.login("farmer@console.test", pw)
	req := farmer.must(201, "POST", "/api/node-operator/requests", map[string]string{"tenant_slug": "bravo"})
	reqID := req.body["id"].(string)
	alphaOwner := w.h.browser(t, "alpha.localhost")
	alphaOwner.login("owner@alpha.test", pw)
	enrolTOTP(t, alphaOwner)
	if r := alphaOwner.do("POST", "/api/admin/node-operator-requests/"+reqID+"/approve", nil); r.status != 404 {
		t.Errorf("alpha's owner approving bravo's request = %d %s, want 404", r.status, r.raw)
	}
	// A customer has no admin area at all.
	if r := ann.do("GET", "/api/admin/members", nil); r.status != 404 {
		t.Errorf("customer GET /api/admin/members = %d, want 404", r.status)
	}
}

// TestAdminWithoutTwoFactorIsRefused proves admin APIs refuse an owner until
// TOTP is on, and that a later sign-in needs the second factor.
func TestAdminWithoutTwoFactorIsRefused(t *testing.T) {
	w := newWorld(t)
	owner := w.h.browser(t, "alpha.localhost")
	r := owner.login("owner@alpha.test", pw)
	if r.body["status"] != "ok" {
		t.Fatalf("login = %s", r.raw)
	}
	me := owner.must(200, "GET", "/api/me", nil)
	if mfa := me.body["mfa"].(map[string]any); mfa["required"] != true || mfa["enabled"] != false {
		t.Errorf("me.mfa = %v, want required and not enabled", mfa)
	}
	for _, path := range []string{"/api/admin/members", "/api/admin/audit", "/api/admin/node-operator-requests"} {
		if r := owner.do("GET", path, nil); r.status != 403 || r.errField() != "mfa" {
			t.Errorf("GET %s without 2FA = %d %s, want 403 on field mfa", path, r.status, r.raw)
		}
	}
	secret := enrolTOTP(t, owner)
	owner.must(200, "GET", "/api/admin/members", nil)

	// A new sign-in asks for the code.
	again := w.h.browser(t, "alpha.localhost")
	r = again.login("owner@alpha.test", pw)
	if r.body["status"] != "mfa_required" || again.cookies["fd_access"] != "" {
		t.Fatalf("login with 2FA on = %s (cookies %v), want mfa_required and no session", r.raw, again.cookies)
	}
	if bad := again.do("POST", "/api/auth/login/mfa", map[string]string{"mfa_token": r.body["mfa_token"].(string), "code": "000000"}); bad.status != 400 || bad.errField() != "code" {
		t.Errorf("wrong code = %d %s, want 400 on field code", bad.status, bad.raw)
	}
	code := freshTOTP(t, secret)
	again.must(200, "POST", "/api/auth/login/mfa", map[string]string{"mfa_token": r.body["mfa_token"].(string), "code": code})
	again.must(200, "GET", "/api/admin/members", nil)

	// The super-admin console obeys the same rule.
	root := w.h.browser(t, "console.localhost")
	root.login("root@console.test", pw)
	if r := root.do("GET", "/api/console/outbox", nil); r.status != 403 || r.errField() != "mfa" {
		t.Errorf("console outbox without 2FA = %d %s, want 403 on field mfa", r.status, r.raw)
	}
	// Two-factor cannot be switched off by a role that needs it.
	if r := again.do("POST", "/api/account/2fa/disable", map[string]string{"password": pw, "code": code}); r.status != 403 {
		t.Errorf("owner disabling 2FA = %d %s, want 403", r.status, r.raw)
	}
}

// TestReusedRefreshTokenRevokesTheFamily proves a refresh token works once,
// and presenting it again ends the whole session, access token included.
func TestReusedRefreshTokenRevokesTheFamily(t *testing.T) {
	w := newWorld(t)
	ann := w.h.browser(t, "alpha.localhost")
	ann.login("ann@alpha.test", pw)
	first := ann.cookies["fd_refresh"]
	ann.must(200, "POST", "/api/auth/refresh", nil)
	second := ann.cookies["fd_refresh"]
	if second == "" || second == first {
		t.Fatalf("refresh did not rotate the token")
	}
	ann.must(200, "GET", "/api/me", nil)

	thief := w.h.browser(t, "alpha.localhost")
	thief.cookies["fd_refresh"] = first
	if r := thief.do("POST", "/api/auth/refresh", nil); r.status != 401 {
		t.Fatalf("reused refresh token = %d %s, want 401", r.status, r.raw)
	}
	// The legitimate holder's newer token and access token are dead too.
	if r := ann.do("GET", "/api/me", nil); r.status != 401 {
		t.Errorf("access token after reuse = %d, want 401", r.status)
	}
	ann.cookies["fd_refresh"] = second
	if r := ann.do("POST", "/api/auth/refresh", nil); r.status != 401 {
		t.Errorf("newest refresh token after reuse = %d, want 401", r.status)
	}
	var reason string
	if err := tenant.InTx(tenant.WithID(context.Background(), w.alpha.ID), w.h.db.App, func(tx *tenant.Tx) error {
		return tx.GetContext(context.Background(), &reason, `SELECT revoke_reason FROM sessions ORDER BY created_at DESC LIMIT 1`)
	}); err != nil || reason != "refresh token reused" {
		t.Errorf("session revoke reason = %q (%v), want 'refresh token reused'", reason, err)
	}
}

// TestBruteForceGets429 proves repeated failures are throttled with
// Retry-After, and that the answers never tell whether the e-mail exists.
func TestBruteForceGets429(t *testing.T) {
	w := newWorld(t)
	b := w.h.browser(t, "alpha.localhost")
	known := b.do("POST", "/api/auth/login", map[string]string{"email": "ann@alpha.test", "password": "wrong wrong wrong"})
	unknown := b.do("POST", "/api/auth/login", map[string]string{"email": "nobody@alpha.test", "password": "wrong wrong wrong"})
	strip := regexp.MustCompile(`"request_id":"[^"]*"`)
	if known.status != 401 || strip.ReplaceAllString(known.raw, "") != strip.ReplaceAllString(unknown.raw, "") {
		t.Errorf("known e-mail answers %d %s, unknown %d %s; want the same 401", known.status, known.raw, unknown.status, unknown.raw)
	}
	for range 4 {
		b.do("POST", "/api/auth/login", map[string]string{"email": "ann@alpha.test", "password": "wrong wrong wrong"})
	}
	r := b.do("POST", "/api/auth/login", map[string]string{"email": "ann@alpha.test", "password": pw})
	if r.status != 429 || r.errCode() != "too_many_requests" || r.header.Get("Retry-After") == "" {
		t.Fatalf("6th attempt (right password) = %d %s Retry-After %q; want 429 with Retry-After", r.status, r.raw, r.header.Get("Retry-After"))
	}
	// Another account from another IP is not affected.
	other := w.h.browser(t, "alpha.localhost")
	other.login("owner@alpha.test", pw)
}

// TestEveryRoleChangeIsAudited proves each grant, revocation and approval
// writes an audit row with actor and target.
func TestEveryRoleChangeIsAudited(t *testing.T) {
	w := newWorld(t)
	owner := w.h.browser(t, "alpha.localhost")
	owner.login("owner@alpha.test", pw)
	enrolTOTP(t, owner)
	owner.must(201, "POST", "/api/admin/members", map[string]string{"email": "staff@alpha.test", "role": "support"})
	members := owner.must(200, "GET", "/api/admin/members", nil)
	var staffID string
	for _, m := range members.body["items"].([]any) {
		if m.(map[string]any)["email"] == "staff@alpha.test" {
			staffID = m.(map[string]any)["id"].(string)
		}
	}
	if staffID == "" {
		t.Fatalf("invited member not listed: %s", members.raw)
	}
	owner.must(200, "PUT", "/api/admin/members/"+staffID+"/roles", map[string]any{"roles": []string{"admin"}})
	if r := owner.do("PUT", "/api/admin/members/"+staffID+"/roles", map[string]any{"roles": []string{"janitor"}}); r.status != 400 || r.errField() != "roles" {
		t.Errorf("unknown role = %d %s, want 400 on field roles", r.status, r.raw)
	}

	farmer := w.h.browser(t, "console.localhost")
	farmer.login("farmer@console.test", pw)
	req := farmer.must(201, "POST", "/api/node-operator/requests", map[string]string{"tenant_slug": "alpha", "message": "10 nodes in Ghent"})
	if r := farmer.do("POST", "/api/node-operator/requests", map[string]string{"tenant_slug": "alpha"}); r.status != 409 {
		t.Errorf("second request = %d, want 409", r.status)
	}
	id := req.body["id"].(string)
	owner.must(200, "POST", "/api/admin/node-operator-requests/"+id+"/approve", nil)
	if r := owner.do("POST", "/api/admin/node-operator-requests/"+id+"/approve", nil); r.status != 409 {
		t.Errorf("approving twice = %d, want 409", r.status)
	}
	list := farmer.must(200, "GET", "/api/node-operator/tenants", nil)
	var state string
	for _, it := range list.body["items"].([]any) {
		if it.(map[string]any)["slug"] == "alpha" {
			state = it.(map[string]any)["request"].(map[string]any)["status"].(string)
		}
	}
	if state != "approved" {
		t.Errorf("operator sees alpha's request as %q, want approved", state)
	}
	me := farmer.must(200, "GET", "/api/me", nil)
	if !strings.Contains(me.raw, `"domain":"`+w.alpha.ID.String()+`","domain_name":"Alpha Cloud","role":"node_operator"`) {
		t.Errorf("operator's roles lack node_operator in alpha: %s", me.raw)
	}
	owner.must(200, "POST", "/api/admin/node-operator-requests/"+id+"/revoke", map[string]string{"reason": "nodes offline for a month"})

	audit := owner.must(200, "GET", "/api/admin/audit", nil)
	want := map[string]int{
		"member.invited staff@alpha.test": 1, "role.granted staff@alpha.test": 1, "role.revoked staff@alpha.test": 1,
		"node_operator.requested farmer@console.test": 1, "node_operator.approved farmer@console.test": 1, "node_operator.revoked farmer@console.test": 1,
	}
	got := map[string]int{}
	for _, e := range audit.body["items"].([]any) {
		ev := e.(map[string]any)
		got[ev["action"].(string)+" "+ev["target"].(string)]++
		if ev["actor"] == "" {
			t.Errorf("audit event %v has no actor", ev)
		}
	}
	for action, n := range want {
		if got[action] != n {
			t.Errorf("audit has %d %s events, want %d (all: %v)", got[action], action, n, got)
		}
	}
	// Bravo's log has none of it.
	bravoOwner := w.h.browser(t, "bravo.localhost")
	bravoOwner.login("owner@bravo.test", pw)
	enrolTOTP(t, bravoOwner)
	if r := bravoOwner.must(200, "GET", "/api/admin/audit", nil); strings.Contains(r.raw, "staff@alpha.test") {
		t.Errorf("bravo's audit log shows alpha's events: %s", r.raw)
	}
}

// TestSignupVerifyLogin walks a customer through sign-up, the mailed link and
// sign-in, and checks CSRF protection on cookie-authenticated writes.
func TestSignupVerifyLogin(t *testing.T) {
	w := newWorld(t)
	b := w.h.browser(t, "alpha.localhost")
	if r := b.do("POST", "/api/auth/signup", map[string]string{"email": "new@alpha.test", "password": "short"}); r.status != 400 || r.errField() != "password" {
		t.Errorf("short password = %d %s, want 400 on field password", r.status, r.raw)
	}
	if r := b.do("POST", "/api/auth/signup", map[string]string{"email": "new@alpha.test", "password": "password1234"}); r.status != 400 || r.errField() != "password" {
		t.Errorf("common password = %d %s, want 400 on field password", r.status, r.raw)
	}
	if r := b.do("POST", "/api/auth/signup", map[string]string{"email": "not-an-email", "password": pw}); r.status != 400 || r.errField() != "email" {
		t.Errorf("bad e-mail = %d %s, want 400 on field email", r.status, r.raw)
	}
	b.must(201, "POST", "/api/auth/signup", map[string]string{"email": "New@Alpha.test", "password": pw})
	// Taken e-mail: same answer.
	b.must(201, "POST", "/api/auth/signup", map[string]string{"email": "ann@alpha.test", "password": pw})

	if r := b.do("POST", "/api/auth/login", map[string]string{"email": "new@alpha.test", "password": pw}); r.status != 400 || r.errField() != "email" {
		t.Errorf("login before verifying = %d %s, want 400 on field email", r.status, r.raw)
	}
	var text string
	if err := tenant.SystemTx(context.Background(), w.h.db.App, "test: read outbox", func(tx *tenant.Tx) error {
		return tx.GetContext(context.Background(), &text, `SELECT body_text FROM outbox_emails WHERE to_addr = 'new@alpha.test' AND tenant_id = $1`, w.alpha.ID)
	}); err != nil {
		t.Fatalf("verification mail: %v", err)
	}
	m := regexp.MustCompile(`http://alpha\.localhost/verify-email\?token=(\S+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("mail has no verification link for alpha's host:\n%s", text)
	}
	if r := b.do("POST", "/api/auth/verify-email", map[string]string{"token": "forged"}); r.status != 400 || r.errField() != "token" {
		t.Errorf("forged token = %d, want 400 on field token", r.status)
	}
	b.must(200, "POST", "/api/auth/verify-email", map[string]string{"token": m[1]})
	if r := b.do("POST", "/api/auth/verify-email", map[string]string{"token": m[1]}); r.status != 400 {
		t.Errorf("token used twice = %d, want 400", r.status)
	}
	b.login("new@alpha.test", pw)
	me := b.must(200, "GET", "/api/me", nil)
	if !strings.Contains(me.raw, `"role":"customer"`) || !strings.Contains(me.raw, `"email_verified":true`) {
		t.Errorf("me = %s, want a verified customer", me.raw)
	}
	b.noCSRF = true
	if r := b.do("POST", "/api/tokens", map[string]string{"name": "x"}); r.status != 403 || r.errField() != "csrf" {
		t.Errorf("cookie write without CSRF header = %d %s, want 403 on field csrf", r.status, r.raw)
	}
	b.noCSRF = false
	b.must(204, "POST", "/api/auth/logout", nil)
	if r := b.do("GET", "/api/me", nil); r.status != 401 {
		t.Errorf("/api/me after logout = %d, want 401", r.status)
	}
}
