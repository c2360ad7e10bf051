package deploy

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Kubernetes clusters have 1 to maxWorkers workers.
const maxWorkers = 5

// WorkersPending is a worker change waiting for its payment.
type WorkersPending struct {
	Count   int    `json:"count"`
	OrderID string `json:"order_id"`
}

// WorkersInput is a change of a Kubernetes app's worker count.
type WorkersInput struct {
	Count         int    `json:"count"`
	PaymentMethod string `json:"payment_method"`
	ClientKey     string `json:"client_key"`
}

// withWorkers returns the plan with n workers of the same size.
func withWorkers(p *billing.Plan, n int) *billing.Plan {
	out := &billing.Plan{App: p.App, Parts: append([]billing.PlanPart(nil), p.Parts...)}
	for i, pp := range out.Parts {
		if pp.Kind == billing.LineWorker {
			pp.Count = n
			pp.Label = fmt.Sprintf("Workers ×%d · %d vCPU, %d GB RAM, %d GB disk each", n, pp.CPU, pp.RAMGB, pp.DiskGB)
			out.Parts[i] = pp
		}
	}
	return out
}

// SetWorkers changes a running Kubernetes app's worker count
// (store/deployments write, the customer's own). More workers are charged
// now for the rest of the paid period, prorated, and raise the renewal;
// they are deployed once that payment is confirmed. Fewer workers are
// removed at once and lower the price from the next renewal (the current
// period is not refunded). EINVALID on count; ECONFLICT for another app,
// a deployment that is not running, or a change still waiting for its
// payment.
func (s *Service) SetWorkers(ctx context.Context, id uuid.UUID, in WorkersInput) (*Deployment, error) {
	if err := s.authz.Require(ctx, "store/deployments", "write"); err != nil {
		return nil, err
	}
	d, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	if d.AccountID != actor.ID {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "deployment not found")
	}
	if d.App != AppKubernetes {
		return nil, &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "count", Message: "only a Kubernetes cluster has workers"}
	}
	if in.Count < 1 || in.Count > maxWorkers {
		return nil, fiatdashboard.Invalid("count", "a cluster has 1 to %d workers", maxWorkers)
	}
	if d.Status != Running {
		return nil, &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "count", Message: "workers change on a running cluster"}
	}
	var cfg AppConfig
	json.Unmarshal(d.AppConfig, &cfg)
	var st appState
	json.Unmarshal(d.AppState, &st)
	if st.Upgrade != "" {
		pending, err := s.upgradePending(ctx, id, st.Upgrade)
		if err != nil {
			return nil, err
		}
		if pending {
			return nil, &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "count", Message: "the last change of workers still waits for its payment"}
		}
		// Settled meanwhile (applied, or forgotten): start from what is now.
		if d, err = s.Get(ctx, id); err != nil {
			return nil, err
		}
		cfg = AppConfig{}
		json.Unmarshal(d.AppConfig, &cfg)
	}
	have := int(cfg.num("workers"))
	if in.Count == have {
		return d, nil
	}
	var spec billing.Spec
	if err := json.Unmarshal(d.Spec, &spec); err != nil || spec.Plan == nil {
		return nil, fmt.Errorf("deployment %s has no plan", id)
	}
	spec.Plan = withWorkers(spec.Plan, in.Count)
	sub, err := s.subscriptionOf(ctx, d.OrderID)
	if err != nil {
		return nil, err
	}
	if sub == uuid.Nil {
		return nil, &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "count", Message: "the cluster has no active subscription"}
	}
	changed, err := s.billing.ChangePlan(ctx, billing.PlanChange{Subscription: sub, Spec: spec, PaymentMethod: in.PaymentMethod, ClientKey: in.ClientKey,
		Description: fmt.Sprintf("Kubernetes %s: %d → %d workers", d.Name, have, in.Count)})
	if err != nil {
		return nil, err
	}
	newSpec, _ := json.Marshal(spec)
	if changed.Order == nil {
		// Nothing to pay now: the cluster changes at once.
		if err := s.applyWorkers(ctx, id, in.Count, newSpec, ""); err != nil {
			return nil, err
		}
		s.enqueueDeploy(ctx, id)
		return s.Get(ctx, id)
	}
	if changed.Order.Status == billing.OrderFailed {
		// Declined: nothing changes; the customer may try another card.
		return nil, fiatdashboard.Invalid("payment_method", "the payment for the added workers failed: %s", changed.Order.FailureMessage)
	}
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE deployments SET app_state = app_state || jsonb_build_object('upgrade', $2::text, 'want', $3::int) WHERE id = $1`,
			id, changed.Order.ID.String(), in.Count)
		if err != nil {
			return err
		}
		tid, _ := tenant.IDFromContext(ctx)
		return addEvent(ctx, tx, tid, id, Running, "workers", fmt.Sprintf("%d → %d workers: waiting for the payment of the rest of the period", have, in.Count))
	}); err != nil {
		return nil, err
	}
	// The payment may have been confirmed before the change was stored.
	if changed.Order.Status == billing.OrderPaid {
		if err := s.OrderPaid(ctx, changed.Order.ID); err != nil {
			return nil, err
		}
	}
	return s.Get(ctx, id)
}

// applyWorkers records the cluster's new worker count and spec and owes
// its provisioning (which adds or removes the workers); with upgrade, only
// if that order is the change still pending (a replay does nothing).
func (s *Service) applyWorkers(ctx context.Context, id uuid.UUID, n int, spec []byte, upgrade string) error {
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		q := `UPDATE deployments SET app_config = app_config || jsonb_build_object('workers', $2::int), spec = $3::jsonb,
			app_state = app_state - 'upgrade' - 'want', updated_at = now() WHERE id = $1`
		args := []any{id, n, string(spec)}
		if upgrade != "" {
			q += ` AND app_state->>'upgrade' = $4`
			args = append(args, upgrade)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil
		}
		tid, _ := tenant.IDFromContext(ctx)
		if err := addEvent(ctx, tx, tid, id, Running, "workers", fmt.Sprintf("the cluster is changing to %d workers", n)); err != nil {
			return err
		}
		return oweDeploy(ctx, tx, id, true)
	})
}

// upgradePaid applies the worker change an order paid for; false when no
// deployment waits for that order.
func (s *Service) upgradePaid(ctx context.Context, orderID uuid.UUID) (bool, error) {
	var row struct {
		ID   uuid.UUID `db:"id"`
		Want int       `db:"want"`
	}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &row, `SELECT id, (app_state->>'want')::int AS want FROM deployments WHERE app_state->>'upgrade' = $1`, orderID.String())
	})
	if tenant.IsNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	o, err := s.billing.Order(tenant.WithActor(ctx, tenant.System("workers paid")), orderID)
	if err != nil {
		return false, err
	}
	if err := s.applyWorkers(ctx, row.ID, row.Want, o.Spec, orderID.String()); err != nil {
		return false, err
	}
	s.enqueueDeploy(ctx, row.ID)
	return true, nil
}

// enqueueDeploy hands owed provisioning to the queue (the outbox relay
// does it anyway).
func (s *Service) enqueueDeploy(ctx context.Context, id uuid.UUID) {
	if s.enqueue == nil {
		return
	}
	if err := s.enqueue.EnqueueDeploy(ctx, id); err != nil {
		s.log.Warn("deploy waits for the outbox relay", "deployment", id, "err", err)
	}
}

// Kubeconfig returns a running Kubernetes app's name and admin kubeconfig
// (its owner, or tenant staff). ENOTFOUND for anyone else; ECONFLICT for
// another app or a cluster that is not running.
func (s *Service) Kubeconfig(ctx context.Context, id uuid.UUID) (string, string, error) {
	d, err := s.Get(ctx, id)
	if err != nil {
		return "", "", err
	}
	if d.App != AppKubernetes {
		return "", "", &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "app", Message: "only a Kubernetes cluster has a kubeconfig"}
	}
	if d.Status != Running && d.Status != Suspended {
		return "", "", &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "status", Message: "the kubeconfig is ready once the cluster runs"}
	}
	g, err := s.gridFor(ctx)
	if err != nil {
		return "", "", err
	}
	cfg, err := g.Kubeconfig(ctx, d.Project)
	if err != nil {
		return "", "", err
	}
	return d.Name, cfg, nil
}

// upgradePending reports whether the order of a worker change still waits
// for its payment; one that failed (a declined card) is forgotten, so the
// customer can try again.
func (s *Service) upgradePending(ctx context.Context, id uuid.UUID, order string) (bool, error) {
	oid, err := uuid.Parse(order)
	if err != nil {
		return false, nil
	}
	o, err := s.billing.Order(ctx, oid)
	if err != nil {
		return false, err
	}
	switch o.Status {
	case billing.OrderAwaitingPayment, billing.OrderRequiresAction:
		return true, nil
	case billing.OrderPaid:
		_, err := s.upgradePaid(ctx, oid) // its event has not arrived yet
		return false, err
	}
	return false, tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE deployments SET app_state = app_state - 'upgrade' - 'want' WHERE id = $1 AND app_state->>'upgrade' = $2`, id, order)
		return err
	})
}
