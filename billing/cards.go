package billing

import (
	"context"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Card is a saved payment method.
type Card struct {
	ID        string    `db:"id" json:"id"`
	Brand     string    `db:"brand" json:"brand"`
	Last4     string    `db:"last4" json:"last4"`
	ExpMonth  int       `db:"exp_month" json:"exp_month"`
	ExpYear   int       `db:"exp_year" json:"exp_year"`
	IsDefault bool      `db:"is_default" json:"is_default"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// MockPaymentMethods are Stripe's test payment methods the card form offers
// in mock mode, where the browser cannot load Stripe.js.
var MockPaymentMethods = map[string]string{
	"pm_card_visa":                   "Visa 4242 — succeeds",
	"pm_card_chargeDeclined":         "Visa 0002 — declined",
	"pm_card_authenticationRequired": "Visa 3184 — asks for 3-D Secure",
}

// SetupIntent is what the browser needs to save a card.
type SetupIntent struct {
	ID           string `json:"id"`
	ClientSecret string `json:"client_secret"`
	Account      string `json:"stripe_account"` // for Stripe.js on a connected account
	Mode         string `json:"mode"`
}

// NewSetupIntent starts saving a card for later, off-session charges
// (store/cards write).
func (s *Service) NewSetupIntent(ctx context.Context) (*SetupIntent, error) {
	if err := s.authz.Require(ctx, "store/cards", "write"); err != nil {
		return nil, err
	}
	acct, err := s.chargeable(ctx)
	if err != nil {
		return nil, err
	}
	cus, err := s.customerFor(ctx, acct)
	if err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	params := &stripe.SetupIntentParams{
		Customer:           stripe.String(cus),
		Usage:              stripe.String(string(stripe.SetupIntentUsageOffSession)),
		PaymentMethodTypes: stripe.StringSlice([]string{"card"}),
		Metadata:           map[string]string{"account_id": actor.ID.String(), "tenant_id": tidOf(ctx).String()},
	}
	onAccount(params, acct)
	si, err := s.sc.SetupIntents.New(params)
	if err != nil {
		return nil, stripeError("setup intent", err)
	}
	return &SetupIntent{ID: si.ID, ClientSecret: si.ClientSecret, Account: acct, Mode: s.Mode()}, nil
}

// MockConfirmSetup confirms a SetupIntent with one of Stripe's test payment
// methods, as Stripe.js would in the browser; mock mode only.
func (s *Service) MockConfirmSetup(ctx context.Context, setupIntent, paymentMethod string) error {
	if err := s.authz.Require(ctx, "store/cards", "write"); err != nil {
		return err
	}
	if !s.cfg.Mock {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	if _, ok := MockPaymentMethods[paymentMethod]; !ok {
		return fiatdashboard.Invalid("payment_method", "pick one of the test cards")
	}
	acct, err := s.chargeable(ctx)
	if err != nil {
		return err
	}
	cus, err := s.customerFor(ctx, acct)
	if err != nil {
		return err
	}
	params := &stripe.SetupIntentConfirmParams{PaymentMethod: stripe.String(paymentMethod)}
	onAccount(params, acct)
	if _, err := s.sc.SetupIntents.Confirm(setupIntent, params); err != nil {
		return stripeError("setup intent", err)
	}
	tid, _ := tenant.IDFromContext(ctx)
	s.emitter.SetupSucceeded(tid, acct, setupIntent, cus, paymentMethod)
	return nil
}

// Cards lists the customer's saved cards, the default first (store/cards read).
func (s *Service) Cards(ctx context.Context) ([]Card, error) {
	if err := s.authz.Require(ctx, "store/cards", "read"); err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	var out []Card
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT id, brand, last4, exp_month, exp_year, is_default, created_at FROM payment_methods
			WHERE account_id = $1 ORDER BY is_default DESC, created_at LIMIT 50`, actor.ID)
	})
	return out, err
}

// SetDefaultCard makes the card the one renewals charge; ENOTFOUND for a
// card that is not the customer's.
func (s *Service) SetDefaultCard(ctx context.Context, id string) error {
	if err := s.authz.Require(ctx, "store/cards", "write"); err != nil {
		return err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM payment_methods WHERE id = $1 AND account_id = $2`, id, actor.ID); err != nil {
			return err
		}
		if n == 0 {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "card not found")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payment_methods SET is_default = false WHERE account_id = $1 AND is_default`, actor.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE payment_methods SET is_default = true WHERE id = $1 AND account_id = $2`, id, actor.ID)
		return err
	})
}

// RemoveCard detaches the card at Stripe and forgets it; the oldest other
// card becomes the default.
func (s *Service) RemoveCard(ctx context.Context, id string) error {
	if err := s.authz.Require(ctx, "store/cards", "write"); err != nil {
		return err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	var acct string
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		// (tenant_stripe holds one row: the tenant's; RLS scopes both tables. A
		// co-op's cards live on the platform: account "".)
		err := tx.GetContext(ctx, &acct, `SELECT CASE WHEN t.kind = 'coop' THEN '' ELSE coalesce(s.account_id, '') END
			FROM payment_methods p JOIN tenants t ON t.id = p.tenant_id LEFT JOIN tenant_stripe s ON true WHERE p.id = $1 AND p.account_id = $2`, id, actor.ID)
		if tenant.IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "card not found")
		}
		return err
	})
	if err != nil {
		return err
	}
	params := &stripe.PaymentMethodDetachParams{}
	onAccount(params, acct)
	if _, err := s.sc.PaymentMethods.Detach(id, params); err != nil {
		return stripeError("detach card", err)
	}
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM payment_methods WHERE id = $1 AND account_id = $2`, id, actor.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE payment_methods SET is_default = true WHERE id = (
			SELECT id FROM payment_methods WHERE account_id = $1 ORDER BY created_at LIMIT 1)
			AND NOT EXISTS (SELECT 1 FROM payment_methods WHERE account_id = $1 AND is_default)`, actor.ID)
		return err
	})
}
