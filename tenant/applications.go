package tenant

import (
	"context"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
)

// Application is a would-be operator's or co-op's request for a storefront.
type Application struct {
	ID            uuid.UUID  `db:"id" json:"id"`
	Kind          Kind       `db:"kind" json:"kind"`
	Slug          string     `db:"slug" json:"slug"`
	Name          string     `db:"name" json:"name"`
	ContactEmail  string     `db:"contact_email" json:"contact_email"`
	Message       string     `db:"message" json:"message"`
	Status        string     `db:"status" json:"status"`
	Reason        string     `db:"reason" json:"reason"`
	CreatedTenant *uuid.UUID `db:"created_tenant" json:"tenant_id,omitempty"`
	DecidedAt     *time.Time `db:"decided_at" json:"decided_at"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
}

const applicationColumns = `id, kind, slug, name, contact_email, message, status, reason, created_tenant, decided_at, created_at`

// NewApplication is what a visitor sends from "Become an operator" or
// "Register a co-op".
type NewApplication struct {
	Kind         Kind   `json:"kind"`
	Slug         string `json:"slug"`
	Name         string `json:"name"`
	ContactEmail string `json:"contact_email"`
	Message      string `json:"message"`
}

// Apply files an application; anyone may. EINVALID names the field;
// ECONFLICT when a tenant holds the slug (a pending application reserves
// nothing).
func (s *Service) Apply(ctx context.Context, a NewApplication) (*Application, error) {
	a.Slug = strings.ToLower(strings.TrimSpace(a.Slug))
	a.Name, a.Message = strings.TrimSpace(a.Name), strings.TrimSpace(a.Message)
	a.ContactEmail = strings.ToLower(strings.TrimSpace(a.ContactEmail))
	if a.Kind != KindOperator && a.Kind != KindCoop {
		return nil, fiatdashboard.Invalid("kind", "kind must be operator or coop")
	}
	if err := ValidateSlug(a.Slug); err != nil {
		return nil, err
	}
	if a.Name == "" || len(a.Name) > 100 {
		return nil, fiatdashboard.Invalid("name", "name must be 1-100 characters")
	}
	if addr, err := mail.ParseAddress(a.ContactEmail); err != nil || addr.Address != a.ContactEmail {
		return nil, fiatdashboard.Invalid("contact_email", "enter a valid e-mail address")
	}
	if len(a.Message) > 4000 {
		return nil, fiatdashboard.Invalid("message", "the message must be at most 4000 characters")
	}
	var out Application
	// Applications and the tenants registry carry no tenant; the audit row
	// is the platform's: the platform realm's scope is enough.
	err := PlatformTx(ctx, s.db, func(tx *Tx) error {
		var taken bool
		// Only an approved application (a tenant) holds a slug: a pending
		// one reserves nothing, so nobody can squat addresses by applying.
		if err := tx.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM tenants WHERE slug = $1)`, a.Slug); err != nil {
			return err
		}
		if taken {
			return &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "slug", Message: "this address is taken; choose another"}
		}
		if err := tx.GetContext(ctx, &out, `INSERT INTO tenant_applications (kind, slug, name, contact_email, message)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+applicationColumns, a.Kind, a.Slug, a.Name, a.ContactEmail, a.Message); err != nil {
			return err
		}
		return Audit(WithActor(ctx, Actor{Kind: ActorUser, Name: a.ContactEmail}), tx, uuid.Nil, "application.filed", a.Slug, map[string]any{"kind": a.Kind})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Applications lists one page of applications created before before,
// newest first, optionally by status (console/tenants read).
func (s *Service) Applications(ctx context.Context, status string, before time.Time, limit int) ([]Application, error) {
	if err := s.authz.Require(ctx, "console/tenants", "read"); err != nil {
		return nil, err
	}
	var out []Application
	err := SystemTx(ctx, s.db, "console: applications", func(tx *Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+applicationColumns+` FROM tenant_applications
			WHERE ($1 = '' OR status = $1) AND created_at < $2 ORDER BY created_at DESC LIMIT $3`, status, before, limit)
	})
	return out, err
}

// DecideApplication approves (creating the tenant, active, and inviting the
// applicant as its owner) or rejects with a reason (console/tenants write).
func (s *Service) DecideApplication(ctx context.Context, id uuid.UUID, approve bool, reason string, o Origin) (*Application, error) {
	if err := s.authz.Require(ctx, "console/tenants", "write"); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return nil, fiatdashboard.Invalid("reason", "say why, for the applicant")
	}
	var a Application
	var created *Tenant
	err := SystemTx(ctx, s.db, "console: decide application", func(tx *Tx) error {
		err := tx.GetContext(ctx, &a, `SELECT `+applicationColumns+` FROM tenant_applications WHERE id = $1 FOR UPDATE`, id)
		if IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "application not found")
		}
		if err != nil {
			return err
		}
		if a.Status != "pending" {
			return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "this application was already %s", a.Status)
		}
		status := "rejected"
		var tid *uuid.UUID
		if approve {
			status = "approved"
			var t Tenant
			if _, err := tx.ExecContext(ctx, `SAVEPOINT app_tenant`); err != nil {
				return err
			}
			err := tx.GetContext(ctx, &t, `INSERT INTO tenants (slug, name, kind, status) VALUES ($1, $2, $3, 'active') RETURNING `+tenantColumns, a.Slug, a.Name, a.Kind)
			if isUnique(err) {
				return &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "slug", Message: "a tenant with this slug exists now; reject the application with a note"}
			}
			if err != nil {
				return err
			}
			created, tid = &t, &t.ID
		}
		if err := tx.GetContext(ctx, &a, `UPDATE tenant_applications SET status = $2, reason = $3, created_tenant = $4, decided_at = now()
			WHERE id = $1 RETURNING `+applicationColumns, id, status, reason, tid); err != nil {
			return err
		}
		var target uuid.UUID
		if tid != nil {
			target = *tid
		}
		return Audit(ctx, tx, target, "application."+status, a.Slug, map[string]any{"reason": reason})
	})
	if err != nil {
		return nil, err
	}
	if !approve {
		// The decision stands even if the mail fails; the console shows the reason.
		if err := s.invite.ApplicationRejected(ctx, a.ContactEmail, a.Name, reason); err != nil {
			return &a, err
		}
	}
	if created != nil {
		s.changes.TenantChanged(ctx, created.Slug) // forget a cached "no such host"
		if err := s.invite.InviteOwner(ctx, created.ID, a.ContactEmail, s.storefrontOrigin(o.Scheme, o.Port, created.Slug)); err != nil {
			return nil, err
		}
	}
	return &a, nil
}
