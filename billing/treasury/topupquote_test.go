package treasury_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/exchangesim"
)

func errField(err error) string {
	if e, ok := err.(*fiatdashboard.Error); ok {
		return e.Field
	}
	return ""
}

// TestTopUpNowSpendsTheConfirmedQuote: "Top up now" first asks the server
// for a quote — the TFT it buys and the most USDC it may spend — and
// spends nothing; the confirmed quote starts a top-up that spends at most
// that cap, at no new price; a quote is used once, expires, and belongs to
// its tenant; a price that moved past the cap fails the swap with nothing
// spent; an account that cannot pay the cap is refused before anything
// starts.
func TestTopUpNowSpendsTheConfirmedQuote(t *testing.T) {
	tf := newTreasury(t)
	tf.setup(t)
	ctx := context.Background()
	q, err := tf.tr.QuoteTopUp(tf.owner)
	if err != nil {
		t.Fatal(err)
	}
	// 500 TFT (499 for the twin + the 1 TFT bridge fee) at the best ask
	// 0.0101 USDC: 5.05 USDC; the policy's 1 % slippage cap: 5.1005.
	if q.AmountS != "499.0000000" || q.BuyS != "500.0000000" || q.FeeS != "1.0000000" || q.QuoteS != "5.0500000" || q.SendMaxS != "5.1005000" ||
		!q.Enough || q.BalanceS != "1000.0000000" || !q.ExpiresAt.Equal(tf.now.Add(treasury.QuoteTTL)) {
		t.Fatalf("quote = %+v", q)
	}
	if v, _ := tf.tr.Wallet(tf.owner); len(v.Topups) != 0 {
		t.Fatalf("a quote started a top-up: %+v", v.Topups)
	}
	if b, _ := tf.ex.Balances(ctx, tf.account); b.USDC != 1000*exchange.One {
		t.Fatalf("a quote spent USDC: %s left", b.USDC)
	}

	// Refused: no quote, someone else's (or unknown) quote.
	if _, err := tf.tr.StartQuoted(tf.owner, uuid.Nil); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID || errField(err) != "quote_id" {
		t.Errorf("start without a quote = %v, want EINVALID on quote_id", err)
	}
	if _, err := tf.tr.StartQuoted(tf.owner, uuid.New()); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("start with an unknown quote = %v, want ENOTFOUND", err)
	}

	top, err := tf.tr.StartQuoted(tf.owner, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if top.State != treasury.TopupQuoted || top.AmountS != q.AmountS || top.QuoteS != q.QuoteS || top.SendMaxS != q.SendMaxS {
		t.Errorf("confirmed top-up = %+v; want it quoted at the confirmed quote %+v", top, q)
	}
	if _, err := tf.tr.StartQuoted(tf.owner, q.ID); fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT || errField(err) != "quote_id" {
		t.Errorf("the same quote confirmed twice = %v, want ECONFLICT on quote_id", err)
	}
	tf.run(t, top.ID)
	if st := tf.state(t); st.State != treasury.TopupReconciled {
		t.Fatalf("top-up = %+v, want reconciled", st)
	}
	b, _ := tf.ex.Balances(ctx, tf.account)
	if spent := 1000*exchange.One - b.USDC; spent != 505*exchange.One/100 {
		t.Errorf("spent %s USDC, want the quoted 5.05", spent)
	}

	// A quote older than QuoteTTL is refused, and nothing starts.
	old, err := tf.tr.QuoteTopUp(tf.owner)
	if err != nil {
		t.Fatal(err)
	}
	tf.now = tf.now.Add(treasury.QuoteTTL)
	if _, err := tf.tr.StartQuoted(tf.owner, old.ID); fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT || errField(err) != "quote_id" {
		t.Errorf("an expired quote = %v, want ECONFLICT on quote_id", err)
	}
	if v, _ := tf.tr.Wallet(tf.owner); len(v.Topups) != 1 {
		t.Errorf("an expired quote started a top-up: %d top-ups", len(v.Topups))
	}

	// The price doubles after the quote: the swap cannot fill within the
	// confirmed cap, so the top-up fails at the swap and spends nothing.
	moved, err := tf.tr.QuoteTopUp(tf.owner)
	if err != nil {
		t.Fatal(err)
	}
	tf.ex.SetAsks([]exchangesim.Level{{Price: 202_000, Depth: 1_000_000 * exchange.One}})
	top, err = tf.tr.StartQuoted(tf.owner, moved.ID)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := tf.ex.Balances(ctx, tf.account)
	if err := tf.tr.Step(tf.owner, top.ID); err != nil {
		t.Fatal(err)
	}
	if st := tf.state(t); st.State != treasury.TopupFailed || st.FailedStep != treasury.TopupSwapped {
		t.Errorf("top-up after the price moved = %+v, want failed at the swap", st)
	}
	if after, _ := tf.ex.Balances(ctx, tf.account); after.USDC != before.USDC {
		t.Errorf("spent %s USDC past the confirmed cap", before.USDC-after.USDC)
	}

	// An account that cannot pay the cap is told so before anything starts.
	tf.ex.SetAsks([]exchangesim.Level{{Price: 202_000_000, Depth: 1_000_000 * exchange.One}}) // 20.2 USDC per TFT
	pricey, err := tf.tr.QuoteTopUp(tf.owner)
	if err != nil {
		t.Fatal(err)
	}
	if pricey.Enough {
		t.Errorf("quote of %s USDC with %s on the account says enough", pricey.SendMaxS, pricey.BalanceS)
	}
	if _, err := tf.tr.StartQuoted(tf.owner, pricey.ID); fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		t.Errorf("a quote the account cannot pay = %v, want ECONFLICT", err)
	}
	if v, _ := tf.tr.Wallet(tf.owner); v.Topups[0].ID != top.ID {
		t.Errorf("a quote the account cannot pay started a top-up: %+v", v.Topups[0])
	}
}
