// Package tenant owns tenants, their settings and domains, the tenant and
// actor carried in a request's context, and the tenant-scoped transaction
// (InTx) that is the only way a store reaches tenant data.
package tenant

import (
	"encoding/json"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
)

// Kind says whether a tenant is one dashboard operator or a co-op of several.
type Kind string

const (
	KindOperator Kind = "operator"
	KindCoop     Kind = "coop"
)

// Status is a tenant's place in its lifecycle. Only active tenants take orders.
type Status string

const (
	StatusPending   Status = "pending"
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
)

// Tenant is a dashboard operator or co-op with its own storefront.
type Tenant struct {
	ID        uuid.UUID       `db:"id" json:"id"`
	Slug      string          `db:"slug" json:"slug"`
	Name      string          `db:"name" json:"name"`
	Kind      Kind            `db:"kind" json:"kind"`
	Status    Status          `db:"status" json:"status"`
	Pitch     string          `db:"pitch" json:"pitch"`
	Settings  json.RawMessage `db:"settings" json:"settings"`
	Theme     json.RawMessage `db:"theme" json:"theme"`
	CreatedAt time.Time       `db:"created_at" json:"created_at"`
	UpdatedAt time.Time       `db:"updated_at" json:"updated_at"`

	BaseCurrency string `db:"base_currency" json:"base_currency"`
	SupportEmail string `db:"support_email" json:"support_email"`
	LegalName    string `db:"legal_name" json:"legal_name"`
	// LegalAddress and TaxID are printed on invoices beside LegalName.
	LegalAddress    string `db:"legal_address" json:"legal_address"`
	TaxID           string `db:"tax_id" json:"tax_id"`
	SuspendedReason string `db:"suspended_reason" json:"suspended_reason,omitempty"`
	// PlatformFeeBPS and PlatformFeeFixedCents override the platform fee for
	// this tenant when set (basis points: 100 = 1 %).
	PlatformFeeBPS        *int `db:"platform_fee_bps" json:"platform_fee_bps"`
	PlatformFeeFixedCents *int `db:"platform_fee_fixed_cents" json:"platform_fee_fixed_cents"`
	// OnCancel is what a customer who cancels gets back for the unused
	// part of the period: "credit" (account credit) or "refund" (a
	// prorated refund to the card).
	OnCancel string `db:"on_cancel" json:"on_cancel"`
}

// TakesOrders reports whether the storefront may accept new orders: only an
// active tenant does. A suspended tenant's running VMs keep running.
func (t *Tenant) TakesOrders() bool { return t.Status == StatusActive }

var slugPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// reservedSlugs would collide with hosts the platform itself answers on.
var reservedSlugs = map[string]bool{"console": true, "www": true, "api": true, "admin": true, "internal": true}

// ValidateSlug returns EINVALID naming the field "slug" unless s can be a DNS label
// under the base domain and is not reserved.
func ValidateSlug(s string) error {
	if !slugPattern.MatchString(s) {
		return fiatdashboard.Invalid("slug", "slug must be 1-63 lowercase letters, digits or hyphens, not starting or ending with a hyphen")
	}
	if reservedSlugs[s] {
		return fiatdashboard.Invalid("slug", "slug %q is reserved", s)
	}
	return nil
}
