// Package deploy owns the deployments domain: where machines may run (node
// operators' linked twins and registered nodes, each tenant's node pool and
// its exposure), what node operators earn, and — from a paid order to a
// running VM — the lifecycle, backups and reconciliation.
package deploy

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TwinKeys reads a twin's account key from the chain (gridsim and the
// tfgrid adapter implement it).
type TwinKeys interface {
	TwinAccountKey(ctx context.Context, twinID uint32) ([32]byte, error)
}

// Service is the deployments domain.
type Service struct {
	db      *sqlx.DB
	authz   tenant.Authorizer
	grid    grid.Grid
	catalog *grid.Catalog
	keys    TwinKeys
	billing Payments
	enqueue Enqueuer
	log     *slog.Logger
	now     func() time.Time

	// wallets gives each tenant's wallet as a grid: deployments run on the
	// tenant's twin (tenantgrid.go).
	wallets TenantGrids
	// mailer tells customers of failovers; storefront links to their page.
	mailer     billing.Mailer
	storefront func(slug string) string
	// sealer seals QSFS secrets (secrets.go).
	sealer Sealer
}

// Payments is what deployments ask of billing: prices, checkout, the order
// a deployment was bought with, and the money back when it fails or ends
// (billing.Service implements it).
type Payments interface {
	Catalog(ctx context.Context) (*billing.Catalog, error)
	Quote(ctx context.Context, in billing.QuoteInput) (*billing.PriceQuote, error)
	PublicQuote(ctx context.Context, in billing.QuoteInput) (*billing.PriceQuote, error)
	Refund(ctx context.Context, order uuid.UUID, amount billing.Cents, reason string) error
	Checkout(ctx context.Context, in billing.CheckoutInput) (*billing.Order, error)
	Order(ctx context.Context, id uuid.UUID) (*billing.Order, error)
	SettleRefund(ctx context.Context, in billing.RefundTask) error
	EndRefunded(ctx context.Context, firstOrder uuid.UUID) error
	Cancel(ctx context.Context, subscription uuid.UUID) (billing.Cents, error)
	// SubscriptionOfOrder and FirstOrderOf link a subscription and the
	// order it started with (uuid.Nil: none).
	SubscriptionOfOrder(ctx context.Context, order uuid.UUID) (uuid.UUID, error)
	FirstOrderOf(ctx context.Context, subscription uuid.UUID) (uuid.UUID, error)
	// AppSettings and SaveAppSetting keep which apps the storefront sells
	// and at what margin.
	AppSettings(ctx context.Context) (map[string]billing.AppSetting, error)
	SaveAppSetting(ctx context.Context, in billing.AppSetting) (*billing.AppSetting, error)
	// ChangePlan reprices a subscription for a changed app (workers).
	ChangePlan(ctx context.Context, in billing.PlanChange) (*billing.PlanChanged, error)
}

// Options are the deployments domain's collaborators beyond its store and
// grid, given at construction. One left nil fails what needs it with an
// internal error (commands and tests that need only part of the domain).
type Options struct {
	Payments Payments // checkout and refunds (billing)
	Enqueuer Enqueuer // queues provisioning (jobs)
	// Wallets gives each tenant's wallet as a grid: deployments, cancels,
	// health and reconcile run on the tenant's own twin (the treasury).
	Wallets TenantGrids
	// Sealer seals deployments' QSFS secrets (the master keyring).
	Sealer Sealer
	// Mailer tells customers of failovers and re-provisioning;
	// StorefrontURL links to their storefront.
	Mailer        billing.Mailer
	StorefrontURL func(slug string) string
}

// NewService wires the deployments domain. Node reads for pages go through
// catalog (a cache), never to the grid per view.
func NewService(db *sqlx.DB, authz tenant.Authorizer, g grid.Grid, catalog *grid.Catalog, keys TwinKeys, log *slog.Logger, opts Options) *Service {
	return &Service{db: db, authz: authz, grid: g, catalog: catalog, keys: keys, log: log, now: time.Now,
		billing: opts.Payments, enqueue: opts.Enqueuer, wallets: opts.Wallets, sealer: opts.Sealer, mailer: opts.Mailer, storefront: opts.StorefrontURL}
}

// SetClock replaces the platform clock the service reads (tests; nil
// restores the wall clock).
func (s *Service) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	s.now = now
}

func pqArray(v []string) any { return pq.Array(v) }
