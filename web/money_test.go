package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TestOneDefinitionOfRevenue: the month's gross, Stripe fees, platform
// fees, refunds, credits, disputes and net are computed here, posting by
// posting, from the ledger, and every API that reports them (the admin
// overview, the admin billing page's revenue, the console's tenant list)
// answers exactly the same figures; last month's entries count in none.
func TestOneDefinitionOfRevenue(t *testing.T) {
	w := newWorld(t)
	w.h.fundWallet(t, w.alpha.ID)
	ctx := context.Background()
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	owner.must(200, "POST", "/api/admin/billing/connect", nil)
	ann := w.h.browser(t, "alpha.localhost")
	ann.login("ann@alpha.test", pw)
	si := ann.must(200, "POST", "/api/cards/setup-intent", nil)
	ann.must(200, "POST", "/api/cards/mock-confirm", map[string]string{"setup_intent": si.body["id"].(string), "payment_method": "pm_card_visa"})

	annID, err := rbac.NewStore(w.h.db.App).EnsureAccount(ctx, w.alpha.ID, "ann@alpha.test", pw, rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	tctx := tenant.WithID(ctx, w.alpha.ID)
	annCtx := tenant.WithActor(tctx, tenant.Actor{Kind: tenant.ActorUser, ID: annID, Name: "ann@alpha.test"})
	staff := tenant.WithActor(tctx, tenant.System("test: refund"))
	var orders []*billing.Order
	for i, in := range []billing.QuoteInput{{Size: "small", Backup: "vm"}, {Size: "medium", IPv4: true}, {Size: "large", Months: 3}} {
		o, err := w.h.billing.Checkout(annCtx, billing.CheckoutInput{QuoteInput: in, ClientKey: "revenue-" + string(rune('a'+i)) + "-key"})
		if err != nil || o.Status != billing.OrderPaid {
			t.Fatalf("order %d = %+v, %v", i, o, err)
		}
		orders = append(orders, o)
	}
	// The receipt (html/template) lists the standby VM on its own line, and the card.
	st, receipt := w.h.raw(t, "GET", "alpha.localhost", "/api/orders/"+orders[0].ID.String()+"/receipt", nil, "", ann)
	if st != 200 || !strings.Contains(receipt, `data-kind="standby"`) || !strings.Contains(receipt, "Backup: standby VM") ||
		!strings.Contains(receipt, "USD 12.16") || !strings.Contains(receipt, "4242") {
		t.Errorf("receipt of a Small with a standby = %d %s; want the standby's line, the total 12.16 and the card", st, receipt)
	}
	// A partial refund to the card, account credit, and a dispute.
	if err := w.h.billing.Refund(staff, orders[1].ID, 300, "goodwill"); err != nil {
		t.Fatal(err)
	}
	seedCredit(t, w.h, w.alpha.ID, annID, 250)
	var acct, pi string
	if err := w.h.db.Owner(t).Get(&acct, `SELECT account_id FROM tenant_stripe WHERE tenant_id = $1`, w.alpha.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.h.db.Owner(t).Get(&pi, `SELECT payment_intent_id FROM orders WHERE id = $1`, orders[2].ID); err != nil {
		t.Fatal(err)
	}
	payload, sig := billing.Sign(webhookSecret+"_connect", "charge.dispute.created", acct, map[string]any{"id": "dp_rev", "object": "dispute", "amount": int64(orders[2].Amount),
		"currency": "usd", "reason": "fraudulent", "status": "needs_response", "charge": "ch_rev", "payment_intent": pi}, time.Now())
	if err := w.h.billing.ReceiveConnectWebhook(ctx, payload, sig); err != nil {
		t.Fatal(err)
	}
	// A payment of last month: in no figure of this month.
	from, _ := billing.MonthOf(time.Now())
	if _, err := w.h.db.Owner(t).Exec(`WITH e AS (INSERT INTO ledger_entries (tenant_id, kind, ref, currency, created_at) VALUES ($1, 'payment', 'last-month', 'usd', $2) RETURNING id)
		INSERT INTO ledger_postings (entry_id, tenant_id, account, amount_cents) SELECT e.id, $1, a, c FROM e, (VALUES ('revenue', -9999), ('stripe_balance', 9999)) v(a, c)`,
		w.alpha.ID, from.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}

	// The figures, posting by posting.
	var postings []struct {
		Kind    string `db:"kind"`
		Account string `db:"account"`
		Cents   int64  `db:"amount_cents"`
	}
	if err := w.h.db.Owner(t).Select(&postings, `SELECT e.kind, p.account, p.amount_cents FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id
		WHERE e.tenant_id = $1 AND e.created_at >= $2 AND e.currency = 'usd'`, w.alpha.ID, from); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for _, p := range postings {
		switch {
		case p.Account == "revenue":
			want["gross_cents"] -= p.Cents
		case p.Account == "stripe_fees":
			want["stripe_fees_cents"] += p.Cents
		case p.Account == "platform_fees":
			want["platform_fees_cents"] += p.Cents
		case p.Account == "refunds" && (p.Kind == "credit" || p.Kind == "credit-refund-failed"):
			want["credits_cents"] += p.Cents
		case p.Account == "refunds":
			want["refunds_cents"] += p.Cents
		case p.Account == "disputes":
			want["disputes_cents"] += p.Cents
		}
	}
	want["net_cents"] = want["gross_cents"] - want["stripe_fees_cents"] - want["platform_fees_cents"] - want["refunds_cents"] - want["credits_cents"] - want["disputes_cents"]
	paid := int64(orders[0].Amount + orders[1].Amount + orders[2].Amount)
	if want["gross_cents"] != paid || want["refunds_cents"] != 300 || want["credits_cents"] != 250 || want["disputes_cents"] != int64(orders[2].Amount) || want["stripe_fees_cents"] <= 0 {
		t.Fatalf("ledger figures %v; want gross %d, refunds 300, credits 250, the dispute", want, paid)
	}

	same := func(where string, got map[string]any) {
		t.Helper()
		for k, v := range want {
			if g, _ := got[k].(float64); int64(g) != v {
				t.Errorf("%s: %s = %v, ledger says %d", where, k, got[k], v)
			}
		}
	}
	ov := owner.must(200, "GET", "/api/admin/overview", nil).body["money"].(map[string]any)
	same("admin overview", ov["figures"].(map[string]any))
	if int64(ov["revenue_cents"].(float64)) != want["gross_cents"] || int64(ov["net_cents"].(float64)) != want["net_cents"] {
		t.Errorf("admin overview headline: revenue %v net %v, want %d and %d", ov["revenue_cents"], ov["net_cents"], want["gross_cents"], want["net_cents"])
	}
	if d, _ := ov["definitions"].(map[string]any); d["net"] == nil || d["gross"] == nil {
		t.Errorf("admin overview: definitions = %v, want each figure defined", ov["definitions"])
	}
	rev := owner.must(200, "GET", "/api/admin/billing/revenue", nil)
	same("admin billing revenue", rev.body["figures"].(map[string]any))
	if r := owner.do("GET", "/api/admin/billing/revenue?month=2026-13", nil); r.status != 400 || r.errField() != "month" {
		t.Errorf("a bad month = %d %s, want 400 naming month", r.status, r.raw)
	}
	found := false
	for _, row := range rootOf(t, w).must(200, "GET", "/api/console/tenants", nil).body["items"].([]any) {
		r := row.(map[string]any)
		if r["slug"] != "alpha" {
			continue
		}
		found = true
		same("console tenants", map[string]any{"gross_cents": r["revenue_month_cents"], "net_cents": r["net_month_cents"], "platform_fees_cents": r["platform_fees_month_cents"],
			"stripe_fees_cents": float64(want["stripe_fees_cents"]), "refunds_cents": float64(want["refunds_cents"]), "credits_cents": float64(want["credits_cents"]), "disputes_cents": float64(want["disputes_cents"])})
	}
	if !found {
		t.Error("the console lists no alpha")
	}
}
