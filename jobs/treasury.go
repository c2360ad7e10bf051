package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Treasury tasks: one per top-up step, and the hourly check.
const (
	TypeTopupStep     = treasury.TaskTopupStep
	TypeTreasuryCheck = "treasury:check"
)

type topupStep struct {
	ID uuid.UUID `json:"id"`
}

// EnqueueTopupStep queues a top-up's next step; the task id names the top-up
// and the state it leaves, so a step is queued once.
func (e *Enqueuer) EnqueueTopupStep(ctx context.Context, id uuid.UUID, state string) error {
	if _, ok := tenant.ActorFromContext(ctx); !ok {
		ctx = tenant.WithActor(ctx, tenant.System("treasury"))
	}
	key := "topup:" + id.String() + ":" + state
	if owed, err := e.relayNow(ctx, key); owed || err != nil {
		return err
	}
	t, err := NewTask(ctx, TypeTopupStep, topupStep{ID: id}, asynq.Queue(QueueDefault), asynq.TaskID(key),
		asynq.MaxRetry(30), asynq.Retention(24*time.Hour))
	if err != nil {
		return err
	}
	return e.once(ctx, t)
}

// TreasuryWork is the treasury's background work.
type TreasuryWork interface {
	Step(ctx context.Context, id uuid.UUID) error
	// Fail records that a top-up's step failed for good (its last retry).
	Fail(ctx context.Context, id uuid.UUID, err error) error
	CheckAll(ctx context.Context) (int, error)
}

// RegisterTreasury handles top-up steps (a pending mint is retried with
// backoff; a step still failing at its last retry fails the top-up, which
// records the step and raises the tenant's alert) and schedules the hourly
// check.
func (w *Worker) RegisterTreasury(t TreasuryWork) error {
	w.mux.HandleFunc(TypeTopupStep, func(ctx context.Context, task *asynq.Task) error {
		var in topupStep
		if err := Decode(task, &in); err != nil {
			return err
		}
		err := t.Step(ctx, in.ID)
		if err == nil || errors.Is(err, treasury.ErrMintPending) {
			// A mint that never comes is the hourly check's: it raises the
			// overdue alert and never deposits twice.
			return err
		}
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		if retried < maxRetry {
			return err
		}
		if ferr := t.Fail(ctx, in.ID, err); ferr != nil {
			return ferr
		}
		return fmt.Errorf("top-up %s failed for good: %w", in.ID, err)
	})
	w.mux.HandleFunc(TypeTreasuryCheck, func(ctx context.Context, _ *asynq.Task) error {
		_, err := t.CheckAll(ctx)
		return err
	})
	task, err := NewTask(tenant.WithActor(context.Background(), tenant.System("scheduler")), TypeTreasuryCheck, nil, asynq.Queue(QueueDefault))
	if err != nil {
		return err
	}
	return w.Periodic("@every 1h", task, time.Hour)
}

var _ TreasuryWork = (*treasury.Treasury)(nil)
