package coop_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
)

// TestCoopSplitUsesTheActualStripeFee: the members share the charge less
// the platform fee and the fee Stripe actually took, read from the charge's
// balance transaction — here an international card's 61 ¢, not the
// 2.9 % + 30 ¢ estimate (48 ¢). The ledger's estimate is corrected to it.
func TestCoopSplitUsesTheActualStripeFee(t *testing.T) {
	c := newCoopFixture(t)
	c.onboard(c.bobCtx)
	// Stripe answers the charge with its balance transaction: this charge's,
	// with the fee it paid.
	c.rec.Rewrite(func(req *http.Request, body map[string]any) {
		if req.Method != "GET" || !strings.HasPrefix(req.URL.Path, "/v1/charges/") {
			return
		}
		if bt, ok := body["balance_transaction"].(map[string]any); ok {
			id := strings.TrimPrefix(req.URL.Path, "/v1/charges/")
			bt["source"], bt["fee"], bt["amount"], bt["net"] = id, 61, 608, 608-61
			bt["fee_details"] = []map[string]any{{"amount": 61, "currency": "usd", "type": "stripe_fee", "description": "Stripe processing fees"}}
		}
	})
	c.addCard("pm_card_visa")
	o, err := c.svc.Checkout(c.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "coop-real-fee"})
	if err != nil || o.Status != billing.OrderPaid || o.ApplicationFee != 13 {
		t.Fatalf("order = %+v, %v", o, err)
	}
	// 608 − 13 − 61 = 534: 70 % = 373.8, 30 % = 160.2; the cent goes to Alice.
	rows := c.transfers(o.ID)
	if rows[c.alice].Amount != 374 || rows[c.bob].Amount != 160 {
		t.Errorf("shares = Alice %d, Bob %d; want 374 and 160 (534 after the actual fee)", rows[c.alice].Amount, rows[c.bob].Amount)
	}
	if got := c.rec.Posts("/v1/charges", ""); len(got) != 0 {
		t.Errorf("charges were created (%d): the fee is read, not made", len(got))
	}
	pays, err := c.coops.CoopPayments(c.owner, time.Now().Add(time.Hour), 10)
	if err != nil || len(pays) != 1 || pays[0].StripeFee != 61 || pays[0].Distributable != 534 {
		t.Fatalf("co-op payments = %+v, %v; want the actual fee 61 and 534 to share", pays, err)
	}
	var fees int64
	if err := c.d.Owner(t).Get(&fees, `SELECT coalesce(sum(amount_cents), 0) FROM ledger_postings WHERE account = 'stripe_fees'`); err != nil {
		t.Fatal(err)
	}
	if fees != 61 {
		t.Errorf("ledger stripe_fees = %d, want the actual 61", fees)
	}
	if bad, _ := c.svc.Unbalanced(c.owner); len(bad) != 0 {
		t.Errorf("unbalanced entries: %v", bad)
	}
}

// TestCrossBorderMemberPayoutAccount: a member outside the platform's
// country gets an account under the recipient service agreement (the only
// kind Stripe sends cross-border transfers to); a country Stripe's
// cross-border payouts do not reach is refused, saying why.
func TestCrossBorderMemberPayoutAccount(t *testing.T) {
	c := newCoopFixture(t) // Alice onboarded in the platform's country
	first := c.rec.Posts("/v1/accounts", "")
	if len(first) != 1 || first[0].Form.Get("country") != "US" || first[0].Form.Get("tos_acceptance[service_agreement]") != "" {
		t.Fatalf("domestic member account = %+v; want country US, the full agreement", first)
	}
	_, err := c.coops.PayoutOnboardingLink(c.bobCtx, "http://console.localhost", "BR")
	if fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID || !strings.Contains(err.Error(), "cross-border") {
		t.Errorf("member in Brazil = %v, want EINVALID on country saying cross-border payouts do not reach it", err)
	}
	if n := len(c.rec.Posts("/v1/accounts", "")); n != 1 {
		t.Errorf("accounts created after the refusal = %d, want still 1", n)
	}
	if _, err := c.coops.PayoutOnboardingLink(c.bobCtx, "http://console.localhost", "de"); err != nil {
		t.Fatal(err)
	}
	all := c.rec.Posts("/v1/accounts", "")
	de := all[len(all)-1]
	if de.Form.Get("country") != "DE" || de.Form.Get("tos_acceptance[service_agreement]") != "recipient" || de.Form.Get("capabilities[transfers][requested]") != "true" {
		t.Errorf("member in Germany = %v; want country DE under the recipient service agreement with transfers", de.Form)
	}
}
