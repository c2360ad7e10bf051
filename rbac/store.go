package rbac

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// DomainPlatform is the Casbin domain of platform-realm roles.
const DomainPlatform = "platform"

// Platform roles.
const (
	RoleSuperAdmin   = "super_admin"
	RoleNodeOperator = "node_operator"
)

// Store reads and writes accounts and role assignments.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db, connected as the application role.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// EnsureAccount makes the account with the e-mail exist in the realm
// (tenantID, or uuid.Nil for the platform) with the password, its e-mail
// verified, holding role in the realm's domain. It is for first setup, scripts
// and the development seed; callers reload the Authorizer afterwards (or use
// a fresh one). It returns the account id.
func (s *Store) EnsureAccount(ctx context.Context, tenantID uuid.UUID, email, password, role string) (uuid.UUID, error) {
	email, err := normalizeEmail("email", email)
	if err != nil {
		return uuid.Nil, err
	}
	if err := CheckPassword("password", password); err != nil {
		return uuid.Nil, err
	}
	domain, conflict := DomainPlatform, `(email) WHERE tenant_id IS NULL`
	var tid *uuid.UUID
	if tenantID != uuid.Nil {
		domain, conflict, tid = tenantID.String(), `(tenant_id, email) WHERE tenant_id IS NOT NULL`, &tenantID
		if role == RoleSuperAdmin {
			return uuid.Nil, fiatdashboard.Invalid("role", "super_admin is a platform role")
		}
	} else if role != RoleSuperAdmin && role != RoleNodeOperator {
		return uuid.Nil, fiatdashboard.Invalid("role", "platform roles are super_admin and node_operator")
	}
	hash, err := HashPassword(password)
	if err != nil {
		return uuid.Nil, err
	}
	var id uuid.UUID
	err = tenant.SystemTx(ctx, s.db, "ensure account", func(tx *tenant.Tx) error {
		err := tx.GetContext(ctx, &id, `
			INSERT INTO accounts (tenant_id, email, password_hash, email_verified_at)
			VALUES ($1, $2, $3, now())
			ON CONFLICT `+conflict+`
			DO UPDATE SET password_hash = EXCLUDED.password_hash, email_verified_at = coalesce(accounts.email_verified_at, now()), updated_at = now()
			RETURNING id`, tid, email, hash)
		if err != nil {
			return err
		}
		if err := grant(ctx, tx, id, role, domain); err != nil {
			return err
		}
		actx := tenant.WithActor(ctx, tenant.System("operator command"))
		return tenant.Audit(actx, tx, tenantID, "role.granted", email, map[string]any{"role": role, "account_id": id})
	})
	if err != nil {
		return uuid.Nil, fmt.Errorf("ensure account: %w", err)
	}
	return id, nil
}

// CreateTokenFor makes a personal API token for the account with the e-mail
// in the realm, for scripts; the token is returned once.
func (s *Store) CreateTokenFor(ctx context.Context, tenantID uuid.UUID, email, name string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	token, hash := newToken("fd_")
	err := tenant.SystemTx(ctx, s.db, "token for script", func(tx *tenant.Tx) error {
		var acct struct {
			ID   uuid.UUID `db:"id"`
			TOTP bool      `db:"totp"`
		}
		q := `SELECT id, totp_enabled_at IS NOT NULL AS totp FROM accounts WHERE email = $1 AND tenant_id IS NULL`
		args := []any{email}
		if tenantID != uuid.Nil {
			q, args = `SELECT id, totp_enabled_at IS NOT NULL AS totp FROM accounts WHERE email = $1 AND tenant_id = $2`, append(args, tenantID)
		}
		if err := tx.GetContext(ctx, &acct, q, args...); err != nil {
			if tenant.IsNoRows(err) {
				return fiatdashboard.Invalid("email", "no account with this e-mail in that realm")
			}
			return err
		}
		id := acct.ID
		// A role that requires two-factor authentication gets a token only
		// once the account has enrolled it, as in the UI: the operator of
		// the machine cannot hand out what the account's owner could not.
		var needsMFA bool
		if err := tx.GetContext(ctx, &needsMFA, `SELECT EXISTS (SELECT 1 FROM casbin_rules WHERE ptype = 'g' AND v0 = $1 AND v1 = ANY($2))`,
			id.String(), pqArray(mfaRoles)); err != nil {
			return err
		}
		if needsMFA && !acct.TOTP {
			return fiatdashboard.Errorf(fiatdashboard.EFORBIDDEN,
				"%s has a role that requires two-factor authentication: they set it up first (Account → Two-factor authentication), then get an API token", email)
		}
		var tid *uuid.UUID
		if tenantID != uuid.Nil {
			tid = &tenantID
		}
		// Made by the operator of the machine, it counts as two-factor checked.
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (tenant_id, account_id, name, prefix, token_hash, mfa) VALUES ($1, $2, $3, $4, $5, true)`,
			tid, id, name, token[:10], hash); err != nil {
			return err
		}
		actx := tenant.WithActor(ctx, tenant.System("operator command"))
		return tenant.Audit(actx, tx, tenantID, "token.created", name, map[string]any{"account_id": id, "prefix": token[:10]})
	})
	return token, err
}

// pqArray passes a string slice as a PostgreSQL text[] parameter.
func pqArray(v []string) any { return pq.Array(v) }
