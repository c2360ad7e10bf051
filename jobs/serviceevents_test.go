package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/jobs"
	"github.com/fiatdashboard/fiatdashboard/jobs/jobstest"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// heard records the service events a handler hears, with their tenant.
type heard chan string

func (h heard) rec(ctx context.Context, what string, id uuid.UUID) error {
	tid, _ := tenant.IDFromContext(ctx)
	h <- what + " " + id.String() + " in " + tid.String()
	return nil
}
func (h heard) OrderPaid(ctx context.Context, id uuid.UUID) error { return h.rec(ctx, "paid", id) }
func (h heard) SubscriptionSuspended(ctx context.Context, id uuid.UUID) error {
	return h.rec(ctx, "suspended", id)
}
func (h heard) SubscriptionResumed(ctx context.Context, id uuid.UUID) error {
	return h.rec(ctx, "resumed", id)
}
func (h heard) SubscriptionTerminated(ctx context.Context, id uuid.UUID) error {
	return h.rec(ctx, "terminated", id)
}

// TestServiceEventsReachTheirHandler: billing's service events (an order
// paid, a subscription's change) are handled by the handler the worker
// registered for them, in the event's tenant, each by its own method.
func TestServiceEventsReachTheirHandler(t *testing.T) {
	r := jobstest.New(t)
	w := jobs.NewWorker(r.Opt, r.Client, jobs.WorkerConfig{Concurrency: 2, ShutdownTimeout: 5 * time.Second}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h := make(heard, 4)
	w.RegisterServiceEvents(h)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	client := asynq.NewClient(r.Opt)
	defer client.Close()
	tid, order, sub := uuid.New(), uuid.New(), uuid.New()
	tctx := tenant.WithActor(tenant.WithID(context.Background(), tid), tenant.System("stripe webhook"))
	for _, ev := range []struct {
		typ string
		ev  billing.ServiceEvent
	}{
		{jobs.TypeOrderPaid, billing.ServiceEvent{ID: order}},
		{jobs.TypeSubscriptionChanged, billing.ServiceEvent{ID: sub, To: billing.SubscriptionSuspended}},
		{jobs.TypeSubscriptionChanged, billing.ServiceEvent{ID: sub, To: billing.SubscriptionTerminated}},
	} {
		task, err := jobs.NewTask(tctx, ev.typ, ev.ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Enqueue(task, asynq.Queue(jobs.QueueCritical)); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{
		"paid " + order.String() + " in " + tid.String():     true,
		"suspended " + sub.String() + " in " + tid.String():  true,
		"terminated " + sub.String() + " in " + tid.String(): true,
	}
	for range len(want) {
		select {
		case got := <-h:
			if !want[got] {
				t.Errorf("handler heard %q; want one of %v", got, want)
			}
			delete(want, got)
		case <-time.After(10 * time.Second):
			t.Fatalf("events not handled within 10s; still waiting for %v", want)
		}
	}
}
