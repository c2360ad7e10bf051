package coop_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/coop"
)

type transferRow struct {
	ID       uuid.UUID      `db:"id"`
	Member   uuid.UUID      `db:"member_account_id"`
	Amount   billing.Cents  `db:"amount_cents"`
	Sent     billing.Cents  `db:"transferred_cents"`
	Status   string         `db:"status"`
	Transfer *string        `db:"stripe_transfer"`
	Group    string         `db:"transfer_group"`
	Reversed billing.Cents  `db:"reversed"`
	Split    map[string]int `db:"-"`
}

func (c *coopFixture) transfers(order uuid.UUID) map[uuid.UUID]transferRow {
	c.t.Helper()
	var rows []transferRow
	if err := c.d.Owner(c.t).Select(&rows, `SELECT t.id, t.member_account_id, t.amount_cents, t.transferred_cents, t.status, t.stripe_transfer, t.transfer_group,
		coalesce((SELECT sum(amount_cents) FROM coop_reversals r WHERE r.transfer_id = t.id), 0) AS reversed
		FROM coop_transfers t WHERE order_id = $1`, order); err != nil {
		c.t.Fatal(err)
	}
	out := map[uuid.UUID]transferRow{}
	for _, r := range rows {
		out[r.Member] = r
	}
	return out
}

// TestCoopSeparateChargesAndTransfers charges a co-op's customer on the
// platform, divides the payment among the members with one Stripe Transfer
// each in the order's transfer group (the member without a payout account
// is held, then sent when it onboards), never transfers twice when the
// event is processed again, applies a split change from the next charge
// only, and reverses the transfers in proportion on a partial and then a
// full refund, so the parts sum exactly to the amount minus fees.
func TestCoopSeparateChargesAndTransfers(t *testing.T) {
	c := newCoopFixture(t)

	// Cards live on the platform: no Stripe-Account header.
	c.addCard("pm_card_visa")
	for _, q := range c.rec.Posts("/v1/setup_intents", "") {
		if q.HasAccount {
			t.Errorf("co-op setup intent %s sent Stripe-Account %q; want the platform's own account", q.Path, q.Account)
		}
	}
	o, err := c.svc.Checkout(c.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "coop-order-1"})
	if err != nil {
		t.Fatal(err)
	}
	// Worked by hand: small 608, platform fee 2 % rounded up 13, Stripe 2.9 % + 30 rounded up 48.
	if o.Status != billing.OrderPaid || o.Amount != 608 || o.ApplicationFee != 13 {
		t.Fatalf("co-op order = %+v", o)
	}
	const distributable = 608 - 13 - 48
	if got := coop.Distributable(o.Amount, o.ApplicationFee); got != distributable {
		t.Fatalf("Distributable = %d, want %d", got, distributable)
	}
	pis := c.rec.Posts("/v1/payment_intents", "")
	if len(pis) != 1 {
		t.Fatalf("payment intents sent = %d, want 1", len(pis))
	}
	pi := pis[0]
	if pi.HasAccount || pi.Form.Get("application_fee_amount") != "" || pi.Form.Get("transfer_group") != "order_"+o.ID.String() ||
		pi.Form.Get("amount") != "608" || pi.IdempotencyKey != "order-"+o.ID.String() {
		t.Errorf("co-op payment intent: account %q (%v), form %v, key %q; want a platform charge without application fee in group order_%s",
			pi.Account, pi.HasAccount, pi.Form, pi.IdempotencyKey, o.ID)
	}

	// 547 split 70/30: 382.9 → 382 r 9000, 164.1 → 164 r 1000; the cent goes to Alice: 383 + 164.
	rows := c.transfers(o.ID)
	if len(rows) != 2 || rows[c.alice].Amount != 383 || rows[c.bob].Amount != 164 {
		t.Fatalf("transfer rows = %+v; want Alice 383, Bob 164", rows)
	}
	if rows[c.alice].Status != coop.TransferTransferred || rows[c.bob].Status != coop.TransferHeld || rows[c.alice].Group != "order_"+o.ID.String() {
		t.Errorf("statuses: Alice %s, Bob %s (group %s); want Alice transferred, Bob held until he onboards", rows[c.alice].Status, rows[c.bob].Status, rows[c.alice].Group)
	}
	trs := c.rec.Posts("/v1/transfers", "")
	if len(trs) != 1 {
		t.Fatalf("transfers sent = %d, want 1 (Bob has no payout account yet)", len(trs))
	}
	tr := trs[0]
	if tr.HasAccount || tr.Form.Get("amount") != "383" || tr.Form.Get("currency") != "usd" || tr.Form.Get("destination") != c.aliceAccount ||
		tr.Form.Get("transfer_group") != "order_"+o.ID.String() || !strings.HasPrefix(tr.IdempotencyKey, "coop-transfer-"+rows[c.alice].ID.String()) ||
		tr.Form.Get("source_transaction") == "" {
		t.Errorf("Alice's transfer = form %v, key %q, account %q", tr.Form, tr.IdempotencyKey, tr.Account)
	}

	// Re-processing the payment's event (a worker retry) and a second
	// delivery of the same payment under another event id transfer nothing.
	var evID, piID string
	if err := c.d.Owner(t).Get(&evID, `SELECT id FROM stripe_events WHERE type = 'payment_intent.succeeded' AND tenant_id = $1`, c.tenantID); err != nil {
		t.Fatal(err)
	}
	if err := c.d.Owner(t).Get(&piID, `SELECT payment_intent_id FROM orders WHERE id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	if evID == "" {
		t.Fatal("the co-op's platform event was not mapped to its tenant")
	}
	if _, err := c.d.Owner(t).Exec(`UPDATE stripe_events SET processed_at = NULL WHERE id = $1`, evID); err != nil {
		t.Fatal(err)
	}
	if err := c.svc.ProcessEvent(context.Background(), evID); err != nil {
		t.Fatal(err)
	}
	payload, sig := billing.Sign(secret, "payment_intent.succeeded", "", map[string]any{"id": piID, "object": "payment_intent", "amount": 608,
		"currency": "usd", "status": "succeeded", "latest_charge": "ch_again", "metadata": map[string]string{"order_id": o.ID.String(), "tenant_id": c.tenantID.String()}}, time.Now())
	if err := c.svc.ReceiveWebhook(context.Background(), payload, sig); err != nil {
		t.Fatal(err)
	}
	if n := len(c.rec.Posts("/v1/transfers", "")); n != 1 {
		t.Fatalf("transfers after re-processed events = %d, want still 1", n)
	}

	// Bob onboards: his held share goes out at once.
	bobAccount := c.onboard(c.bobCtx)
	rows = c.transfers(o.ID)
	trs = c.rec.Posts("/v1/transfers", "")
	if len(trs) != 2 || rows[c.bob].Status != coop.TransferTransferred || trs[1].Form.Get("destination") != bobAccount || trs[1].Form.Get("amount") != "164" {
		t.Fatalf("after Bob onboarded: rows %+v, transfers %d (%v)", rows, len(trs), trs[len(trs)-1].Form)
	}

	// The split changes to 50/50: audited, and only the next charge uses it.
	if _, err := c.coops.SetRevenueSplit(c.owner, []coop.Share{{Member: c.alice, BPS: 5000}, {Member: c.bob, BPS: 4000}}); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("a split summing to 90 %% = %v, want EINVALID", err)
	}
	if _, err := c.coops.SetRevenueSplit(c.customer, []coop.Share{{Member: c.alice, BPS: 5000}, {Member: c.bob, BPS: 5000}}); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("a customer changing the split = %v, want ENOTFOUND", err)
	}
	split, err := c.coops.SetRevenueSplit(c.owner, []coop.Share{{Member: c.alice, BPS: 5000}, {Member: c.bob, BPS: 5000}})
	if err != nil || !split.Complete || split.TotalBPS != 10000 {
		t.Fatalf("set split = %+v, %v", split, err)
	}
	var audited int
	if err := c.d.Owner(t).Get(&audited, `SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'coop.split_changed'`, c.tenantID); err != nil {
		t.Fatal(err)
	}
	if audited != 1 {
		t.Errorf("split changes audited = %d, want 1", audited)
	}
	o2, err := c.svc.Checkout(c.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "coop-order-2"})
	if err != nil || o2.Status != billing.OrderPaid {
		t.Fatalf("second order = %+v, %v", o2, err)
	}
	// 547 at 50/50: 273.5 each; the tie goes by id.
	rows2 := c.transfers(o2.ID)
	if rows2[c.alice].Amount+rows2[c.bob].Amount != distributable || absDiff(rows2[c.alice].Amount, rows2[c.bob].Amount) != 1 {
		t.Errorf("second order's split = Alice %d, Bob %d; want 274/273 under the new 50/50 split", rows2[c.alice].Amount, rows2[c.bob].Amount)
	}
	if rows = c.transfers(o.ID); rows[c.alice].Amount != 383 || rows[c.bob].Amount != 164 {
		t.Errorf("the first order's shares changed with the split: %+v", rows)
	}

	// A partial refund of 200 of the first order: ⌊547 × 200 / 608⌋ = 179
	// back, split 70/30 with the remainder rule: 125.3 → 125, 53.7 → 53, the cent to Bob (remainder 7000): 125 + 54.
	if err := c.svc.Refund(c.owner, o.ID, 200, "goodwill"); err != nil {
		t.Fatal(err)
	}
	revs := c.rec.Posts("/v1/transfers/", "/reversals")
	rows = c.transfers(o.ID)
	if len(revs) != 2 || rows[c.alice].Reversed+rows[c.bob].Reversed != coop.ReversalTarget(distributable, 608, 200) || coop.ReversalTarget(distributable, 608, 200) != 179 {
		t.Fatalf("partial refund: %d reversals sent, Alice %d + Bob %d reversed; want 2 summing to 179", len(revs), rows[c.alice].Reversed, rows[c.bob].Reversed)
	}
	if rows[c.alice].Reversed != 125 || rows[c.bob].Reversed != 54 {
		t.Errorf("partial reversal = Alice %d, Bob %d; want 125 and 54", rows[c.alice].Reversed, rows[c.bob].Reversed)
	}
	for _, r := range revs {
		if r.HasAccount || !strings.HasPrefix(r.IdempotencyKey, "coop-reversal-") || (r.Form.Get("amount") != "125" && r.Form.Get("amount") != "54") {
			t.Errorf("reversal request %s: form %v, key %q, account %q", r.Path, r.Form, r.IdempotencyKey, r.Account)
		}
	}
	for _, q := range c.rec.Posts("/v1/refunds", "") {
		if q.HasAccount || q.Form.Get("refund_application_fee") != "" {
			t.Errorf("co-op refund request: account %q, form %v; want a platform refund without application fee", q.Account, q.Form)
		}
	}
	// The rest: every transfer is reversed exactly, nothing more.
	if err := c.svc.Refund(c.owner, o.ID, 0, "provisioning failed"); err != nil {
		t.Fatal(err)
	}
	rows = c.transfers(o.ID)
	if rows[c.alice].Reversed != 383 || rows[c.bob].Reversed != 164 || len(c.rec.Posts("/v1/transfers/", "/reversals")) != 4 {
		t.Errorf("after the full refund: Alice reversed %d of 383, Bob %d of 164, %d reversals sent (want 4)",
			rows[c.alice].Reversed, rows[c.bob].Reversed, len(c.rec.Posts("/v1/transfers/", "/reversals")))
	}
	// Refund events processed again reverse nothing more.
	if _, err := c.d.Owner(t).Exec(`UPDATE stripe_events SET processed_at = NULL WHERE type = 'charge.refunded' AND tenant_id = $1`, c.tenantID); err != nil {
		t.Fatal(err)
	}
	var refundEvents []string
	if err := c.d.Owner(t).Select(&refundEvents, `SELECT id FROM stripe_events WHERE type = 'charge.refunded' AND tenant_id = $1`, c.tenantID); err != nil {
		t.Fatal(err)
	}
	for _, id := range refundEvents {
		if err := c.svc.ProcessEvent(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.rec.Posts("/v1/transfers/", "/reversals")); n != 4 {
		t.Errorf("reversals after re-processed refunds = %d, want 4", n)
	}

	// The ledger balances; the members' payout accounts hold what the
	// second order paid them, the first being reversed in full.
	bad, err := c.svc.Unbalanced(c.owner)
	if err != nil || len(bad) != 0 {
		t.Fatalf("unbalanced entries %v, %v", bad, err)
	}
	var payouts billing.Cents
	if err := c.d.Owner(t).Get(&payouts, `SELECT coalesce(sum(amount_cents), 0) FROM ledger_postings WHERE tenant_id = $1 AND account LIKE 'member_payouts:%'`, c.tenantID); err != nil {
		t.Fatal(err)
	}
	if payouts != distributable {
		t.Errorf("member payouts in the ledger = %d, want %d (the second order only)", payouts, distributable)
	}

	// Each member sees its share of every payment, with reversals.
	mine, err := c.coops.MyCoopPayments(c.bobCtx, time.Now().Add(time.Hour), 50)
	if err != nil || len(mine) != 2 {
		t.Fatalf("Bob's payments = %+v, %v", mine, err)
	}
	first := mine[1]
	if first.OrderID != o.ID || first.Share != 164 || first.Reversed != 164 || first.Net != 0 || len(first.Reversals) != 2 || first.Coop != "Commons Co-op" {
		t.Errorf("Bob's share of the refunded order = %+v", first)
	}
	if _, err := c.coops.MyCoopPayments(c.customer, time.Now(), 50); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("a customer listing member shares = %v, want ENOTFOUND", err)
	}
	all, err := c.coops.CoopPayments(c.owner, time.Now().Add(time.Hour), 50)
	if err != nil || len(all) != 2 || len(all[0].Members) != 2 || all[0].Distributable != distributable {
		t.Errorf("admin's co-op payments = %+v, %v", all, err)
	}
}

// TestCoopWithoutCompleteSplitTakesNoPayment refuses card set-up while the
// co-op's shares do not sum to 100 %.
func TestCoopWithoutCompleteSplitTakesNoPayment(t *testing.T) {
	c := newCoopFixture(t)
	if _, err := c.d.Owner(t).Exec(`UPDATE coop_members SET share_bps = 1000 WHERE account_id = $1`, c.bob); err != nil {
		t.Fatal(err)
	}
	if _, err := c.svc.NewSetupIntent(c.customer); fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		t.Errorf("setup intent with an incomplete split = %v, want ECONFLICT", err)
	}
}

// TestSplitBackNeverTakesMoreThanAShare checks the reversal rule: for every
// sequence of two refunds the reversals sum to the target and no member
// gives back more than it received.
func TestSplitBackNeverTakesMoreThanAShare(t *testing.T) {
	a := uuid.MustParse("00000000-0000-0000-0000-00000000000a")
	b := uuid.MustParse("00000000-0000-0000-0000-00000000000b")
	cc := uuid.MustParse("00000000-0000-0000-0000-00000000000c")
	shares := []coop.Share{{Member: a, BPS: 5150}, {Member: b, BPS: 2925}, {Member: cc, BPS: 1925}}
	const amount, fee = 1215, 25
	d := coop.Distributable(amount, fee)
	parts := coop.Split(d, shares)
	for first := billing.Cents(1); first < amount; first += 7 {
		left := map[uuid.UUID]billing.Cents{}
		for _, p := range parts {
			left[p.Member] = p.Cents
		}
		var reversed billing.Cents
		for _, total := range []billing.Cents{first, amount} {
			need := coop.ReversalTarget(d, amount, total) - reversed
			var sum billing.Cents
			for _, p := range coop.SplitBack(need, shares, left) {
				if p.Cents < 0 || p.Cents > left[p.Member] {
					t.Fatalf("refund %d then full: member %s gives back %d of %d left", first, p.Member, p.Cents, left[p.Member])
				}
				left[p.Member] -= p.Cents
				sum += p.Cents
			}
			if sum != need {
				t.Fatalf("refund %d: reversals sum to %d, want %d", total, sum, need)
			}
			reversed += sum
		}
		if reversed != d {
			t.Fatalf("after refunds %d and the rest: reversed %d, want %d", first, reversed, d)
		}
	}
}

func absDiff(a, b billing.Cents) billing.Cents {
	if a > b {
		return a - b
	}
	return b - a
}
