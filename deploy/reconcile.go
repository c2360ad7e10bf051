package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Drift is a difference between our records and the grid, and what
// reconcile did about it.
type Drift struct {
	DeploymentID uuid.UUID `json:"deployment_id"`
	Name         string    `json:"name"`
	Project      string    `json:"project"`
	Problem      string    `json:"problem"`
	Action       string    `json:"action"`
}

// Drift problems.
const (
	DriftOrphan     = "orphan contracts cancelled"
	DriftVanished   = "running here but not on the grid"
	DriftLost       = "contracts vanished from the grid"
	DriftUnrecorded = "contracts on the grid we had not recorded"
	DriftNoWallet   = "no wallet to check the grid with"
)

// Report is one reconcile run of a tenant.
type Report struct {
	ID      int64     `db:"id" json:"id"`
	RanAt   time.Time `db:"ran_at" json:"ran_at"`
	Checked int       `db:"checked" json:"checked"`
	Drift   []Drift   `db:"-" json:"drift"`
	RawJSON []byte    `db:"drift" json:"-"`
	Error   string    `db:"error" json:"error"`
}

// reportsKept is how many reconcile reports a tenant keeps.
const reportsKept = 200

// Reconcile compares the tenant's deployments with its wallet twin's
// projects on the grid (the low-queue job; admins may run it now):
// contracts still active for deployments that ended are orphans and are
// cancelled; running deployments whose contracts vanished are flagged (with
// an event); contracts on the grid we had not recorded are recorded. The
// run is stored as a report for the admin's health page.
func (s *Service) Reconcile(ctx context.Context) ([]Drift, error) {
	var rows []struct {
		ID      uuid.UUID `db:"id"`
		Name    string    `db:"name"`
		Status  string    `db:"status"`
		Project string    `db:"project"`
		Live    []int64   `db:"-"`
		LiveRaw string    `db:"live"`
	}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		// Running and suspended deployments, and ended ones that still hold
		// recorded contracts or ended lately (a cancel may have half-failed).
		return tx.SelectContext(ctx, &rows, `SELECT d.id, d.name, d.status, d.project,
			coalesce((SELECT string_agg(c.contract_id::text, ',' ORDER BY c.contract_id) FROM grid_contracts c
				WHERE c.project = d.project AND c.canceled_at IS NULL), '') AS live
			FROM deployments d WHERE d.status IN ('running', 'suspended')
				OR (d.status IN ('terminated', 'failed') AND (d.updated_at > now() - interval '2 days'
					OR EXISTS (SELECT 1 FROM grid_contracts c WHERE c.project = d.project AND c.canceled_at IS NULL)))
			ORDER BY d.created_at DESC LIMIT 5000`)
	})
	if err != nil {
		return nil, err
	}
	for i := range rows {
		for _, f := range strings.Split(rows[i].LiveRaw, ",") {
			var id int64
			if _, err := fmt.Sscan(f, &id); err == nil {
				rows[i].Live = append(rows[i].Live, id)
			}
		}
	}
	tid, _ := tenant.IDFromContext(ctx)
	drift := []Drift{}
	g, err := s.gridFor(ctx)
	if noWallet(err) {
		for _, r := range rows {
			if len(r.Live) > 0 || r.Status == Running || r.Status == Suspended {
				drift = append(drift, Drift{DeploymentID: r.ID, Name: r.Name, Project: r.Project, Problem: DriftNoWallet,
					Action: "add the storefront's wallet so its contracts can be checked"})
			}
		}
		return drift, s.storeReport(ctx, len(rows), drift, "")
	}
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		// The recorded contract ids are read from the chain directly: a
		// contract the indexers do not list yet is not taken for missing.
		known := make([]uint64, len(r.Live))
		for i, id := range r.Live {
			known[i] = uint64(id)
		}
		p, perr := g.Project(ctx, r.Project, known...)
		onGrid := perr == nil
		if perr != nil && fiatdashboard.ErrorCode(perr) != fiatdashboard.ENOTFOUND {
			s.storeReport(ctx, len(rows), drift, fiatdashboard.ErrorMessage(perr))
			return nil, perr
		}
		d := Drift{DeploymentID: r.ID, Name: r.Name, Project: r.Project}
		switch {
		case (r.Status == Terminated || r.Status == Failed) && onGrid:
			if err := g.CancelProject(ctx, r.Project, known...); err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
				return nil, err
			}
			s.markCanceled(ctx, r.Project)
			d.Problem, d.Action = DriftOrphan, fmt.Sprintf("cancelled %d contracts of a %s deployment", len(p.Contracts), r.Status)
			drift = append(drift, d)
		case (r.Status == Terminated || r.Status == Failed) && len(r.Live) > 0:
			// Gone from the grid already: our records catch up.
			s.markCanceled(ctx, r.Project)
		case (r.Status == Running || r.Status == Suspended) && !onGrid:
			d.Problem, d.Action = DriftVanished, "staff should retry or cancel it; the customer sees an event"
			drift = append(drift, d)
			tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
				return addEvent(ctx, tx, tid, r.ID, r.Status, "drift", "the grid has no contracts for this server; staff are told")
			})
		case r.Status == Running || r.Status == Suspended:
			onChain := p.ContractIDs()
			var vanished []string
			for _, id := range r.Live {
				if !slices.Contains(onChain, uint64(id)) {
					vanished = append(vanished, fmt.Sprint(id))
				}
			}
			var unrecorded []string
			for _, c := range p.Contracts {
				if !slices.Contains(r.Live, int64(c.ID)) {
					unrecorded = append(unrecorded, fmt.Sprint(c.ID))
				}
			}
			if len(vanished) > 0 {
				tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
					_, err := tx.ExecContext(ctx, `UPDATE grid_contracts SET canceled_at = now() WHERE project = $1 AND canceled_at IS NULL
						AND NOT (contract_id = ANY($2))`, r.Project, pqInt64s(onChain))
					return err
				})
				drift = append(drift, Drift{DeploymentID: r.ID, Name: r.Name, Project: r.Project, Problem: DriftLost,
					Action: "contracts " + strings.Join(vanished, ", ") + " marked ended"})
			}
			if len(unrecorded) > 0 {
				if err := s.RecordContracts(ctx, r.Project, p.Contracts); err != nil {
					return nil, err
				}
				drift = append(drift, Drift{DeploymentID: r.ID, Name: r.Name, Project: r.Project, Problem: DriftUnrecorded,
					Action: "contracts " + strings.Join(unrecorded, ", ") + " recorded"})
			}
		}
	}
	return drift, s.storeReport(ctx, len(rows), drift, "")
}

func pqInt64s(ids []uint64) any {
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return pq.Array(out)
}

// storeReport keeps a reconcile run for the health page (the newest
// reportsKept per tenant).
func (s *Service) storeReport(ctx context.Context, checked int, drift []Drift, failure string) error {
	tid, _ := tenant.IDFromContext(ctx)
	b, _ := json.Marshal(drift)
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO reconcile_reports (tenant_id, ran_at, checked, drift, error) VALUES ($1, $2, $3, $4::jsonb, $5)`,
			tid, s.now(), checked, string(b), failure); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM reconcile_reports WHERE id IN (SELECT id FROM reconcile_reports ORDER BY ran_at DESC, id DESC OFFSET $1)`, reportsKept)
		return err
	})
}

// ReconcileAll reconciles every tenant that has deployments (the job). A
// tenant whose grid fails is reported and the others still run.
func (s *Service) ReconcileAll(ctx context.Context) (int, error) {
	var tenants []uuid.UUID
	err := tenant.SystemTx(ctx, s.db, "job: reconcile tenants", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &tenants, `SELECT DISTINCT tenant_id FROM deployments`)
	})
	if err != nil {
		return 0, err
	}
	n := 0
	var failed error
	for _, t := range tenants {
		drift, err := s.Reconcile(tenant.WithID(tenant.WithActor(ctx, tenant.System("reconcile")), t))
		if err != nil {
			s.log.Error("reconcile", "tenant", t, "err", err)
			failed = fmt.Errorf("reconcile %s: %w", t, err)
			continue
		}
		n += len(drift)
	}
	return n, failed
}

// ReconcileNow runs reconcile for the admin's tenant at once
// (admin/deployments write) and returns the stored report.
func (s *Service) ReconcileNow(ctx context.Context) (*Report, error) {
	if err := s.authz.Require(ctx, "admin/deployments", "write"); err != nil {
		return nil, err
	}
	if _, err := s.Reconcile(ctx); err != nil {
		return nil, err
	}
	reports, err := s.Reports(ctx, time.Now().Add(time.Hour), 1)
	if err != nil || len(reports) == 0 {
		return nil, err
	}
	return &reports[0], nil
}

// Reports returns the tenant's reconcile runs before the cursor time,
// newest first (admin/deployments read).
func (s *Service) Reports(ctx context.Context, before time.Time, limit int) ([]Report, error) {
	if err := s.authz.Require(ctx, "admin/deployments", "read"); err != nil {
		return nil, err
	}
	out := []Report{}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT id, ran_at, checked, drift, error FROM reconcile_reports WHERE ran_at < $1
			ORDER BY ran_at DESC, id DESC LIMIT $2`, before, limit)
	})
	for i := range out {
		out[i].Drift = []Drift{}
		json.Unmarshal(out[i].RawJSON, &out[i].Drift)
	}
	return out, err
}

// Health is the admin's health page: the last reconcile, recent incidents
// and what needs attention.
type Health struct {
	LastReconcile *Report      `json:"last_reconcile"`
	Counts        StatusCounts `json:"counts"`
	// LostBackends counts QSFS backends offline and not yet replaced.
	LostBackends int        `json:"lost_backends"`
	Incidents    []Incident `json:"incidents"`
	Wallet       bool       `json:"wallet"` // the storefront has a wallet to deploy with
}

// StatusCounts counts the tenant's deployments by what they need.
type StatusCounts struct {
	Running      int `db:"running" json:"running"`
	Provisioning int `db:"provisioning" json:"provisioning"`
	Failed       int `db:"failed" json:"failed"`         // in the last 30 days
	Suspended    int `db:"suspended" json:"suspended"`   // renewal unpaid
	Incidents    int `db:"incidents" json:"incidents"`   // moved off a failed node in the last 30 days
	Unnotified   int `db:"unnotified" json:"unnotified"` // of those, customers not yet mailed
}

// Incident is a deployment that moved off a failed node.
type Incident struct {
	DeploymentID  uuid.UUID  `db:"id" json:"deployment_id"`
	Name          string     `db:"name" json:"name"`
	CustomerEmail string     `db:"email" json:"customer_email"`
	Kind          string     `db:"incident" json:"kind"`
	Message       string     `db:"incident_message" json:"message"`
	At            time.Time  `db:"incident_at" json:"at"`
	NotifiedAt    *time.Time `db:"notified_at" json:"notified_at"`
	Status        string     `db:"status" json:"status"`
}

// HealthReport returns the health page (admin/deployments read).
func (s *Service) HealthReport(ctx context.Context) (*Health, error) {
	if err := s.authz.Require(ctx, "admin/deployments", "read"); err != nil {
		return nil, err
	}
	h := &Health{Incidents: []Incident{}}
	reports, err := s.Reports(ctx, time.Now().Add(time.Hour), 1)
	if err != nil {
		return nil, err
	}
	if len(reports) > 0 {
		h.LastReconcile = &reports[0]
	}
	if s.wallets != nil {
		tid, _ := tenant.IDFromContext(ctx)
		if h.Wallet, err = s.wallets.HasWallet(ctx, tid); err != nil {
			return nil, err
		}
	}
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &h.Counts, `SELECT count(*) FILTER (WHERE status = 'running') AS running,
			count(*) FILTER (WHERE status IN ('paid', 'provisioning')) AS provisioning,
			count(*) FILTER (WHERE status = 'failed' AND updated_at > now() - interval '30 days') AS failed,
			count(*) FILTER (WHERE status = 'suspended') AS suspended,
			count(*) FILTER (WHERE incident_at > now() - interval '30 days') AS incidents,
			count(*) FILTER (WHERE incident_at > now() - interval '30 days' AND notified_at IS NULL) AS unnotified
			FROM deployments`); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &h.LostBackends, `SELECT count(*) FROM qsfs_backends b JOIN deployments d ON d.id = b.deployment_id
			WHERE b.status = 'lost' AND d.status = 'running'`); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &h.Incidents, `SELECT d.id, d.name, a.email, d.incident, d.incident_message, d.incident_at, d.notified_at, d.status
			FROM deployments d JOIN account_directory a ON a.id = d.account_id
			WHERE d.incident_at > now() - interval '30 days' ORDER BY d.incident_at DESC LIMIT 20`)
	})
	return h, err
}
