package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TaskStripeEvent processes one stored Stripe event (task id stripe:<event id>).
const TaskStripeEvent = "billing:stripe-event"

// WebhookTolerance is how old a signed event may be.
const WebhookTolerance = 5 * time.Minute

// ReceiveWebhook is the account endpoint (/webhooks/stripe): the
// platform's own events — co-op charges, transfers, refunds, co-op cards —
// signed with Config.WebhookSecret. See receive.
func (s *Service) ReceiveWebhook(ctx context.Context, payload []byte, signature string) error {
	return s.receive(ctx, false, payload, signature)
}

// ReceiveConnectWebhook is the Connect endpoint (/webhooks/stripe/connect):
// connected accounts' events — tenants' direct charges, their accounts,
// co-op members' payout accounts — signed with
// Config.ConnectWebhookSecret. See receive.
func (s *Service) ReceiveConnectWebhook(ctx context.Context, payload []byte, signature string) error {
	return s.receive(ctx, true, payload, signature)
}

// receive checks the signature of one Stripe event with the secret of the
// endpoint it arrived at, stores it once by its id, maps it to its tenant —
// by its connected account at the Connect endpoint, by the co-op order it
// names at the account endpoint — and queues its processing. A forged or
// stale signature, or a signature made with the other endpoint's secret, is
// EINVALID and stores nothing; so is an event at the wrong endpoint (Stripe
// sends a connected account's events, and only those, to a Connect
// endpoint). An event whose livemode is not the configured key's is
// answered (nil) and logged, and nothing is stored or applied: a live
// Connect endpoint also receives connected accounts' test events
// (docs.stripe.com/connect/webhooks; support.stripe.com "Connect account
// webhook configurations"). A duplicate is accepted and ignored.
func (s *Service) receive(ctx context.Context, connect bool, payload []byte, signature string) error {
	secret, endpoint := s.cfg.WebhookSecret, "account"
	if connect {
		secret, endpoint = s.cfg.ConnectWebhookSecret, "connect"
	}
	if secret == "" {
		return fiatdashboard.Invalid("stripe-signature", "this webhook endpoint has no signing secret configured")
	}
	if err := checkSignatureTime(signature, time.Now()); err != nil {
		return err
	}
	// The event's API version may differ from the library's pinned one: we
	// read only fields stable across versions, deliberately.
	ev, err := webhook.ConstructEventWithOptions(payload, signature, secret,
		webhook.ConstructEventOptions{Tolerance: WebhookTolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		return fiatdashboard.Invalid("stripe-signature", "the event's signature is not valid for this endpoint or too old")
	}
	if ev.ID == "" || ev.Type == "" {
		return fiatdashboard.Invalid("body", "not a Stripe event")
	}
	if connect && ev.Account == "" {
		return fiatdashboard.Invalid("account", "an event of the platform's own account arrived at the Connect endpoint; send it to /webhooks/stripe")
	}
	if !connect && ev.Account != "" {
		return fiatdashboard.Invalid("account", "an event of a connected account arrived at the account endpoint; send it to /webhooks/stripe/connect")
	}
	if ev.Livemode != s.liveKey() {
		s.log.Info("stripe event of the other mode ignored", "event", ev.ID, "type", string(ev.Type), "livemode", ev.Livemode, "endpoint", endpoint)
		return nil
	}
	var pending bool
	err = tenant.SystemTx(ctx, s.db, "stripe webhook: store event", func(tx *tenant.Tx) error {
		var tid *uuid.UUID
		if ev.Account != "" {
			var id uuid.UUID
			err := tx.GetContext(ctx, &id, `SELECT tenant_id FROM tenant_stripe WHERE account_id = $1`, ev.Account)
			if err == nil {
				tid = &id
			} else if !tenant.IsNoRows(err) {
				return err
			}
		} else if ev.Data != nil {
			// The platform's own account: a co-op's payment (separate charges).
			var perr error
			if tid, perr = platformEventTenant(ctx, tx, ev.Data.Raw); perr != nil {
				return perr
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO stripe_events (id, tenant_id, type, account, payload) VALUES ($1, $2, $3, $4, $5::jsonb)
			ON CONFLICT (id) DO NOTHING`, ev.ID, tid, string(ev.Type), ev.Account, string(payload))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			// Stripe will not send it again once answered 200: processing
			// it is owed from this commit on (the outbox), not from Redis.
			sctx := tenant.WithActor(ctx, tenant.System("stripe webhook"))
			if err := tenant.Owe(sctx, tx, tenant.OwedTask{Key: "stripe:" + ev.ID, Type: TaskStripeEvent, Data: map[string]string{"id": ev.ID}, TenantID: tid}); err != nil {
				return err
			}
		}
		return tx.GetContext(ctx, &pending, `SELECT processed_at IS NULL FROM stripe_events WHERE id = $1`, ev.ID)
	})
	if err != nil {
		return err
	}
	if !pending {
		return nil // a duplicate of an event already handled
	}
	// The task id is the event id: a redelivery queued again is one task.
	// The event is stored and its processing owed: Redis being down delays
	// it (the outbox relay hands it over) and is no reason for Stripe to
	// send it again.
	if err := s.enqueue.EnqueueStripeEvent(ctx, ev.ID); err != nil {
		if s.log != nil {
			s.log.Warn("stripe event waits for the outbox relay", "event", ev.ID, "err", err)
		}
		return nil
	}
	return nil
}

// ProcessEvent handles a stored event once. Handlers compare with the stored
// state, so events arriving out of order or twice change nothing wrongly.
func (s *Service) ProcessEvent(ctx context.Context, id string) error {
	var row struct {
		TenantID  *uuid.UUID `db:"tenant_id"`
		Type      string     `db:"type"`
		Payload   string     `db:"payload"`
		Processed bool       `db:"processed"`
	}
	err := tenant.SystemTx(ctx, s.db, "stripe webhook: load event", func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &row, `SELECT tenant_id, type, payload::text AS payload, processed_at IS NOT NULL AS processed FROM stripe_events WHERE id = $1`, id)
	})
	if tenant.IsNoRows(err) {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "event %s not stored", id)
	}
	if err != nil || row.Processed {
		return err
	}
	outcome := "ignored"
	if row.TenantID == nil {
		// Perhaps a co-op member's own connected account (its onboarding).
		if outcome, err = s.coops.MemberEvent(ctx, row.Type, row.Payload); err != nil {
			return fmt.Errorf("event %s (%s): %w", id, row.Type, err)
		}
	} else {
		var ev stripe.Event
		if err := json.Unmarshal([]byte(row.Payload), &ev); err != nil {
			return fiatdashboard.Invalid("payload", "stored event does not decode: %v", err)
		}
		tctx := tenant.WithID(tenant.WithActor(ctx, tenant.System("stripe webhook")), *row.TenantID)
		if outcome, err = s.handle(tctx, *row.TenantID, &ev); err != nil {
			return fmt.Errorf("event %s (%s): %w", id, row.Type, err)
		}
	}
	return tenant.SystemTx(ctx, s.db, "stripe webhook: mark processed", func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE stripe_events SET processed_at = now(), outcome = $2 WHERE id = $1`, id, outcome)
		return err
	})
}

func (s *Service) handle(ctx context.Context, tid uuid.UUID, ev *stripe.Event) (string, error) {
	raw := ev.Data.Raw
	switch ev.Type {
	case "account.updated":
		var a stripe.Account
		if err := json.Unmarshal(raw, &a); err != nil {
			return "", err
		}
		due := []string{}
		if a.Requirements != nil {
			due = append(due, a.Requirements.CurrentlyDue...)
		}
		req, _ := json.Marshal(due)
		return "account updated", tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE tenant_stripe SET charges_enabled = $2, payouts_enabled = $3, details_submitted = $4,
				requirements = $5::jsonb, updated_at = now() WHERE account_id = $1`, a.ID, a.ChargesEnabled, a.PayoutsEnabled, a.DetailsSubmitted, string(req))
			return err
		})
	case "setup_intent.succeeded":
		var si stripe.SetupIntent
		if err := json.Unmarshal(raw, &si); err != nil {
			return "", err
		}
		if si.PaymentMethod == nil || si.Customer == nil {
			return "no payment method", nil
		}
		return s.saveCard(ctx, tid, ev.Account, si.Customer.ID, si.PaymentMethod.ID)
	case "payment_intent.succeeded":
		var pi stripe.PaymentIntent
		if err := json.Unmarshal(raw, &pi); err != nil {
			return "", err
		}
		return s.orderPaid(ctx, tid, ev.Account, &pi)
	case "payment_intent.payment_failed":
		var pi stripe.PaymentIntent
		if err := json.Unmarshal(raw, &pi); err != nil {
			return "", err
		}
		msg := "Your card was declined."
		if pi.LastPaymentError != nil && pi.LastPaymentError.Msg != "" {
			msg = pi.LastPaymentError.Msg
		}
		if pi.LastPaymentError != nil && pi.LastPaymentError.Code == stripe.ErrorCodeAuthenticationRequired {
			// An off-session renewal the bank wants authenticated: the
			// customer confirms it on-session; dunning waits for that.
			var o Order
			err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
				return tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders WHERE payment_intent_id = $1`, pi.ID)
			})
			if tenant.IsNoRows(err) {
				return "order unknown", nil
			}
			if err != nil {
				return "", err
			}
			if o.SubscriptionID != nil && (o.Status == OrderAwaitingPayment || o.Status == OrderRequiresAction) {
				return "renewal needs the customer's authentication", s.renewalNeedsAuthentication(ctx, tid, pi.ID, &o)
			}
		}
		var sub *uuid.UUID
		var n int
		err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			return tx.QueryRowxContext(ctx, `WITH u AS (UPDATE orders SET status = 'failed', failure_message = $2, updated_at = now()
				WHERE payment_intent_id = $1 AND status IN ('awaiting_payment', 'requires_action') RETURNING subscription_id)
				SELECT count(*), max(subscription_id::text)::uuid FROM u`, pi.ID, msg).Scan(&n, &sub)
		})
		if err != nil || n == 0 {
			return "order not awaiting payment", err
		}
		if sub != nil {
			return "renewal failed", s.renewalFailed(ctx, tid, *sub, msg)
		}
		return "order failed", nil
	case "charge.refunded":
		var ch stripe.Charge
		if err := json.Unmarshal(raw, &ch); err != nil {
			return "", err
		}
		return s.chargeRefunded(ctx, tid, &ch)
	case "charge.refund.updated", "refund.updated":
		var r stripe.Refund
		if err := json.Unmarshal(raw, &r); err != nil {
			return "", err
		}
		return s.refundUpdated(ctx, tid, &r)
	case "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed", "charge.dispute.funds_withdrawn":
		return s.disputeEvent(ctx, tid, string(ev.Type), raw)
	case "payout.failed":
		return s.payoutFailed(ctx, tid, raw)
	}
	return "ignored", nil
}

func (s *Service) saveCard(ctx context.Context, tid uuid.UUID, acct, customer, pmID string) (string, error) {
	params := &stripe.PaymentMethodParams{}
	onAccount(params, acct)
	pm, err := s.sc.PaymentMethods.Get(pmID, params)
	if err != nil {
		return "", stripeError("payment method", err)
	}
	brand, last4, month, year := "card", "????", 0, 0
	if pm.Card != nil {
		brand, last4, month, year = string(pm.Card.Brand), pm.Card.Last4, int(pm.Card.ExpMonth), int(pm.Card.ExpYear)
	}
	if s.cfg.Mock {
		// stripe-mock answers every card with one fixture; show which test card it is.
		switch pmID {
		case "pm_card_chargeDeclined":
			last4 = "0002"
		case "pm_card_authenticationRequired":
			last4 = "3184"
		}
	}
	var saved bool
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var account uuid.UUID
		err := tx.GetContext(ctx, &account, `SELECT account_id FROM stripe_customers WHERE customer_id = $1`, customer)
		if tenant.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		saved = true
		_, err = tx.ExecContext(ctx, `INSERT INTO payment_methods (id, tenant_id, account_id, brand, last4, exp_month, exp_year, is_default)
			VALUES ($1, $2, $3, $4, $5, $6, $7, NOT EXISTS (SELECT 1 FROM payment_methods WHERE account_id = $3 AND is_default))
			ON CONFLICT (account_id, id) DO NOTHING`, pmID, tid, account, brand, last4, month, year)
		return err
	})
	if !saved {
		return "unknown customer", err
	}
	return "card saved", err
}

func (s *Service) orderPaid(ctx context.Context, tid uuid.UUID, account string, pi *stripe.PaymentIntent) (string, error) {
	var o Order
	var resumed *uuid.UUID
	var outcome string
	var events []string // owed service events, handed over after the commit
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		err := tx.GetContext(ctx, &o, `UPDATE orders SET status = 'paid', paid_at = now(), failure_message = '', updated_at = now()
			WHERE payment_intent_id = $1 AND status IN ('awaiting_payment', 'requires_action', 'failed') RETURNING `+orderColumns, pi.ID)
		if tenant.IsNoRows(err) {
			outcome = "order already settled or unknown"
			return nil
		}
		if err != nil {
			return err
		}
		if Cents(pi.Amount) != o.Amount {
			return fmt.Errorf("payment %s is %d, order %s is %d", pi.ID, pi.Amount, o.ID, o.Amount)
		}
		outcome = "order paid"
		if resumed, err = s.settlePaid(ctx, tx, tid, &o); err != nil {
			return err
		}
		if resumed != nil {
			key, err := oweSubscriptionChange(ctx, tx, tid, *resumed, SubscriptionResumed)
			if err != nil {
				return err
			}
			events = append(events, key)
		}
		if o.SubscriptionID == nil {
			// What the order paid for is owed its start in this same
			// transaction: a retry finds all done or nothing.
			key, err := oweOrderPaid(ctx, tx, tid, o.ID)
			if err != nil {
				return err
			}
			events = append(events, key)
		}
		return nil
	})
	if err == nil {
		s.kick(ctx, events...)
	}
	if err == nil {
		// A co-op's payment goes to its members; each time the event is
		// processed, so a retry finishes what a failed attempt began.
		charge := ""
		if pi.LatestCharge != nil {
			charge = pi.LatestCharge.ID
		}
		// The fee Stripe actually took, before a co-op divides the rest.
		err = s.recordFee(ctx, tid, pi.ID, account, charge)
		if err == nil {
			err = s.coops.Paid(ctx, tid, pi.ID, charge)
		}
	}
	return outcome, err
}

func (s *Service) chargeRefunded(ctx context.Context, tid uuid.UUID, ch *stripe.Charge) (string, error) {
	if ch.PaymentIntent == nil {
		return "no payment intent", nil
	}
	outcome := "order unknown"
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var o Order
		err := tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders WHERE payment_intent_id = $1 FOR UPDATE`, ch.PaymentIntent.ID)
		if tenant.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		total := Cents(ch.AmountRefunded)
		if total <= o.Refunded {
			outcome = "refund already recorded"
			return nil // an older event arriving late
		}
		delta := total - o.Refunded
		status := o.Status
		if total >= o.Amount {
			status = OrderRefunded
		}
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET refunded_cents = $2, status = $3, updated_at = now() WHERE id = $1`, o.ID, total, status); err != nil {
			return err
		}
		if _, err := Post(ctx, tx, tid, "refund", fmt.Sprintf("%s:%d", ch.ID, total), o.Currency, "refund of "+o.Description,
			refundPostings(delta, o.Amount, o.ApplicationFee)); err != nil {
			return err
		}
		// The refund's document, in the refund's own transaction.
		if err := issueCreditNote(ctx, tx, tid, &o, CreditRefund, fmt.Sprintf("refund:%s:%d", ch.ID, total), delta, s.now()); err != nil {
			return err
		}
		outcome = "refund recorded"
		return tenant.Audit(ctx, tx, tid, "order.refunded", o.ID.String(), map[string]any{"amount_cents": delta, "total_refunded_cents": total})
	})
	if err == nil {
		// A co-op's members give back their part of the refund.
		err = s.coops.Refunded(ctx, tid, ch.PaymentIntent.ID)
	}
	return outcome, err
}
