package billing

import (
	"context"
	"fmt"
	"math"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v76"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// The real fee of a charge is on its balance transaction: "After a payment
// succeeds, the fees are available on the associated Charge's balance
// transaction" (stripe.com/docs/expand/use-cases, "See the Stripe fee for a
// given payment"). StripeFee's 2.9 % + 30 ¢ is only an estimate (quotes,
// the ledger until the fee is read): international cards, currency
// conversion and other pricing differ.

// chargeFee reads the Stripe fee of charge (on the connected account acct,
// "" for the platform's own) from its balance transaction, in the charge's
// currency. ok is false when the answer is not this charge's: stripe-mock
// answers every charge with one fixture (another charge, fee 0), so in mock
// mode the estimate stands. In live mode a missing balance transaction is an
// error, so the event is processed again later.
func (s *Service) chargeFee(ctx context.Context, acct, charge, currency string, amount Cents) (fee Cents, ok bool, err error) {
	params := &stripe.ChargeParams{}
	params.Context = ctx
	params.AddExpand("balance_transaction")
	onAccount(params, acct)
	ch, err := s.sc.Charges.Get(charge, params)
	if err != nil {
		return 0, false, stripeError("charge", err)
	}
	bt := ch.BalanceTransaction
	// stripe-mock's fixture names the charge asked for but keeps its own
	// amount (100) and fee (0): in mock mode only a balance transaction of
	// this charge's amount is this charge's.
	fixture := s.cfg.Mock && bt != nil && string(bt.Currency) == currency && Cents(bt.Amount) != amount
	if bt == nil || bt.Source == nil || bt.Source.ID != charge || fixture {
		if s.cfg.Mock {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("charge %s has no balance transaction yet", charge)
	}
	f := bt.Fee
	// A charge settled in another currency: the balance transaction is in
	// the settlement currency, amount × exchange_rate.
	if string(bt.Currency) != currency && bt.ExchangeRate > 0 {
		f = int64(math.Round(float64(f) / bt.ExchangeRate))
	}
	return Cents(f), true, nil
}

// recordFee stores the actual Stripe fee of a paid order (by its
// PaymentIntent) once and corrects the ledger's estimate (the payment entry
// posted StripeFee) by the difference.
func (s *Service) recordFee(ctx context.Context, tid uuid.UUID, paymentIntent, acct, charge string) error {
	if charge == "" {
		return nil
	}
	var o Order
	var known bool
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders WHERE payment_intent_id = $1 AND paid_at IS NOT NULL`, paymentIntent); err != nil {
			return err
		}
		return tx.GetContext(ctx, &known, `SELECT stripe_fee_cents IS NOT NULL FROM orders WHERE id = $1`, o.ID)
	})
	if tenant.IsNoRows(err) {
		return nil
	}
	if err != nil || known {
		return err
	}
	order := o.ID
	fee, ok, err := s.chargeFee(ctx, acct, charge, o.Currency, o.Amount)
	if err != nil || !ok {
		return err
	}
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE orders SET stripe_fee_cents = $2 WHERE id = $1 AND stripe_fee_cents IS NULL`, order, fee)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		diff := fee - StripeFee(o.Amount)
		_, err = Post(ctx, tx, tid, "stripe_fee", order.String(), o.Currency, "Stripe's actual fee",
			map[string]Cents{AcctStripeFees: diff, AcctStripeBalance: -diff})
		return err
	})
}

// DistributableAfter is what a co-op's members share of a payment: the
// amount less the platform fee and Stripe's actual fee, never below zero.
func DistributableAfter(amount, platformFee, stripeFee Cents) Cents {
	return max(amount-platformFee-stripeFee, 0)
}
