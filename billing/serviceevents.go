package billing

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// What a payment changes for the service it pays for — an order paid, a
// subscription suspended, resumed or terminated — billing owes as an event
// in the outbox (tenant.Owe), in the transaction that makes the change or
// right after its commit, and hands it to the queue at once (Enqueuer.Kick).
// The deployments domain handles it (ServiceEvents, registered with the jobs
// worker). Billing never calls deployments, so it is built without them.
const (
	// TaskOrderPaid says an order is paid (key order-paid:<order id>).
	TaskOrderPaid = "billing:order-paid"
	// TaskSubscriptionChanged says a subscription was suspended, resumed or
	// terminated (key subscription:<id>: a later change replaces one not yet
	// handled, so the last word wins).
	TaskSubscriptionChanged = "billing:subscription-changed"
)

// A subscription's changes, in ServiceEvent.To.
const (
	SubscriptionSuspended  = "suspended"
	SubscriptionResumed    = "resumed"
	SubscriptionTerminated = "terminated"
)

// ServiceEvent is the payload of TaskOrderPaid and TaskSubscriptionChanged.
type ServiceEvent struct {
	ID uuid.UUID `json:"id"`           // the order or the subscription
	To string    `json:"to,omitempty"` // a subscription's change
}

// ServiceEvents hears billing's events (the deployments domain implements
// it). Each call must be idempotent: an event may be handled twice.
type ServiceEvents interface {
	// OrderPaid starts what the order paid for.
	OrderPaid(ctx context.Context, orderID uuid.UUID) error
	// SubscriptionSuspended, SubscriptionResumed and SubscriptionTerminated
	// stop, start again and end what the subscription pays for.
	SubscriptionSuspended(ctx context.Context, id uuid.UUID) error
	SubscriptionResumed(ctx context.Context, id uuid.UUID) error
	SubscriptionTerminated(ctx context.Context, id uuid.UUID) error
}

// HandleServiceEvent gives ev, the payload of a task of type typ, to h.
func HandleServiceEvent(ctx context.Context, h ServiceEvents, typ string, ev ServiceEvent) error {
	switch {
	case typ == TaskOrderPaid:
		return h.OrderPaid(ctx, ev.ID)
	case typ == TaskSubscriptionChanged && ev.To == SubscriptionSuspended:
		return h.SubscriptionSuspended(ctx, ev.ID)
	case typ == TaskSubscriptionChanged && ev.To == SubscriptionResumed:
		return h.SubscriptionResumed(ctx, ev.ID)
	case typ == TaskSubscriptionChanged && ev.To == SubscriptionTerminated:
		return h.SubscriptionTerminated(ctx, ev.ID)
	}
	return fmt.Errorf("billing: no service event %s %q", typ, ev.To)
}

// OrderPaidKey and SubscriptionKey are the events' outbox keys (task ids).
func OrderPaidKey(order uuid.UUID) string  { return "order-paid:" + order.String() }
func SubscriptionKey(sub uuid.UUID) string { return "subscription:" + sub.String() }

// oweOrderPaid owes the paid order's event in tx.
func oweOrderPaid(ctx context.Context, tx *tenant.Tx, tid, order uuid.UUID) (string, error) {
	key := OrderPaidKey(order)
	return key, tenant.Owe(ctx, tx, tenant.OwedTask{Key: key, Type: TaskOrderPaid, Data: ServiceEvent{ID: order}, TenantID: &tid})
}

// oweSubscriptionChange owes a subscription's change in tx.
func oweSubscriptionChange(ctx context.Context, tx *tenant.Tx, tid, sub uuid.UUID, to string) (string, error) {
	key := SubscriptionKey(sub)
	return key, tenant.Owe(ctx, tx, tenant.OwedTask{Key: key, Type: TaskSubscriptionChanged, Data: ServiceEvent{ID: sub, To: to}, Again: true, TenantID: &tid})
}

// kick hands owed events to the queue now; when that fails the outbox
// relay hands them over within a second, so it is only logged.
func (s *Service) kick(ctx context.Context, keys ...string) {
	for _, key := range keys {
		if key == "" || s.enqueue == nil {
			continue
		}
		if err := s.enqueue.Kick(ctx, key); err != nil {
			s.log.Warn("service event waits for the outbox relay", "key", key, "err", err)
		}
	}
}

// subscriptionChanged owes a subscription's change in a transaction of its
// own and hands it over (for callers whose change is committed already).
func (s *Service) subscriptionChanged(ctx context.Context, tid, sub uuid.UUID, to string) error {
	var key string
	err := tenant.InTx(tenant.WithID(ctx, tid), s.db, func(tx *tenant.Tx) error {
		var err error
		key, err = oweSubscriptionChange(ctx, tx, tid, sub, to)
		return err
	})
	if err != nil {
		return err
	}
	s.kick(ctx, key)
	return nil
}
