package billing_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/billingtest"
)

// paidOrders records the orders billing's events say are paid.
type paidOrders struct {
	mu   sync.Mutex
	paid []uuid.UUID
}

func (p *paidOrders) OrderPaid(_ context.Context, id uuid.UUID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paid = append(p.paid, id)
	return nil
}
func (p *paidOrders) SubscriptionSuspended(context.Context, uuid.UUID) error  { return nil }
func (p *paidOrders) SubscriptionResumed(context.Context, uuid.UUID) error    { return nil }
func (p *paidOrders) SubscriptionTerminated(context.Context, uuid.UUID) error { return nil }

// TestOrderPaidIsOwedAsAServiceEvent: billing tells the deployments domain
// that an order is paid only through the outbox. The payment's transaction
// owes a billing:order-paid event under order-paid:<order>; it stays owed
// while nobody handles it, and reaches the handler once however often it is
// handed over.
func TestOrderPaidIsOwedAsAServiceEvent(t *testing.T) {
	f := newFixture(t)
	f.connect()
	f.addCard("pm_card_visa")
	o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "event-order"})
	if err != nil || o.Status != billing.OrderPaid {
		t.Fatalf("checkout = %+v, %v; want paid", o, err)
	}
	owner := f.d.Owner(t)
	var typ string
	var tenantID uuid.UUID
	var done bool
	if err := owner.QueryRow(`SELECT type, tenant_id, done_at IS NOT NULL FROM outbox WHERE key = $1`, billing.OrderPaidKey(o.ID)).Scan(&typ, &tenantID, &done); err != nil {
		t.Fatalf("the paid order owes no event: %v", err)
	}
	if typ != billing.TaskOrderPaid || tenantID != f.tenantID || done {
		t.Fatalf("owed %s for tenant %s (done %v); want %s for %s, not done", typ, tenantID, done, billing.TaskOrderPaid, f.tenantID)
	}
	h := &paidOrders{}
	for range 2 {
		if err := billingtest.RunOwed(context.Background(), f.d.App, billing.OrderPaidKey(o.ID), h); err != nil {
			t.Fatal(err)
		}
	}
	if len(h.paid) != 1 || h.paid[0] != o.ID {
		t.Fatalf("handler heard %v; want the order %s once", h.paid, o.ID)
	}
	var rows int
	if err := owner.QueryRow(`SELECT count(*) FROM outbox WHERE key = $1 AND done_at IS NOT NULL`, billing.OrderPaidKey(o.ID)).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("the event's row: %d done, %v; want 1", rows, err)
	}
}
