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
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/fiatdashboard/fiatdashboard/grid"
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
	WebhookSecret string // whsec_…
	APIURL        string // stripe-mock's URL in mock mode; empty for api.stripe.com
	Mock          bool   // stripe-mock: the development emitter sends the events
}

// Enqueuer starts background work (jobs implements it).
type Enqueuer interface {
	// EnqueueStripeEvent processes a stored webhook event once (task id = event id).
	EnqueueStripeEvent(ctx context.Context, eventID string) error
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
	log     *slog.Logger
	now     func() time.Time
}

// NewService wires billing. In mock mode emitter posts the events Stripe would send.
func NewService(db *sqlx.DB, cfg Config, authz tenant.Authorizer, g grid.Grid, enqueue Enqueuer, emitter *Emitter, log *slog.Logger) *Service {
	bc := &stripe.BackendConfig{HTTPClient: &http.Client{Timeout: 30 * time.Second}, MaxNetworkRetries: stripe.Int64(2),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelError}}
	if cfg.APIURL != "" {
		bc.URL = stripe.String(cfg.APIURL)
	}
	sc := client.New(cfg.SecretKey, stripe.NewBackendsWithConfig(bc))
	return &Service{db: db, sc: sc, cfg: cfg, authz: authz, grid: g, enqueue: enqueue, emitter: emitter, log: log, now: time.Now}
}

// Mode is "mock" or "live".
func (s *Service) Mode() string {
	if s.cfg.Mock {
		return "mock"
	}
	return "live"
}
