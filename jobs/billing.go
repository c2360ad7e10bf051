package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TypeStripeEvent processes one stored Stripe webhook event.
const TypeStripeEvent = billing.TaskStripeEvent

// TypeRefund refunds an order whose service failed; TypeMockEvent delivers
// one mock Stripe event (mock mode). Both are owed through the outbox.
const (
	TypeRefund    = billing.TaskRefund
	TypeMockEvent = billing.TaskMockEvent
)

// EventProcessor is billing's webhook event handler.
type EventProcessor interface {
	ProcessEvent(ctx context.Context, id string) error
}

type stripeEvent struct {
	ID string `json:"id"`
}

// Enqueuer puts billing's work on the queues; it implements billing.Enqueuer.
type Enqueuer struct {
	client *asynq.Client
	db     *sqlx.DB // the outbox; nil: tasks are built directly (tests)
}

// NewEnqueuer returns an Enqueuer on client that hands over work owed in
// db's outbox.
func NewEnqueuer(client *asynq.Client, db *sqlx.DB) *Enqueuer {
	return &Enqueuer{client: client, db: db}
}

// Kick hands the owed work key to the queue now (the relay would within a
// second); work not owed (done, or never written) is left alone.
func (e *Enqueuer) Kick(ctx context.Context, key string) error {
	_, err := e.relayNow(ctx, key)
	return err
}

// once enqueues t, whose task id names the work: a task already queued
// under that id is the same work, not an error.
func (e *Enqueuer) once(ctx context.Context, t *asynq.Task) error {
	_, err := e.client.EnqueueContext(ctx, t)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

// EnqueueStripeEvent queues an event on the critical queue with the event id
// as task id, so a redelivered event is one task.
func (e *Enqueuer) EnqueueStripeEvent(ctx context.Context, eventID string) error {
	if owed, err := e.relayNow(ctx, "stripe:"+eventID); owed || err != nil || e.db != nil {
		return err
	}
	t, err := NewTask(tenant.WithActor(ctx, tenant.System("stripe webhook")), TypeStripeEvent, stripeEvent{ID: eventID},
		asynq.Queue(QueueCritical), asynq.TaskID("stripe:"+eventID), asynq.MaxRetry(20))
	if err != nil {
		return err
	}
	return e.once(ctx, t)
}

// RegisterBilling handles billing's tasks.
func (w *Worker) RegisterBilling(p EventProcessor) {
	w.mux.HandleFunc(TypeStripeEvent, func(ctx context.Context, t *asynq.Task) error {
		var ev stripeEvent
		if err := Decode(t, &ev); err != nil {
			return err
		}
		return p.ProcessEvent(ctx, ev.ID)
	})
}

// Refunder settles refunds owed by failed services.
type Refunder interface {
	SettleRefund(ctx context.Context, in billing.RefundTask) error
}

// RegisterRefunds handles TypeRefund.
func (w *Worker) RegisterRefunds(r Refunder) {
	w.mux.HandleFunc(TypeRefund, func(ctx context.Context, t *asynq.Task) error {
		var in billing.RefundTask
		if err := Decode(t, &in); err != nil {
			return err
		}
		return r.SettleRefund(ctx, in)
	})
}

// Billing's service events, owed in the outbox and handled by the
// deployments domain.
const (
	TypeOrderPaid           = billing.TaskOrderPaid
	TypeSubscriptionChanged = billing.TaskSubscriptionChanged
)

// RegisterServiceEvents handles billing's service events with h (the
// deployments domain): an order paid, a subscription suspended, resumed or
// terminated.
func (w *Worker) RegisterServiceEvents(h billing.ServiceEvents) {
	for _, typ := range []string{TypeOrderPaid, TypeSubscriptionChanged} {
		w.mux.HandleFunc(typ, func(ctx context.Context, t *asynq.Task) error {
			var ev billing.ServiceEvent
			if err := Decode(t, &ev); err != nil {
				return err
			}
			return billing.HandleServiceEvent(ctx, h, t.Type(), ev)
		})
	}
}

// RegisterMockEvents handles TypeMockEvent: the emitter posts a stored mock
// Stripe event to the webhook endpoint; a refusal or no answer is retried,
// as Stripe retries.
func (w *Worker) RegisterMockEvents(e *billing.Emitter) {
	w.mux.HandleFunc(TypeMockEvent, func(ctx context.Context, t *asynq.Task) error {
		var in billing.MockDelivery
		if err := Decode(t, &in); err != nil {
			return err
		}
		return e.Deliver(ctx, in)
	})
}

// TypeRenewals charges the subscriptions whose renewal is due.
const TypeRenewals = "billing:renewals"

// Renewer is billing's renewal sweep.
type Renewer interface {
	RenewDue(ctx context.Context) (int, error)
}

// RegisterRenewals handles TypeRenewals and schedules it hourly.
func (w *Worker) RegisterRenewals(r Renewer) error {
	w.mux.HandleFunc(TypeRenewals, func(ctx context.Context, _ *asynq.Task) error {
		n, err := r.RenewDue(ctx)
		if n > 0 {
			w.log.Info("renewals attempted", "count", n)
		}
		return err
	})
	task, err := NewTask(tenant.WithActor(context.Background(), tenant.System("scheduler")), TypeRenewals, nil, asynq.Queue(QueueDefault))
	if err != nil {
		return err
	}
	return w.Periodic("@every 1h", task, time.Hour)
}
