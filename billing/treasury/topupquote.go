package treasury

import (
	"context"
	"math/big"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// QuoteTTL is how long a "Top up now" quote may be confirmed: the order
// book moves, so an older quote is refused and asked for again.
const QuoteTTL = 5 * time.Minute

// TopupQuote is what "Top up now" will spend, quoted by the exchange before
// the tenant admin confirms: the TFT that reach the twin, the TFT bought
// (with the bridge's fee), the USDC they cost at the quoted price and the
// most the swap may spend (the policy's slippage cap). The top-up it
// starts spends at most SendMax.
type TopupQuote struct {
	ID        uuid.UUID `json:"id"`
	AmountS   string    `json:"amount_tft"`
	BuyS      string    `json:"buy_tft"`
	FeeS      string    `json:"bridge_fee_tft"`
	QuoteS    string    `json:"quote_usdc"`
	SendMaxS  string    `json:"send_max_usdc"`
	BalanceS  string    `json:"usdc_balance"`
	Enough    bool      `json:"enough"` // the Stellar account holds SendMax
	ExpiresAt time.Time `json:"expires_at"`
}

// QuoteTopUp prices "Top up now" (admin/wallet write): the amount the
// policy allows now (its per-top-up maximum when it needs nothing, within
// this month's budget), at the order book's price, with the slippage cap.
// It keeps the quote for QuoteTTL for StartQuoted; nothing is spent.
// ENOTFOUND without a wallet or a policy; ECONFLICT when this month's
// budget is used up or the order book cannot fill it.
func (t *Treasury) QuoteTopUp(ctx context.Context) (*TopupQuote, error) {
	if err := t.authz.Require(ctx, "admin/wallet", "write"); err != nil {
		return nil, err
	}
	st, err := t.status(ctx)
	if err != nil {
		return nil, err
	}
	if st.policy == nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "set a top-up policy first")
	}
	amount, fee, err := t.need(ctx, st, true)
	if err != nil {
		return nil, err
	}
	if err := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		amount, err = withinMonth(ctx, tx, st.policy, amount, fee)
		return err
	}); err != nil {
		return nil, err
	}
	buy := amount + fee
	q, err := t.ex.QuoteTFT(ctx, exchange.Amount(buy))
	if err != nil {
		return nil, err
	}
	sendMax := ceilDiv(big.NewInt(int64(q.SendUSDC)*(10000+st.policy.SlippageBPS)), big.NewInt(10000)).Int64()
	bal, err := t.ex.Balances(ctx, st.wallet.Account)
	if err != nil {
		return nil, err
	}
	tid, _ := tenant.IDFromContext(ctx)
	out := TopupQuote{AmountS: amount.String(), BuyS: buy.String(), FeeS: fee.String(), QuoteS: q.SendUSDC.String(),
		SendMaxS: exchange.Amount(sendMax).String(), BalanceS: bal.USDC.String(), Enough: int64(bal.USDC) >= sendMax,
		ExpiresAt: t.now().Add(QuoteTTL).UTC().Truncate(time.Second)}
	err = tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &out.ID, `INSERT INTO topup_quotes (tenant_id, amount, buy, quote_usdc, send_max_usdc, reason, expires_at)
			VALUES ($1, $2, $3, $4, $5, 'top up now', $6) RETURNING id`, tid, amount, buy, int64(q.SendUSDC), sendMax, out.ExpiresAt)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// StartQuoted starts the top-up a tenant admin confirmed (admin/wallet
// write): exactly the quote's TFT, spending at most its USDC cap — the
// top-up starts quoted, so no new price is asked. A quote is used once.
// EINVALID on quote_id when it is missing; ENOTFOUND when it is not this
// tenant's; ECONFLICT (on quote_id) when it expired or was used, when the
// Stellar account cannot pay the cap, when this month's budget no longer
// has room for it, or when a top-up is already under way.
func (t *Treasury) StartQuoted(ctx context.Context, quoteID uuid.UUID) (*Topup, error) {
	if err := t.authz.Require(ctx, "admin/wallet", "write"); err != nil {
		return nil, err
	}
	if quoteID == uuid.Nil {
		return nil, fiatdashboard.Invalid("quote_id", "ask for a quote first (POST /api/admin/wallet/topups/quote) and send its id once the amount is confirmed")
	}
	st, err := t.status(ctx)
	if err != nil {
		return nil, err
	}
	if st.policy == nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "set a top-up policy first")
	}
	var q struct {
		Amount    grid.TFTUnits `db:"amount"`
		Buy       grid.TFTUnits `db:"buy"`
		Quote     int64         `db:"quote_usdc"`
		SendMax   int64         `db:"send_max_usdc"`
		Reason    string        `db:"reason"`
		ExpiresAt time.Time     `db:"expires_at"`
		UsedAt    *time.Time    `db:"used_at"`
	}
	err = tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &q, `SELECT amount, buy, quote_usdc, send_max_usdc, reason, expires_at, used_at FROM topup_quotes WHERE id = $1`, quoteID)
	})
	if tenant.IsNoRows(err) {
		return nil, &fiatdashboard.Error{Code: fiatdashboard.ENOTFOUND, Message: "quote not found", Field: "quote_id"}
	}
	if err != nil {
		return nil, err
	}
	stale := func(msg string) error {
		return &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Message: msg, Field: "quote_id"}
	}
	switch {
	case q.UsedAt != nil:
		return nil, stale("this quote was confirmed already: ask for a new one")
	case !t.now().Before(q.ExpiresAt):
		return nil, stale("this quote expired (prices move): ask for a new one")
	}
	bal, err := t.ex.Balances(ctx, st.wallet.Account)
	if err != nil {
		return nil, err
	}
	if int64(bal.USDC) < q.SendMax {
		return nil, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "the Stellar account holds %s USDC; this top-up may spend up to %s", bal.USDC, exchange.Amount(q.SendMax))
	}
	if err := t.record(ctx, st); err != nil {
		return nil, err
	}
	tid, _ := tenant.IDFromContext(ctx)
	var out Topup
	err = tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		// The quote row is locked: two confirmations of one quote start one top-up.
		res, err := tx.ExecContext(ctx, `UPDATE topup_quotes SET used_at = now() WHERE id = $1 AND used_at IS NULL`, quoteID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return stale("this quote was confirmed already: ask for a new one")
		}
		fee := q.Buy - q.Amount
		if left, err := withinMonth(ctx, tx, st.policy, q.Amount, fee); err != nil {
			return err
		} else if left < q.Amount {
			return stale("this month's top-up budget has less room than the quote: ask for a new one")
		}
		err = tx.GetContext(ctx, &out, `INSERT INTO topups (tenant_id, reason, amount, buy, state, quote_usdc, send_max_usdc)
			VALUES ($1, $2, $3, $4, 'quoted', $5, $6) RETURNING `+topupColumns, tid, q.Reason, q.Amount, q.Buy, q.Quote, q.SendMax)
		if isUnique(err) {
			return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "a top-up is already under way")
		}
		if err != nil {
			return err
		}
		if err := oweTopupStep(ctx, tx, out.ID, out.State); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "wallet.topup_planned", out.ID.String(), map[string]any{"amount_tft": q.Amount.String(), "reason": q.Reason,
			"quote": quoteID.String(), "send_max_usdc": exchange.Amount(q.SendMax).String()})
	})
	if err != nil {
		return nil, err
	}
	out.AmountS, out.QuoteS, out.SendMaxS = out.Amount.String(), exchange.Amount(out.QuoteUSDC).String(), exchange.Amount(out.SendMax).String()
	return &out, t.enqueue.EnqueueTopupStep(ctx, out.ID, out.State)
}
