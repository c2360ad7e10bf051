// Package billing owns money: Stripe Connect per tenant, saved cards,
// prices and discounts, checkout, signed webhooks, refunds and the
// double-entry ledger. Amounts are integer minor units of the tenant's
// currency (Cents), never floats.
package billing

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Cents is an amount in the minor unit of a currency.
type Cents int64

// String formats c as a decimal amount, e.g. 1240 → "12.40".
func (c Cents) String() string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// Config is the Stripe set-up.
type Config struct {
	SecretKey     string // sk_…; in mock mode any sk_test_ key
	WebhookSecret string // whsec_… of the account endpoint (/webhooks/stripe)
	// ConnectWebhookSecret is the Connect endpoint's (/webhooks/stripe/connect).
	ConnectWebhookSecret string
	APIURL               string // stripe-mock's URL in mock mode; empty for api.stripe.com
	Mock                 bool   // stripe-mock: the development emitter sends the events
	// RetryDays are the days after a failed renewal's due date on which it is
	// tried again (default 1, 3, 5); GraceDays how long a suspended
	// subscription waits before termination (default 14, the grid's own grace
	// for unpaid contracts).
	RetryDays []int
	GraceDays int
	// StorefrontURL gives a tenant's storefront address for links in mail.
	StorefrontURL func(slug string) string
	// Mailer sends dunning and dispute mail; nil sends none.
	Mailer Mailer
	// PlatformCountry is the platform Stripe account's country (ISO 3166-1
	// alpha-2; default US): co-op members elsewhere need cross-border payouts.
	PlatformCountry string
	// Coops is the co-op domain (billing/coop): co-ops' splits, transfers
	// and reversals; nil: co-op storefronts cannot take payments.
	Coops Coops
}

// Mailer sends mail for a tenant (rbac's outbox or SMTP sender).
type Mailer interface {
	Send(ctx context.Context, tenantID uuid.UUID, m rbac.Mail) error
}

// Enqueuer starts background work (jobs implements it).
type Enqueuer interface {
	// EnqueueStripeEvent processes a stored webhook event once (task id = event id).
	EnqueueStripeEvent(ctx context.Context, eventID string) error
	// Kick hands work owed in the outbox (tenant.Owe) to the queue now:
	// the service events of serviceevents.go.
	Kick(ctx context.Context, key string) error
}

// Service is billing.
type Service struct {
	db      *sqlx.DB
	sc      *client.API
	cfg     Config
	authz   tenant.Authorizer
	grid    grid.Grid
	enqueue Enqueuer
	emitter *Emitter
	mailer  Mailer
	coops   Coops
	log     *slog.Logger
	now     func() time.Time
}

// NewStripeClient is the Stripe client of cfg (the platform's account, or
// stripe-mock), as billing's own.
func NewStripeClient(cfg Config) *client.API {
	bc := &stripe.BackendConfig{HTTPClient: &http.Client{Timeout: 30 * time.Second}, MaxNetworkRetries: stripe.Int64(2),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelError}}
	if cfg.APIURL != "" {
		bc.URL = stripe.String(cfg.APIURL)
	}
	return client.New(cfg.SecretKey, stripe.NewBackendsWithConfig(bc))
}

// NewService wires billing. In mock mode emitter posts the events Stripe would send.
func NewService(db *sqlx.DB, cfg Config, authz tenant.Authorizer, g grid.Grid, enqueue Enqueuer, emitter *Emitter, log *slog.Logger) *Service {
	sc := NewStripeClient(cfg)
	if len(cfg.RetryDays) == 0 {
		cfg.RetryDays = []int{1, 3, 5}
	}
	if cfg.GraceDays == 0 {
		cfg.GraceDays = 14
	}
	if cfg.StorefrontURL == nil {
		cfg.StorefrontURL = func(slug string) string { return "https://" + slug }
	}
	coops := cfg.Coops
	if coops == nil {
		coops = noCoops{db}
	}
	return &Service{db: db, sc: sc, cfg: cfg, authz: authz, grid: g, enqueue: enqueue, emitter: emitter, mailer: cfg.Mailer, coops: coops, log: log, now: time.Now}
}

// SetClock replaces the clock (tests of renewals).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// liveKey reports whether the configured key is a live-mode key: events
// whose livemode differs are the other mode's and change nothing here.
func (s *Service) liveKey() bool {
	return strings.HasPrefix(s.cfg.SecretKey, "sk_live_") || strings.HasPrefix(s.cfg.SecretKey, "rk_live_")
}

// Mode is "mock" or "live".
func (s *Service) Mode() string {
	if s.cfg.Mock {
		return "mock"
	}
	return "live"
}
