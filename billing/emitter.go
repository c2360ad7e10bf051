package billing

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Emitter stands in for Stripe's event delivery in mock mode: stripe-mock
// keeps no state and sends no events, so the emitter signs the events
// Stripe would send and posts them where Stripe would, through the same
// signature check. It is nil (and does nothing) in any other mode.
//
// Like Stripe, it has two endpoints: "Account webhooks are for activity on
// your own account … Connect webhooks are for activity on any connected
// account" (docs.stripe.com/connect/webhooks), each endpoint with its own
// signing secret ("secret: the endpoint's secret, used to generate webhook
// signatures", the Webhook Endpoint object). An event of a connected
// account (its `account` set) goes only to the Connect endpoint, signed
// with the Connect secret; the platform's own events (co-op charges,
// transfers, refunds, cards) go only to the account endpoint. Without a
// Connect endpoint (Connect) a connected account's event is not delivered
// at all, as Stripe would not deliver it either.
type Emitter struct {
	secret string
	send   func(ctx context.Context, payload []byte, signature string) error
	delay  time.Duration
	log    *slog.Logger
	// With an outbox (UseOutbox), an event is written to PostgreSQL first and
	// delivered by a task, as Stripe redelivers until the endpoint answers:
	// a crash of the process that emitted it loses nothing.
	db   *sqlx.DB
	kick func(ctx context.Context, key string) error
	tx   *tenant.Tx // Within: write into this transaction
	// The Connect endpoint: connected accounts' events.
	connectSecret string
	connectSend   func(ctx context.Context, payload []byte, signature string) error
}

// NewEmitter returns an emitter that signs the platform's own events with
// secret (the account endpoint's) and delivers them with send after delay
// (0: synchronously, for tests). Connect adds the Connect endpoint.
func NewEmitter(secret string, delay time.Duration, send func(ctx context.Context, payload []byte, signature string) error, log *slog.Logger) *Emitter {
	return &Emitter{secret: secret, send: send, delay: delay, log: log}
}

// Connect sets the Connect endpoint: connected accounts' events are signed
// with secret and delivered with send. It returns e.
func (e *Emitter) Connect(secret string, send func(ctx context.Context, payload []byte, signature string) error) *Emitter {
	if e != nil {
		e.connectSecret, e.connectSend = secret, send
	}
	return e
}

// endpoint is where Stripe delivers an event of account ("" = the
// platform's own): its signing secret and sender; nil when that endpoint
// does not exist.
func (e *Emitter) endpoint(account string) (string, func(ctx context.Context, payload []byte, signature string) error) {
	if account != "" {
		return e.connectSecret, e.connectSend
	}
	return e.secret, e.send
}

type mockEvent struct {
	ID         string         `json:"id"`
	Object     string         `json:"object"`
	APIVersion string         `json:"api_version"`
	Created    int64          `json:"created"`
	Type       string         `json:"type"`
	Account    string         `json:"account"`
	Livemode   bool           `json:"livemode"`
	Data       map[string]any `json:"data"`
}

// TaskMockEvent delivers one mock Stripe event from the outbox.
const TaskMockEvent = "billing:mock-event"

// MockDelivery is the outbox payload of a mock event: the event, unsigned
// (it is signed at each delivery attempt, as Stripe does).
type MockDelivery struct {
	Event json.RawMessage `json:"event"`
}

// UseOutbox makes the emitter write each event to the outbox (kick hands it
// to the queue at once) instead of sending it from memory.
func (e *Emitter) UseOutbox(db *sqlx.DB, kick func(ctx context.Context, key string) error) {
	if e != nil {
		e.db, e.kick = db, kick
	}
}

// Durable reports whether events go through the outbox.
func (e *Emitter) Durable() bool { return e != nil && e.db != nil }

// Within returns the emitter writing its events into tx, so that an event
// is owed exactly when the state change that causes it commits. Without an
// outbox it is e itself.
func (e *Emitter) Within(tx *tenant.Tx) *Emitter {
	if e == nil || e.db == nil {
		return e
	}
	c := *e
	c.tx = tx
	return &c
}

// Deliver signs a stored event now and posts it (the mock-event task).
// It goes to the endpoint of the event's account, signed with that
// endpoint's secret.
func (e *Emitter) Deliver(ctx context.Context, d MockDelivery) error {
	var ev struct {
		Account string `json:"account"`
	}
	if err := json.Unmarshal(d.Event, &ev); err != nil {
		return err
	}
	secret, send := e.endpoint(ev.Account)
	if send == nil {
		e.log.Error("mock stripe event not delivered: no endpoint for it", "connect", ev.Account != "")
		return nil
	}
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: d.Event, Secret: secret, Timestamp: time.Now()})
	return send(ctx, d.Event, sp.Header)
}

func (e *Emitter) owe(typ, account string, object map[string]any) {
	ev := mockEvent{ID: "evt_mock_" + uuid.NewString()[:18], Object: "event", APIVersion: stripe.APIVersion, Created: time.Now().Unix(),
		Type: typ, Account: account, Data: map[string]any{"object": object}}
	payload, _ := json.Marshal(ev)
	ctx := tenant.WithActor(context.Background(), tenant.System("stripe mock"))
	key := "mockevt:" + ev.ID
	t := tenant.OwedTask{Key: key, Type: TaskMockEvent, Data: MockDelivery{Event: payload}}
	if e.tx != nil {
		if tid := e.tx.TenantID(); tid != uuid.Nil {
			t.TenantID = &tid
		}
		if err := tenant.Owe(ctx, e.tx, t); err != nil {
			e.log.Error("mock stripe event not stored", "type", typ, "err", err)
		}
		return // the relay hands it over once the transaction commits
	}
	if err := tenant.SystemTx(ctx, e.db, "stripe mock: store event", func(tx *tenant.Tx) error { return tenant.Owe(ctx, tx, t) }); err != nil {
		e.log.Error("mock stripe event not stored", "type", typ, "err", err)
		return
	}
	if e.kick != nil {
		if err := e.kick(ctx, key); err != nil {
			e.log.Warn("mock stripe event waits for the outbox relay", "type", typ, "err", err)
		}
	}
}

// Sign returns a signed Stripe event (payload and Stripe-Signature header)
// of type on the connected account, at time at.
func Sign(secret, typ, account string, object map[string]any, at time.Time) ([]byte, string) {
	ev := mockEvent{ID: "evt_mock_" + uuid.NewString()[:18], Object: "event", APIVersion: stripe.APIVersion, Created: at.Unix(),
		Type: typ, Account: account, Data: map[string]any{"object": object}}
	payload, _ := json.Marshal(ev)
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at})
	return payload, sp.Header
}

func (e *Emitter) emit(typ, account string, object map[string]any) {
	if e == nil {
		return
	}
	if e.db != nil {
		e.owe(typ, account, object)
		return
	}
	secret, send := e.endpoint(account)
	if send == nil {
		e.log.Error("mock stripe event not delivered: no endpoint for it", "type", typ, "connect", account != "")
		return
	}
	deliver := func() {
		// Like Stripe, try again for a while when the endpoint does not answer.
		var err error
		for attempt := range 6 {
			if attempt > 0 {
				time.Sleep(time.Duration(attempt) * time.Second)
			}
			payload, sig := Sign(secret, typ, account, object, time.Now())
			if err = send(context.Background(), payload, sig); err == nil || e.delay == 0 {
				break
			}
		}
		if err != nil {
			e.log.Error("mock stripe event not delivered", "type", typ, "err", err)
		}
	}
	if e.delay == 0 {
		deliver()
		return
	}
	go func() {
		time.Sleep(e.delay)
		deliver()
	}()
}

// AccountOnboarded sends the account.updated Stripe sends once a tenant has
// finished onboarding.
func (e *Emitter) AccountOnboarded(_ uuid.UUID, account string) {
	e.emit("account.updated", account, map[string]any{"id": account, "object": "account", "charges_enabled": true,
		"payouts_enabled": true, "details_submitted": true, "requirements": map[string]any{"currently_due": []string{}}})
}

// SetupSucceeded sends setup_intent.succeeded for a confirmed SetupIntent.
func (e *Emitter) SetupSucceeded(tid uuid.UUID, account, setupIntent, customer, paymentMethod string) {
	// Stripe echoes the metadata NewSetupIntent set (a co-op's platform
	// events are mapped to their tenant by it).
	e.emit("setup_intent.succeeded", account, map[string]any{"id": setupIntent, "object": "setup_intent", "status": "succeeded",
		"customer": customer, "payment_method": paymentMethod, "usage": "off_session", "metadata": map[string]string{"tenant_id": tid.String()}})
}

// PaymentOutcome sends what Stripe would after a PaymentIntent is confirmed
// with one of its test cards: declined cards fail, the 3-D Secure card waits
// for MockAuthenticate, any other succeeds.
func (e *Emitter) PaymentOutcome(tid uuid.UUID, account, paymentIntent string, o Order, paymentMethod string) {
	switch paymentMethod {
	case "pm_card_authenticationRequired":
		return
	case "pm_card_chargeDeclined":
		e.emit("payment_intent.payment_failed", account, map[string]any{"id": paymentIntent, "object": "payment_intent", "amount": int64(o.Amount),
			"currency": o.Currency, "status": "requires_payment_method", "metadata": map[string]string{"order_id": o.ID.String(), "tenant_id": tid.String()},
			"last_payment_error": map[string]any{"type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
				"message": "Your card was declined. Use another card or contact your bank."}})
	default:
		e.PaymentSucceeded(account, paymentIntent, o)
	}
}

// OffSessionOutcome sends what Stripe would after an off-session
// PaymentIntent (a renewal) is confirmed with one of its test cards. Unlike
// on-session, the 3-D Secure card cannot be authenticated by a customer who
// is not there: Stripe fails the payment with code authentication_required
// and the PaymentIntent goes back to requires_payment_method ("If
// authentication is required, your customer needs to return to your
// application to complete the payment", stripe.com/docs/payments/cards/
// charging-saved-cards; test card pm_card_authenticationRequired).
func (e *Emitter) OffSessionOutcome(tid uuid.UUID, account, paymentIntent string, o Order, paymentMethod string) {
	if paymentMethod != "pm_card_authenticationRequired" {
		e.PaymentOutcome(tid, account, paymentIntent, o, paymentMethod)
		return
	}
	e.emit("payment_intent.payment_failed", account, map[string]any{"id": paymentIntent, "object": "payment_intent", "amount": int64(o.Amount),
		"currency": o.Currency, "status": "requires_payment_method", "metadata": map[string]string{"order_id": o.ID.String(), "tenant_id": tid.String()},
		"last_payment_error": map[string]any{"type": "card_error", "code": "authentication_required", "decline_code": "authentication_required",
			"message": "Your card was declined. This transaction requires authentication."}})
}

// PaymentSucceeded sends payment_intent.succeeded.
func (e *Emitter) PaymentSucceeded(account, paymentIntent string, o Order) {
	e.emit("payment_intent.succeeded", account, map[string]any{"id": paymentIntent, "object": "payment_intent", "amount": int64(o.Amount),
		"amount_received": int64(o.Amount), "currency": o.Currency, "status": "succeeded", "metadata": map[string]string{"order_id": o.ID.String()},
		"latest_charge": "ch_mock_" + o.ID.String()[:8]})
}

// Refunded sends charge.refunded with the charge's total refunded amount.
func (e *Emitter) Refunded(_ uuid.UUID, account string, o Order, totalRefunded Cents) {
	pi := ""
	if o.PaymentIntentID != nil {
		pi = *o.PaymentIntentID
	}
	e.emit("charge.refunded", account, map[string]any{"id": "ch_mock_" + o.ID.String()[:8], "object": "charge", "amount": int64(o.Amount),
		"amount_refunded": int64(totalRefunded), "refunded": totalRefunded >= o.Amount, "currency": o.Currency, "payment_intent": pi})
}

// RefundUpdated sends charge.refund.updated for a refund of an order: its
// status (succeeded, or failed with Stripe's failure_reason, e.g.
// "expired_or_canceled_card"), carrying the metadata Refund set.
func (e *Emitter) RefundUpdated(tid uuid.UUID, account string, o Order, refundRow uuid.UUID, refund string, amount Cents, status, failureReason string) {
	pi := ""
	if o.PaymentIntentID != nil {
		pi = *o.PaymentIntentID
	}
	obj := map[string]any{"id": refund, "object": "refund", "amount": int64(amount), "currency": o.Currency, "status": status,
		"payment_intent": pi, "charge": "ch_mock_" + o.ID.String()[:8],
		"metadata": map[string]string{"order_id": o.ID.String(), "refund_id": refundRow.String(), "tenant_id": tid.String()}}
	if failureReason != "" {
		obj["failure_reason"] = failureReason
	}
	e.emit("charge.refund.updated", account, obj)
}

// Dispute sends charge.dispute.<what> (created, closed, …) for an order's
// charge with the dispute's status; a dispute that opens carries Stripe's
// balance transaction withdrawing the amount and the dispute fee.
func (e *Emitter) Dispute(what string, account string, o Order, dispute, status string, fee Cents, dueBy time.Time) {
	pi := ""
	if o.PaymentIntentID != nil {
		pi = *o.PaymentIntentID
	}
	e.emit("charge.dispute."+what, account, map[string]any{"id": dispute, "object": "dispute", "amount": int64(o.Amount), "currency": o.Currency,
		"charge": "ch_mock_" + o.ID.String()[:8], "payment_intent": pi, "reason": "fraudulent", "status": status,
		"evidence_details":     map[string]any{"due_by": dueBy.Unix()},
		"balance_transactions": []map[string]any{{"id": "txn_mock_" + dispute, "object": "balance_transaction", "amount": -int64(o.Amount), "fee": int64(fee)}}})
}

// PayoutFailed sends payout.failed for a connected account's payout.
func (e *Emitter) PayoutFailed(account, payout string, amount Cents, code, message string) {
	e.emit("payout.failed", account, map[string]any{"id": payout, "object": "payout", "amount": int64(amount), "currency": "usd",
		"status": "failed", "failure_code": code, "failure_message": message})
}
