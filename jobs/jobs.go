// Package jobs owns background work on Redis with Asynq: task types and
// payloads, the handlers that call the domain services, the worker and the
// one scheduler of periodic tasks.
package jobs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Queues and their weights: deploys and webhook events first, then
// renewals and top-ups, then reconcile and reports.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueLow      = "low"
)

// Queues maps each queue to its priority weight.
var Queues = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1}

// Envelope carries who asked for the work and for which tenant. Every task
// payload has one; EnvelopeMiddleware restores it into the handler's context.
type Envelope struct {
	TenantID uuid.UUID    `json:"tenant_id,omitempty"`
	Actor    tenant.Actor `json:"actor"`
}

type payload struct {
	Envelope Envelope        `json:"envelope"`
	Data     json.RawMessage `json:"data"`
	// Owed is the outbox row's owed time when the outbox relayed the task.
	Owed string `json:"owed,omitempty"`
}

// NewTask builds a task of type typ whose payload is data wrapped in the
// envelope taken from ctx. It fails closed when ctx carries no actor.
func NewTask(ctx context.Context, typ string, data any, opts ...asynq.Option) (*asynq.Task, error) {
	actor, ok := tenant.ActorFromContext(ctx)
	if !ok {
		return nil, fmt.Errorf("task %s: no actor in the context", typ)
	}
	env := Envelope{Actor: actor}
	if id, ok := tenant.IDFromContext(ctx); ok {
		env.TenantID = id
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", typ, err)
	}
	b, err := json.Marshal(payload{Envelope: env, Data: raw})
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", typ, err)
	}
	return asynq.NewTask(typ, b, opts...), nil
}

// Decode unmarshals the task's data into dst. A payload that does not decode
// will never decode: the error wraps asynq.SkipRetry.
func Decode(t *asynq.Task, dst any) error {
	var p payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("task %s: bad payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	if len(p.Data) == 0 || dst == nil {
		return nil
	}
	if err := json.Unmarshal(p.Data, dst); err != nil {
		return fmt.Errorf("task %s: bad data: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	return nil
}

// EnvelopeMiddleware restores the payload's tenant and actor into the
// context. A task without a valid envelope is not retried.
func EnvelopeMiddleware(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		var p payload
		if err := json.Unmarshal(t.Payload(), &p); err != nil {
			return fmt.Errorf("task %s: bad envelope: %v: %w", t.Type(), err, asynq.SkipRetry)
		}
		if p.Envelope.Actor.Kind == "" {
			return fmt.Errorf("task %s: envelope has no actor: %w", t.Type(), asynq.SkipRetry)
		}
		ctx = tenant.WithActor(ctx, p.Envelope.Actor)
		if p.Envelope.TenantID != uuid.Nil {
			ctx = tenant.WithID(ctx, p.Envelope.TenantID)
		}
		return next.ProcessTask(ctx, t)
	})
}
