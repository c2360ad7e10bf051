package jobs

import (
	"context"

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

// EnqueueStripeEvent queues an event on the critical queue with the event id
// as task id, so a redelivered event is one task.
func (e *Enqueuer) EnqueueStripeEvent(ctx context.Context, eventID string) error {
	t, err := NewTask(tenant.WithActor(ctx, tenant.System("stripe webhook")), TypeStripeEvent, stripeEvent{ID: eventID},
		asynq.Queue(QueueCritical), asynq.TaskID("stripe:"+eventID), asynq.MaxRetry(20))
	if err != nil {
		return err
	}
	_, err = e.client.EnqueueContext(ctx, t)
	if err == asynq.ErrTaskIDConflict {
		return nil
	}
	return err
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
