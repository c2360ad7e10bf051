package rbac

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

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

// EnsurePlatformAccount creates the platform-realm account with the e-mail,
// or sets its password when it exists, verified, holding role in the platform
// domain. It is for first setup and the development seed; it returns the
// account id.
func (s *Store) EnsurePlatformAccount(ctx context.Context, email, password, role string) (uuid.UUID, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !strings.Contains(email, "@") {
		return uuid.Nil, fiatdashboard.Invalid("email", "email must be an e-mail address")
	}
	hash, err := HashPassword(password)
	if err != nil {
		return uuid.Nil, err
	}
	var id uuid.UUID
	err = tenant.SystemTx(ctx, s.db, "create platform account", func(tx *tenant.Tx) error {
		err := tx.GetContext(ctx, &id, `
			INSERT INTO accounts (tenant_id, email, password_hash, email_verified_at)
			VALUES (NULL, $1, $2, now())
			ON CONFLICT (email) WHERE tenant_id IS NULL
			DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_at = now()
			RETURNING id`, email, hash)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO casbin_rules (ptype, v0, v1, v2) VALUES ('g', $1, $2, $3)
			ON CONFLICT DO NOTHING`, id.String(), role, DomainPlatform)
		return err
	})
	if err != nil {
		return uuid.Nil, fmt.Errorf("ensure platform account: %w", err)
	}
	return id, nil
}
