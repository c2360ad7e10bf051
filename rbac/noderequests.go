package rbac

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// NodeOperatorRequest is a node operator's request to contribute nodes to a
// tenant's pool.
type NodeOperatorRequest struct {
	ID            uuid.UUID  `db:"id" json:"id"`
	TenantID      uuid.UUID  `db:"tenant_id" json:"-"`
	AccountID     uuid.UUID  `db:"account_id" json:"-"`
	OperatorEmail string     `db:"operator_email" json:"operator_email"`
	Message       string     `db:"message" json:"message"`
	Status        string     `db:"status" json:"status"`
	Reason        string     `db:"reason" json:"reason"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
	DecidedAt     *time.Time `db:"decided_at" json:"decided_at"`
}

const requestColumns = `id, tenant_id, account_id, operator_email, message, status, reason, created_at, decided_at`

// OperatorTenant is a storefront a node operator may ask to join, with the
// operator's latest request to it.
type OperatorTenant struct {
	Slug    string               `json:"slug"`
	Name    string               `json:"name"`
	Request *NodeOperatorRequest `json:"request"`
}

// OperatorTenants lists the active storefronts with the actor's latest
// request to each (operator/requests read, platform realm).
func (s *Service) OperatorTenants(ctx context.Context, after string, limit int) ([]OperatorTenant, error) {
	if err := s.authz.Require(ctx, "operator/requests", "read"); err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	var rows []struct {
		Slug string `db:"slug"`
		Name string `db:"name"`
		NodeOperatorRequestNullable
	}
	err := tenant.SystemTx(ctx, s.db, "node operator: list storefronts", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `
			SELECT t.slug, t.name, r.id, r.operator_email, r.message, r.status, r.reason, r.created_at, r.decided_at
			FROM tenants t
			LEFT JOIN LATERAL (SELECT * FROM node_operator_requests r WHERE r.tenant_id = t.id AND r.account_id = $1
			                   ORDER BY r.created_at DESC LIMIT 1) r ON true
			WHERE t.status = 'active' AND t.slug > $2 ORDER BY t.slug LIMIT $3`, actor.ID, after, limit)
	})
	if err != nil {
		return nil, err
	}
	out := make([]OperatorTenant, len(rows))
	for i, r := range rows {
		out[i] = OperatorTenant{Slug: r.Slug, Name: r.Name}
		if r.ID != nil {
			out[i].Request = &NodeOperatorRequest{ID: *r.ID, OperatorEmail: *r.OperatorEmail, Message: *r.Message,
				Status: *r.Status, Reason: *r.Reason, CreatedAt: *r.CreatedAt, DecidedAt: r.DecidedAt}
		}
	}
	return out, nil
}

// NodeOperatorRequestNullable is a request read through an outer join.
type NodeOperatorRequestNullable struct {
	ID            *uuid.UUID `db:"id"`
	OperatorEmail *string    `db:"operator_email"`
	Message       *string    `db:"message"`
	Status        *string    `db:"status"`
	Reason        *string    `db:"reason"`
	CreatedAt     *time.Time `db:"created_at"`
	DecidedAt     *time.Time `db:"decided_at"`
}

// RequestToJoin files the actor's request to join the tenant's node pool
// (the seed's /request-node-operator). ENOTFOUND for an unknown or inactive
// tenant; ECONFLICT when a request is already pending or approved.
func (s *Service) RequestToJoin(ctx context.Context, tenantSlug, message string) (*NodeOperatorRequest, error) {
	if err := s.authz.Require(ctx, "operator/requests", "write"); err != nil {
		return nil, err
	}
	if len(message) > 2000 {
		return nil, fiatdashboard.Invalid("message", "message must be at most 2000 characters")
	}
	actor, _ := tenant.ActorFromContext(ctx)
	var r NodeOperatorRequest
	// The storefront by slug (the tenants registry carries no tenant rows),
	// then the request in that tenant's own scope.
	var tid uuid.UUID
	err := tenant.PlatformTx(ctx, s.db, func(tx *tenant.Tx) error {
		err := tx.GetContext(ctx, &tid, `SELECT id FROM tenants WHERE slug = $1 AND status = 'active'`, strings.TrimSpace(tenantSlug))
		if tenant.IsNoRows(err) {
			return &fiatdashboard.Error{Code: fiatdashboard.ENOTFOUND, Field: "tenant_slug", Message: "no such storefront"}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	err = tenant.InTx(tenant.WithID(ctx, tid), s.db, func(tx *tenant.Tx) error {
		err := tx.GetContext(ctx, &r, `INSERT INTO node_operator_requests (tenant_id, account_id, operator_email, message)
			VALUES ($1, $2, $3, $4) RETURNING `+requestColumns, tid, actor.ID, actor.Name, strings.TrimSpace(message))
		if isUniqueViolation(err) {
			return &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "tenant_slug", Message: "you already have a pending or approved request for this storefront"}
		}
		if err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "node_operator.requested", actor.Name, map[string]any{"request_id": r.ID})
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// NodeOperatorRequests lists the tenant's requests, newest first, optionally
// by status (admin/node-requests read).
func (s *Service) NodeOperatorRequests(ctx context.Context, status string, limit int) ([]NodeOperatorRequest, error) {
	if err := s.authz.Require(ctx, "admin/node-requests", "read"); err != nil {
		return nil, err
	}
	switch status {
	case "", "pending", "approved", "rejected", "revoked":
	default:
		return nil, fiatdashboard.Invalid("status", "status must be pending, approved, rejected or revoked")
	}
	var out []NodeOperatorRequest
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+requestColumns+` FROM node_operator_requests
			WHERE ($1 = '' OR status = $1) ORDER BY created_at DESC LIMIT $2`, status, limit)
	})
	return out, err
}

// DecideNodeOperatorRequest approves (the seed's /approve-request), rejects
// or revokes a request. Approval grants the node_operator role in this
// tenant's domain; revoking takes it away. ENOTFOUND for another tenant's
// request; ECONFLICT when the request is not in a state that allows it.
func (s *Service) DecideNodeOperatorRequest(ctx context.Context, id uuid.UUID, decision, reason string) (*NodeOperatorRequest, error) {
	if err := s.authz.Require(ctx, "admin/node-requests", "write"); err != nil {
		return nil, err
	}
	from, to := map[string][2]string{
		"approve": {"pending", "approved"},
		"reject":  {"pending", "rejected"},
		"revoke":  {"approved", "revoked"},
	}[decision][0], map[string]string{"approve": "approved", "reject": "rejected", "revoke": "revoked"}[decision]
	if to == "" {
		return nil, fiatdashboard.Invalid("decision", "decision must be approve, reject or revoke")
	}
	reason = strings.TrimSpace(reason)
	if decision != "approve" && reason == "" {
		return nil, fiatdashboard.Invalid("reason", "say why, for the node operator")
	}
	actor, _ := tenant.ActorFromContext(ctx)
	domain := realmKey(ctx)
	var r NodeOperatorRequest
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		err := tx.GetContext(ctx, &r, `UPDATE node_operator_requests SET status = $2, reason = $3, decided_by = $4, decided_at = now()
			WHERE id = $1 AND status = $5 RETURNING `+requestColumns, id, to, reason, actor.ID, from)
		if tenant.IsNoRows(err) {
			var exists bool
			if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM node_operator_requests WHERE id = $1)`, id); err != nil {
				return err
			}
			if !exists {
				return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "request not found")
			}
			return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "only a %s request can be %s", from, to)
		}
		if err != nil {
			return err
		}
		switch to {
		case "approved":
			err = grant(ctx, tx, r.AccountID, RoleNodeOperator, domain)
		case "revoked":
			err = revoke(ctx, tx, r.AccountID, RoleNodeOperator, domain)
		}
		if err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, realmTenant(ctx), "node_operator."+to, r.OperatorEmail, map[string]any{"request_id": r.ID, "reason": reason})
	})
	if err != nil {
		return nil, err
	}
	g := [][]string{{r.AccountID.String(), RoleNodeOperator, domain}}
	switch to {
	case "approved":
		s.authz.applied(g, nil)
	case "revoked":
		s.authz.applied(nil, g)
	}
	return &r, nil
}
