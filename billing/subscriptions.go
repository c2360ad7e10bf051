package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v76"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Subscription states.
const (
	SubActive     = "active"
	SubPastDue    = "past_due"
	SubSuspended  = "suspended"
	SubCanceled   = "canceled"
	SubTerminated = "terminated"
)

// Subscription keeps a paid machine paid: renewed before PaidThrough.
type Subscription struct {
	ID             uuid.UUID       `db:"id" json:"id"`
	AccountID      uuid.UUID       `db:"account_id" json:"-"`
	FirstOrderID   uuid.UUID       `db:"first_order_id" json:"first_order_id"`
	Description    string          `db:"description" json:"description"`
	Spec           json.RawMessage `db:"spec" json:"spec"`
	Months         int             `db:"months" json:"months"`
	Currency       string          `db:"currency" json:"currency"`
	RenewalCents   Cents           `db:"renewal_cents" json:"renewal_cents"`
	Status         string          `db:"status" json:"status"`
	PaidThrough    time.Time       `db:"paid_through" json:"paid_through"`
	FailedAttempts int             `db:"failed_attempts" json:"failed_attempts"`
	NextAttemptAt  time.Time       `db:"next_attempt_at" json:"next_attempt_at"`
	CreatedAt      time.Time       `db:"created_at" json:"created_at"`
	// Lines are what each renewal charges, part by part, for the period.
	Lines json.RawMessage `db:"lines" json:"lines"`
}

const subColumns = `id, account_id, first_order_id, description, spec, months, currency, renewal_cents, status, paid_through,
	failed_attempts, next_attempt_at, created_at, lines`

// renewLead is how long before the paid period ends the renewal is charged.
const renewLead = 24 * time.Hour

func creditAccount(account uuid.UUID) string { return "customer_credit:" + account.String() }

// settlePaid records a paid order in tx: its ledger entry (credit used
// first), its subscription — created by a new order, extended (and
// resumed) by a renewal — and its invoice for the period it paid. It
// returns the subscription to resume, if any.
func (s *Service) settlePaid(ctx context.Context, tx *tenant.Tx, tid uuid.UUID, o *Order) (*uuid.UUID, error) {
	postings := paymentPostings(o.Amount, o.ApplicationFee)
	if o.Credit > 0 {
		postings[creditAccount(o.AccountID)] = o.Credit
		postings[AcctRevenue] -= o.Credit
	}
	if _, err := Post(ctx, tx, tid, "payment", o.ID.String(), o.Currency, o.Description, postings); err != nil {
		return nil, err
	}
	if err := tenant.Audit(ctx, tx, tid, "order.paid", o.ID.String(), map[string]any{"amount_cents": o.Amount, "credit_cents": o.Credit}); err != nil {
		return nil, err
	}
	paidAt := s.now()
	if o.UpgradeOf != nil {
		return nil, s.settleUpgrade(ctx, tx, tid, o, paidAt) // apps.go
	}
	if o.SubscriptionID == nil {
		var spec Spec
		json.Unmarshal(o.Spec, &spec)
		q, err := s.quote(ctx, tx, spec.Input(o.Months), false)
		if err != nil {
			return nil, fmt.Errorf("renewal price: %w", err)
		}
		through := paidAt.AddDate(0, o.Months, 0)
		lines, _ := json.Marshal(OrderLines(q))
		_, err = tx.ExecContext(ctx, `INSERT INTO subscriptions (tenant_id, account_id, first_order_id, description, spec, months, currency, renewal_cents, paid_through, next_attempt_at, lines)
			VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11::jsonb) ON CONFLICT (first_order_id) DO NOTHING`,
			tid, o.AccountID, o.ID, o.Description, string(o.Spec), o.Months, o.Currency, q.Total, through, through.Add(-renewLead), string(lines))
		if err != nil {
			return nil, err
		}
		return nil, issueInvoice(ctx, tx, tid, o, paidAt, paidAt, through)
	}
	var was string
	var from, through time.Time
	err := tx.QueryRowxContext(ctx, `UPDATE subscriptions s SET paid_through = s.paid_through + make_interval(months => s.months),
		next_attempt_at = s.paid_through + make_interval(months => s.months) - interval '24 hours',
		status = 'active', failed_attempts = 0, updated_at = now()
		FROM (SELECT status, paid_through FROM subscriptions WHERE id = $1 FOR UPDATE) old
		WHERE s.id = $1 AND s.status <> 'terminated' AND s.status <> 'canceled' RETURNING old.status, old.paid_through, s.paid_through`, *o.SubscriptionID).Scan(&was, &from, &through)
	if tenant.IsNoRows(err) {
		// The subscription ended meanwhile; the payment still has its invoice.
		return nil, issueInvoice(ctx, tx, tid, o, paidAt, paidAt, paidAt.AddDate(0, o.Months, 0))
	}
	if err != nil {
		return nil, err
	}
	if err := issueInvoice(ctx, tx, tid, o, paidAt, from, through); err != nil {
		return nil, err
	}
	if was == SubSuspended {
		return o.SubscriptionID, tenant.Audit(ctx, tx, tid, "subscription.resumed", o.SubscriptionID.String(), nil)
	}
	return nil, nil
}

// RenewDue charges every subscription whose renewal is due, suspends and
// terminates those whose dunning ran out (the scheduled job, hourly). It
// returns how many it attempted.
func (s *Service) RenewDue(ctx context.Context) (int, error) {
	var due []struct {
		ID       uuid.UUID `db:"id"`
		TenantID uuid.UUID `db:"tenant_id"`
	}
	err := tenant.SystemTx(ctx, s.db, "job: renewals due", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &due, `SELECT id, tenant_id FROM subscriptions WHERE status IN ('active', 'past_due', 'suspended')
			AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT 500`, s.now())
	})
	if err != nil {
		return 0, err
	}
	for _, d := range due {
		tctx := tenant.WithID(tenant.WithActor(ctx, tenant.System("renewals")), d.TenantID)
		if _, err := s.renew(tctx, d.TenantID, d.ID, false); err != nil {
			s.log.Error("renewal", "subscription", d.ID, "err", err)
		}
	}
	return len(due), nil
}

// renew makes one renewal attempt: credit first, then the default card —
// off-session (the scheduled renewal), or on-session (the customer's "Pay
// now", who can authenticate at once). It returns the attempt's order.
//
// An off-session attempt that needs the customer's authentication (SCA) is
// not a failure yet (renewalNeedsAuthentication); when the next renewal run
// finds that attempt still waiting for the customer, it has failed, and the
// dunning schedule continues.
func (s *Service) renew(ctx context.Context, tid, id uuid.UUID, onSession bool) (*Order, error) {
	now := s.now()
	var sub Subscription
	var o Order
	var charge bool
	var terminate bool
	var unconfirmed bool
	var card string
	var acct string
	var event string // the service event owed, handed over after the commit
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &sub, `SELECT `+subColumns+` FROM subscriptions WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		if sub.Status == SubSuspended && now.After(sub.PaidThrough.AddDate(0, 0, s.cfg.GraceDays)) {
			terminate = true
			if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET status = 'terminated', updated_at = now() WHERE id = $1`, id); err != nil {
				return err
			}
			var err error
			if event, err = oweSubscriptionChange(ctx, tx, tid, id, SubscriptionTerminated); err != nil {
				return err
			}
			return tenant.Audit(ctx, tx, tid, "subscription.terminated", id.String(), map[string]any{"reason": "unpaid after the grace period"})
		}
		// Try again only after the webhook had time to answer the last try.
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET next_attempt_at = $2 WHERE id = $1`, id, now.Add(6*time.Hour)); err != nil {
			return err
		}
		var credit Cents
		if err := tx.GetContext(ctx, &credit, `SELECT coalesce(-sum(amount_cents), 0) FROM ledger_postings WHERE account = $1`, creditAccount(sub.AccountID)); err != nil {
			return err
		}
		use := min(max(credit, 0), sub.RenewalCents)
		amount := sub.RenewalCents - use
		fee, err := platformFee(ctx, tx, amount)
		if err != nil {
			return err
		}
		if acct, err = chargeAccount(ctx, tx, true); err != nil && amount > 0 { // "" for a co-op
			return fmt.Errorf("tenant cannot take charges: %w", err)
		}
		if amount > 0 {
			if err := tx.GetContext(ctx, &card, `SELECT id FROM payment_methods WHERE account_id = $1 AND is_default`, sub.AccountID); tenant.IsNoRows(err) {
				card = ""
			} else if err != nil {
				return err
			}
		}
		key := fmt.Sprintf("renew:%s:%d:%d", id, sub.PaidThrough.Unix(), sub.FailedAttempts)
		err = tx.GetContext(ctx, &o, `INSERT INTO orders (tenant_id, account_id, description, spec, months, currency, subtotal_cents, amount_cents,
			application_fee_cents, payment_method_id, client_key, subscription_id, credit_cents, lines)
			VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, nullif($10, ''), $11, $12, $13, (SELECT lines FROM subscriptions WHERE id = $12))
			ON CONFLICT (account_id, client_key) WHERE client_key IS NOT NULL DO UPDATE SET updated_at = now() RETURNING `+orderColumns,
			tid, sub.AccountID, "Renewal: "+sub.Description, string(sub.Spec), sub.Months, sub.Currency, sub.RenewalCents, amount, fee, card, key, id, use)
		if err != nil {
			return err
		}
		if err := s.snapshotSplit(ctx, tx, &o); err != nil { // a co-op's renewal: today's split
			return err
		}
		if o.Status == OrderRequiresAction && !onSession {
			unconfirmed = true // asked to confirm on-session, and not done by now
			return nil
		}
		if o.Status != OrderAwaitingPayment {
			return nil // this attempt happened already
		}
		if amount == 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'paid', paid_at = now() WHERE id = $1`, o.ID); err != nil {
				return err
			}
			resumed, err := s.settlePaid(ctx, tx, tid, &o)
			if err == nil && resumed != nil {
				event, err = oweSubscriptionChange(ctx, tx, tid, *resumed, SubscriptionResumed)
			}
			return err
		}
		charge = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.kick(ctx, event)
	if terminate {
		return nil, nil
	}
	if unconfirmed {
		msg := "The payment needed your confirmation with your bank and was not confirmed"
		s.markFailed(ctx, o.ID, msg)
		return &o, s.renewalFailed(ctx, tid, id, msg)
	}
	if !charge {
		return &o, nil
	}
	if card == "" {
		s.markFailed(ctx, o.ID, "No card on file")
		return &o, s.renewalFailed(ctx, tid, id, "No card on file")
	}
	var cus string
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &cus, `SELECT customer_id FROM stripe_customers WHERE account_id = $1`, sub.AccountID)
	}); err != nil {
		return nil, err
	}
	params := &stripe.PaymentIntentParams{
		Amount: stripe.Int64(int64(o.Amount)), Currency: stripe.String(o.Currency), Customer: stripe.String(cus),
		PaymentMethod: stripe.String(card), Confirm: stripe.Bool(true), OffSession: stripe.Bool(!onSession),
		ApplicationFeeAmount: stripe.Int64(int64(o.ApplicationFee)), Description: stripe.String(o.Description),
		PaymentMethodTypes: stripe.StringSlice([]string{"card"}),
		Metadata:           map[string]string{"order_id": o.ID.String(), "subscription_id": id.String(), "tenant_id": tid.String()},
	}
	chargeOn(params, acct, o.ID) // a direct charge, or a co-op's charge on the platform
	// One charge per subscription, period and attempt: the order's key says which.
	params.SetIdempotencyKey("order-" + o.ID.String())
	pi, err := s.sc.PaymentIntents.New(params)
	if err != nil {
		// Stripe answers an off-session charge the bank wants authenticated
		// with a card error, code authentication_required, naming the
		// PaymentIntent (now requires_payment_method): the customer must
		// come back on-session (stripe.com/docs/payments/payment-intents/off-session).
		if se, ok := err.(*stripe.Error); ok && se.Code == stripe.ErrorCodeAuthenticationRequired && se.PaymentIntent != nil {
			return &o, s.renewalNeedsAuthentication(ctx, tid, se.PaymentIntent.ID, &o)
		}
		e, ok := stripeError("renewal", err).(*fiatdashboard.Error)
		if ok && e.Field == "card" {
			s.markFailed(ctx, o.ID, e.Message)
			return &o, s.renewalFailed(ctx, tid, id, e.Message)
		}
		return nil, err // transient: the next run tries again
	}
	status := OrderAwaitingPayment
	if onSession && (pi.Status == stripe.PaymentIntentStatusRequiresAction || (s.cfg.Mock && card == "pm_card_authenticationRequired")) {
		status = OrderRequiresAction // the customer is here: Stripe.js finishes it
	}
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &o, `UPDATE orders SET payment_intent_id = $2, status = CASE WHEN status = 'awaiting_payment' THEN $3 ELSE status END
			WHERE id = $1 RETURNING `+orderColumns, o.ID, pi.ID, status)
	}); err != nil {
		return nil, err
	}
	if s.cfg.Mock {
		if onSession {
			s.emitter.PaymentOutcome(tid, acct, pi.ID, o, card)
		} else {
			s.emitter.OffSessionOutcome(tid, acct, pi.ID, o, card)
		}
	}
	o.ClientSecret = pi.ClientSecret
	return &o, nil
}

// renewalNeedsAuthentication records that an off-session renewal needs the
// customer's authentication (SCA): the order waits in requires_action with
// its PaymentIntent, the customer is mailed a link to the storefront page
// that confirms it on-session (ConfirmPayment), and the subscription is
// left as it is until the next dunning day, when an attempt still waiting
// counts as failed (renew). Repeated calls (the API error and the webhook
// both report it) mail once.
func (s *Service) renewalNeedsAuthentication(ctx context.Context, tid uuid.UUID, paymentIntent string, o *Order) error {
	var sub Subscription
	var email, slug string
	moved := false
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'requires_action', payment_intent_id = $2, failure_message = '', updated_at = now()
			WHERE id = $1 AND status = 'awaiting_payment'`, o.ID, paymentIntent)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || o.SubscriptionID == nil {
			return nil
		}
		moved = true
		if err := tx.GetContext(ctx, &sub, `SELECT `+subColumns+` FROM subscriptions WHERE id = $1 FOR UPDATE`, *o.SubscriptionID); err != nil {
			return err
		}
		// The customer has until the next dunning day to confirm.
		deadline := sub.PaidThrough.AddDate(0, 0, s.cfg.GraceDays)
		if sub.FailedAttempts < len(s.cfg.RetryDays) {
			deadline = sub.PaidThrough.AddDate(0, 0, s.cfg.RetryDays[sub.FailedAttempts])
		}
		if now := s.now(); deadline.Before(now.Add(24 * time.Hour)) {
			deadline = now.Add(24 * time.Hour)
		}
		sub.NextAttemptAt = deadline
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET next_attempt_at = $2, updated_at = now() WHERE id = $1`, sub.ID, deadline); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &email, `SELECT email FROM account_directory WHERE id = $1`, sub.AccountID); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &slug, `SELECT slug FROM tenants WHERE id = $1`, tid); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "subscription.authentication_required", sub.ID.String(), map[string]any{"order": o.ID, "confirm_by": deadline})
	})
	if err != nil || !moved || email == "" {
		return err
	}
	link := s.cfg.StorefrontURL(slug) + "/pay/" + o.ID.String()
	m := rbac.Mail{To: email, Subject: "Please confirm your payment",
		Text: fmt.Sprintf("Your bank asks you to confirm the renewal of %q (%s). Nothing has been charged yet.\n\nConfirm the payment here: %s\n\nIf it is not confirmed by %s, we will try your card again and your server may be suspended.\n",
			sub.Description, o.Amount, link, sub.NextAttemptAt.Format("2 January 2006"))}
	if s.mailer != nil {
		if err := s.mailer.Send(ctx, tid, m); err != nil {
			s.log.Error("confirm-payment mail", "err", err)
		}
	}
	return nil
}

func (s *Service) markFailed(ctx context.Context, id uuid.UUID, msg string) {
	s.setOrderFailed(ctx, id, msg)
}

// renewalFailed moves a subscription along the dunning schedule: another try
// on the next retry day (with mail asking to update the card), then
// suspension until the grace period ends.
func (s *Service) renewalFailed(ctx context.Context, tid, id uuid.UUID, reason string) error {
	var sub Subscription
	var email, slug string
	suspended := false
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &sub, `SELECT `+subColumns+` FROM subscriptions WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		if sub.Status == SubCanceled || sub.Status == SubTerminated {
			return nil
		}
		if err := tx.GetContext(ctx, &email, `SELECT email FROM account_directory WHERE id = $1`, sub.AccountID); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &slug, `SELECT slug FROM tenants WHERE id = $1`, tid); err != nil {
			return err
		}
		attempts := sub.FailedAttempts + 1
		status, next := SubPastDue, time.Time{}
		if attempts <= len(s.cfg.RetryDays) {
			next = sub.PaidThrough.AddDate(0, 0, s.cfg.RetryDays[attempts-1])
		} else {
			status, next = SubSuspended, sub.PaidThrough.AddDate(0, 0, s.cfg.GraceDays)
			suspended = sub.Status != SubSuspended
		}
		sub.Status, sub.FailedAttempts, sub.NextAttemptAt = status, attempts, next
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET status = $2, failed_attempts = $3, next_attempt_at = $4, updated_at = now() WHERE id = $1`,
			id, status, attempts, next); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "subscription.renewal_failed", id.String(), map[string]any{"attempt": attempts, "reason": reason, "status": status})
	})
	if err != nil || email == "" {
		return err
	}
	link := s.cfg.StorefrontURL(slug) + "/billing"
	m := rbac.Mail{To: email, Subject: "Your payment did not go through"}
	if suspended || sub.Status == SubSuspended {
		m.Subject = "Your server is suspended: payment needed"
		m.Text = fmt.Sprintf("We could not renew %q (%s). The server is suspended and will be deleted on %s unless the payment goes through.\n\nUpdate your card and pay here: %s\n",
			sub.Description, reason, sub.NextAttemptAt.Format("2 January 2006"), link)
	} else {
		m.Text = fmt.Sprintf("We could not renew %q (%s). We will try again on %s.\n\nTo avoid an interruption, update your card here: %s\n",
			sub.Description, reason, sub.NextAttemptAt.Format("2 January 2006"), link)
	}
	if s.mailer != nil {
		if err := s.mailer.Send(ctx, tid, m); err != nil {
			s.log.Error("dunning mail", "err", err)
		}
	}
	if suspended {
		return s.subscriptionChanged(ctx, tid, id, SubscriptionSuspended)
	}
	return nil
}

// Subscriptions lists the customer's subscriptions (store/orders read).
func (s *Service) Subscriptions(ctx context.Context) ([]Subscription, error) {
	if err := s.authz.Require(ctx, "store/orders", "read"); err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	var out []Subscription
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+subColumns+` FROM subscriptions WHERE account_id = $1 ORDER BY created_at DESC LIMIT 200`, actor.ID)
	})
	return out, err
}

// PayNow pays a subscription's overdue renewal at once with the default
// card, the customer being here (the billing page's "Pay now"): a renewal
// waiting for the customer's authentication is returned as it is, and a
// new attempt is charged on-session. The order comes back with its client
// secret when it needs authentication (status requires_action): the
// storefront's payment page finishes it, as it does for the link mailed
// for an off-session renewal (ConfirmPayment). ECONFLICT when nothing is
// overdue or waiting.
func (s *Service) PayNow(ctx context.Context, id uuid.UUID) (*Order, error) {
	if err := s.authz.Require(ctx, "store/orders", "write"); err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	tid, _ := tenant.IDFromContext(ctx)
	var status string
	var waiting *uuid.UUID
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		err := tx.GetContext(ctx, &status, `SELECT status FROM subscriptions WHERE id = $1 AND account_id = $2`, id, actor.ID)
		if tenant.IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "subscription not found")
		}
		if err != nil {
			return err
		}
		var o uuid.UUID
		err = tx.GetContext(ctx, &o, `SELECT id FROM orders WHERE subscription_id = $1 AND status = 'requires_action' ORDER BY created_at DESC LIMIT 1`, id)
		if err == nil {
			waiting = &o
		} else if !tenant.IsNoRows(err) {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if waiting != nil {
		return s.Order(ctx, *waiting)
	}
	if status != SubPastDue && status != SubSuspended {
		return nil, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "nothing is overdue")
	}
	o, err := s.renew(tenant.WithActor(ctx, tenant.System("renewals")), tid, id, true)
	if err != nil || o == nil {
		return o, err
	}
	secret := o.ClientSecret
	fresh, err := s.Order(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	fresh.ClientSecret = secret
	return fresh, nil
}

// ConfirmPayment confirms, with the customer here, a payment that waits for
// the customer's authentication (an off-session renewal the bank wanted
// authenticated, or an on-session one): the PaymentIntent is confirmed
// again with its card and off_session false, which moves it to
// requires_action, and the order comes back with its client secret for
// Stripe.js's handleNextAction (in mock mode, MockAuthenticate)
// (support.stripe.com, "manual confirmation for off-session payments
// requiring SCA": confirm again with off_session false, then handle the
// action). ENOTFOUND for another customer's order; ECONFLICT when the
// order does not wait for authentication.
func (s *Service) ConfirmPayment(ctx context.Context, id uuid.UUID) (*Order, error) {
	if err := s.authz.Require(ctx, "store/orders", "write"); err != nil {
		return nil, err
	}
	o, err := s.Order(ctx, id)
	if err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	if o.AccountID != actor.ID {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "order not found")
	}
	if o.Status != OrderRequiresAction || o.PaymentIntentID == nil || o.PaymentMethodID == nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "this payment does not wait for your confirmation")
	}
	var acct string
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		acct, err = chargeAccount(ctx, tx, false)
		return err
	}); err != nil {
		return nil, err
	}
	params := &stripe.PaymentIntentConfirmParams{PaymentMethod: o.PaymentMethodID, OffSession: stripe.Bool(false)}
	onAccount(params, acct)
	params.SetIdempotencyKey("confirm-" + o.ID.String())
	pi, err := s.sc.PaymentIntents.Confirm(*o.PaymentIntentID, params)
	if err != nil {
		return nil, stripeError("payment", err)
	}
	o.ClientSecret = pi.ClientSecret
	return o, nil
}

// Cancel ends a subscription now. The unused part of the paid period goes
// back as the tenant's setting says (cancellation.go): a prorated refund to
// the card, or account credit, used before the card at the next charge. It
// returns the credit given (0 when it was refunded).
func (s *Service) Cancel(ctx context.Context, id uuid.UUID) (Cents, error) {
	if err := s.authz.Require(ctx, "store/orders", "write"); err != nil {
		return 0, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	tid, _ := tenant.IDFromContext(ctx)
	now := s.now()
	var credit Cents
	var refund unusedRefund
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var sub Subscription
		err := tx.GetContext(ctx, &sub, `SELECT `+subColumns+` FROM subscriptions WHERE id = $1 AND account_id = $2 FOR UPDATE`, id, actor.ID)
		if tenant.IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "subscription not found")
		}
		if err != nil {
			return err
		}
		if sub.Status == SubCanceled || sub.Status == SubTerminated {
			return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "this subscription has ended already")
		}
		if sub.Status == SubActive && sub.PaidThrough.After(now) {
			// Unused time, by the hour, of what the period cost.
			period := sub.PaidThrough.Sub(sub.PaidThrough.AddDate(0, -sub.Months, 0))
			left := sub.PaidThrough.Sub(now)
			credit = Cents(int64(sub.RenewalCents) * int64(left/time.Hour) / int64(period/time.Hour))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET status = 'canceled', updated_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		if credit > 0 {
			if refund, err = planRefund(ctx, tx, tid, &sub, credit); err != nil {
				return err
			}
			credit -= refund.Amount
		}
		if credit > 0 {
			if _, err := Post(ctx, tx, tid, "credit", id.String(), sub.Currency, "unused time of "+sub.Description,
				map[string]Cents{AcctRefunds: credit, creditAccount(sub.AccountID): -credit}); err != nil {
				return err
			}
		}
		return tenant.Audit(ctx, tx, tid, "subscription.canceled", id.String(), map[string]any{"credit_cents": credit, "refund_cents": refund.Amount})
	})
	if err == nil && refund.Amount > 0 {
		credit += s.refundUnused(ctx, tid, id, refund)
	}
	if err == nil {
		err = s.subscriptionChanged(ctx, tid, id, SubscriptionTerminated)
	}
	return credit, err
}

// Credit is the customer's account credit.
func (s *Service) Credit(ctx context.Context) (Cents, error) {
	if err := s.authz.Require(ctx, "store/orders", "read"); err != nil {
		return 0, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	var c Cents
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &c, `SELECT coalesce(-sum(amount_cents), 0) FROM ledger_postings WHERE account = $1`, creditAccount(actor.ID))
	})
	return c, err
}

// EndRefunded ends the subscription of an order that was refunded in full
// because what it paid for was never delivered (a deployment that failed
// after payment): it is terminated without credit (the refund gave the
// money back) and never renews. A subscription already ended is left as is.
func (s *Service) EndRefunded(ctx context.Context, firstOrder uuid.UUID) error {
	tid, _ := tenant.IDFromContext(ctx)
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var id uuid.UUID
		err := tx.GetContext(ctx, &id, `UPDATE subscriptions SET status = 'terminated', updated_at = now()
			WHERE first_order_id = $1 AND status NOT IN ('canceled', 'terminated') RETURNING id`, firstOrder)
		if tenant.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "subscription.terminated", id.String(), map[string]any{"reason": "refunded: never delivered"})
	})
}

// SubscriptionOfOrder returns the subscription an order started (uuid.Nil
// when it started none), in ctx's tenant; for the deployments domain.
func (s *Service) SubscriptionOfOrder(ctx context.Context, order uuid.UUID) (uuid.UUID, error) {
	var id uuid.UUID
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &id, `SELECT id FROM subscriptions WHERE first_order_id = $1`, order)
	})
	if tenant.IsNoRows(err) {
		return uuid.Nil, nil
	}
	return id, err
}

// FirstOrderOf returns the order a subscription started with (uuid.Nil
// when there is no such subscription), in ctx's tenant; for the
// deployments domain.
func (s *Service) FirstOrderOf(ctx context.Context, sub uuid.UUID) (uuid.UUID, error) {
	var id uuid.UUID
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &id, `SELECT first_order_id FROM subscriptions WHERE id = $1`, sub)
	})
	if tenant.IsNoRows(err) {
		return uuid.Nil, nil
	}
	return id, err
}
