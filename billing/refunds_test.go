package billing_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/billingtest"
	"github.com/fiatdashboard/fiatdashboard/rbac"
)

// heldEvents stands between the emitter and the endpoints: while holding,
// events wait, as when Stripe's webhook has not arrived yet.
type heldEvents struct {
	mu      sync.Mutex
	holding bool
	queue   []func() error
}

func (h *heldEvents) send(deliver func(ctx context.Context, payload []byte, sig string) error) func(ctx context.Context, payload []byte, sig string) error {
	return func(ctx context.Context, payload []byte, sig string) error {
		h.mu.Lock()
		if h.holding {
			h.queue = append(h.queue, func() error { return deliver(context.Background(), payload, sig) })
			h.mu.Unlock()
			return nil
		}
		h.mu.Unlock()
		return deliver(ctx, payload, sig)
	}
}

func (h *heldEvents) release(t *testing.T) {
	t.Helper()
	h.mu.Lock()
	q := h.queue
	h.queue, h.holding = nil, false
	h.mu.Unlock()
	for _, d := range q {
		if err := d(); err != nil {
			t.Fatalf("delivering a held event: %v", err)
		}
	}
}

// newRecordedFixture is newFixture whose service talks to stripe-mock
// through a recorder and whose events can be held back.
func newRecordedFixture(t *testing.T) (*fixture, *billingtest.Recorder, *heldEvents) {
	t.Helper()
	f := newFixture(t)
	rec, held := &billingtest.Recorder{}, &heldEvents{}
	emitter := billing.NewEmitter(secret, 0, held.send(func(ctx context.Context, p []byte, sig string) error { return f.svc.ReceiveWebhook(ctx, p, sig) }), f.log).
		Connect(connectSecret, held.send(func(ctx context.Context, p []byte, sig string) error { return f.svc.ReceiveConnectWebhook(ctx, p, sig) }))
	f.svc = billing.NewService(f.d.App, billing.Config{SecretKey: "sk_test_123", WebhookSecret: secret, ConnectWebhookSecret: connectSecret, APIURL: rec.Start(t), Mock: true,
		Mailer: rbac.NewOutbox(f.d.App)}, f.authz, f.sim, syncQueue{f}, emitter, f.log)
	return f, rec, held
}

// TestPartialRefundsBeforeTheWebhookNeverCollide: each refund request has
// its own idempotency key, the refund row's id. Two partial refunds asked
// for before Stripe's webhook reports the first are two refunds (with a key
// derived from the amount refunded so far, Stripe would answer the second
// with the first and it would be lost); what is left to refund counts both.
// A refund that fails later (charge.refund.updated) is shown with Stripe's
// reason, gives the money back in the ledger and alerts the admins.
func TestPartialRefundsBeforeTheWebhookNeverCollide(t *testing.T) {
	f, rec, held := newRecordedFixture(t)
	acct := f.connect()
	f.addCard("pm_card_visa")
	o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "refund-twice"})
	if err != nil || o.Status != billing.OrderPaid {
		t.Fatalf("order = %+v, %v", o, err)
	}
	held.holding = true
	if err := f.svc.Refund(f.owner, o.ID, 300, "first part"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Refund(f.owner, o.ID, 200, "second part"); err != nil {
		t.Fatal(err)
	}
	// 608 − 500 in flight: 108 left, not 308.
	if err := f.svc.Refund(f.owner, o.ID, 200, "too much"); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("refunding more than is left with two refunds in flight = %v, want EINVALID", err)
	}
	rows, err := f.svc.Refunds(f.owner, o.ID)
	if err != nil || len(rows) != 2 {
		t.Fatalf("refund rows = %+v, %v; want 2", rows, err)
	}
	keys := map[string]bool{}
	for _, r := range rows {
		keys["refund-"+r.ID.String()] = true
	}
	sent := rec.Posts("/v1/refunds", "")
	if len(sent) != 2 {
		t.Fatalf("refund requests sent = %d, want 2", len(sent))
	}
	for _, q := range sent {
		if !keys[q.IdempotencyKey] || q.Account != acct {
			t.Errorf("refund request key %q on %q; want one refund row's own key on %s", q.IdempotencyKey, q.Account, acct)
		}
	}
	if sent[0].IdempotencyKey == sent[1].IdempotencyKey {
		t.Errorf("both partial refunds were sent with key %q", sent[0].IdempotencyKey)
	}
	held.release(t)
	got, _ := f.svc.Order(f.owner, o.ID)
	if got.Refunded != 500 || got.Status != billing.OrderPaid {
		t.Fatalf("order after both webhooks = refunded %d, %s; want 500, paid", got.Refunded, got.Status)
	}

	// The second refund fails at the bank.
	var second billing.RefundRow
	for _, r := range rows {
		if r.Amount == 200 {
			second = r
		}
	}
	em := billing.NewEmitter(secret, 0, nil, f.log).Connect(connectSecret, func(ctx context.Context, p []byte, sig string) error {
		return f.svc.ReceiveConnectWebhook(ctx, p, sig)
	})
	em.RefundUpdated(f.tenantID, acct, *got, second.ID, *second.StripeRefund, 200, billing.RefundFailed, "expired_or_canceled_card")
	em.RefundUpdated(f.tenantID, acct, *got, second.ID, *second.StripeRefund, 200, billing.RefundFailed, "expired_or_canceled_card") // again
	rows, _ = f.svc.Refunds(f.owner, o.ID)
	for _, r := range rows {
		if r.ID == second.ID && (r.Status != billing.RefundFailed || r.FailureReason != "expired_or_canceled_card") {
			t.Errorf("failed refund shows %s (%q), want failed with Stripe's reason", r.Status, r.FailureReason)
		}
	}
	got, _ = f.svc.Order(f.owner, o.ID)
	if got.Refunded != 300 {
		t.Errorf("order refunded after the failure = %d, want 300", got.Refunded)
	}
	var refunds int64
	if err := f.d.Owner(t).Get(&refunds, `SELECT coalesce(sum(amount_cents), 0) FROM ledger_postings WHERE account = 'refunds'`); err != nil {
		t.Fatal(err)
	}
	if refunds != 300 {
		t.Errorf("ledger refunds = %d, want 300", refunds)
	}
	var mails int
	if err := f.d.Owner(t).Get(&mails, `SELECT count(*) FROM outbox_emails WHERE to_addr = 'owner@alpha.test' AND subject = 'A refund failed' AND body_text LIKE '%expired_or_canceled_card%'`); err != nil {
		t.Fatal(err)
	}
	if mails != 1 {
		t.Errorf("%d refund-failed alerts to the owner, want 1", mails)
	}
	if bad, _ := f.svc.Unbalanced(f.owner); len(bad) != 0 {
		t.Errorf("unbalanced entries: %v", bad)
	}
}

// TestDisputeIsRecordedAnsweredAndClosed: a dispute of a tenant's charge
// takes the amount and Stripe's dispute fee (from its balance transaction)
// off the balance, alerts the admins, is listed for them and answered with
// evidence through Stripe; won, the amount comes back.
func TestDisputeIsRecordedAnsweredAndClosed(t *testing.T) {
	f, rec, _ := newRecordedFixture(t)
	acct := f.connect()
	f.addCard("pm_card_visa")
	o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "disputed"})
	if err != nil || o.Status != billing.OrderPaid {
		t.Fatalf("order = %+v, %v", o, err)
	}
	em := billing.NewEmitter(secret, 0, nil, f.log).Connect(connectSecret, func(ctx context.Context, p []byte, sig string) error {
		return f.svc.ReceiveConnectWebhook(ctx, p, sig)
	})
	due := time.Now().Add(7 * 24 * time.Hour).Truncate(time.Second)
	em.Dispute("created", acct, *o, "dp_test_1", "needs_response", 1500, due)
	em.Dispute("created", acct, *o, "dp_test_1", "needs_response", 1500, due) // a redelivery
	balance := func(account string) int64 {
		var v int64
		if err := f.d.Owner(t).Get(&v, `SELECT coalesce(sum(amount_cents), 0) FROM ledger_postings WHERE account = $1`, account); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if d := balance("disputes"); d != int64(o.Amount) {
		t.Errorf("disputes = %d, want %d", d, o.Amount)
	}
	ds, err := f.svc.Disputes(f.owner)
	if err != nil || len(ds) != 1 || ds[0].Status != "needs_response" || ds[0].EvidenceDueBy == nil || !ds[0].EvidenceDueBy.Equal(due) || ds[0].OrderID == nil || *ds[0].OrderID != o.ID {
		t.Fatalf("disputes = %+v, %v", ds, err)
	}
	var mails int
	if err := f.d.Owner(t).Get(&mails, `SELECT count(*) FROM outbox_emails WHERE to_addr = 'owner@alpha.test' AND subject = 'A customer disputed a payment'`); err != nil {
		t.Fatal(err)
	}
	if mails != 1 {
		t.Errorf("%d dispute alerts, want 1", mails)
	}
	if _, err := f.svc.RespondDispute(f.owner, "dp_test_1", "short"); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("short evidence = %v, want EINVALID", err)
	}
	if _, err := f.svc.RespondDispute(f.customer, "dp_test_1", strings.Repeat("x", 40)); fiatdashboard.ErrorCode(err) == "" {
		t.Errorf("a customer answering a dispute succeeded")
	}
	d, err := f.svc.RespondDispute(f.owner, "dp_test_1", "The customer ordered a VM on 1 March and used it every day since; logs attached.")
	if err != nil || d.SubmittedAt == nil {
		t.Fatalf("answer = %+v, %v", d, err)
	}
	sent := rec.Posts("/v1/disputes/dp_test_1", "")
	if len(sent) != 1 || sent[0].Account != acct || sent[0].Form.Get("submit") != "true" || !strings.Contains(sent[0].Form.Get("evidence[uncategorized_text]"), "used it every day") {
		t.Errorf("dispute answer sent = %+v", sent)
	}
	em.Dispute("closed", acct, *o, "dp_test_1", "won", 1500, due)
	if d := balance("disputes"); d != 0 {
		t.Errorf("disputes after winning = %d, want 0", d)
	}
	if bad, _ := f.svc.Unbalanced(f.owner); len(bad) != 0 {
		t.Errorf("unbalanced entries: %v", bad)
	}
}
