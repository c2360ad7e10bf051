package rbac

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// PlatformAccount is a platform-realm account as the console's Accounts
// page shows it: node operators, co-op members and super-admins.
type PlatformAccount struct {
	ID         uuid.UUID  `db:"id" json:"id"`
	Email      string     `db:"email" json:"email"`
	Roles      []string   `db:"-" json:"roles"`
	Coops      []string   `db:"-" json:"coops"`
	Verified   bool       `db:"verified" json:"email_verified"`
	MFAEnabled bool       `db:"mfa_enabled" json:"mfa_enabled"`
	APITokens  int        `db:"api_tokens" json:"api_tokens"`
	Sessions   int        `db:"sessions" json:"active_sessions"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	DisabledAt *time.Time `db:"disabled_at" json:"disabled_at"`
}

// PlatformAccounts lists the platform realm's accounts by e-mail, after the
// cursor (an e-mail; "" for the first page), those starting with q when it
// is set (console/accounts read). One query per page: roles, co-ops, API
// tokens and open sessions are counted in it.
func (s *Service) PlatformAccounts(ctx context.Context, q, after string, limit int) ([]PlatformAccount, error) {
	if err := s.authz.Require(ctx, "console/accounts", "read"); err != nil {
		return nil, err
	}
	pattern, err := tenant.EmailPrefix(q)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		PlatformAccount
		Roles pq.StringArray `db:"roles"`
	}
	var coops map[uuid.UUID][]string
	err = tenant.SystemTx(ctx, s.db, "console: platform accounts", func(tx *tenant.Tx) error {
		err := tx.SelectContext(ctx, &rows, `
			WITH page AS (
				SELECT id, email, email_verified_at, totp_enabled_at, created_at, disabled_at
				FROM accounts
				WHERE tenant_id IS NULL AND email > $1 AND ($2 = '' OR email LIKE $2)
				ORDER BY email LIMIT $3
			)
			SELECT p.id, p.email, p.email_verified_at IS NOT NULL AS verified, p.totp_enabled_at IS NOT NULL AS mfa_enabled,
				p.created_at, p.disabled_at,
				coalesce(r.roles, '{}') AS roles,
				coalesce(t.n, 0) AS api_tokens, coalesce(se.n, 0) AS sessions
			FROM page p
			LEFT JOIN LATERAL (SELECT array_agg(v1 ORDER BY v1) AS roles FROM casbin_rules
				WHERE ptype = 'g' AND v0 = p.id::text AND v2 = 'platform') r ON true
			LEFT JOIN LATERAL (SELECT count(*) AS n FROM api_tokens WHERE account_id = p.id AND revoked_at IS NULL) t ON true
			LEFT JOIN LATERAL (SELECT count(*) AS n FROM sessions
				WHERE account_id = p.id AND revoked_at IS NULL AND expires_at > now()) se ON true
			ORDER BY p.email`, after, pattern, limit)
		if err != nil || len(rows) == 0 || s.coopsOf == nil {
			return err
		}
		// The co-ops each is a member of, from the co-op domain, which
		// keeps co-op members.
		ids := make([]uuid.UUID, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		coops, err = s.coopsOf(ctx, tx, ids)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]PlatformAccount, len(rows))
	for i, r := range rows {
		out[i] = r.PlatformAccount
		out[i].Roles, out[i].Coops = []string(r.Roles), coops[r.ID]
		if out[i].Coops == nil {
			out[i].Coops = []string{}
		}
	}
	return out, nil
}

// SetAccountDisabled disables (or enables again) a platform account
// (console/accounts write). Disabling ends every session of the account at
// once and stops its API tokens; it is audited. A super-admin cannot
// disable themself (EFORBIDDEN on field "id"); ENOTFOUND when the account is
// not a platform account.
func (s *Service) SetAccountDisabled(ctx context.Context, id uuid.UUID, disabled bool) (*PlatformAccount, error) {
	if err := s.authz.Require(ctx, "console/accounts", "write"); err != nil {
		return nil, err
	}
	if _, ok := tenant.IDFromContext(ctx); ok {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "account not found")
	}
	actor, _ := tenant.ActorFromContext(ctx)
	if disabled && actor.ID == id {
		return nil, &fiatdashboard.Error{Code: fiatdashboard.EFORBIDDEN, Field: "id", Message: "you cannot disable your own account; ask another super-admin"}
	}
	var revoked []uuid.UUID
	var email string
	err := tenant.SystemTx(ctx, s.db, "console: disable account", func(tx *tenant.Tx) error {
		a, err := s.accountByID(ctx, tx, id)
		if err != nil {
			return err
		}
		email = a.Email
		if disabled == (a.DisabledAt != nil) {
			return nil // already so: nothing to change, nothing to audit
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET disabled_at = now(), updated_at = now() WHERE id = $1`, id); err != nil {
				return err
			}
			if err := tx.SelectContext(ctx, &revoked, `UPDATE sessions SET revoked_at = now(), revoke_reason = 'account disabled'
				WHERE account_id = $1 AND revoked_at IS NULL RETURNING id`, id); err != nil {
				return err
			}
			return tenant.Audit(ctx, tx, uuid.Nil, "account.disabled", a.Email, map[string]any{"account_id": id, "sessions_revoked": len(revoked)})
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET disabled_at = NULL, updated_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, uuid.Nil, "account.enabled", a.Email, map[string]any{"account_id": id})
	})
	if err != nil {
		return nil, err
	}
	if len(revoked) > 0 {
		s.denySessions(ctx, revoked...)
	}
	// The row as the list shows it now.
	page, err := s.PlatformAccounts(ctx, email, "", 1)
	if err != nil {
		return nil, err
	}
	for _, p := range page {
		if p.ID == id {
			return &p, nil
		}
	}
	return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "account not found")
}
