package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TypeDeployVM provisions one paid deployment.
const TypeDeployVM = deploy.TaskDeploy

type deployPayload struct {
	ID uuid.UUID `json:"id"`
}

// EnqueueDeploy queues provisioning with task id deploy:<id>: a second
// enqueue of the same deployment is the same task.
//
// The task is not retained once done: a deployment provisioned again (a
// failover, a replaced standby) within a day is owed anew under the same id,
// and a retained id would make that enqueue a silent no-op
// (TestDeployOwedAgainRunsAgain).
func (e *Enqueuer) EnqueueDeploy(ctx context.Context, id uuid.UUID) error {
	if owed, err := e.relayNow(ctx, deploy.DeployKey(id)); owed || err != nil || e.db != nil {
		return err
	}
	t, err := NewTask(ctx, TypeDeployVM, deployPayload{ID: id}, append([]asynq.Option{asynq.TaskID(deploy.DeployKey(id))}, owedOptions[TypeDeployVM]...)...)
	if err != nil {
		return err
	}
	return e.once(ctx, t)
}

// Provisioner is the deployments domain's provisioning step.
type Provisioner interface {
	Provision(ctx context.Context, id uuid.UUID) error
}

// RegisterDeploy handles deploy:vm. A permanent failure (refunded already)
// is not retried; a transient one is, with Asynq's backoff.
func (w *Worker) RegisterDeploy(p Provisioner) {
	w.mux.HandleFunc(TypeDeployVM, func(ctx context.Context, t *asynq.Task) error {
		var in deployPayload
		if err := Decode(t, &in); err != nil {
			return err
		}
		err := p.Provision(ctx, in.ID)
		if errors.Is(err, deploy.ErrPermanent) {
			return errors.Join(err, asynq.SkipRetry)
		}
		return err
	})
}

// Periodic deployment upkeep.
const (
	TypeDeployHealth    = "deploy:health"
	TypeDeployReconcile = "deploy:reconcile"
)

// Upkeep is the deployments domain's periodic work.
type Upkeep interface {
	CheckHealth(ctx context.Context) (int, error)
	ReconcileAll(ctx context.Context) (int, error)
}

// RegisterUpkeep handles and schedules the health check (every minute) and
// reconcile (every 30 minutes, low queue).
func (w *Worker) RegisterUpkeep(u Upkeep) error {
	w.mux.HandleFunc(TypeDeployHealth, func(ctx context.Context, _ *asynq.Task) error {
		n, err := u.CheckHealth(ctx)
		if n > 0 {
			w.log.Warn("deployments moved off failed nodes", "count", n)
		}
		return err
	})
	w.mux.HandleFunc(TypeDeployReconcile, func(ctx context.Context, _ *asynq.Task) error {
		n, err := u.ReconcileAll(ctx)
		if n > 0 {
			w.log.Warn("reconcile found drift", "count", n)
		}
		return err
	})
	sys := tenant.WithActor(context.Background(), tenant.System("scheduler"))
	h, err := NewTask(sys, TypeDeployHealth, nil, asynq.Queue(QueueDefault))
	if err != nil {
		return err
	}
	if err := w.Periodic("@every 1m", h, time.Minute); err != nil {
		return err
	}
	r, err := NewTask(sys, TypeDeployReconcile, nil, asynq.Queue(QueueLow))
	if err != nil {
		return err
	}
	return w.Periodic("@every 30m", r, 30*time.Minute)
}

// TypeGridBills fetches and stores the chain's bills of the platform's
// contracts, paged, for the window since the last run.
const TypeGridBills = "grid:bills"

// BillSyncer stores the chain's bills (deploy.Service.SyncBills).
type BillSyncer interface {
	SyncBills(ctx context.Context) (int, error)
}

// RegisterBillSync handles and schedules grid:bills every 15 minutes on
// the low queue: pages that show bills read what it stored.
func (w *Worker) RegisterBillSync(b BillSyncer) error {
	w.mux.HandleFunc(TypeGridBills, func(ctx context.Context, _ *asynq.Task) error {
		n, err := b.SyncBills(ctx)
		if n > 0 {
			w.log.Info("stored grid bills", "count", n)
		}
		return err
	})
	sys := tenant.WithActor(context.Background(), tenant.System("scheduler"))
	t, err := NewTask(sys, TypeGridBills, nil, asynq.Queue(QueueLow))
	if err != nil {
		return err
	}
	return w.Periodic("@every 15m", t, 15*time.Minute)
}
