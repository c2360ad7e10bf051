package billing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/stripemock"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// stripeRequest is one request the billing service sent to Stripe.
type stripeRequest struct {
	Method, Path   string
	Form           url.Values
	Account        string // the Stripe-Account header
	HasAccount     bool
	IdempotencyKey string
}

// recorder stands between the service and stripe-mock and records every
// request, so a test asserts what was asked of Stripe.
type recorder struct {
	mu   sync.Mutex
	reqs []stripeRequest
	// rewrite, when set, edits stripe-mock's answers (its fixtures are one
	// object per resource, whatever was asked).
	rewrite func(req *http.Request, body map[string]any)
}

func (r *recorder) start(t *testing.T) string {
	t.Helper()
	target, _ := url.Parse(stripemock.ForTest(t).URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(res *http.Response) error {
		r.mu.Lock()
		rw := r.rewrite
		r.mu.Unlock()
		if rw == nil || res.StatusCode != 200 {
			return nil
		}
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		var body map[string]any
		if json.Unmarshal(b, &body) == nil {
			rw(res.Request, body)
			b, _ = json.Marshal(body)
		}
		res.Body = io.NopCloser(bytes.NewReader(b))
		res.ContentLength = int64(len(b))
		res.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(strings.NewReader(string(body)))
		form, _ := url.ParseQuery(string(body))
		_, has := req.Header["Stripe-Account"]
		r.mu.Lock()
		r.reqs = append(r.reqs, stripeRequest{Method: req.Method, Path: req.URL.Path, Form: form, Account: req.Header.Get("Stripe-Account"),
			HasAccount: has, IdempotencyKey: req.Header.Get("Idempotency-Key")})
		r.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// posts returns the POSTs whose path starts with prefix and ends with suffix.
func (r *recorder) posts(prefix, suffix string) []stripeRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []stripeRequest
	for _, q := range r.reqs {
		if q.Method == "POST" && strings.HasPrefix(q.Path, prefix) && strings.HasSuffix(q.Path, suffix) {
			out = append(out, q)
		}
	}
	return out
}

type coopFixture struct {
	*fixture
	rec          *recorder
	alice, bob   uuid.UUID // members: 70 % and 30 %
	aliceCtx     context.Context
	bobCtx       context.Context
	aliceAccount string
}

// newCoopFixture is a co-op storefront on stripe-mock (through a recorder)
// with two members, Alice (70 %) and Bob (30 %), console accounts; Alice
// has onboarded Stripe Connect for her shares, Bob not yet.
func newCoopFixture(t *testing.T) *coopFixture {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	coop, err := tenant.NewStore(f.d.App).Create(ctx, tenant.NewTenant{Slug: "commons", Name: "Commons Co-op", Kind: tenant.KindCoop, Status: tenant.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	rs := rbac.NewStore(f.d.App)
	owner, err := rs.EnsureAccount(ctx, coop.ID, "owner@commons.test", "a long enough passphrase", rbac.RoleOwner)
	if err != nil {
		t.Fatal(err)
	}
	cust, err := rs.EnsureAccount(ctx, coop.ID, "cat@commons.test", "a long enough passphrase", rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	c := &coopFixture{fixture: f, rec: &recorder{}}
	for _, m := range []struct {
		id    *uuid.UUID
		email string
		bps   int
		role  string
	}{{&c.alice, "alice@console.test", 7000, "node_operator"}, {&c.bob, "bob@console.test", 3000, "dashboard_operator"}} {
		if *m.id, err = rs.EnsureAccount(ctx, uuid.Nil, m.email, "a long enough passphrase", rbac.RoleNodeOperator); err != nil {
			t.Fatal(err)
		}
		if _, err := f.d.Owner(t).Exec(`INSERT INTO coop_members (tenant_id, account_id, email, role, share_bps) VALUES ($1, $2, $3, $4, $5)`,
			coop.ID, *m.id, m.email, m.role, m.bps); err != nil {
			t.Fatal(err)
		}
	}
	f.authz.Reload()
	// The same service, talking to stripe-mock through the recorder.
	emitter := billing.NewEmitter(secret, 0, func(ctx context.Context, payload []byte, sig string) error {
		return f.svc.ReceiveWebhook(ctx, payload, sig)
	}, f.log).Connect(connectSecret, func(ctx context.Context, payload []byte, sig string) error {
		return f.svc.ReceiveConnectWebhook(ctx, payload, sig)
	})
	f.svc = billing.NewService(f.d.App, billing.Config{SecretKey: "sk_test_123", WebhookSecret: secret, ConnectWebhookSecret: connectSecret, APIURL: c.rec.start(t), Mock: true,
		Mailer: rbac.NewOutbox(f.d.App)}, f.authz, f.sim, syncQueue{f}, emitter, f.log)
	f.tenantID = coop.ID
	tctx := tenant.WithID(ctx, coop.ID)
	f.owner = tenant.WithActor(tctx, tenant.Actor{Kind: tenant.ActorUser, ID: owner, Name: "owner@commons.test", MFA: true})
	f.customer = tenant.WithActor(tctx, tenant.Actor{Kind: tenant.ActorUser, ID: cust, Name: "cat@commons.test"})
	f.custID = cust
	f.fundWallet(10_000 * grid.UnitsPerTFT) // the co-op's grid wallet pays for its machines
	c.aliceCtx = tenant.WithActor(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: c.alice, Name: "alice@console.test"})
	c.bobCtx = tenant.WithActor(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: c.bob, Name: "bob@console.test"})
	c.aliceAccount = c.onboard(c.aliceCtx)
	return c
}

// onboard runs a member through Stripe Connect (stripe-mock and the
// emitted account.updated) and returns its connected account.
func (c *coopFixture) onboard(member context.Context) string {
	c.t.Helper()
	link, err := c.svc.PayoutOnboardingLink(member, "http://console.localhost", "")
	if err != nil || link != "http://console.localhost/coop?connect=return" {
		c.t.Fatalf("member onboarding = %q, %v", link, err)
	}
	acct, err := c.svc.MyPayoutAccount(member)
	if err != nil || !acct.Ready || !strings.HasPrefix(acct.AccountID, "acct_") {
		c.t.Fatalf("payout account after onboarding = %+v, %v", acct, err)
	}
	return acct.AccountID
}

type transferRow struct {
	ID       uuid.UUID      `db:"id"`
	Member   uuid.UUID      `db:"member_account_id"`
	Amount   billing.Cents  `db:"amount_cents"`
	Sent     billing.Cents  `db:"transferred_cents"`
	Status   string         `db:"status"`
	Transfer *string        `db:"stripe_transfer"`
	Group    string         `db:"transfer_group"`
	Reversed billing.Cents  `db:"reversed"`
	Split    map[string]int `db:"-"`
}

func (c *coopFixture) transfers(order uuid.UUID) map[uuid.UUID]transferRow {
	c.t.Helper()
	var rows []transferRow
	if err := c.d.Owner(c.t).Select(&rows, `SELECT t.id, t.member_account_id, t.amount_cents, t.transferred_cents, t.status, t.stripe_transfer, t.transfer_group,
		coalesce((SELECT sum(amount_cents) FROM coop_reversals r WHERE r.transfer_id = t.id), 0) AS reversed
		FROM coop_transfers t WHERE order_id = $1`, order); err != nil {
		c.t.Fatal(err)
	}
	out := map[uuid.UUID]transferRow{}
	for _, r := range rows {
		out[r.Member] = r
	}
	return out
}

// TestCoopSeparateChargesAndTransfers charges a co-op's customer on the
// platform, divides the payment among the members with one Stripe Transfer
// each in the order's transfer group (the member without a payout account
// is held, then sent when it onboards), never transfers twice when the
// event is processed again, applies a split change from the next charge
// only, and reverses the transfers in proportion on a partial and then a
// full refund, so the parts sum exactly to the amount minus fees.
func TestCoopSeparateChargesAndTransfers(t *testing.T) {
	c := newCoopFixture(t)

	// Cards live on the platform: no Stripe-Account header.
	c.addCard("pm_card_visa")
	for _, q := range c.rec.posts("/v1/setup_intents", "") {
		if q.HasAccount {
			t.Errorf("co-op setup intent %s sent Stripe-Account %q; want the platform's own account", q.Path, q.Account)
		}
	}
	o, err := c.svc.Checkout(c.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "coop-order-1"})
	if err != nil {
		t.Fatal(err)
	}
	// Worked by hand: small 608, platform fee 2 % rounded up 13, Stripe 2.9 % + 30 rounded up 48.
	if o.Status != billing.OrderPaid || o.Amount != 608 || o.ApplicationFee != 13 {
		t.Fatalf("co-op order = %+v", o)
	}
	const distributable = 608 - 13 - 48
	if got := billing.Distributable(o.Amount, o.ApplicationFee); got != distributable {
		t.Fatalf("Distributable = %d, want %d", got, distributable)
	}
	pis := c.rec.posts("/v1/payment_intents", "")
	if len(pis) != 1 {
		t.Fatalf("payment intents sent = %d, want 1", len(pis))
	}
	pi := pis[0]
	if pi.HasAccount || pi.Form.Get("application_fee_amount") != "" || pi.Form.Get("transfer_group") != "order_"+o.ID.String() ||
		pi.Form.Get("amount") != "608" || pi.IdempotencyKey != "order-"+o.ID.String() {
		t.Errorf("co-op payment intent: account %q (%v), form %v, key %q; want a platform charge without application fee in group order_%s",
			pi.Account, pi.HasAccount, pi.Form, pi.IdempotencyKey, o.ID)
	}

	// 547 split 70/30: 382.9 → 382 r 9000, 164.1 → 164 r 1000; the cent goes to Alice: 383 + 164.
	rows := c.transfers(o.ID)
	if len(rows) != 2 || rows[c.alice].Amount != 383 || rows[c.bob].Amount != 164 {
		t.Fatalf("transfer rows = %+v; want Alice 383, Bob 164", rows)
	}
	if rows[c.alice].Status != billing.TransferTransferred || rows[c.bob].Status != billing.TransferHeld || rows[c.alice].Group != "order_"+o.ID.String() {
		t.Errorf("statuses: Alice %s, Bob %s (group %s); want Alice transferred, Bob held until he onboards", rows[c.alice].Status, rows[c.bob].Status, rows[c.alice].Group)
	}
	trs := c.rec.posts("/v1/transfers", "")
	if len(trs) != 1 {
		t.Fatalf("transfers sent = %d, want 1 (Bob has no payout account yet)", len(trs))
	}
	tr := trs[0]
	if tr.HasAccount || tr.Form.Get("amount") != "383" || tr.Form.Get("currency") != "usd" || tr.Form.Get("destination") != c.aliceAccount ||
		tr.Form.Get("transfer_group") != "order_"+o.ID.String() || !strings.HasPrefix(tr.IdempotencyKey, "coop-transfer-"+rows[c.alice].ID.String()) ||
		tr.Form.Get("source_transaction") == "" {
		t.Errorf("Alice's transfer = form %v, key %q, account %q", tr.Form, tr.IdempotencyKey, tr.Account)
	}

	// Re-processing the payment's event (a worker retry) and a second
	// delivery of the same payment under another event id transfer nothing.
	var evID, piID string
	if err := c.d.Owner(t).Get(&evID, `SELECT id FROM stripe_events WHERE type = 'payment_intent.succeeded' AND tenant_id = $1`, c.tenantID); err != nil {
		t.Fatal(err)
	}
	if err := c.d.Owner(t).Get(&piID, `SELECT payment_intent_id FROM orders WHERE id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	if evID == "" {
		t.Fatal("the co-op's platform event was not mapped to its tenant")
	}
	if _, err := c.d.Owner(t).Exec(`UPDATE stripe_events SET processed_at = NULL WHERE id = $1`, evID); err != nil {
		t.Fatal(err)
	}
	if err := c.svc.ProcessEvent(context.Background(), evID); err != nil {
		t.Fatal(err)
	}
	payload, sig := billing.Sign(secret, "payment_intent.succeeded", "", map[string]any{"id": piID, "object": "payment_intent", "amount": 608,
		"currency": "usd", "status": "succeeded", "latest_charge": "ch_again", "metadata": map[string]string{"order_id": o.ID.String(), "tenant_id": c.tenantID.String()}}, time.Now())
	if err := c.svc.ReceiveWebhook(context.Background(), payload, sig); err != nil {
		t.Fatal(err)
	}
	if n := len(c.rec.posts("/v1/transfers", "")); n != 1 {
		t.Fatalf("transfers after re-processed events = %d, want still 1", n)
	}

	// Bob onboards: his held share goes out at once.
	bobAccount := c.onboard(c.bobCtx)
	rows = c.transfers(o.ID)
	trs = c.rec.posts("/v1/transfers", "")
	if len(trs) != 2 || rows[c.bob].Status != billing.TransferTransferred || trs[1].Form.Get("destination") != bobAccount || trs[1].Form.Get("amount") != "164" {
		t.Fatalf("after Bob onboarded: rows %+v, transfers %d (%v)", rows, len(trs), trs[len(trs)-1].Form)
	}

	// The split changes to 50/50: audited, and only the next charge uses it.
	if _, err := c.svc.SetRevenueSplit(c.owner, []billing.Share{{Member: c.alice, BPS: 5000}, {Member: c.bob, BPS: 4000}}); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("a split summing to 90 %% = %v, want EINVALID", err)
	}
	if _, err := c.svc.SetRevenueSplit(c.customer, []billing.Share{{Member: c.alice, BPS: 5000}, {Member: c.bob, BPS: 5000}}); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("a customer changing the split = %v, want ENOTFOUND", err)
	}
	split, err := c.svc.SetRevenueSplit(c.owner, []billing.Share{{Member: c.alice, BPS: 5000}, {Member: c.bob, BPS: 5000}})
	if err != nil || !split.Complete || split.TotalBPS != 10000 {
		t.Fatalf("set split = %+v, %v", split, err)
	}
	var audited int
	if err := c.d.Owner(t).Get(&audited, `SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'coop.split_changed'`, c.tenantID); err != nil {
		t.Fatal(err)
	}
	if audited != 1 {
		t.Errorf("split changes audited = %d, want 1", audited)
	}
	o2, err := c.svc.Checkout(c.customer, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small"}, ClientKey: "coop-order-2"})
	if err != nil || o2.Status != billing.OrderPaid {
		t.Fatalf("second order = %+v, %v", o2, err)
	}
	// 547 at 50/50: 273.5 each; the tie goes by id.
	rows2 := c.transfers(o2.ID)
	if rows2[c.alice].Amount+rows2[c.bob].Amount != distributable || absDiff(rows2[c.alice].Amount, rows2[c.bob].Amount) != 1 {
		t.Errorf("second order's split = Alice %d, Bob %d; want 274/273 under the new 50/50 split", rows2[c.alice].Amount, rows2[c.bob].Amount)
	}
	if rows = c.transfers(o.ID); rows[c.alice].Amount != 383 || rows[c.bob].Amount != 164 {
		t.Errorf("the first order's shares changed with the split: %+v", rows)
	}

	// A partial refund of 200 of the first order: ⌊547 × 200 / 608⌋ = 179
	// back, split 70/30 with the remainder rule: 125.3 → 125, 53.7 → 53, the cent to Bob (remainder 7000): 125 + 54.
	if err := c.svc.Refund(c.owner, o.ID, 200, "goodwill"); err != nil {
		t.Fatal(err)
	}
	revs := c.rec.posts("/v1/transfers/", "/reversals")
	rows = c.transfers(o.ID)
	if len(revs) != 2 || rows[c.alice].Reversed+rows[c.bob].Reversed != billing.ReversalTarget(distributable, 608, 200) || billing.ReversalTarget(distributable, 608, 200) != 179 {
		t.Fatalf("partial refund: %d reversals sent, Alice %d + Bob %d reversed; want 2 summing to 179", len(revs), rows[c.alice].Reversed, rows[c.bob].Reversed)
	}
	if rows[c.alice].Reversed != 125 || rows[c.bob].Reversed != 54 {
		t.Errorf("partial reversal = Alice %d, Bob %d; want 125 and 54", rows[c.alice].Reversed, rows[c.bob].Reversed)
	}
	for _, r := range revs {
		if r.HasAccount || !strings.HasPrefix(r.IdempotencyKey, "coop-reversal-") || (r.Form.Get("amount") != "125" && r.Form.Get("amount") != "54") {
			t.Errorf("reversal request %s: form %v, key %q, account %q", r.Path, r.Form, r.IdempotencyKey, r.Account)
		}
	}
	for _, q := range c.rec.posts("/v1/refunds", "") {
		if q.HasAccount || q.Form.Get("refund_application_fee") != "" {
			t.Errorf("co-op refund request: account %q, form %v; want a platform refund without application fee", q.Account, q.Form)
		}
	}
	// The rest: every transfer is reversed exactly, nothing more.
	if err := c.svc.Refund(c.owner, o.ID, 0, "provisioning failed"); err != nil {
		t.Fatal(err)
	}
	rows = c.transfers(o.ID)
	if rows[c.alice].Reversed != 383 || rows[c.bob].Reversed != 164 || len(c.rec.posts("/v1/transfers/", "/reversals")) != 4 {
		t.Errorf("after the full refund: Alice reversed %d of 383, Bob %d of 164, %d reversals sent (want 4)",
			rows[c.alice].Reversed, rows[c.bob].Reversed, len(c.rec.posts("/v1/transfers/", "/reversals")))
	}
	// Refund events processed again reverse nothing more.
	if _, err := c.d.Owner(t).Exec(`UPDATE stripe_events SET processed_at = NULL WHERE type = 'charge.refunded' AND tenant_id = $1`, c.tenantID); err != nil {
		t.Fatal(err)
	}
	var refundEvents []string
	if err := c.d.Owner(t).Select(&refundEvents, `SELECT id FROM stripe_events WHERE type = 'charge.refunded' AND tenant_id = $1`, c.tenantID); err != nil {
		t.Fatal(err)
	}
	for _, id := range refundEvents {
		if err := c.svc.ProcessEvent(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.rec.posts("/v1/transfers/", "/reversals")); n != 4 {
		t.Errorf("reversals after re-processed refunds = %d, want 4", n)
	}

	// The ledger balances; the members' payout accounts hold what the
	// second order paid them, the first being reversed in full.
	bad, err := c.svc.Unbalanced(c.owner)
	if err != nil || len(bad) != 0 {
		t.Fatalf("unbalanced entries %v, %v", bad, err)
	}
	var payouts billing.Cents
	if err := c.d.Owner(t).Get(&payouts, `SELECT coalesce(sum(amount_cents), 0) FROM ledger_postings WHERE tenant_id = $1 AND account LIKE 'member_payouts:%'`, c.tenantID); err != nil {
		t.Fatal(err)
	}
	if payouts != distributable {
		t.Errorf("member payouts in the ledger = %d, want %d (the second order only)", payouts, distributable)
	}

	// Each member sees its share of every payment, with reversals.
	mine, err := c.svc.MyCoopPayments(c.bobCtx, time.Now().Add(time.Hour), 50)
	if err != nil || len(mine) != 2 {
		t.Fatalf("Bob's payments = %+v, %v", mine, err)
	}
	first := mine[1]
	if first.OrderID != o.ID || first.Share != 164 || first.Reversed != 164 || first.Net != 0 || len(first.Reversals) != 2 || first.Coop != "Commons Co-op" {
		t.Errorf("Bob's share of the refunded order = %+v", first)
	}
	if _, err := c.svc.MyCoopPayments(c.customer, time.Now(), 50); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("a customer listing member shares = %v, want ENOTFOUND", err)
	}
	all, err := c.svc.CoopPayments(c.owner, time.Now().Add(time.Hour), 50)
	if err != nil || len(all) != 2 || len(all[0].Members) != 2 || all[0].Distributable != distributable {
		t.Errorf("admin's co-op payments = %+v, %v", all, err)
	}
}

// TestCoopWithoutCompleteSplitTakesNoPayment refuses card set-up while the
// co-op's shares do not sum to 100 %.
func TestCoopWithoutCompleteSplitTakesNoPayment(t *testing.T) {
	c := newCoopFixture(t)
	if _, err := c.d.Owner(t).Exec(`UPDATE coop_members SET share_bps = 1000 WHERE account_id = $1`, c.bob); err != nil {
		t.Fatal(err)
	}
	if _, err := c.svc.NewSetupIntent(c.customer); fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		t.Errorf("setup intent with an incomplete split = %v, want ECONFLICT", err)
	}
}

// TestSplitBackNeverTakesMoreThanAShare checks the reversal rule: for every
// sequence of two refunds the reversals sum to the target and no member
// gives back more than it received.
func TestSplitBackNeverTakesMoreThanAShare(t *testing.T) {
	a := uuid.MustParse("00000000-0000-0000-0000-00000000000a")
	b := uuid.MustParse("00000000-0000-0000-0000-00000000000b")
	cc := uuid.MustParse("00000000-0000-0000-0000-00000000000c")
	shares := []billing.Share{{Member: a, BPS: 5150}, {Member: b, BPS: 2925}, {Member: cc, BPS: 1925}}
	const amount, fee = 1215, 25
	d := billing.Distributable(amount, fee)
	parts := billing.Split(d, shares)
	for first := billing.Cents(1); first < amount; first += 7 {
		left := map[uuid.UUID]billing.Cents{}
		for _, p := range parts {
			left[p.Member] = p.Cents
		}
		var reversed billing.Cents
		for _, total := range []billing.Cents{first, amount} {
			need := billing.ReversalTarget(d, amount, total) - reversed
			var sum billing.Cents
			for _, p := range billing.SplitBack(need, shares, left) {
				if p.Cents < 0 || p.Cents > left[p.Member] {
					t.Fatalf("refund %d then full: member %s gives back %d of %d left", first, p.Member, p.Cents, left[p.Member])
				}
				left[p.Member] -= p.Cents
				sum += p.Cents
			}
			if sum != need {
				t.Fatalf("refund %d: reversals sum to %d, want %d", total, sum, need)
			}
			reversed += sum
		}
		if reversed != d {
			t.Fatalf("after refunds %d and the rest: reversed %d, want %d", first, reversed, d)
		}
	}
}

func absDiff(a, b billing.Cents) billing.Cents {
	if a > b {
		return a - b
	}
	return b - a
}
