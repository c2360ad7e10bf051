package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v76"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Refund states, as Stripe names a refund's (plus "requested": the row
// exists, Stripe has not answered yet).
const (
	RefundRequested = "requested"
	RefundPending   = "pending"
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"
	RefundCanceled  = "canceled"
)

// RefundRow is one refund request of an order.
type RefundRow struct {
	ID            uuid.UUID `db:"id" json:"id"`
	OrderID       uuid.UUID `db:"order_id" json:"order_id"`
	Amount        Cents     `db:"amount_cents" json:"amount_cents"`
	Status        string    `db:"status" json:"status"`
	StripeRefund  *string   `db:"stripe_refund" json:"stripe_refund"`
	Reason        string    `db:"reason" json:"reason"`
	FailureReason string    `db:"failure_reason" json:"failure_reason"`
	CreatedAt     time.Time `db:"created_at" json:"created_at"`
	UpdatedAt     time.Time `db:"updated_at" json:"updated_at"`
}

const refundColumns = `id, order_id, amount_cents, status, stripe_refund, reason, failure_reason, created_at, updated_at`

// Refund refunds an order in full or in part (amount 0: what is left), on
// the tenant's account, giving back the platform fee in proportion. Used when
// provisioning fails after payment, and by staff (admin/billing write).
//
// Each request is a refund row first; its id is the Stripe idempotency key,
// so a retry of the same request is the same refund, and two partial
// refunds asked for before Stripe's webhook are two refunds (a key derived
// from the amount refunded so far would be the same for both, and Stripe
// would answer the second with the first). What is left to refund counts
// the requests Stripe has not settled yet. The order shows refunded once
// Stripe's charge.refunded arrives.
func (s *Service) Refund(ctx context.Context, id uuid.UUID, amount Cents, reason string) error {
	if err := s.authz.Require(ctx, "admin/billing", "write"); err != nil {
		return err
	}
	tid, _ := tenant.IDFromContext(ctx)
	var o Order
	var acct string
	var row RefundRow
	var inFlight Cents
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		err := tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders WHERE id = $1 FOR UPDATE`, id)
		if tenant.IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "order not found")
		}
		if err != nil {
			return err
		}
		if acct, err = chargeAccount(ctx, tx, false); err != nil { // "" for a co-op: its charges are the platform's
			return err
		}
		if o.Status != OrderPaid || o.PaymentIntentID == nil {
			return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "only a paid order can be refunded")
		}
		// Requested or pending refunds are not in refunded_cents yet.
		if err := tx.GetContext(ctx, &inFlight, `SELECT coalesce(sum(amount_cents), 0) FROM refunds WHERE order_id = $1
			AND status IN ('requested', 'pending', 'requires_action')`, o.ID); err != nil {
			return err
		}
		left := o.Amount - o.Refunded - o.DisputeLost - inFlight
		if amount == 0 {
			amount = left
		}
		if left <= 0 {
			return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "nothing is left to refund on this order")
		}
		if amount < 0 || amount > left {
			return fiatdashboard.Invalid("amount_cents", "refund between 0.01 and %s", left)
		}
		return tx.GetContext(ctx, &row, `INSERT INTO refunds (tenant_id, order_id, amount_cents, reason) VALUES ($1, $2, $3, $4) RETURNING `+refundColumns,
			tid, o.ID, amount, reason)
	})
	if err != nil {
		return err
	}
	params := &stripe.RefundParams{
		PaymentIntent:        o.PaymentIntentID,
		Amount:               stripe.Int64(int64(amount)),
		RefundApplicationFee: stripe.Bool(true),
		Metadata:             map[string]string{"order_id": o.ID.String(), "refund_id": row.ID.String(), "tenant_id": tid.String(), "reason": reason},
	}
	onAccount(params, acct)
	if acct == "" {
		// A co-op's charge has no application fee; its members' transfers
		// are reversed when Stripe reports the refund.
		params.RefundApplicationFee = nil
	}
	// The refund row is the request: a retry of it is the same refund.
	params.SetIdempotencyKey("refund-" + row.ID.String())
	r, err := s.sc.Refunds.New(params)
	if err != nil {
		// Nothing was refunded: the request is void, its amount free again.
		tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE refunds SET status = 'canceled', failure_reason = 'refused by Stripe', updated_at = now() WHERE id = $1`, row.ID)
			return err
		})
		return stripeError("refund", err)
	}
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE refunds SET stripe_refund = $2, status = CASE WHEN status = 'requested' THEN 'pending' ELSE status END,
			updated_at = now() WHERE id = $1`, row.ID, r.ID); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "order.refund_requested", o.ID.String(), map[string]any{"amount_cents": amount, "refund": r.ID, "reason": reason})
	})
	if err == nil && s.cfg.Mock {
		// Stripe reports the charge's total refunded: what it had, plus every
		// request it has accepted since (this one included).
		s.emitter.Refunded(tid, acct, o, o.Refunded+inFlight+amount)
		s.emitter.RefundUpdated(tid, acct, o, row.ID, r.ID, amount, RefundSucceeded, "")
	}
	return err
}

// Refunds lists an order's refund requests, newest first, failed ones with
// Stripe's reason (admin/billing read).
func (s *Service) Refunds(ctx context.Context, order uuid.UUID) ([]RefundRow, error) {
	if err := s.authz.Require(ctx, "admin/billing", "read"); err != nil {
		return nil, err
	}
	out := []RefundRow{}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+refundColumns+` FROM refunds WHERE ($1::uuid IS NULL OR order_id = $1)
			ORDER BY created_at DESC LIMIT 200`, nullUUID(order))
	})
	return out, err
}

func nullUUID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// refundUpdated follows a refund's status (charge.refund.updated, and
// refund.updated on newer API versions). A refund that failed after Stripe
// had reported it in the charge's amount_refunded gives the money back to
// the tenant's balance: the order's refunded total goes down, the ledger
// reverses the refund's posting, and the tenant's admins are alerted with
// Stripe's failure reason.
func (s *Service) refundUpdated(ctx context.Context, tid uuid.UUID, r *stripe.Refund) (string, error) {
	id, err := uuid.Parse(r.Metadata["refund_id"])
	if err != nil {
		return "refund not ours", nil
	}
	var row RefundRow
	var o Order
	var wasCounted bool
	failed := false
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		err := tx.GetContext(ctx, &row, `SELECT `+refundColumns+` FROM refunds WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		status := string(r.Status)
		if status == row.Status || row.Status == RefundFailed || row.Status == RefundCanceled {
			return nil // nothing new, or settled already
		}
		if _, err := tx.ExecContext(ctx, `UPDATE refunds SET status = $2, failure_reason = $3, stripe_refund = coalesce(stripe_refund, $4), updated_at = now()
			WHERE id = $1`, row.ID, status, string(r.FailureReason), r.ID); err != nil {
			return err
		}
		if status != RefundFailed && status != RefundCanceled {
			return nil
		}
		failed = true
		if err := tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders WHERE id = $1 FOR UPDATE`, row.OrderID); err != nil {
			return err
		}
		// The refund is in the order's refunded total once Stripe has
		// reported it (charge.refunded comes when the refund is made).
		wasCounted = o.Refunded >= row.Amount
		if wasCounted {
			if _, err := tx.ExecContext(ctx, `UPDATE orders SET refunded_cents = greatest(refunded_cents - $2, 0),
				status = CASE WHEN status = 'refunded' THEN 'paid' ELSE status END, updated_at = now() WHERE id = $1`, o.ID, row.Amount); err != nil {
				return err
			}
			back := refundPostings(row.Amount, o.Amount, o.ApplicationFee)
			for k, v := range back {
				back[k] = -v
			}
			if _, err := Post(ctx, tx, tid, "refund_failed", row.ID.String(), o.Currency, "refund failed: "+o.Description, back); err != nil {
				return err
			}
		}
		return tenant.Audit(ctx, tx, tid, "order.refund_failed", o.ID.String(), map[string]any{"amount_cents": row.Amount, "refund": r.ID, "reason": string(r.FailureReason)})
	})
	if tenant.IsNoRows(err) {
		return "refund unknown", nil
	}
	if err != nil {
		return "", err
	}
	if !failed {
		return "refund " + string(r.Status), nil
	}
	reason := string(r.FailureReason)
	if reason == "" {
		reason = "no reason given"
	}
	s.alertAdmins(ctx, tid, "A refund failed", fmt.Sprintf("The refund of %s for %q failed at Stripe (%s). The money is back on your Stripe balance and the customer has not received it: refund again, or reach the customer another way.",
		row.Amount, o.Description, reason), "/admin/billing")
	return "refund failed", nil
}
