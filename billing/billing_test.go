package billing_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/billingtest"
	"github.com/fiatdashboard/fiatdashboard/billing/stripemock"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
	"github.com/fiatdashboard/fiatdashboard/jobs/jobstest"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// The two webhook endpoints' signing secrets: the platform account's own
// events and connected accounts' events.
const (
	secret        = "whsec_test_secret"
	connectSecret = "whsec_test_connect_secret"
)

// syncQueue processes events at once, as the worker would, and gives
// billing's service events to the fixture's events (none: they stay owed).
type syncQueue struct{ f *fixture }

func (q syncQueue) EnqueueStripeEvent(ctx context.Context, id string) error {
	return q.f.svc.ProcessEvent(ctx, id)
}

func (q syncQueue) Kick(ctx context.Context, key string) error {
	if q.f.events == nil {
		return nil
	}
	return billingtest.RunOwed(ctx, q.f.d.App, key, q.f.events)
}

type fixture struct {
	t        *testing.T
	d        *dbtest.DB
	svc      *billing.Service
	tenantID uuid.UUID
	owner    context.Context // tenant owner (MFA)
	customer context.Context
	custID   uuid.UUID
	authz    *rbac.Authorizer
	log      *slog.Logger
	sim      *gridsim.Sim // the grid billing quotes on and reads wallets from
	// events hears billing's service events (the deployments domain's part).
	events billing.ServiceEvents
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := dbtest.New(t)
	r := jobstest.New(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	authz, err := rbac.NewAuthorizer(ctx, d.App, r.Client, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(authz.Close)
	tn, err := tenant.NewStore(d.App).Create(ctx, tenant.NewTenant{Slug: "alpha", Name: "Alpha Cloud", Status: tenant.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	rs := rbac.NewStore(d.App)
	owner, err := rs.EnsureAccount(ctx, tn.ID, "owner@alpha.test", "a long enough passphrase", rbac.RoleOwner)
	if err != nil {
		t.Fatal(err)
	}
	cust, err := rs.EnsureAccount(ctx, tn.ID, "ann@alpha.test", "a long enough passphrase", rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	authz.Reload()
	sm := stripemock.ForTest(t)
	f := &fixture{t: t, d: d, tenantID: tn.ID, custID: cust, authz: authz, log: log, sim: gridsim.New(gridsim.Config{Seed: 1})}
	tctx := tenant.WithID(ctx, tn.ID)
	f.owner = tenant.WithActor(tctx, tenant.Actor{Kind: tenant.ActorUser, ID: owner, Name: "owner@alpha.test", MFA: true})
	f.customer = tenant.WithActor(tctx, tenant.Actor{Kind: tenant.ActorUser, ID: cust, Name: "ann@alpha.test"})
	emitter := billing.NewEmitter(secret, 0, func(ctx context.Context, payload []byte, sig string) error {
		return f.svc.ReceiveWebhook(ctx, payload, sig)
	}, log).Connect(connectSecret, func(ctx context.Context, payload []byte, sig string) error {
		return f.svc.ReceiveConnectWebhook(ctx, payload, sig)
	})
	f.svc = billing.NewService(d.App, billing.Config{SecretKey: "sk_test_123", WebhookSecret: secret, ConnectWebhookSecret: connectSecret, APIURL: sm.URL, Mock: true,
		Mailer: rbac.NewOutbox(d.App)}, authz, f.sim, syncQueue{f}, emitter, log)
	return f
}

// connect onboards the tenant to Stripe Connect (stripe-mock + emitted
// account.updated) and gives it a grid wallet that can pay for orders.
func (f *fixture) connect() string {
	f.t.Helper()
	acct := f.connectStripe()
	f.fundWallet(10_000 * grid.UnitsPerTFT)
	return acct
}

// fundWallet gives the tenant a KYC-verified grid wallet holding balance;
// it returns the wallet's twin.
func (f *fixture) fundWallet(balance grid.TFTUnits) uint32 {
	f.t.Helper()
	tr, ex := billingtest.Treasury(f.t, f.d.App, f.authz, f.sim, treasury.Options{})
	twin, _ := billingtest.FundWallet(f.t, tr, f.sim, ex, f.tenantID, balance)
	return twin
}

// connectStripe onboards the tenant to Stripe Connect only.
func (f *fixture) connectStripe() string {
	f.t.Helper()
	link, err := f.svc.OnboardingLink(f.owner, "http://alpha.localhost")
	if err != nil {
		f.t.Fatalf("onboarding link: %v", err)
	}
	if !strings.HasPrefix(link, "http://alpha.localhost/admin/billing") {
		f.t.Errorf("mock onboarding link = %s", link)
	}
	st, err := f.svc.Connect(f.owner)
	if err != nil || !st.Connected || !st.ChargesEnabled || !strings.HasPrefix(st.AccountID, "acct_") {
		f.t.Fatalf("connect status after onboarding = %+v, %v", st, err)
	}
	return st.AccountID
}

func (f *fixture) addCard(pm string) {
	f.t.Helper()
	si, err := f.svc.NewSetupIntent(f.customer)
	if err != nil {
		f.t.Fatalf("setup intent: %v", err)
	}
	if !strings.HasPrefix(si.ID, "seti_") || si.ClientSecret == "" {
		f.t.Errorf("setup intent = %+v", si)
	}
	if err := f.svc.MockConfirmSetup(f.customer, si.ID, pm); err != nil {
		f.t.Fatalf("confirm setup: %v", err)
	}
}

func TestCheckoutBeforeConnectIsRefused(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.NewSetupIntent(f.customer)
	if fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT || !strings.Contains(err.Error(), "cannot take card payments yet") {
		t.Errorf("setup intent before Connect = %v, want ECONFLICT saying so", err)
	}
	if _, err := f.svc.OnboardingLink(f.customer, "http://x"); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("customer starting onboarding = %v, want ENOTFOUND", err)
	}
}

// TestCardsAndCheckout saves test cards, pays an order that becomes paid
// only through the webhook, replays the same checkout without a second
// charge, and sees a declined card fail with a clear message and no ledger entry.
func TestCardsAndCheckout(t *testing.T) {
	f := newFixture(t)
	f.connect()
	f.addCard("pm_card_visa")
	f.addCard("pm_card_chargeDeclined")
	cards, err := f.svc.Cards(f.customer)
	if err != nil || len(cards) != 2 || cards[0].ID != "pm_card_visa" || !cards[0].IsDefault || cards[1].Last4 != "0002" {
		t.Fatalf("cards = %+v, %v; want visa default and the declining card", cards, err)
	}
	o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "checkout-1"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != billing.OrderPaid || o.Amount != 608 || o.Currency != "usd" {
		t.Errorf("order = %s %d %s, want paid 608 usd (small: 405 ¢ grid list × 1.5, rounded up)", o.Status, o.Amount, o.Currency)
	}
	again, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "checkout-1"})
	if err != nil || again.ID != o.ID {
		t.Errorf("same client key = %v, %v; want the same order", again, err)
	}
	declined, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "medium"}, PaymentMethod: "pm_card_chargeDeclined", ClientKey: "checkout-2"})
	if err != nil {
		t.Fatal(err)
	}
	if declined.Status != billing.OrderFailed || !strings.Contains(declined.FailureMessage, "declined") {
		t.Errorf("declined order = %s %q, want failed with a clear message", declined.Status, declined.FailureMessage)
	}
	bal, err := f.svc.Balances(f.owner)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]billing.Cents{}
	for _, b := range bal {
		got[b.Account] = b.Cents
	}
	// 608: platform fee 2 % = 12.16 → 13; Stripe 2.9 % = 17.632 → 18, + 30 = 48; balance 608 − 13 − 48 = 547.
	want := map[string]billing.Cents{"revenue": -608, "platform_fees": 13, "stripe_fees": 48, "stripe_balance": 547}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("ledger %s = %d, want %d (all %v)", k, got[k], v, got)
		}
	}
	// Another customer sees none of it.
	if _, err := f.svc.Order(tenant.WithActor(f.customer, tenant.Actor{Kind: tenant.ActorUser, ID: uuid.New()}), o.ID); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("another account reading the order = %v, want ENOTFOUND", err)
	}
	if err := f.svc.RemoveCard(f.customer, "pm_card_visa"); err != nil {
		t.Fatalf("remove card: %v", err)
	}
	cards, _ = f.svc.Cards(f.customer)
	if len(cards) != 1 || !cards[0].IsDefault {
		t.Errorf("after removing the default, cards = %+v; want the other one as default", cards)
	}
}

func TestThreeDSecureWaitsForAuthentication(t *testing.T) {
	f := newFixture(t)
	f.connect()
	f.addCard("pm_card_authenticationRequired")
	o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "checkout-3ds"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != billing.OrderRequiresAction || o.ClientSecret == "" {
		t.Fatalf("order = %s (secret %q), want requires_action with a client secret", o.Status, o.ClientSecret)
	}
	o, err = f.svc.MockAuthenticate(f.customer, o.ID)
	if err != nil || o.Status != billing.OrderPaid {
		t.Errorf("after authentication = %v, %v; want paid", o, err)
	}
}

// TestWebhookDelivery: forged and stale signatures change nothing; a
// duplicate is processed once; events in reverse order leave the right
// state; an unknown connected account is stored and ignored.
func TestWebhookDelivery(t *testing.T) {
	f := newFixture(t)
	acct := f.connect()
	f.addCard("pm_card_authenticationRequired")
	o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "checkout-wh"})
	if err != nil {
		t.Fatal(err)
	}
	var pi string
	if err := f.d.Owner(t).Get(&pi, `SELECT payment_intent_id FROM orders WHERE id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	succeeded := map[string]any{"id": pi, "object": "payment_intent", "amount": int64(o.Amount), "currency": "usd", "status": "succeeded"}
	failed := map[string]any{"id": pi, "object": "payment_intent", "amount": int64(o.Amount), "currency": "usd", "status": "requires_payment_method",
		"last_payment_error": map[string]any{"type": "card_error", "message": "Your card was declined."}}

	payload, sig := billing.Sign("whsec_forged", "payment_intent.succeeded", acct, succeeded, time.Now())
	if err := f.svc.ReceiveConnectWebhook(context.Background(), payload, sig); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("forged signature = %v, want EINVALID", err)
	}
	payload, sig = billing.Sign(connectSecret, "payment_intent.succeeded", acct, succeeded, time.Now().Add(-time.Hour))
	if err := f.svc.ReceiveConnectWebhook(context.Background(), payload, sig); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("stale signature = %v, want EINVALID", err)
	}
	tampered := strings.Replace(string(payload), `"amount":608`, `"amount":1`, 1)
	_, sig = billing.Sign(connectSecret, "x", acct, nil, time.Now())
	if err := f.svc.ReceiveConnectWebhook(context.Background(), []byte(tampered), sig); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("tampered body = %v, want EINVALID", err)
	}
	var stored int
	if err := f.d.Owner(t).Get(&stored, `SELECT count(*) FROM stripe_events WHERE type = 'payment_intent.succeeded'`); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Errorf("%d events stored from bad signatures, want 0", stored)
	}
	if o2, _ := f.svc.Order(f.customer, o.ID); o2.Status != billing.OrderRequiresAction {
		t.Errorf("order after bad signatures = %s, want unchanged", o2.Status)
	}

	// Success, then a late failure for the same PaymentIntent, each delivered twice.
	okPayload, okSig := billing.Sign(connectSecret, "payment_intent.succeeded", acct, succeeded, time.Now())
	failPayload, failSig := billing.Sign(connectSecret, "payment_intent.payment_failed", acct, failed, time.Now().Add(-time.Minute))
	for _, ev := range [][2]string{{string(okPayload), okSig}, {string(okPayload), okSig}, {string(failPayload), failSig}, {string(failPayload), failSig}} {
		if err := f.svc.ReceiveConnectWebhook(context.Background(), []byte(ev[0]), ev[1]); err != nil {
			t.Fatalf("delivery: %v", err)
		}
	}
	o2, _ := f.svc.Order(f.customer, o.ID)
	if o2.Status != billing.OrderPaid {
		t.Errorf("order after success then late failure = %s, want paid", o2.Status)
	}
	var entries int
	if err := f.d.Owner(t).Get(&entries, `SELECT count(*) FROM ledger_entries WHERE kind = 'payment'`); err != nil {
		t.Fatal(err)
	}
	if entries != 1 {
		t.Errorf("%d payment entries after duplicate delivery, want 1", entries)
	}

	// An event for a connected account that is not ours.
	payload, sig = billing.Sign(connectSecret, "payment_intent.succeeded", "acct_stranger", succeeded, time.Now())
	if err := f.svc.ReceiveConnectWebhook(context.Background(), payload, sig); err != nil {
		t.Fatalf("unknown account: %v", err)
	}
	var outcome string
	if err := f.d.Owner(t).Get(&outcome, `SELECT outcome FROM stripe_events WHERE account = 'acct_stranger'`); err != nil {
		t.Fatal(err)
	}
	if outcome != "unknown connected account" {
		t.Errorf("unknown account outcome = %q", outcome)
	}
}

// TestLedgerMonth scripts a month — orders, a failed payment, a partial and
// a full refund, a dispute — and checks every entry balances and every
// account holds what the script says.
func TestLedgerMonth(t *testing.T) {
	f := newFixture(t)
	f.connect()
	f.addCard("pm_card_visa")
	var paid []*billing.Order
	for i, size := range []string{"small", "medium", "large"} {
		o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: size}, ClientKey: "month-" + size + "-" + string(rune('a'+i))})
		if err != nil || o.Status != billing.OrderPaid {
			t.Fatalf("order %s = %v, %v", size, o, err)
		}
		paid = append(paid, o)
	}
	f.addCard("pm_card_chargeDeclined")
	if o, err := f.svc.Checkout(f.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "large"}, PaymentMethod: "pm_card_chargeDeclined", ClientKey: "month-declined"}); err != nil || o.Status != billing.OrderFailed {
		t.Fatalf("declined = %v, %v", o, err)
	}
	// Partial refund of the medium order, full refund of the small one.
	if err := f.svc.Refund(f.owner, paid[1].ID, 500, "goodwill"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Refund(f.owner, paid[0].ID, 0, "provisioning failed"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Refund(f.owner, paid[0].ID, 0, "again"); fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		t.Errorf("refunding a refunded order = %v, want ECONFLICT", err)
	}
	// A dispute on the large order.
	var acct, pi string
	if err := f.d.Owner(t).Get(&acct, `SELECT account_id FROM tenant_stripe`); err != nil {
		t.Fatal(err)
	}
	if err := f.d.Owner(t).Get(&pi, `SELECT payment_intent_id FROM orders WHERE id = $1`, paid[2].ID); err != nil {
		t.Fatal(err)
	}
	payload, sig := billing.Sign(connectSecret, "charge.dispute.created", acct, map[string]any{"id": "dp_1", "object": "dispute", "amount": int64(paid[2].Amount),
		"currency": "usd", "reason": "fraudulent", "status": "needs_response", "charge": "ch_x", "payment_intent": pi}, time.Now())
	if err := f.svc.ReceiveConnectWebhook(context.Background(), payload, sig); err != nil {
		t.Fatal(err)
	}

	bad, err := f.svc.Unbalanced(f.owner)
	if err != nil || len(bad) != 0 {
		t.Fatalf("unbalanced entries %v, %v", bad, err)
	}
	// Worked by hand: small 608, medium 1215 (810 × 1.5), large 2430 (1620 × 1.5).
	// Platform fee 2 % rounded up: 13, 25, 49. Stripe 2.9 % + 30 rounded up: 48, 66, 101.
	// Refunds: 500 of medium (fee back 25 × 500 / 1215 = 10), 608 of small (fee back 13).
	// Dispute: 2430.
	sum := billing.Cents(608 + 1215 + 2430)
	fees := billing.Cents(13 + 25 + 49)
	stripeFees := billing.Cents(48 + 66 + 101)
	want := map[string]billing.Cents{
		"revenue":        -sum,
		"platform_fees":  fees - 10 - 13,
		"stripe_fees":    stripeFees,
		"refunds":        500 + 608,
		"disputes":       2430,
		"stripe_balance": sum - fees - stripeFees - (500 - 10) - (608 - 13) - 2430,
	}
	bal, _ := f.svc.Balances(f.owner)
	got := map[string]billing.Cents{}
	var total billing.Cents
	for _, b := range bal {
		got[b.Account] = b.Cents
		total += b.Cents
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("ledger %s = %d, want %d", k, got[k], v)
		}
	}
	if total != 0 {
		t.Errorf("ledger sums to %d, want 0", total)
	}
	o, _ := f.svc.Order(f.customer, paid[0].ID)
	if o.Status != billing.OrderRefunded || o.Refunded != 608 {
		t.Errorf("fully refunded order = %s %d", o.Status, o.Refunded)
	}
}

func TestPricingRulesTiersAndCoupons(t *testing.T) {
	f := newFixture(t)
	p, err := f.svc.Pricing(f.owner)
	if err != nil || p.Rule.Mode != "margin" || len(p.Rule.Sizes) != 3 {
		t.Fatalf("default pricing = %+v, %v", p, err)
	}
	p.Tiers = []billing.DiscountTier{{Kind: "prepaid_months", Threshold: 3, PctBPS: 500}, {Kind: "prepaid_months", Threshold: 12, PctBPS: 1500}}
	if _, err := f.svc.SavePricing(f.owner, *p); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Owner(t).Exec(`INSERT INTO coupons (tenant_id, code, pct_bps, max_redemptions) VALUES ($1, 'LAUNCH', 1000, 1)`, f.tenantID); err != nil {
		t.Fatal(err)
	}
	q, err := f.svc.Quote(f.customer, billing.QuoteInput{Size: "small", Months: 12, Coupon: "launch"})
	if err != nil {
		t.Fatal(err)
	}
	// 608 × 12 = 7296; 15 % off = 1094 (rounded down) → 6202; coupon 10 % = 620 → 5582.
	if q.Subtotal != 7296 || q.Discount != 1094+620 || q.Total != 5582 || q.Breakdown != nil {
		t.Errorf("quote = %+v, want 7296 − 1714 = 5582 and no breakdown for a customer", q)
	}
	staff, err := f.svc.Quote(f.owner, billing.QuoteInput{Size: "small"})
	if err != nil || staff.Breakdown == nil {
		t.Fatalf("staff quote = %+v, %v", staff, err)
	}
	b := staff.Breakdown
	if b.GridUSDMonthCents != 405 || b.StripeFeeCents != 48 || b.PlatformFeeCents != 13 || b.MarginCents != 608-405-48-13 {
		t.Errorf("breakdown = %+v", b)
	}
	for _, bad := range []struct {
		in    billing.QuoteInput
		field string
	}{
		{billing.QuoteInput{Size: "huge"}, "size"},
		{billing.QuoteInput{Size: "custom", CPU: 0, RAMGB: 2, DiskGB: 25}, "cpu"},
		{billing.QuoteInput{Size: "small", Months: 48}, "months"},
		{billing.QuoteInput{Size: "small", Coupon: "NOPE"}, "coupon"},
	} {
		_, err := f.svc.Quote(f.customer, bad.in)
		if e, ok := err.(*fiatdashboard.Error); !ok || e.Field != bad.field {
			t.Errorf("quote %+v = %v, want EINVALID on %s", bad.in, err, bad.field)
		}
	}
	p.Rule.Mode = "fixed"
	p.Rule.Sizes[0].FixedCents = 0
	if _, err := f.svc.SavePricing(f.owner, *p); err == nil || !strings.Contains(err.Error(), "fixed_cents") {
		t.Errorf("fixed mode without a price = %v, want EINVALID on fixed_cents", err)
	}
	if _, err := f.svc.SavePricing(f.customer, *p); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("customer saving pricing = %v, want ENOTFOUND", err)
	}
}

// TestTwoCustomersSaveTheSameTestCard: Stripe's test card ids are shared;
// each customer keeps its own saved card.
func TestTwoCustomersSaveTheSameTestCard(t *testing.T) {
	f := newFixture(t)
	f.connect()
	f.addCard("pm_card_visa")
	bob, err := rbac.NewStore(f.d.App).EnsureAccount(context.Background(), f.tenantID, "bob@alpha.test", "a long enough passphrase", rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	f.authz.Reload()
	ann := f.customer
	f.customer = tenant.WithActor(tenant.WithID(context.Background(), f.tenantID), tenant.Actor{Kind: tenant.ActorUser, ID: bob, Name: "bob@alpha.test"})
	f.addCard("pm_card_visa")
	for who, ctx := range map[string]context.Context{"ann": ann, "bob": f.customer} {
		cards, err := f.svc.Cards(ctx)
		if err != nil || len(cards) != 1 || !cards[0].IsDefault {
			t.Errorf("%s's cards = %+v, %v; want one default card", who, cards, err)
		}
	}
}
