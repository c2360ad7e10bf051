package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TestCheckoutOverHTTP: the owner connects Stripe, a customer saves a test
// card and pays; a declined card fails with a clear message; the webhook
// endpoint refuses a forged event with a 400.
func TestCheckoutOverHTTP(t *testing.T) {
	w := newWorld(t)
	w.h.fundWallet(t, w.alpha.ID) // orders need a grid wallet that can pay
	ann := w.h.browser(t, "alpha.localhost")
	ann.login("ann@alpha.test", pw)
	if r := ann.do("POST", "/api/cards/setup-intent", nil); r.status != 409 || !strings.Contains(r.raw, "cannot take card payments yet") {
		t.Errorf("setup intent before Connect = %d %s, want 409 with a clear message", r.status, r.raw)
	}
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	link := owner.must(200, "POST", "/api/admin/billing/connect", nil)
	if !strings.Contains(link.raw, "/admin/billing?connect=return") {
		t.Errorf("onboarding link = %s", link.raw)
	}
	if st := owner.must(200, "GET", "/api/admin/billing/connect", nil); st.body["charges_enabled"] != true {
		t.Fatalf("connect status = %s", st.raw)
	}

	cat := ann.must(200, "GET", "/api/catalog", nil)
	if !strings.Contains(cat.raw, `"id":"small"`) || !strings.Contains(cat.raw, `"monthly_cents":608`) {
		t.Errorf("catalog = %s", cat.raw)
	}
	if r := ann.do("POST", "/api/quote", map[string]any{"size": "custom", "cpu": 99, "ram_gb": 2, "disk_gb": 25}); r.status != 400 || r.errField() != "cpu" {
		t.Errorf("bad custom size = %d %s, want 400 on cpu", r.status, r.raw)
	}
	for _, pm := range []string{"pm_card_visa", "pm_card_chargeDeclined"} {
		si := ann.must(200, "POST", "/api/cards/setup-intent", nil)
		ann.must(200, "POST", "/api/cards/mock-confirm", map[string]string{"setup_intent": si.body["id"].(string), "payment_method": pm})
	}
	cards := ann.must(200, "GET", "/api/cards", nil)
	if len(cards.body["items"].([]any)) != 2 || len(cards.body["test_cards"].([]any)) != 3 {
		t.Errorf("cards = %s", cards.raw)
	}
	// Orders are placed by the deploy form only (POST /api/deployments):
	// no route charges a card for a free-text description.
	if r := ann.do("POST", "/api/orders", map[string]any{"size": "small", "client_key": "browser-key-0"}); r.status == 201 || r.status == 200 {
		t.Errorf("POST /api/orders = %d %s, want no such route", r.status, r.raw)
	}
	annID, err := rbac.NewStore(w.h.db.App).EnsureAccount(context.Background(), w.alpha.ID, "ann@alpha.test", pw, rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	annCtx := tenant.WithActor(tenant.WithID(context.Background(), w.alpha.ID), tenant.Actor{Kind: tenant.ActorUser, ID: annID, Name: "ann@alpha.test"})
	checkout := func(in billing.CheckoutInput) map[string]any {
		t.Helper()
		o, err := w.h.billing.Checkout(annCtx, in)
		if err != nil {
			t.Fatal(err)
		}
		return map[string]any{"id": o.ID.String(), "status": o.Status, "amount_cents": float64(o.Amount), "failure_message": o.FailureMessage}
	}
	if _, err := w.h.billing.Checkout(annCtx, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}}); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("checkout without a client key = %v", err)
	}
	o := reply{body: checkout(billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "browser-key-1"})}
	if o.body["status"] != billing.OrderPaid || o.body["amount_cents"].(float64) != 608 {
		t.Errorf("order = %v, want paid 608", o.body)
	}
	again := checkout(billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "browser-key-1"})
	if again["id"] != o.body["id"] {
		t.Errorf("double-click made a second order: %v", again)
	}
	d := reply{body: checkout(billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "medium"}, PaymentMethod: "pm_card_chargeDeclined", ClientKey: "browser-key-2"})}
	if d.body["status"] != billing.OrderFailed || !strings.Contains(d.body["failure_message"].(string), "declined") {
		t.Errorf("declined order = %v", d.body)
	}
	st, receipt := w.h.raw(t, "GET", "alpha.localhost", "/api/orders/"+o.body["id"].(string)+"/receipt", nil, "", ann)
	if st != 200 || !strings.Contains(receipt, "Alpha Cloud") || !strings.Contains(receipt, "USD 6.08") {
		t.Errorf("receipt = %d %s", st, receipt)
	}
	list := owner.must(200, "GET", "/api/admin/billing/payments", nil)
	if len(list.body["items"].([]any)) != 2 {
		t.Errorf("admin payments = %s", list.raw)
	}
	if st, csv := w.h.raw(t, "GET", "alpha.localhost", "/api/admin/billing/payments.csv", nil, "", owner); st != 200 || !strings.Contains(csv, "6.08") {
		t.Errorf("csv = %d %s", st, csv)
	}
	// The business dashboard counts the paid order (not the declined one)
	// as today's revenue, less Stripe's and the platform's fees.
	ov := owner.must(200, "GET", "/api/admin/overview", nil)
	money := ov.body["money"].(map[string]any)
	daily := money["daily_revenue_cents"].([]any)
	fig := money["figures"].(map[string]any)
	fees := fig["stripe_fees_cents"].(float64) + fig["platform_fees_cents"].(float64)
	if money["revenue_cents"].(float64) != 608 || len(daily) != time.Now().UTC().Day() || daily[len(daily)-1].(float64) != 608 ||
		fees <= 0 || money["net_cents"].(float64) != 608-fees || money["currency"] != "usd" {
		t.Errorf("overview money = %s", ov.raw)
	}
	if r := ann.do("GET", "/api/admin/overview", nil); r.status != 403 && r.status != 404 {
		t.Errorf("a customer reading the overview = %d, want 403 or 404", r.status)
	}
	// The console's tenant list shows the connected account, the month's
	// revenue and the live server count from the same data.
	seen := 0
	for _, ct := range rootOf(t, w).must(200, "GET", "/api/console/tenants", nil).body["items"].([]any) {
		row := ct.(map[string]any)
		switch row["slug"] {
		case "alpha":
			seen++
			if row["stripe_health"] != "healthy" || row["revenue_month_cents"].(float64) != 608 {
				t.Errorf("console row of alpha = %v, want healthy Stripe and 608 cents this month", row)
			}
		case "bravo":
			seen++
			if row["stripe_health"] != "not connected" || row["revenue_month_cents"].(float64) != 0 {
				t.Errorf("console row of bravo = %v, want not connected and no revenue", row)
			}
		}
	}
	if seen != 2 {
		t.Errorf("the console lists %d of alpha and bravo", seen)
	}

	// Signed with the wrong secret, and then not signed at all: both 400, nothing stored.
	payload, sig := billing.Sign("whsec_forged", "payment_intent.succeeded", "acct_x", map[string]any{"id": "pi_x"}, time.Now())
	for _, header := range []string{sig, ""} {
		req := httptest.NewRequest("POST", "/webhooks/stripe", bytes.NewReader(payload))
		req.Host = "127.0.0.1:8080"
		req.Header.Set("Content-Type", "application/json")
		if header != "" {
			req.Header.Set("Stripe-Signature", header)
		}
		res, err := w.h.srv.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 400 || !strings.Contains(string(body), "stripe-signature") {
			t.Errorf("webhook with signature %q = %d %s, want 400 naming stripe-signature", header, res.StatusCode, body)
		}
	}
	var stored int
	if err := w.h.db.Owner(t).Get(&stored, `SELECT count(*) FROM stripe_events WHERE account = 'acct_x'`); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Errorf("%d forged events stored, want 0", stored)
	}
	// A connected account's event belongs to the Connect endpoint, signed
	// with its own secret: signed with the platform's secret it is refused
	// there, and at the account endpoint it is refused whatever it is
	// signed with. Correctly signed at the Connect endpoint it is accepted
	// (it names an unknown account).
	post := func(path string, body []byte, sig string) int {
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Host = "127.0.0.1:8080"
		req.Header.Set("Stripe-Signature", sig)
		res, err := w.h.srv.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode
	}
	platformSigned, platformSig := billing.Sign(webhookSecret, "payment_intent.succeeded", "acct_x", map[string]any{"id": "pi_x"}, time.Now())
	if code := post("/webhooks/stripe/connect", platformSigned, platformSig); code != 400 {
		t.Errorf("connected account's event signed with the platform secret at the Connect endpoint = %d, want 400", code)
	}
	if code := post("/webhooks/stripe", platformSigned, platformSig); code != 400 {
		t.Errorf("connected account's event at the account endpoint = %d, want 400", code)
	}
	good, goodSig := billing.Sign(webhookSecret+"_connect", "payment_intent.succeeded", "acct_x", map[string]any{"id": "pi_x"}, time.Now())
	if code := post("/webhooks/stripe/connect", good, goodSig); code != 200 {
		t.Errorf("correctly signed webhook at the Connect endpoint = %d; want 200", code)
	}
}
