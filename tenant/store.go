package tenant

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard"
)

// Store reads and writes the tenants registry. The registry itself is not
// tenant-owned data (it has no tenant_id); callers authorize before writing.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db, connected as the application role.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

const tenantColumns = `id, slug, name, kind, status, pitch, settings, theme, created_at, updated_at,
	base_currency, support_email, legal_name, suspended_reason, platform_fee_bps, platform_fee_fixed_cents, on_cancel, legal_address, tax_id`

// NewTenant is what it takes to create a tenant.
type NewTenant struct {
	Slug   string
	Name   string
	Kind   Kind
	Status Status
	Pitch  string
	Theme  []byte // JSON object of theme tokens; empty for the default theme
}

// Create inserts a tenant. It returns EINVALID naming the field for bad input
// and ECONFLICT when the slug is taken.
func (s *Store) Create(ctx context.Context, n NewTenant) (*Tenant, error) {
	if err := ValidateSlug(n.Slug); err != nil {
		return nil, err
	}
	if n.Name == "" || len(n.Name) > 100 {
		return nil, fiatdashboard.Invalid("name", "name must be 1-100 characters")
	}
	if n.Kind == "" {
		n.Kind = KindOperator
	}
	if n.Kind != KindOperator && n.Kind != KindCoop {
		return nil, fiatdashboard.Invalid("kind", "kind must be operator or coop")
	}
	if n.Status == "" {
		n.Status = StatusPending
	}
	// A string, not []byte: with binary_parameters=yes lib/pq sends []byte
	// in binary format, which jsonb does not accept.
	theme := string(n.Theme)
	if theme == "" {
		theme = `{}`
	}
	var t Tenant
	err := s.db.GetContext(ctx, &t, `
		INSERT INTO tenants (slug, name, kind, status, pitch, theme)
		VALUES ($1, $2, $3, $4, $5, $6)
		RETURNING `+tenantColumns,
		n.Slug, n.Name, n.Kind, n.Status, n.Pitch, theme)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return nil, &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Message: "a tenant with this slug already exists", Field: "slug"}
	}
	if err != nil {
		return nil, fmt.Errorf("create tenant %s: %w", n.Slug, err)
	}
	return &t, nil
}

// BySlug returns the tenant with the slug, or ENOTFOUND.
func (s *Store) BySlug(ctx context.Context, slug string) (*Tenant, error) {
	var t Tenant
	err := s.db.GetContext(ctx, &t, `SELECT `+tenantColumns+` FROM tenants WHERE slug = $1`, slug)
	if IsNoRows(err) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "tenant not found")
	}
	if err != nil {
		return nil, fmt.Errorf("tenant by slug: %w", err)
	}
	return &t, nil
}

// ByID returns the tenant with the id, or ENOTFOUND.
func (s *Store) ByID(ctx context.Context, id uuid.UUID) (*Tenant, error) {
	var t Tenant
	err := s.db.GetContext(ctx, &t, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, id)
	if IsNoRows(err) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "tenant not found")
	}
	if err != nil {
		return nil, fmt.Errorf("tenant by id: %w", err)
	}
	return &t, nil
}

// SetStatus moves a tenant to status; ENOTFOUND if it does not exist.
func (s *Store) SetStatus(ctx context.Context, id uuid.UUID, st Status) error {
	res, err := s.db.ExecContext(ctx, `UPDATE tenants SET status = $2, updated_at = now() WHERE id = $1`, id, st)
	if err != nil {
		return fmt.Errorf("set tenant status: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "tenant not found")
	}
	return nil
}

func isUnique(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}
