package tenant

import (
	"context"
	"regexp"
	"strings"
	"unicode"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/fiatdashboard/fiatdashboard"
)

// Authorizer decides whether the actor in ctx may act on an object
// (rbac.Authorizer implements it). It returns ENOTFOUND for what the actor
// may not see, EFORBIDDEN when a second factor is missing.
type Authorizer interface {
	Require(ctx context.Context, obj, act string) error
}

// OwnerInviter gives the owner role of a tenant to the e-mail's account,
// creating it and mailing a set-password link when needed (rbac.Service
// implements it). origin is the tenant's storefront address for the link.
type OwnerInviter interface {
	InviteOwner(ctx context.Context, tenantID uuid.UUID, email, origin string) error
	// ApplicationRejected tells an applicant their application was
	// declined, and why.
	ApplicationRejected(ctx context.Context, email, name, reason string) error
}

// Service manages tenants: creation, applications, status, settings,
// custom domains (a co-op's members and invitations are billing/coop's).
type Service struct {
	db       *sqlx.DB
	store    *Store
	authz    Authorizer
	invite   OwnerInviter
	changes  *Changes
	dns      DNSResolver
	resolver *Resolver
	readers  Readers // the tenant list's columns other domains own
}

// NewService wires the tenant service.
func NewService(db *sqlx.DB, authz Authorizer, invite OwnerInviter, changes *Changes, dns DNSResolver, resolver *Resolver, readers Readers) *Service {
	return &Service{db: db, store: NewStore(db), authz: authz, invite: invite, changes: changes, dns: dns, resolver: resolver, readers: readers}
}

// storefrontOrigin is the address of a tenant's storefront, from the scheme
// and port the caller used.
func (s *Service) storefrontOrigin(scheme, port, slug string) string {
	host := slug + "." + s.resolver.BaseDomain()
	if port != "" && port != "80" && port != "443" {
		host += ":" + port
	}
	return scheme + "://" + host
}

// Origin says where the caller is, for links in mail.
type Origin struct{ Scheme, Port string }

// CreateTenant makes an active tenant and invites its owner (console/tenants
// write). EINVALID names the field; ECONFLICT when the slug is taken.
func (s *Service) CreateTenant(ctx context.Context, n NewTenant, ownerEmail string, o Origin) (*Tenant, error) {
	if err := s.authz.Require(ctx, "console/tenants", "write"); err != nil {
		return nil, err
	}
	ownerEmail = strings.TrimSpace(ownerEmail)
	if ownerEmail == "" || !strings.Contains(ownerEmail, "@") {
		return nil, fiatdashboard.Invalid("owner_email", "enter the owner's e-mail address")
	}
	n.Status = StatusActive
	t, err := s.store.Create(ctx, n)
	if err != nil {
		return nil, err
	}
	s.changes.TenantChanged(ctx, t.Slug) // forget a cached "no such host"
	if err := s.audit(ctx, t.ID, "tenant.created", t.Slug, map[string]any{"kind": t.Kind}); err != nil {
		return nil, err
	}
	if err := s.invite.InviteOwner(ctx, t.ID, ownerEmail, s.storefrontOrigin(o.Scheme, o.Port, t.Slug)); err != nil {
		return nil, err
	}
	return t, nil
}

// ConsoleTenant is a row of the console's tenant list.
type ConsoleTenant struct {
	Tenant
	Domains int `db:"domains" json:"domains"`
	// Deployments counts the live ones (provisioning, running, suspended).
	Deployments int `db:"-" json:"deployments"`
	// RevenueMonth is the gross of this calendar month, NetMonth its net
	// and PlatformFeesMonth the platform's fees, as billing.Revenue defines
	// them, in cents of the tenant's base currency.
	RevenueMonth      int64 `db:"-" json:"revenue_month_cents"`
	NetMonth          int64 `db:"-" json:"net_month_cents"`
	PlatformFeesMonth int64 `db:"-" json:"platform_fees_month_cents"`
	// StripeHealth is the tenant's Connect account as Stripe last reported
	// it: healthy, payouts pending, onboarding or not connected; a co-op
	// is charged on the platform's account ("platform account").
	// WalletHealth is the treasury's word for the tenant's grid wallet (not
	// set up, healthy, low runway, failing) and WalletNote says why.
	StripeHealth string `db:"-" json:"stripe_health"`
	WalletHealth string `db:"-" json:"wallet_health"`
	WalletNote   string `db:"-" json:"wallet_note,omitempty"`
}

// Tenants lists tenants by slug after the cursor, optionally by status
// (console/tenants read).
func (s *Service) Tenants(ctx context.Context, status, after string, limit int) ([]ConsoleTenant, error) {
	if err := s.authz.Require(ctx, "console/tenants", "read"); err != nil {
		return nil, err
	}
	switch Status(status) {
	case "", StatusPending, StatusActive, StatusSuspended:
	default:
		return nil, fiatdashboard.Invalid("status", "status must be pending, active or suspended")
	}
	var out []ConsoleTenant
	err := SystemTx(ctx, s.db, "console: tenants", func(tx *Tx) error {
		return tx.SelectContext(ctx, &out, `
			SELECT `+prefixed("t.", tenantColumns)+`,
			       (SELECT count(*) FROM tenant_domains d WHERE d.tenant_id = t.id) AS domains
			FROM tenants t
			WHERE ($1 = '' OR t.status = $1) AND t.slug > $2 ORDER BY t.slug LIMIT $3`, status, after, limit)
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].WalletHealth = "not set up"
	}
	if err := s.fillStripeAndDeployments(ctx, out); err != nil {
		return nil, err
	}
	if err := s.fillRevenue(ctx, out); err != nil {
		return nil, err
	}
	return out, s.fillWalletHealth(ctx, out)
}

// SetStatus activates (approves or reactivates) or suspends a tenant
// (console/tenants write). Suspending needs a reason; the storefront then
// shows a maintenance page and takes no orders, and running VMs go on.
func (s *Service) SetStatus(ctx context.Context, id uuid.UUID, to Status, reason string) (*Tenant, error) {
	if err := s.authz.Require(ctx, "console/tenants", "write"); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if to == StatusSuspended && reason == "" {
		return nil, fiatdashboard.Invalid("reason", "say why the tenant is suspended")
	}
	if to != StatusSuspended && to != StatusActive {
		return nil, fiatdashboard.Invalid("status", "status must be active or suspended")
	}
	var t Tenant
	err := SystemTx(ctx, s.db, "console: tenant status", func(tx *Tx) error {
		err := tx.GetContext(ctx, &t, `UPDATE tenants SET status = $2, suspended_reason = $3, updated_at = now() WHERE id = $1 RETURNING `+tenantColumns, id, to, reason)
		if IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "tenant not found")
		}
		if err != nil {
			return err
		}
		return Audit(ctx, tx, id, "tenant."+string(to), t.Slug, map[string]any{"reason": reason})
	})
	if err != nil {
		return nil, err
	}
	s.changes.TenantChanged(ctx, t.Slug)
	return &t, nil
}

// Settings are what a tenant admin edits about the tenant itself.
type Settings struct {
	Name         string `json:"name"`
	Pitch        string `json:"pitch"`
	BaseCurrency string `json:"base_currency"`
	SupportEmail string `json:"support_email"`
	LegalName    string `json:"legal_name"`
	// LegalAddress (up to 6 lines) and TaxID (a VAT or tax number) are
	// printed on invoices.
	LegalAddress string `json:"legal_address"`
	TaxID        string `json:"tax_id"`
	// OnCancel: "credit" or "refund" (see Tenant.OnCancel); empty keeps
	// the current choice.
	OnCancel string `json:"on_cancel"`
}

// Current returns the tenant of ctx (admin/settings read).
func (s *Service) Current(ctx context.Context) (*Tenant, error) {
	if err := s.authz.Require(ctx, "admin/settings", "read"); err != nil {
		return nil, err
	}
	id, _ := IDFromContext(ctx)
	return s.store.ByID(ctx, id)
}

// currencies a storefront can charge in (Stripe's minor units are cents for all).
var currencies = map[string]bool{"usd": true, "eur": true, "gbp": true, "chf": true, "cad": true, "aud": true}

// UpdateSettings saves the tenant's settings (admin/settings write).
func (s *Service) UpdateSettings(ctx context.Context, in Settings) (*Tenant, error) {
	if err := s.authz.Require(ctx, "admin/settings", "write"); err != nil {
		return nil, err
	}
	in.Name, in.Pitch = strings.TrimSpace(in.Name), strings.TrimSpace(in.Pitch)
	in.BaseCurrency = strings.ToLower(strings.TrimSpace(in.BaseCurrency))
	in.LegalName, in.TaxID = strings.TrimSpace(in.LegalName), strings.TrimSpace(in.TaxID)
	in.LegalAddress = normalizeAddress(in.LegalAddress)
	switch {
	case in.Name == "" || len(in.Name) > 100:
		return nil, fiatdashboard.Invalid("name", "name must be 1-100 characters")
	case len(in.Pitch) > 200:
		return nil, fiatdashboard.Invalid("pitch", "the pitch must be at most 200 characters")
	case !currencies[in.BaseCurrency]:
		return nil, fiatdashboard.Invalid("base_currency", "currency must be one of usd, eur, gbp, chf, cad, aud")
	case in.SupportEmail != "" && !strings.Contains(in.SupportEmail, "@"):
		return nil, fiatdashboard.Invalid("support_email", "enter a valid e-mail address or leave it empty")
	case len(in.LegalName) > 200:
		return nil, fiatdashboard.Invalid("legal_name", "the legal name must be at most 200 characters")
	case len(in.LegalAddress) > 500 || strings.Count(in.LegalAddress, "\n") > 5:
		return nil, fiatdashboard.Invalid("legal_address", "the address must be at most 6 lines and 500 characters")
	case hasControl(in.LegalName, false):
		return nil, fiatdashboard.Invalid("legal_name", "the legal name is one line without control characters")
	case hasControl(in.LegalAddress, true):
		return nil, fiatdashboard.Invalid("legal_address", "the address may not contain control characters")
	case in.TaxID != "" && !taxIDPattern.MatchString(in.TaxID):
		return nil, fiatdashboard.Invalid("tax_id", "a tax id is 2-32 letters, digits, spaces, dots, dashes or slashes, e.g. NL123456789B01")
	case in.TaxID != "" && in.LegalName == "":
		return nil, fiatdashboard.Invalid("legal_name", "an invoice with a tax id names the company it belongs to: enter the legal name too")
	case in.OnCancel != "" && in.OnCancel != "credit" && in.OnCancel != "refund":
		return nil, fiatdashboard.Invalid("on_cancel", "on cancellation, give a prorated refund to the card (refund) or account credit (credit)")
	}
	id, _ := IDFromContext(ctx)
	var t Tenant
	err := InTx(ctx, s.db, func(tx *Tx) error {
		if err := tx.GetContext(ctx, &t, `UPDATE tenants SET name = $2, pitch = $3, base_currency = $4, support_email = $5, legal_name = $6,
			on_cancel = coalesce(nullif($7, ''), on_cancel), legal_address = $8, tax_id = $9, updated_at = now()
			WHERE id = $1 RETURNING `+tenantColumns, id, in.Name, in.Pitch, in.BaseCurrency, in.SupportEmail, in.LegalName, in.OnCancel, in.LegalAddress, in.TaxID); err != nil {
			return err
		}
		return Audit(ctx, tx, id, "tenant.settings_changed", t.Slug, map[string]any{"name": in.Name, "base_currency": in.BaseCurrency, "on_cancel": t.OnCancel})
	})
	if err != nil {
		return nil, err
	}
	s.changes.TenantChanged(ctx, t.Slug)
	return &t, nil
}

// taxIDPattern is what VAT numbers, EINs and company numbers look like.
var taxIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ./-]{1,31}$`)

// normalizeAddress trims each line of an address and drops empty ones.
func normalizeAddress(s string) string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// hasControl reports a control character (a newline counts only when
// newlines are not allowed).
func hasControl(s string, newlines bool) bool {
	for _, r := range s {
		if unicode.IsControl(r) && !(newlines && r == '\n') {
			return true
		}
	}
	return false
}

// SetTheme stores validated theme tokens (JSON) for the tenant of ctx; the
// themes package validates and calls it.
func (s *Service) SetTheme(ctx context.Context, theme []byte) error {
	id, _ := IDFromContext(ctx)
	var slug string
	err := InTx(ctx, s.db, func(tx *Tx) error {
		if err := tx.GetContext(ctx, &slug, `UPDATE tenants SET theme = $2::jsonb, updated_at = now() WHERE id = $1 RETURNING slug`, id, string(theme)); err != nil {
			return err
		}
		return Audit(ctx, tx, id, "tenant.branding_changed", slug, nil)
	})
	if err != nil {
		return err
	}
	s.changes.TenantChanged(ctx, slug)
	return nil
}

// PlatformFee is the platform's cut of each payment.
type PlatformFee struct {
	BPS        int `db:"platform_fee_bps" json:"platform_fee_bps"`                 // basis points: 200 = 2 %
	FixedCents int `db:"platform_fee_fixed_cents" json:"platform_fee_fixed_cents"` // per payment
}

// PlatformFee returns the platform fee (console/settings read).
func (s *Service) PlatformFee(ctx context.Context) (PlatformFee, error) {
	if err := s.authz.Require(ctx, "console/settings", "read"); err != nil {
		return PlatformFee{}, err
	}
	var f PlatformFee
	err := s.db.GetContext(ctx, &f, `SELECT platform_fee_bps, platform_fee_fixed_cents FROM platform_settings`)
	return f, err
}

// SetPlatformFee changes the platform fee from the next charge on
// (console/settings write).
func (s *Service) SetPlatformFee(ctx context.Context, f PlatformFee) error {
	if err := s.authz.Require(ctx, "console/settings", "write"); err != nil {
		return err
	}
	if f.BPS < 0 || f.BPS > 5000 {
		return fiatdashboard.Invalid("platform_fee_bps", "the percentage fee must be 0-5000 basis points (0-50 %%)")
	}
	if f.FixedCents < 0 || f.FixedCents > 100000 {
		return fiatdashboard.Invalid("platform_fee_fixed_cents", "the fixed fee must be 0-100000 cents")
	}
	return SystemTx(ctx, s.db, "console: platform fee", func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE platform_settings SET platform_fee_bps = $1, platform_fee_fixed_cents = $2, updated_at = now()`, f.BPS, f.FixedCents); err != nil {
			return err
		}
		return Audit(ctx, tx, uuid.Nil, "platform.fee_changed", "", map[string]any{"bps": f.BPS, "fixed_cents": f.FixedCents})
	})
}

func (s *Service) audit(ctx context.Context, tenantID uuid.UUID, action, target string, detail map[string]any) error {
	return SystemTx(ctx, s.db, "audit", func(tx *Tx) error {
		return Audit(ctx, tx, tenantID, action, target, detail)
	})
}
