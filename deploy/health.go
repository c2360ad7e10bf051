package deploy

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// CheckHealth finds running deployments whose primary node went offline
// (the health job, every minute, reading node status from the grid) and
// moves them: with a standby VM the standby's node becomes the primary's
// and a new standby is placed elsewhere; without a backup the VM is
// re-provisioned on another pool node (its disk is lost; the event says so).
// It returns how many deployments it moved.
func (s *Service) CheckHealth(ctx context.Context) (int, error) {
	var rows []struct {
		ID       uuid.UUID `db:"id"`
		TenantID uuid.UUID `db:"tenant_id"`
		NodeID   uint32    `db:"node_id"`
	}
	err := tenant.SystemTx(ctx, s.db, "job: deployment health", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT id, tenant_id, node_id FROM deployments WHERE status = 'running' AND node_id IS NOT NULL ORDER BY id LIMIT 5000`)
	})
	if err != nil {
		return 0, err
	}
	down := map[uint32]bool{}
	moved := 0
	for _, r := range rows {
		isDown, seen := down[r.NodeID]
		if !seen {
			n, err := s.grid.Node(ctx, r.NodeID)
			isDown = err == nil && n.Status != grid.NodeUp || fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND
			down[r.NodeID] = isDown
		}
		if !isDown {
			continue
		}
		tctx := tenant.WithID(tenant.WithActor(ctx, tenant.System("health")), r.TenantID)
		if err := s.recover(tctx, r.ID, r.NodeID); err != nil {
			s.log.Error("recover deployment", "deployment", r.ID, "err", err)
			continue
		}
		moved++
	}
	return moved, nil
}

func (s *Service) recover(ctx context.Context, id uuid.UUID, failed uint32) error {
	d, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	step, msg := "reprovision", fmt.Sprintf("node %d went offline: re-creating the server on another node; data on its disk is lost", failed)
	set := map[string]any{"node_id": nil, "standby_node_id": nil, "ipv4": "", "ipv6": "", "mycelium": ""}
	if d.Backup == "vm" && d.StandbyNodeID != nil {
		step, msg = "failover", fmt.Sprintf("node %d went offline: the standby on node %d takes over, and a new standby is being placed", failed, *d.StandbyNodeID)
		set["node_id"] = *d.StandbyNodeID
	}
	// The project is rebuilt under the same name: first what is left of it goes.
	if err := s.grid.CancelProject(ctx, d.Project); err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		return err
	}
	s.markCanceled(ctx, d.Project)
	movedOK, err := s.transition(ctx, id, Provisioning, step, msg, set)
	if err != nil || !movedOK {
		return err
	}
	return s.enqueue.EnqueueDeploy(ctx, id)
}

// Drift is a difference between our records and the grid.
type Drift struct {
	Project string `json:"project"`
	Problem string `json:"problem"`
}

// Reconcile compares the tenant's deployments with the grid (the low-queue
// job): contracts still active for deployments that ended are orphans and
// are cancelled; running deployments without a project on the grid are
// reported as drift (and get an event).
func (s *Service) Reconcile(ctx context.Context) ([]Drift, error) {
	var rows []struct {
		ID      uuid.UUID `db:"id"`
		Status  string    `db:"status"`
		Project string    `db:"project"`
		Live    bool      `db:"live"`
	}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT d.id, d.status, d.project,
			EXISTS (SELECT 1 FROM grid_contracts c WHERE c.project = d.project AND c.canceled_at IS NULL) AS live
			FROM deployments d WHERE d.status IN ('running', 'terminated', 'failed') ORDER BY d.created_at DESC LIMIT 5000`)
	})
	if err != nil {
		return nil, err
	}
	tid, _ := tenant.IDFromContext(ctx)
	drift := []Drift{}
	for _, r := range rows {
		_, perr := s.grid.Project(ctx, r.Project)
		onGrid := perr == nil
		if perr != nil && fiatdashboard.ErrorCode(perr) != fiatdashboard.ENOTFOUND {
			return nil, perr
		}
		switch {
		case (r.Status == Terminated || r.Status == Failed) && onGrid:
			if err := s.grid.CancelProject(ctx, r.Project); err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
				return nil, err
			}
			s.markCanceled(ctx, r.Project)
			drift = append(drift, Drift{Project: r.Project, Problem: "orphan contracts cancelled"})
		case r.Status == Running && !onGrid:
			drift = append(drift, Drift{Project: r.Project, Problem: "running here but not on the grid"})
			tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
				return addEvent(ctx, tx, tid, r.ID, Running, "drift", "the grid has no contracts for this server; staff are told")
			})
		}
	}
	return drift, nil
}

// ReconcileAll reconciles every tenant that has deployments (the job).
func (s *Service) ReconcileAll(ctx context.Context) (int, error) {
	var tenants []uuid.UUID
	err := tenant.SystemTx(ctx, s.db, "job: reconcile tenants", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &tenants, `SELECT DISTINCT tenant_id FROM deployments`)
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range tenants {
		drift, err := s.Reconcile(tenant.WithID(tenant.WithActor(ctx, tenant.System("reconcile")), t))
		if err != nil {
			return n, err
		}
		n += len(drift)
	}
	return n, nil
}
