package billing_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
)

// signMode is billing.Sign with the event's livemode set.
func signMode(t *testing.T, secret, typ, account string, object map[string]any, live bool) ([]byte, string) {
	t.Helper()
	payload, _ := billing.Sign(secret, typ, account, object, time.Now())
	var ev map[string]any
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	ev["livemode"] = live
	payload, _ = json.Marshal(ev)
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
	return payload, sp.Header
}

// TestWebhookEndpointsKeepTheirSecrets: Stripe signs a connected account's
// events with the Connect endpoint's secret and the platform's own events
// with the account endpoint's. Each endpoint accepts only its own secret and
// only its own kind of event; nothing refused is stored.
func TestWebhookEndpointsKeepTheirSecrets(t *testing.T) {
	f := newFixture(t)
	acct := f.connect()
	f.addCard("pm_card_visa") // emitted setup_intent.succeeded went to the Connect endpoint
	var n int
	if err := f.d.Owner(t).Get(&n, `SELECT count(*) FROM stripe_events WHERE type = 'setup_intent.succeeded' AND account = $1 AND outcome = 'card saved'`, acct); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d saved-card events from the emitter's Connect delivery, want 1", n)
	}
	obj := map[string]any{"id": "pi_endpoints", "object": "payment_intent", "amount": 100, "currency": "usd", "status": "succeeded"}
	cases := []struct {
		name    string
		connect bool
		secret  string
		account string
	}{
		{"connected account's event signed with the platform secret", true, secret, acct},
		{"connected account's event at the account endpoint, its own secret", false, connectSecret, acct},
		{"connected account's event at the account endpoint, platform secret", false, secret, acct},
		{"platform event at the Connect endpoint, Connect secret", true, connectSecret, ""},
		{"platform event signed with the Connect secret", false, connectSecret, ""},
	}
	for _, c := range cases {
		payload, sig := billing.Sign(c.secret, "payment_intent.succeeded", c.account, obj, time.Now())
		receive := f.svc.ReceiveWebhook
		if c.connect {
			receive = f.svc.ReceiveConnectWebhook
		}
		if err := receive(context.Background(), payload, sig); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
			t.Errorf("%s = %v, want EINVALID", c.name, err)
		}
	}
	if err := f.d.Owner(t).Get(&n, `SELECT count(*) FROM stripe_events WHERE payload->'data'->'object'->>'id' = 'pi_endpoints'`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d refused events stored, want 0", n)
	}
	// Each with its own secret at its own endpoint: stored.
	payload, sig := billing.Sign(connectSecret, "payment_intent.succeeded", acct, obj, time.Now())
	if err := f.svc.ReceiveConnectWebhook(context.Background(), payload, sig); err != nil {
		t.Errorf("connected account's event at the Connect endpoint: %v", err)
	}
	payload, sig = billing.Sign(secret, "payment_intent.succeeded", "", obj, time.Now())
	if err := f.svc.ReceiveWebhook(context.Background(), payload, sig); err != nil {
		t.Errorf("platform event at the account endpoint: %v", err)
	}
	if err := f.d.Owner(t).Get(&n, `SELECT count(*) FROM stripe_events WHERE payload->'data'->'object'->>'id' = 'pi_endpoints'`); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d events stored from the right endpoints, want 2", n)
	}
}

// TestWebhookOfTheOtherModeIsIgnored: a Connect endpoint receives connected
// accounts' test-mode events too; an event whose livemode is not the
// configured key's mode is answered (no error: Stripe stops retrying) and
// changes nothing.
func TestWebhookOfTheOtherModeIsIgnored(t *testing.T) {
	f := newFixture(t) // a test key (sk_test_…)
	acct := f.connect()
	f.addCard("pm_card_authenticationRequired")
	o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "checkout-livemode"})
	if err != nil {
		t.Fatal(err)
	}
	var pi string
	if err := f.d.Owner(t).Get(&pi, `SELECT payment_intent_id FROM orders WHERE id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	succeeded := map[string]any{"id": pi, "object": "payment_intent", "amount": int64(o.Amount), "currency": "usd", "status": "succeeded"}
	payload, sig := signMode(t, connectSecret, "payment_intent.succeeded", acct, succeeded, true)
	if err := f.svc.ReceiveConnectWebhook(context.Background(), payload, sig); err != nil {
		t.Fatalf("live event at a test-mode platform = %v, want answered without error", err)
	}
	var n int
	if err := f.d.Owner(t).Get(&n, `SELECT count(*) FROM stripe_events WHERE payload->>'livemode' = 'true'`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d live events stored by a test-mode platform, want 0", n)
	}
	if o2, _ := f.svc.Order(f.customer, o.ID); o2.Status != billing.OrderRequiresAction {
		t.Errorf("order after a live event = %s, want unchanged (requires_action)", o2.Status)
	}
	// The same event in test mode is applied.
	payload, sig = signMode(t, connectSecret, "payment_intent.succeeded", acct, succeeded, false)
	if err := f.svc.ReceiveConnectWebhook(context.Background(), payload, sig); err != nil {
		t.Fatal(err)
	}
	if o2, _ := f.svc.Order(f.customer, o.ID); o2.Status != billing.OrderPaid {
		t.Errorf("order after the test-mode event = %s, want paid", o2.Status)
	}
}
