package billing

import (
	"context"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// What a tenant gives back when a customer cancels (tenants.on_cancel).
const (
	OnCancelCredit = "credit" // account credit, used before the card next time
	OnCancelRefund = "refund" // a prorated refund to the card
)

// unusedRefund is the part of a cancelled period refunded to the card.
type unusedRefund struct {
	OrderID  uuid.UUID
	Amount   Cents
	Currency string
	Memo     string
}

// planRefund decides, in the cancel's transaction, how much of the unused
// amount goes back to the card: none when the tenant gives credit;
// otherwise up to what the order that paid the current period can still
// refund (the rest stays credit).
func planRefund(ctx context.Context, tx *tenant.Tx, tid uuid.UUID, sub *Subscription, unused Cents) (unusedRefund, error) {
	var mode string
	if err := tx.GetContext(ctx, &mode, `SELECT on_cancel FROM tenants WHERE id = $1`, tid); err != nil {
		return unusedRefund{}, err
	}
	if mode != OnCancelRefund {
		return unusedRefund{}, nil
	}
	var o struct {
		ID   uuid.UUID `db:"id"`
		Left Cents     `db:"left_cents"`
	}
	err := tx.GetContext(ctx, &o, `SELECT id, amount_cents - refunded_cents AS left_cents FROM orders
		WHERE (id = $1 OR subscription_id = $2) AND status = 'paid' AND payment_intent_id IS NOT NULL
		ORDER BY paid_at DESC NULLS LAST, created_at DESC LIMIT 1`, sub.FirstOrderID, sub.ID)
	if tenant.IsNoRows(err) {
		return unusedRefund{}, nil // paid by credit only: credit it is
	}
	if err != nil {
		return unusedRefund{}, err
	}
	return unusedRefund{OrderID: o.ID, Amount: min(unused, max(o.Left, 0)), Currency: sub.Currency, Memo: "unused time of " + sub.Description}, nil
}

// refundUnused refunds the planned amount to the card. When Stripe refuses,
// the amount becomes account credit instead, so the customer never loses
// it; it returns the credit so given.
func (s *Service) refundUnused(ctx context.Context, tid, sub uuid.UUID, r unusedRefund) Cents {
	err := s.Refund(tenant.WithActor(ctx, tenant.System("cancellation refund")), r.OrderID, r.Amount, "cancelled: "+r.Memo)
	if err == nil {
		return 0
	}
	s.log.Error("cancellation refund failed; giving credit instead", "subscription", sub, "order", r.OrderID, "err", err)
	var account uuid.UUID
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &account, `SELECT account_id FROM subscriptions WHERE id = $1`, sub); err != nil {
			return err
		}
		_, err := Post(ctx, tx, tid, "credit-refund-failed", sub.String(), r.Currency, r.Memo+" (the card refund failed)",
			map[string]Cents{AcctRefunds: r.Amount, creditAccount(account): -r.Amount})
		return err
	})
	if err != nil {
		s.log.Error("cancellation credit", "subscription", sub, "err", err)
		return 0
	}
	return r.Amount
}
