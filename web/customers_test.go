package web_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// seedOrder stores a paid (or unpaid, when paidAt is zero) order of the
// customer and, with a status, a deployment bought by it.
func seedOrder(t *testing.T, h *harness, tid, account uuid.UUID, amount, refunded int64, paidAt time.Time, deployment string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	var order uuid.UUID
	err := tenant.SystemTx(ctx, h.db.App, "test: seed order", func(tx *tenant.Tx) error {
		status, paid := "awaiting_payment", any(nil)
		if !paidAt.IsZero() {
			status, paid = "paid", paidAt
		}
		if err := tx.GetContext(ctx, &order, `INSERT INTO orders (tenant_id, account_id, status, description, currency, subtotal_cents, amount_cents, refunded_cents, paid_at)
			VALUES ($1, $2, $3, 'VM', 'usd', $4, $4, $5, $6) RETURNING id`, tid, account, status, amount, refunded, paid); err != nil {
			return err
		}
		if deployment == "" {
			return nil
		}
		name := fmt.Sprintf("vm-%s", order.String()[:8])
		_, err := tx.ExecContext(ctx, `INSERT INTO deployments (tenant_id, account_id, order_id, name, image, spec, ssh_key, placement, status, project)
			VALUES ($1, $2, $3, $4, 'ubuntu-24.04', '{"cpu":1,"ram_gb":2,"disk_gb":25}', 'ssh-ed25519 AAAA test', 'default', $5, $6)`,
			tid, account, order, name, deployment, "p"+order.String()[:8])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return order
}

// seedCredit gives the customer account credit, as a cancellation does.
func seedCredit(t *testing.T, h *harness, tid, account uuid.UUID, cents int64) {
	t.Helper()
	ctx := context.Background()
	err := tenant.SystemTx(ctx, h.db.App, "test: seed credit", func(tx *tenant.Tx) error {
		var entry int64
		if err := tx.GetContext(ctx, &entry, `INSERT INTO ledger_entries (tenant_id, kind, ref, currency) VALUES ($1, 'credit', $2, 'usd') RETURNING id`,
			tid, uuid.NewString()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO ledger_postings (entry_id, tenant_id, account, amount_cents) VALUES ($1, $2, 'refunds', $3), ($1, $2, $4, -$3)`,
			entry, tid, cents, "customer_credit:"+account.String())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func pageItems(t *testing.T, r reply) []map[string]any {
	t.Helper()
	raw, ok := r.body["items"].([]any)
	if !ok {
		t.Fatalf("reply has no items: %s", r.raw)
	}
	out := make([]map[string]any, len(raw))
	for i, x := range raw {
		out[i] = x.(map[string]any)
	}
	return out
}

func pageEmails(rows []map[string]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i], _ = r["email"].(string)
	}
	return out
}

// TestAdminCustomers proves the customers page's API: the storefront's
// customers only (no staff, no other tenant's), each with its active
// deployments, what it paid net of refunds, its credit and last payment;
// search by e-mail prefix; cursor pages; the detail; and who may see it.
func TestAdminCustomers(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	rs := rbac.NewStore(w.h.db.App)
	ann, err := rs.EnsureAccount(ctx, w.alpha.ID, "ann@alpha.test", pw, rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"carl@alpha.test", "dora@alpha.test", "dan_x@alpha.test"} {
		if _, err := rs.EnsureAccount(ctx, w.alpha.ID, e, pw, rbac.RoleCustomer); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rs.EnsureAccount(ctx, w.alpha.ID, "sue@alpha.test", pw, rbac.RoleSupport); err != nil {
		t.Fatal(err)
	}
	bob, err := rs.EnsureAccount(ctx, w.bravo.ID, "bob@bravo.test", pw, rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.h.authz.Reload(); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	seedOrder(t, w.h, w.alpha.ID, ann, 1000, 0, day, "running")
	seedOrder(t, w.h, w.alpha.ID, ann, 2500, 500, day.AddDate(0, 0, 3), "provisioning")
	seedOrder(t, w.h, w.alpha.ID, ann, 700, 0, day.AddDate(0, 0, 1), "terminated")
	seedOrder(t, w.h, w.alpha.ID, ann, 900, 0, time.Time{}, "") // never paid
	seedCredit(t, w.h, w.alpha.ID, ann, 300)
	seedOrder(t, w.h, w.bravo.ID, bob, 99900, 0, day, "running")

	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	rows := pageItems(t, owner.must(200, "GET", "/api/admin/customers", nil))
	if got := fmt.Sprint(pageEmails(rows)); got != "[ann@alpha.test carl@alpha.test dan_x@alpha.test dora@alpha.test]" {
		t.Fatalf("alpha's customers = %s; want the four customers by e-mail, no staff, nobody of bravo", got)
	}
	a := rows[0]
	if a["active_deployments"] != 2.0 || a["deployments"] != 3.0 || a["paid_cents"] != 3700.0 || a["credit_cents"] != 300.0 ||
		a["currency"] != "usd" || a["email_verified"] != true || a["mfa_enabled"] != false {
		t.Errorf("ann = %v; want 2 active of 3 deployments, 3700 paid net of refunds (1000 + 2500 − 500 + 700), 300 credit, usd, verified, no 2FA", a)
	}
	if last, _ := time.Parse(time.RFC3339, fmt.Sprint(a["last_payment_at"])); !last.Equal(day.AddDate(0, 0, 3)) {
		t.Errorf("ann's last payment = %v, want %s", a["last_payment_at"], day.AddDate(0, 0, 3))
	}
	if c := rows[1]; c["active_deployments"] != 0.0 || c["paid_cents"] != 0.0 || c["credit_cents"] != 0.0 || c["last_payment_at"] != nil {
		t.Errorf("carl, who bought nothing = %v; want zeros and no last payment", c)
	}

	// Search is by e-mail prefix, case-insensitive; LIKE wildcards are literal.
	for q, want := range map[string]string{
		"D":            "[dan_x@alpha.test dora@alpha.test]",
		"  CARL@":      "[carl@alpha.test]",
		"dan_":         "[dan_x@alpha.test]",
		"d%":           "[]",
		"_":            "[]",
		"bob@bravo":    "[]",
		"nobody-there": "[]",
	} {
		r := owner.must(200, "GET", "/api/admin/customers?q="+url.QueryEscape(q), nil)
		if got := fmt.Sprint(pageEmails(pageItems(t, r))); got != want {
			t.Errorf("search %q = %s, want %s", q, got, want)
		}
	}
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'a'
	}
	if r := owner.do("GET", "/api/admin/customers?q="+string(long), nil); r.status != 400 || r.errField() != "q" {
		t.Errorf("a 300-character search = %d %s, want 400 on field q", r.status, r.raw)
	}
	if r := owner.do("GET", "/api/admin/customers?limit=0", nil); r.status != 400 || r.errField() != "limit" {
		t.Errorf("limit=0 = %d %s, want 400 on field limit", r.status, r.raw)
	}

	// Cursor pages: 3 then 1, nothing repeated, nothing lost.
	p1 := owner.must(200, "GET", "/api/admin/customers?limit=3", nil)
	next, _ := p1.body["next_cursor"].(string)
	if next != "dan_x@alpha.test" {
		t.Fatalf("page 1 next_cursor = %q, want the last e-mail of the page", next)
	}
	p2 := owner.must(200, "GET", "/api/admin/customers?limit=3&cursor="+url.QueryEscape(next), nil)
	if got := fmt.Sprint(pageEmails(pageItems(t, p1)), pageEmails(pageItems(t, p2))); got != "[ann@alpha.test carl@alpha.test dan_x@alpha.test] [dora@alpha.test]" {
		t.Errorf("pages = %s", got)
	}
	if _, more := p2.body["next_cursor"]; more {
		t.Errorf("the last page has a next_cursor: %s", p2.raw)
	}

	// The detail: deployments newest first, every order, cards.
	d := owner.must(200, "GET", "/api/admin/customers/"+ann.String(), nil)
	deps, _ := d.body["recent_deployments"].([]any)
	pays, _ := d.body["recent_payments"].([]any)
	if d.body["email"] != "ann@alpha.test" || len(deps) != 3 || len(pays) != 4 || d.body["paid_cents"] != 3700.0 {
		t.Errorf("ann's detail = %s; want 3 deployments and 4 orders", d.raw)
	}
	if first, _ := deps[0].(map[string]any); first["status"] != "terminated" || first["price_cents"] != 700.0 {
		t.Errorf("newest deployment = %v, want the terminated one (ordered last) at 700", first)
	}

	// Isolation: bravo's owner sees bob only, and ann does not exist for it.
	bravo := adminOf(t, w, "bravo.localhost", "owner@bravo.test")
	if got := fmt.Sprint(pageEmails(pageItems(t, bravo.must(200, "GET", "/api/admin/customers", nil)))); got != "[bob@bravo.test]" {
		t.Errorf("bravo's customers = %s, want only bob", got)
	}
	if r := bravo.do("GET", "/api/admin/customers/"+ann.String(), nil); r.status != 404 {
		t.Errorf("bravo's owner reading alpha's customer = %d, want 404", r.status)
	}
	if r := owner.do("GET", "/api/admin/customers/"+bob.String(), nil); r.status != 404 {
		t.Errorf("alpha's owner reading bravo's customer = %d, want 404", r.status)
	}
	if r := owner.do("GET", "/api/admin/customers/not-a-uuid", nil); r.status != 404 {
		t.Errorf("a malformed id = %d, want 404", r.status)
	}

	// Support staff read it; a customer and a console account do not.
	sue := w.h.browser(t, "alpha.localhost")
	sue.login("sue@alpha.test", pw)
	if got := len(pageItems(t, sue.must(200, "GET", "/api/admin/customers", nil))); got != 4 {
		t.Errorf("support sees %d customers, want 4", got)
	}
	customer := w.h.browser(t, "alpha.localhost")
	customer.login("ann@alpha.test", pw)
	if r := customer.do("GET", "/api/admin/customers", nil); r.status != 404 {
		t.Errorf("a customer listing customers = %d %s, want 404", r.status, r.raw)
	}
	if r := customer.do("GET", "/api/admin/customers/"+ann.String(), nil); r.status != 404 {
		t.Errorf("a customer reading a customer = %d, want 404", r.status)
	}
	root := rootOf(t, w)
	if r := root.do("GET", "/api/admin/customers", nil); r.status != 404 {
		t.Errorf("customers on the console host = %d, want 404", r.status)
	}
	if r := w.h.browser(t, "alpha.localhost").do("GET", "/api/admin/customers", nil); r.status != 401 {
		t.Errorf("customers signed out = %d, want 401", r.status)
	}
}
