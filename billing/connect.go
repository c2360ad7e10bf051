package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"github.com/stripe/stripe-go/v76"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// ConnectStatus is a tenant's Stripe Connect state.
type ConnectStatus struct {
	AccountID        string    `db:"account_id" json:"account_id"`
	ChargesEnabled   bool      `db:"charges_enabled" json:"charges_enabled"`
	PayoutsEnabled   bool      `db:"payouts_enabled" json:"payouts_enabled"`
	DetailsSubmitted bool      `db:"details_submitted" json:"details_submitted"`
	Requirements     []string  `db:"-" json:"requirements"`
	RequirementsRaw  string    `db:"requirements" json:"-"`
	UpdatedAt        time.Time `db:"updated_at" json:"updated_at"`
	Connected        bool      `db:"-" json:"connected"`
	Mode             string    `db:"-" json:"mode"`
	// PlatformCharged: a co-op's customers are charged on the platform's
	// Stripe account and the revenue is transferred to its members, so the
	// co-op needs no connected account of its own to take payments.
	PlatformCharged bool `db:"-" json:"platform_charged"`
}

func loadConnect(ctx context.Context, tx *tenant.Tx) (*ConnectStatus, error) {
	var c ConnectStatus
	err := tx.GetContext(ctx, &c, `SELECT account_id, charges_enabled, payouts_enabled, details_submitted, requirements::text AS requirements, updated_at FROM tenant_stripe`)
	if tenant.IsNoRows(err) {
		return &ConnectStatus{Requirements: []string{}}, nil
	}
	if err != nil {
		return nil, err
	}
	c.Connected = true
	json.Unmarshal([]byte(c.RequirementsRaw), &c.Requirements)
	if c.Requirements == nil {
		c.Requirements = []string{}
	}
	return &c, nil
}

// Connect returns the tenant's Stripe Connect status (admin/billing read).
func (s *Service) Connect(ctx context.Context) (*ConnectStatus, error) {
	if err := s.authz.Require(ctx, "admin/billing", "read"); err != nil {
		return nil, err
	}
	var c *ConnectStatus
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		if c, err = loadConnect(ctx, tx); err != nil {
			return err
		}
		return tx.GetContext(ctx, &c.PlatformCharged, `SELECT kind = 'coop' FROM tenants WHERE id = current_setting('app.tenant_id')::uuid`)
	})
	if c != nil {
		c.Mode = s.Mode()
	}
	return c, err
}

// OnboardingLink creates the tenant's connected account when it has none and
// returns a fresh, single-use Account Link (admin/billing write). origin is
// the tenant's admin address for Stripe's return and refresh URLs.
func (s *Service) OnboardingLink(ctx context.Context, origin string) (string, error) {
	if err := s.authz.Require(ctx, "admin/billing", "write"); err != nil {
		return "", err
	}
	tid, _ := tenant.IDFromContext(ctx)
	var c *ConnectStatus
	var t struct {
		Name  string `db:"name"`
		Email string `db:"support_email"`
	}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		if c, err = loadConnect(ctx, tx); err != nil {
			return err
		}
		return tx.GetContext(ctx, &t, `SELECT name, support_email FROM tenants WHERE id = $1`, tid)
	})
	if err != nil {
		return "", err
	}
	if !c.Connected {
		params := &stripe.AccountParams{
			Type:            stripe.String(string(stripe.AccountTypeExpress)),
			BusinessProfile: &stripe.AccountBusinessProfileParams{Name: stripe.String(t.Name)},
			Capabilities: &stripe.AccountCapabilitiesParams{
				CardPayments: &stripe.AccountCapabilitiesCardPaymentsParams{Requested: stripe.Bool(true)},
				Transfers:    &stripe.AccountCapabilitiesTransfersParams{Requested: stripe.Bool(true)},
			},
			Metadata: map[string]string{"tenant_id": tid.String()},
		}
		if t.Email != "" {
			params.Email = stripe.String(t.Email)
		}
		// One connected account per tenant, whatever the retries.
		params.SetIdempotencyKey("connect-account-" + tid.String())
		acct, err := s.sc.Accounts.New(params)
		if err != nil {
			return "", stripeError("connect", err)
		}
		err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_stripe (tenant_id, account_id) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING`, tid, acct.ID); err != nil {
				return err
			}
			return tenant.Audit(ctx, tx, tid, "stripe.account_created", acct.ID, nil)
		})
		if err != nil {
			return "", err
		}
		c = &ConnectStatus{AccountID: acct.ID}
	}
	link, err := s.sc.AccountLinks.New(&stripe.AccountLinkParams{
		Account:    stripe.String(c.AccountID),
		RefreshURL: stripe.String(origin + "/admin/billing?connect=refresh"),
		ReturnURL:  stripe.String(origin + "/admin/billing?connect=return"),
		Type:       stripe.String("account_onboarding"),
	})
	if err != nil {
		return "", stripeError("connect", err)
	}
	if s.cfg.Mock {
		// No Stripe to onboard with: the emitter sends the account.updated
		// Stripe would send once the tenant finished, and the link goes
		// straight back to the billing page.
		s.emitter.AccountOnboarded(tid, c.AccountID)
		return origin + "/admin/billing?connect=return", nil
	}
	return link.URL, nil
}

// stripeError turns a Stripe error into ours: card problems are the
// customer's to fix (EINVALID on field card), the rest is unavailable.
func stripeError(what string, err error) error {
	se, ok := err.(*stripe.Error)
	if !ok {
		return fmt.Errorf("stripe %s: %w", what, err)
	}
	switch se.Type {
	case stripe.ErrorTypeCard:
		return fiatdashboard.Invalid("card", "%s", cardMessage(se.Msg))
	case stripe.ErrorTypeInvalidRequest:
		return fmt.Errorf("stripe %s: invalid request: %s", what, se.Msg)
	}
	return &fiatdashboard.Error{Code: fiatdashboard.EUNAVAILABLE, Message: "the payment provider is not reachable; try again in a minute", RetryAfter: time.Minute}
}

func cardMessage(m string) string {
	if m == "" {
		return "Your card was declined. Use another card or contact your bank."
	}
	return m
}

// customerFor returns the Stripe customer of the signed-in account on the
// tenant's connected account, creating it on first use.
func (s *Service) customerFor(ctx context.Context, acct string) (string, error) {
	actor, _ := tenant.ActorFromContext(ctx)
	tid, _ := tenant.IDFromContext(ctx)
	var id string
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &id, `SELECT customer_id FROM stripe_customers WHERE account_id = $1`, actor.ID)
	})
	if err == nil {
		return id, nil
	}
	if !tenant.IsNoRows(err) {
		return "", err
	}
	params := &stripe.CustomerParams{Email: stripe.String(actor.Name), Metadata: map[string]string{"account_id": actor.ID.String()}}
	onAccount(params, acct)
	params.SetIdempotencyKey("customer-" + tid.String() + "-" + actor.ID.String())
	c, err := s.sc.Customers.New(params)
	if err != nil {
		return "", stripeError("customer", err)
	}
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &id, `INSERT INTO stripe_customers (tenant_id, account_id, customer_id) VALUES ($1, $2, $3)
			ON CONFLICT (tenant_id, account_id) DO UPDATE SET customer_id = stripe_customers.customer_id RETURNING customer_id`, tid, actor.ID, c.ID)
	})
	return id, err
}

// chargeable returns the tenant's connected account if it can take charges,
// else EINVALID with the message the storefront shows.
func (s *Service) chargeable(ctx context.Context) (string, error) {
	// A co-op charges on the platform (separate charges and transfers).
	if coop, err := s.coops.Chargeable(ctx); coop || err != nil {
		return "", err
	}
	var c *ConnectStatus
	var status tenant.Status
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		if c, err = loadConnect(ctx, tx); err != nil {
			return err
		}
		return tx.GetContext(ctx, &status, `SELECT status FROM tenants WHERE id = current_setting('app.tenant_id')::uuid`)
	})
	if err != nil {
		return "", err
	}
	if status != tenant.StatusActive {
		return "", fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "this store is not taking new orders at the moment")
	}
	if !c.Connected || !c.ChargesEnabled {
		return "", fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "this store cannot take card payments yet; please come back soon")
	}
	return c.AccountID, nil
}

// StripeHealth reports tenants' Connect accounts as Stripe last reported
// them: "healthy", "payouts pending" or "onboarding"; a tenant without an
// account is missing from the map (tenant.StripeHealthReader, for the
// console's tenant list).
func (s *Service) StripeHealth(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	var rows []struct {
		TenantID uuid.UUID `db:"tenant_id"`
		Health   string    `db:"health"`
	}
	err := tenant.SystemTx(ctx, s.db, "console: tenants' Stripe health", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT tenant_id,
			       CASE WHEN charges_enabled AND payouts_enabled THEN 'healthy'
			            WHEN charges_enabled THEN 'payouts pending'
			            ELSE 'onboarding' END AS health
			FROM tenant_stripe WHERE tenant_id = ANY($1)`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]string, len(rows))
	for _, r := range rows {
		out[r.TenantID] = r.Health
	}
	return out, nil
}
