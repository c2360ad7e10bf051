package deploy

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// CheckHealth finds running deployments whose primary node went offline
// (the health job, every minute, reading node status from the grid) and
// moves them: with a standby VM the standby's node becomes the primary's
// and a new standby is placed elsewhere; without a backup the VM is
// re-provisioned on another pool node (its disk is lost; the event and an
// e-mail say so). It also replaces QSFS backends on nodes that went
// offline. It returns how many deployments it moved or repaired.
func (s *Service) CheckHealth(ctx context.Context) (int, error) {
	var rows []struct {
		ID        uuid.UUID `db:"id"`
		TenantID  uuid.UUID `db:"tenant_id"`
		NodeID    uint32    `db:"node_id"`
		StandbyID *uint32   `db:"standby_node_id"`
	}
	err := tenant.SystemTx(ctx, s.db, "job: deployment health", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT id, tenant_id, node_id, standby_node_id FROM deployments
			WHERE status = 'running' AND node_id IS NOT NULL ORDER BY id LIMIT 5000`)
	})
	if err != nil {
		return 0, err
	}
	h := nodeHealth{g: s.grid, down: map[uint32]bool{}}
	moved := 0
	for _, r := range rows {
		tctx := tenant.WithID(tenant.WithActor(ctx, tenant.System("health")), r.TenantID)
		if !h.isDown(ctx, r.NodeID) {
			// The primary is fine; a standby whose node failed is replaced.
			if r.StandbyID != nil && h.isDown(ctx, *r.StandbyID) {
				if err := s.replaceStandby(tctx, r.ID, *r.StandbyID); err != nil {
					s.log.Error("replace standby", "deployment", r.ID, "err", err)
					continue
				}
				moved++
			}
			continue
		}
		if err := s.recover(tctx, r.ID, r.NodeID); err != nil {
			s.log.Error("recover deployment", "deployment", r.ID, "err", err)
			continue
		}
		moved++
	}
	repaired, err := s.checkBackends(ctx, &h)
	if err != nil {
		return moved + repaired, err
	}
	workers, err := s.checkWorkers(ctx, &h) // clusters' workers (provision_apps.go)
	repaired += workers
	if err != nil {
		return moved + repaired, err
	}
	resumed, err := s.ResumeStranded(ctx)
	return moved + repaired + resumed, err
}

// ResumeStranded owes provisioning again for every paid or provisioning
// deployment that owes none (its work was lost before the outbox existed,
// or marked done while the deployment did not move on): the health job's
// sweep, so no paid deployment waits for good. It returns how many.
func (s *Service) ResumeStranded(ctx context.Context) (int, error) {
	var rows []struct {
		ID       uuid.UUID `db:"id"`
		TenantID uuid.UUID `db:"tenant_id"`
	}
	err := tenant.SystemTx(ctx, s.db, "job: stranded deployments", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT d.id, d.tenant_id FROM deployments d
			WHERE d.status IN ('paid', 'provisioning') AND d.updated_at < now() - interval '2 minutes'
			  AND NOT outbox_owes('deploy:' || d.id::text)
			ORDER BY d.updated_at LIMIT 1000`)
	})
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		tctx := tenant.WithID(tenant.WithActor(ctx, tenant.System("health")), r.TenantID)
		if err := tenant.InTx(tctx, s.db, func(tx *tenant.Tx) error { return oweDeploy(tctx, tx, r.ID, true) }); err != nil {
			return 0, err
		}
		s.log.Warn("stranded deployment owes provisioning again", "deployment", r.ID)
		if err := s.enqueue.EnqueueDeploy(tctx, r.ID); err != nil {
			s.log.Warn("stranded deployment waits for the outbox relay", "deployment", r.ID, "err", err)
		}
	}
	return len(rows), nil
}

// nodeHealth reads each node's status from the shared grid once per run.
type nodeHealth struct {
	g    grid.Grid
	down map[uint32]bool
}

func (h *nodeHealth) isDown(ctx context.Context, id uint32) bool {
	isDown, seen := h.down[id]
	if !seen {
		n, err := h.g.Node(ctx, id)
		isDown = err == nil && n.Status != grid.NodeUp || fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND
		h.down[id] = isDown
	}
	return isDown
}

func (s *Service) recover(ctx context.Context, id uuid.UUID, failed uint32) error {
	d, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	g, err := s.gridFor(ctx)
	if err != nil {
		return err
	}
	kind := "reprovision"
	msg := fmt.Sprintf("node %d went offline: re-creating the server on another node; data on its disk is lost", failed)
	set := map[string]any{"node_id": nil, "standby_node_id": nil, "ipv4": "", "ipv6": "", "mycelium": ""}
	if d.Backup == "vm" && d.StandbyNodeID != nil {
		kind = "failover"
		msg = fmt.Sprintf("node %d went offline: the standby on node %d takes over, and a new standby is being placed", failed, *d.StandbyNodeID)
		set["node_id"] = *d.StandbyNodeID
	}
	set["incident"], set["incident_message"], set["incident_at"], set["notified_at"] = kind, msg, s.now(), nil
	// The project is rebuilt under the same name: first what is left of it
	// goes, by the contract ids on record (cancelAll).
	if err := s.cancelAll(ctx, g, d.Project); err != nil {
		return err
	}
	// A rebuilt QSFS swarm is placed anew.
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM qsfs_backends WHERE deployment_id = $1`, id)
		return err
	}); err != nil {
		return err
	}
	// Moving back to provisioning owes provisioning anew, in one transaction
	// (the earlier deploy:<id> was done, perhaps within the hour).
	movedOK, err := s.transitionOwingDeploy(ctx, id, kind, msg, set)
	if err != nil || !movedOK {
		return err
	}
	s.tellCustomer(ctx, d, kind, failed)
	return s.enqueue.EnqueueDeploy(ctx, id)
}

// replaceStandby drops the standby VM of a running deployment whose standby
// node went offline and provisions a new one elsewhere; the primary keeps
// running untouched. The deploy task finds the primary as it is (DeployVM
// is idempotent) and places the standby anew.
func (s *Service) replaceStandby(ctx context.Context, id uuid.UUID, failed uint32) error {
	d, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	g, err := s.gridFor(ctx)
	if err != nil {
		return err
	}
	if _, err := g.RemoveStandbyVM(ctx, d.Project); err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		return err
	}
	// Our record of the project's contracts follows: the standby's are
	// cancelled now, the primary's stay.
	known, err := s.liveContracts(ctx, d.Project)
	if err != nil {
		return err
	}
	if p, err := g.Project(ctx, d.Project, known...); err == nil {
		live := make([]int64, 0, len(p.Contracts))
		for _, id := range p.ContractIDs() {
			live = append(live, int64(id))
		}
		if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE grid_contracts SET canceled_at = now()
				WHERE project = $1 AND canceled_at IS NULL AND NOT (contract_id = ANY($2))`, d.Project, pq.Array(live))
			return err
		}); err != nil {
			return err
		}
	}
	msg := fmt.Sprintf("node %d of the standby VM went offline: your server keeps running while a new standby is placed on another node", failed)
	moved, err := s.transitionOwingDeploy(ctx, id, "backup", msg, map[string]any{"standby_node_id": nil})
	if err != nil || !moved {
		return err
	}
	return s.enqueue.EnqueueDeploy(ctx, id)
}

// transitionOwingDeploy moves a deployment back to provisioning and owes its
// provisioning anew in the same transaction.
func (s *Service) transitionOwingDeploy(ctx context.Context, id uuid.UUID, step, msg string, set map[string]any) (bool, error) {
	moved := false
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		if moved, err = transitionTx(ctx, tx, id, Provisioning, step, msg, set); err != nil || !moved {
			return err
		}
		return oweDeploy(ctx, tx, id, true)
	})
	return moved, err
}
