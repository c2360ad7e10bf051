package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v76"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Order states.
const (
	OrderAwaitingPayment = "awaiting_payment"
	OrderRequiresAction  = "requires_action"
	OrderPaid            = "paid"
	OrderFailed          = "failed"
	OrderRefunded        = "refunded"
)

// Order is one payment for a machine and a period.
type Order struct {
	ID              uuid.UUID       `db:"id" json:"id"`
	AccountID       uuid.UUID       `db:"account_id" json:"-"`
	Status          string          `db:"status" json:"status"`
	Description     string          `db:"description" json:"description"`
	Spec            json.RawMessage `db:"spec" json:"spec"`
	Months          int             `db:"months" json:"months"`
	Currency        string          `db:"currency" json:"currency"`
	Subtotal        Cents           `db:"subtotal_cents" json:"subtotal_cents"`
	Discount        Cents           `db:"discount_cents" json:"discount_cents"`
	Amount          Cents           `db:"amount_cents" json:"amount_cents"`
	ApplicationFee  Cents           `db:"application_fee_cents" json:"-"`
	CouponCode      *string         `db:"coupon_code" json:"coupon_code"`
	PaymentMethodID *string         `db:"payment_method_id" json:"-"`
	PaymentIntentID *string         `db:"payment_intent_id" json:"-"`
	FailureMessage  string          `db:"failure_message" json:"failure_message"`
	Refunded        Cents           `db:"refunded_cents" json:"refunded_cents"`
	PaidAt          *time.Time      `db:"paid_at" json:"paid_at"`
	SubscriptionID  *uuid.UUID      `db:"subscription_id" json:"subscription_id"`
	Credit          Cents           `db:"credit_cents" json:"credit_cents"`             // paid from account credit, on top of Amount
	DisputeLost     Cents           `db:"dispute_lost_cents" json:"dispute_lost_cents"` // taken back by a lost dispute
	CreatedAt       time.Time       `db:"created_at" json:"created_at"`
	// Lines are the parts of the amount for the period: VM, IPv4, backup,
	// then discounts and the coupon as negative lines (OrderLines).
	Lines json.RawMessage `db:"lines" json:"lines"`
	// InvoiceNumber is the paid order's invoice (Invoice), nil before it is
	// paid; read by Order, Orders and Payments only.
	InvoiceNumber *int64 `db:"invoice_number" json:"invoice_number"`
	// UpgradeOf is the subscription whose plan this order raised for the
	// rest of its period (ChangePlan); nil for every other order.
	UpgradeOf *uuid.UUID `db:"upgrade_of" json:"-"`
	// CreditNotes document what was given back (CreditNote), oldest first;
	// read where InvoiceNumber is, [] elsewhere.
	CreditNotes CreditNoteRefs `db:"credit_notes" json:"credit_notes"`
	// ClientSecret lets the browser finish 3-D Secure; only in the response
	// that created or retried the payment.
	ClientSecret string `db:"-" json:"client_secret,omitempty"`
}

// withInvoice reads an order with its invoice number.
const withInvoice = `, (SELECT number FROM invoices WHERE invoices.order_id = orders.id) AS invoice_number` + withCreditNotes

const orderColumns = `id, account_id, status, description, spec, months, currency, subtotal_cents, discount_cents, amount_cents,
	application_fee_cents, coupon_code, payment_method_id, payment_intent_id, failure_message, refunded_cents, paid_at, created_at, subscription_id, credit_cents, lines,
	dispute_lost_cents, upgrade_of`

// CheckoutInput is a customer's order.
type CheckoutInput struct {
	QuoteInput
	PaymentMethod string `json:"payment_method"` // a saved card; the default when empty
	Description   string `json:"description"`
	// ClientKey is the browser's idempotency key for this checkout: a
	// double-click or a retry with the same key returns the same order and
	// never charges twice.
	ClientKey string `json:"client_key"`
}

// Checkout prices the order on the server, stores it, and charges the card
// with one PaymentIntent — a direct charge on the tenant's connected account
// with the platform's application fee, idempotent by order id. The order
// becomes paid only when Stripe's webhook says so (store/orders write).
func (s *Service) Checkout(ctx context.Context, in CheckoutInput) (*Order, error) {
	if err := s.authz.Require(ctx, "store/orders", "write"); err != nil {
		return nil, err
	}
	in.ClientKey = strings.TrimSpace(in.ClientKey)
	if len(in.ClientKey) < 8 || len(in.ClientKey) > 64 {
		return nil, fiatdashboard.Invalid("client_key", "send a unique client_key (8-64 characters) per checkout")
	}
	acct, err := s.chargeable(ctx)
	if err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	tid, _ := tenant.IDFromContext(ctx)
	var o Order
	var existing bool
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		err := tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders WHERE account_id = $1 AND client_key = $2`, actor.ID, in.ClientKey)
		if err == nil {
			existing = true
			return nil
		}
		if !tenant.IsNoRows(err) {
			return err
		}
		q, err := s.quote(ctx, tx, in.QuoteInput, false)
		if err != nil {
			return err
		}
		if err := s.walletCanPay(ctx, tx, q.Spec); err != nil {
			return err
		}
		pm := strings.TrimSpace(in.PaymentMethod)
		var card string
		err = tx.GetContext(ctx, &card, `SELECT id FROM payment_methods WHERE account_id = $1 AND ($2 = '' AND is_default OR id = $2)`, actor.ID, pm)
		if tenant.IsNoRows(err) {
			return fiatdashboard.Invalid("payment_method", "add a card first, or pick one of your saved cards")
		}
		if err != nil {
			return err
		}
		fee, err := platformFee(ctx, tx, q.Total)
		if err != nil {
			return err
		}
		desc := strings.TrimSpace(in.Description)
		if desc == "" {
			desc = fmt.Sprintf("VM %d vCPU / %d GB / %d GB, %d month(s)", q.Spec.CPU, q.Spec.RAMGB, q.Spec.DiskGB, q.Months)
		}
		if len(desc) > 200 {
			return fiatdashboard.Invalid("description", "the description must be at most 200 characters")
		}
		spec, _ := json.Marshal(q.Spec)
		lines, _ := json.Marshal(OrderLines(q))
		var coupon *string
		if q.Coupon != "" {
			coupon = &q.Coupon
		}
		// Concurrent retries with one client_key race to this insert: one
		// wins, the others wait for its commit and read its order.
		err = tx.GetContext(ctx, &o, `INSERT INTO orders (tenant_id, account_id, description, spec, months, currency, subtotal_cents, discount_cents,
			amount_cents, application_fee_cents, coupon_code, payment_method_id, client_key, lines)
			VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb)
			ON CONFLICT (account_id, client_key) WHERE client_key IS NOT NULL DO NOTHING RETURNING `+orderColumns,
			tid, actor.ID, desc, string(spec), q.Months, q.Currency, q.Subtotal, q.Discount, q.Total, fee, coupon, card, in.ClientKey, string(lines))
		if tenant.IsNoRows(err) {
			existing = true
			return tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders WHERE account_id = $1 AND client_key = $2`, actor.ID, in.ClientKey)
		}
		if err != nil {
			return err
		}
		if coupon != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE coupons SET redeemed = redeemed + 1 WHERE code = $1`, q.Coupon); err != nil {
				return err
			}
		}
		return s.snapshotSplit(ctx, tx, &o) // a co-op's order keeps the split it was placed under
	})
	if err != nil {
		return nil, err
	}
	if existing && o.Status != OrderAwaitingPayment {
		return &o, nil
	}
	return s.pay(ctx, acct, tid, o)
}

// pay charges a stored order with one PaymentIntent, idempotent by the
// order's id (Checkout, ChangePlan).
func (s *Service) pay(ctx context.Context, acct string, tid uuid.UUID, o Order) (*Order, error) {
	cus, err := s.customerFor(ctx, acct)
	if err != nil {
		return nil, err
	}
	params := &stripe.PaymentIntentParams{
		Amount:               stripe.Int64(int64(o.Amount)),
		Currency:             stripe.String(o.Currency),
		Customer:             stripe.String(cus),
		PaymentMethod:        stripe.String(*o.PaymentMethodID),
		Confirm:              stripe.Bool(true),
		ApplicationFeeAmount: stripe.Int64(int64(o.ApplicationFee)),
		Description:          stripe.String(o.Description),
		PaymentMethodTypes:   stripe.StringSlice([]string{"card"}),
		Metadata:             map[string]string{"order_id": o.ID.String(), "tenant_id": tid.String()},
	}
	chargeOn(params, acct, o.ID) // a direct charge, or a co-op's charge on the platform
	// Derived from our order id: however often this runs, Stripe makes one charge.
	params.SetIdempotencyKey("order-" + o.ID.String())
	var pi *stripe.PaymentIntent
	var created bool
	var stripeErr error
	// The order's row is locked while its PaymentIntent is created, so
	// concurrent retries create one and the others read it. (Stripe dedupes
	// by the idempotency key as well; stripe-mock does not.)
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var piID *string
		if err := tx.GetContext(ctx, &piID, `SELECT payment_intent_id FROM orders WHERE id = $1 FOR UPDATE`, o.ID); err != nil {
			return err
		}
		if piID != nil {
			return tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, o.ID)
		}
		var err error
		if pi, err = s.sc.PaymentIntents.New(params); err != nil {
			stripeErr = err
			return err
		}
		created = true
		status := OrderAwaitingPayment
		if pi.Status == stripe.PaymentIntentStatusRequiresAction || (s.cfg.Mock && *o.PaymentMethodID == "pm_card_authenticationRequired") {
			status = OrderRequiresAction
		}
		if err := tx.GetContext(ctx, &o, `UPDATE orders SET payment_intent_id = $2, status = CASE WHEN status IN ('awaiting_payment', 'requires_action') THEN $3 ELSE status END,
			updated_at = now() WHERE id = $1 RETURNING `+orderColumns, o.ID, pi.ID, status); err != nil {
			return err
		}
		if s.cfg.Mock && s.emitter.Durable() {
			// stripe-mock answers with a fixture; Stripe would decide by the
			// card, and send its event once the charge exists: the event is
			// owed in the transaction that records the PaymentIntent.
			s.emitter.Within(tx).PaymentOutcome(tid, acct, pi.ID, o, *o.PaymentMethodID)
		}
		return nil
	})
	if stripeErr != nil {
		if e, ok := stripeError("payment", stripeErr).(*fiatdashboard.Error); ok && e.Field == "card" {
			s.setOrderFailed(ctx, o.ID, e.Message)
		}
		return nil, stripeError("payment", stripeErr)
	}
	if err != nil {
		return nil, err
	}
	if !created {
		return &o, nil // a concurrent retry created it
	}
	if s.cfg.Mock {
		if !s.emitter.Durable() {
			s.emitter.PaymentOutcome(tid, acct, pi.ID, o, *o.PaymentMethodID)
		}
		fresh, err := s.Order(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		o = *fresh
	}
	o.ClientSecret = pi.ClientSecret
	return &o, nil
}

// OrderLines are a quote's lines for its whole period: each monthly part
// times the months, then each discount as a negative line. They sum to
// q.Total.
func OrderLines(q *PriceQuote) []Line {
	out := make([]Line, 0, len(q.Lines)+len(q.Discounts))
	for _, l := range q.Lines {
		label := l.Label
		if q.Months > 1 {
			label = fmt.Sprintf("%s × %d months", l.Label, q.Months)
		}
		out = append(out, Line{Kind: l.Kind, Label: label, Cents: l.Cents * Cents(q.Months)})
	}
	for _, d := range q.Discounts {
		out = append(out, Line{Kind: d.Kind, Label: d.Label, Cents: -d.Cents})
	}
	return out
}

func (s *Service) setOrderFailed(ctx context.Context, id uuid.UUID, msg string) {
	tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'failed', failure_message = $2, updated_at = now() WHERE id = $1 AND status IN ('awaiting_payment', 'requires_action')`, id, msg)
		return err
	})
}

// Order returns one of the customer's orders; ENOTFOUND for anyone else's.
func (s *Service) Order(ctx context.Context, id uuid.UUID) (*Order, error) {
	if err := s.authz.Require(ctx, "store/orders", "read"); err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	staff := s.authz.Require(ctx, "admin/billing", "read") == nil
	var o Order
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &o, `SELECT `+orderColumns+withInvoice+` FROM orders WHERE id = $1 AND (account_id = $2 OR $3)`, id, actor.ID, staff)
	})
	if tenant.IsNoRows(err) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "order not found")
	}
	return &o, err
}

// Orders lists the customer's orders, newest first, before the cursor time.
func (s *Service) Orders(ctx context.Context, before time.Time, limit int) ([]Order, error) {
	if err := s.authz.Require(ctx, "store/orders", "read"); err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	var out []Order
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+orderColumns+withInvoice+` FROM orders WHERE account_id = $1 AND created_at < $2 ORDER BY created_at DESC LIMIT $3`, actor.ID, before, limit)
	})
	return out, err
}

// Payments lists the tenant's orders for the admin billing page.
func (s *Service) Payments(ctx context.Context, before time.Time, limit int) ([]Order, error) {
	if err := s.authz.Require(ctx, "admin/billing", "read"); err != nil {
		return nil, err
	}
	var out []Order
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+orderColumns+withInvoice+` FROM orders WHERE created_at < $1 ORDER BY created_at DESC LIMIT $2`, before, limit)
	})
	return out, err
}

// TaskRefund refunds an order in full (task id refund:<order id>): owed by
// the transaction that fails what the order paid for.
const TaskRefund = "billing:refund"

// RefundTask is the payload of TaskRefund.
type RefundTask struct {
	OrderID uuid.UUID `json:"order_id"`
	Reason  string    `json:"reason"`
}

// RefundKey is the outbox key of an order's owed refund.
func RefundKey(order uuid.UUID) string { return "refund:" + order.String() }

// SettleRefund refunds what is left of an order whose service failed (the
// refund task, or its caller inline) and marks the owed refund done. An
// order no longer paid (refunded already) has nothing left to refund.
func (s *Service) SettleRefund(ctx context.Context, in RefundTask) error {
	err := s.Refund(tenant.WithActor(ctx, tenant.System("refund owed")), in.OrderID, 0, in.Reason)
	if err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		return fmt.Errorf("refund %s: %w", in.OrderID, err)
	}
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error { return tenant.OwedDone(ctx, tx, RefundKey(in.OrderID)) })
}

// MockAuthenticate completes 3-D Secure for an order in mock mode, as the
// customer would in Stripe.js's dialog; Stripe then reports the payment.
func (s *Service) MockAuthenticate(ctx context.Context, id uuid.UUID) (*Order, error) {
	if !s.cfg.Mock {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	o, err := s.Order(ctx, id)
	if err != nil {
		return nil, err
	}
	if o.Status != OrderRequiresAction || o.PaymentIntentID == nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "this payment does not wait for authentication")
	}
	var acct string
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		acct, err = chargeAccount(ctx, tx, false)
		return err
	}); err != nil {
		return nil, err
	}
	s.emitter.PaymentSucceeded(acct, *o.PaymentIntentID, *o)
	return s.Order(ctx, id)
}
