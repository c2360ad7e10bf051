package web_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// coopWorld is the world with a co-op, gamma, whose owner has two factors.
func coopWorld(t *testing.T) (*world, *tenant.Tenant, *browser) {
	t.Helper()
	w := newWorld(t)
	ctx := context.Background()
	gamma, err := w.h.store.Create(ctx, tenant.NewTenant{Slug: "gamma", Name: "Gamma Co-op", Kind: tenant.KindCoop, Status: tenant.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	rs := rbac.NewStore(w.h.db.App)
	if _, err := rs.EnsureAccount(ctx, gamma.ID, "owner@gamma.test", pw, rbac.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if err := w.h.authz.Reload(); err != nil {
		t.Fatal(err)
	}
	return w, gamma, adminOf(t, w, "gamma.localhost", "owner@gamma.test")
}

// TestCoopMembershipIsAnInvitationTheMemberAccepts: a co-op's owner
// invites e-mail addresses, and the answer is the same (status and body)
// for a console account, an address nobody has, and a super-admin; none of
// them is a member until they accept on the console, where each sees only
// its own invitations; a declined, answered, expired or someone else's
// invitation cannot be accepted.
func TestCoopMembershipIsAnInvitationTheMemberAccepts(t *testing.T) {
	w, gamma, owner := coopWorld(t)
	ctx := context.Background()

	answers := map[string]reply{}
	for _, email := range []string{"farmer@console.test", "nobody@console.test", "root@console.test"} {
		answers[email] = owner.do("POST", "/api/admin/coop-members", map[string]any{"email": email, "role": "node_operator"})
	}
	for email, r := range answers {
		want, _ := json.Marshal(map[string]any{"email": email, "role": "node_operator", "status": "invited"})
		if r.status != 202 || r.raw != string(want) {
			t.Errorf("inviting %s = %d %s; want 202 %s, the same for every address", email, r.status, r.raw, want)
		}
	}
	if r := owner.do("POST", "/api/admin/coop-members", map[string]any{"email": "not-an-address", "role": "node_operator"}); r.status != 400 || r.errField() != "email" {
		t.Errorf("a malformed address = %d %s; want 400 on email", r.status, r.raw)
	}
	if r := owner.do("POST", "/api/admin/coop-members", map[string]any{"email": "x@y.test", "role": "owner"}); r.status != 400 || r.errField() != "role" {
		t.Errorf("role owner = %d %s; want 400 on role", r.status, r.raw)
	}
	// Nobody is a member yet; the three invitations wait.
	if m := owner.must(200, "GET", "/api/admin/coop-members", nil); len(m.body["items"].([]any)) != 0 {
		t.Fatalf("members before anyone accepted: %s", m.raw)
	}
	inv := owner.must(200, "GET", "/api/admin/coop-invitations", nil)
	ids := map[string]string{}
	for _, it := range inv.body["items"].([]any) {
		m := it.(map[string]any)
		ids[m["email"].(string)] = m["id"].(string)
	}
	if len(ids) != 3 {
		t.Fatalf("pending invitations = %s; want 3", inv.raw)
	}
	// Each address got the same mail, from the co-op, saying where to answer.
	var mails []string
	if err := tenant.InTx(tenant.WithID(ctx, gamma.ID), w.h.db.App, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &mails, `SELECT body_text FROM outbox_emails ORDER BY to_addr`)
	}); err != nil || len(mails) != 3 || !strings.Contains(mails[0], "http://console.localhost/") || mails[0] != mails[1] || mails[1] != mails[2] {
		t.Errorf("invitation mails = %q, %v; want three alike, linking the console", mails, err)
	}

	farmer := w.h.browser(t, "console.localhost")
	farmer.login("farmer@console.test", pw)
	if p := farmer.must(200, "GET", "/api/coop/payout-account", nil); len(p.body["memberships"].([]any)) != 0 {
		t.Errorf("an invited farmer is a member before accepting: %s", p.raw)
	}
	mine := farmer.must(200, "GET", "/api/coop/invitations", nil)
	items := mine.body["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != ids["farmer@console.test"] || items[0].(map[string]any)["coop"] != "Gamma Co-op" {
		t.Fatalf("the farmer's invitations = %s; want its one from Gamma Co-op", mine.raw)
	}
	// Someone else's invitation is not the farmer's to answer.
	for _, act := range []string{"accept", "decline"} {
		if r := farmer.do("POST", "/api/coop/invitations/"+ids["nobody@console.test"]+"/"+act, nil); r.status != 404 {
			t.Errorf("%s another address's invitation = %d %s; want 404", act, r.status, r.raw)
		}
	}
	// The super-admin declines: not a member, the invitation is gone.
	root := adminOf(t, w, "console.localhost", "root@console.test")
	root.must(204, "POST", "/api/coop/invitations/"+ids["root@console.test"]+"/decline", nil)
	if r := root.do("POST", "/api/coop/invitations/"+ids["root@console.test"]+"/accept", nil); r.status != 404 {
		t.Errorf("accepting a declined invitation = %d; want 404", r.status)
	}
	// The farmer accepts and is a member, with the invitation's role.
	farmer.must(204, "POST", "/api/coop/invitations/"+ids["farmer@console.test"]+"/accept", nil)
	if r := farmer.do("POST", "/api/coop/invitations/"+ids["farmer@console.test"]+"/accept", nil); r.status != 404 {
		t.Errorf("accepting twice = %d; want 404", r.status)
	}
	members := owner.must(200, "GET", "/api/admin/coop-members", nil)
	if got := members.body["items"].([]any); len(got) != 1 || got[0].(map[string]any)["email"] != "farmer@console.test" || got[0].(map[string]any)["role"] != "node_operator" {
		t.Errorf("members after the answers = %s; want only the farmer, a node operator", members.raw)
	}
	if p := farmer.must(200, "GET", "/api/coop/payout-account", nil); !strings.Contains(p.raw, `"slug":"gamma"`) {
		t.Errorf("the farmer's memberships after accepting = %s", p.raw)
	}
	if left := owner.must(200, "GET", "/api/admin/coop-invitations", nil); len(left.body["items"].([]any)) != 1 {
		t.Errorf("invitations after the answers = %s; want nobody's only", left.raw)
	}

	// An expired invitation is gone for everyone. (An account whose address
	// is not verified cannot sign in, so it never reaches its invitations.)
	rs := rbac.NewStore(w.h.db.App)
	if _, err := rs.EnsureAccount(ctx, uuid.Nil, "nobody@console.test", pw, rbac.RoleNodeOperator); err != nil {
		t.Fatal(err)
	}
	if err := w.h.authz.Reload(); err != nil {
		t.Fatal(err)
	}
	nobody := w.h.browser(t, "console.localhost")
	nobody.login("nobody@console.test", pw)
	if r := nobody.must(200, "GET", "/api/coop/invitations", nil); len(r.body["items"].([]any)) != 1 {
		t.Errorf("an address invited before it had an account sees = %s; want its invitation", r.raw)
	}
	owner2 := w.h.db.Owner(t)
	if _, err := owner2.Exec(`UPDATE coop_invitations SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if r := nobody.must(200, "GET", "/api/coop/invitations", nil); len(r.body["items"].([]any)) != 0 {
		t.Errorf("an expired invitation is listed: %s", r.raw)
	}
	if r := nobody.do("POST", "/api/coop/invitations/"+ids["nobody@console.test"]+"/accept", nil); r.status != 404 {
		t.Errorf("accepting an expired invitation = %d %s; want 404", r.status, r.raw)
	}
	if left := owner.must(200, "GET", "/api/admin/coop-invitations", nil); len(left.body["items"].([]any)) != 0 {
		t.Errorf("the admin lists an expired invitation: %s", left.raw)
	}
	// The owner withdraws an invitation before it is answered.
	owner.must(202, "POST", "/api/admin/coop-members", map[string]any{"email": "nobody@console.test", "role": "dashboard_operator"})
	again := owner.must(200, "GET", "/api/admin/coop-invitations", nil)
	id := again.body["items"].([]any)[0].(map[string]any)["id"].(string)
	owner.must(204, "DELETE", "/api/admin/coop-invitations/"+id, nil)
	if r := nobody.do("POST", "/api/coop/invitations/"+id+"/accept", nil); r.status != 404 {
		t.Errorf("accepting a withdrawn invitation = %d; want 404", r.status)
	}
}

// TestTOTPCodeWorksOnce: the code that confirmed two-factor enrolment does
// not sign in; a later step's code does, once; after it no code of that or
// an earlier step works.
func TestTOTPCodeWorksOnce(t *testing.T) {
	w := newWorld(t)
	b := w.h.browser(t, "alpha.localhost")
	b.login("owner@alpha.test", pw)
	e := b.must(200, "POST", "/api/account/2fa/enroll", nil)
	secret := e.body["secret"].(string)
	// Not in the last seconds of a step: the next step's code stays in
	// the server's window for the whole test.
	if left := 30 - time.Now().Unix()%30; left < 5 {
		time.Sleep(time.Duration(left+1) * time.Second)
	}
	step := time.Now().Unix() / 30
	codeAt := func(s int64) string {
		c, err := totp.GenerateCodeCustom(secret, time.Unix(s*30, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	b.must(200, "POST", "/api/account/2fa/confirm", map[string]string{"code": codeAt(step)})
	signIn := func(code string) reply {
		s := w.h.browser(t, "alpha.localhost")
		r := s.login("owner@alpha.test", pw)
		if r.body["status"] != "mfa_required" {
			t.Fatalf("login with 2FA on = %s", r.raw)
		}
		return s.do("POST", "/api/auth/login/mfa", map[string]string{"mfa_token": r.body["mfa_token"].(string), "code": code})
	}
	if r := signIn(codeAt(step)); r.status != 400 || r.errField() != "code" {
		t.Errorf("signing in with the enrolment's code = %d %s; want 400 on code", r.status, r.raw)
	}
	if r := signIn(codeAt(step + 1)); r.status != 200 {
		t.Fatalf("signing in with the next code = %d %s; want 200", r.status, r.raw)
	}
	for name, code := range map[string]string{"the same code again": codeAt(step + 1), "an earlier step's code": codeAt(step - 1)} {
		if r := signIn(code); r.status != 400 || r.errField() != "code" {
			t.Errorf("signing in with %s = %d %s; want 400 on code", name, r.status, r.raw)
		}
	}
}
