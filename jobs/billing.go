package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TypeStripeEvent processes one stored Stripe webhook event.
const TypeStripeEvent = "billing:stripe-event"

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
}

// NewEnqueuer returns an Enqueuer on client.
func NewEnqueuer(client *asynq.Client) *Enqueuer { return &Enqueuer{client: client} }

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
