package exchangesim_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/exchangesim"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/stellar"
)

const vault = stellar.PublicBridgeVault

var ctx = context.Background()

// clock is a settable simulated time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// deposit is one call of the bridge hook.
type deposit struct {
	twin   uint32
	amount exchange.Amount
}

type world struct {
	sim      *exchangesim.Sim
	clock    *clock
	secret   string
	addr     string
	mu       sync.Mutex
	deposits []deposit
}

func newWorld(t *testing.T, usdc exchange.Amount) *world {
	t.Helper()
	w := &world{clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, secret: exchangesim.NewSeed()}
	w.sim = exchangesim.New(exchangesim.Config{Now: w.clock.now})
	var err error
	if w.addr, err = w.sim.Account(w.secret); err != nil {
		t.Fatal(err)
	}
	if err := w.sim.Fund(w.addr, usdc); err != nil {
		t.Fatal(err)
	}
	w.sim.OnBridgeDeposit(vault, func(twin uint32, amount exchange.Amount) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.deposits = append(w.deposits, deposit{twin, amount})
	})
	return w
}

func (w *world) depositsMade() []deposit {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]deposit(nil), w.deposits...)
}

func (w *world) balances(t *testing.T, addr string) exchange.Balances {
	t.Helper()
	b, err := w.sim.Balances(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wantCode(t *testing.T, err error, code, failure string) {
	t.Helper()
	if got := fiatdashboard.ErrorCode(err); got != code {
		t.Fatalf("error code %q (%v), want %q", got, err, code)
	}
	if got := exchange.FailureCode(err); got != failure {
		t.Fatalf("failure code %q (%v), want %q", got, err, failure)
	}
}

func usdc(whole, frac int64) exchange.Amount {
	return exchange.Amount(whole)*exchange.One + exchange.Amount(frac)
}

func TestQuoteWalksTheBook(t *testing.T) {
	sim := exchangesim.New(exchangesim.Config{})
	for _, tc := range []struct {
		name     string
		receive  exchange.Amount
		want     exchange.Amount
		wantCode string
		wantFail string
	}{
		{name: "1 TFT at the best ask", receive: exchange.One, want: 101_000},
		{name: "the smallest unit rounds up to one unit", receive: 1, want: 1},
		{name: "exactly the first level", receive: 50_000 * exchange.One, want: usdc(505, 0)},
		{name: "one TFT into the second level", receive: 50_001 * exchange.One, want: usdc(505, 102_000)},
		{name: "the whole book", receive: 2_250_000 * exchange.One, want: usdc(505+2040+5250+16500, 0)},
		{name: "one unit more than the book", receive: 2_250_000*exchange.One + 1, wantCode: fiatdashboard.ECONFLICT, wantFail: exchange.OpTooFewOffers},
		{name: "nothing", receive: 0, wantCode: fiatdashboard.EINVALID},
		{name: "negative", receive: -exchange.One, wantCode: fiatdashboard.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := sim.QuoteTFT(ctx, tc.receive)
			if tc.wantCode != "" {
				wantCode(t, err, tc.wantCode, tc.wantFail)
				return
			}
			if err != nil || q.SendUSDC != tc.want || q.ReceiveTFT != tc.receive || len(q.Path) != 0 {
				t.Fatalf("QuoteTFT(%s) = %+v, %v; want SendUSDC %s", tc.receive, q, err, tc.want)
			}
		})
	}
}

func TestAccountsAndFunding(t *testing.T) {
	sim := exchangesim.New(exchangesim.Config{})
	seed := exchangesim.NewSeed()
	addr, err := sim.Account(seed)
	if err != nil {
		t.Fatalf("Account(NewSeed()): %v", err)
	}
	if kp := keypair.MustParseFull(seed); kp.Address() != addr {
		t.Fatalf("Account = %s, the SDK derives %s", addr, kp.Address())
	}
	if exchangesim.NewSeed() == seed {
		t.Fatal("NewSeed returned the same seed twice")
	}
	for _, tc := range []struct {
		name     string
		do       func() error
		wantCode string
	}{
		{"an address is not a secret", func() error { _, err := sim.Account(addr); return err }, fiatdashboard.EINVALID},
		{"a truncated seed", func() error { _, err := sim.Account(seed[:40]); return err }, fiatdashboard.EINVALID},
		{"unfunded account", func() error { _, err := sim.Balances(ctx, addr); return err }, fiatdashboard.ENOTFOUND},
		{"balances of a malformed address", func() error { _, err := sim.Balances(ctx, "G123"); return err }, fiatdashboard.EINVALID},
		{"fund a secret instead of an address", func() error { return sim.Fund(seed, exchange.One) }, fiatdashboard.EINVALID},
		{"fund a negative amount", func() error { return sim.Fund(addr, -1) }, fiatdashboard.EINVALID},
		{"swap from an unfunded account", func() error {
			_, err := sim.BuildSwap(ctx, seed, exchange.One, exchange.One, "")
			return err
		}, fiatdashboard.ENOTFOUND},
		{"pay from an unfunded account", func() error {
			_, err := sim.BuildPayment(ctx, seed, vault, exchange.One, "twin_1")
			return err
		}, fiatdashboard.ENOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			wantCode(t, err, tc.wantCode, "")
			if strings.Contains(err.Error(), seed) {
				t.Fatalf("error repeats the secret: %v", err)
			}
		})
	}
	if err := sim.Fund(addr, usdc(10, 0)); err != nil {
		t.Fatal(err)
	}
	if err := sim.Fund(addr, usdc(2, 5)); err != nil {
		t.Fatal(err)
	}
	if err := sim.FundTFT(addr, 3*exchange.One); err != nil {
		t.Fatal(err)
	}
	if b, err := sim.Balances(ctx, addr); err != nil || b != (exchange.Balances{USDC: usdc(12, 5), TFT: 3 * exchange.One}) {
		t.Fatalf("Balances after funding = %+v, %v", b, err)
	}
}

// A whole top-up: quote, swap within the cap, deposit to the bridge.
func TestTopUpSwapsThenDepositsToTheBridge(t *testing.T) {
	w := newWorld(t, usdc(100, 0))
	const receive = 5000 * exchange.One
	q, err := w.sim.QuoteTFT(ctx, receive)
	if err != nil {
		t.Fatal(err)
	}
	if q.SendUSDC != usdc(50, 5_000_000) { // 5000 × 0.0101
		t.Fatalf("quote %s USDC, want 50.5", q.SendUSDC)
	}
	swap, err := w.sim.BuildSwap(ctx, w.secret, receive, q.SendUSDC*101/100, "topup 1")
	if err != nil {
		t.Fatal(err)
	}
	if applied, _ := w.sim.Applied(ctx, swap.Hash); applied {
		t.Fatal("a built swap is applied before it is submitted")
	}
	if err := w.sim.Submit(ctx, swap); err != nil {
		t.Fatal(err)
	}
	if b := w.balances(t, w.addr); b != (exchange.Balances{USDC: usdc(49, 5_000_000), TFT: receive}) {
		t.Fatalf("after the swap: %+v, want 49.5 USDC and 5000 TFT", b)
	}
	pay, err := w.sim.BuildPayment(ctx, w.secret, vault, receive, "twin_42")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.sim.Submit(ctx, pay); err != nil {
		t.Fatal(err)
	}
	if got := w.depositsMade(); len(got) != 1 || got[0] != (deposit{42, receive}) {
		t.Fatalf("bridge deposits %+v, want one of 5000 TFT to twin 42", got)
	}
	if b := w.balances(t, w.addr); b.TFT != 0 {
		t.Fatalf("treasury keeps %s TFT after the deposit, want 0", b.TFT)
	}
	if b := w.balances(t, vault); b.TFT != receive {
		t.Fatalf("vault holds %s TFT, want 5000", b.TFT)
	}
	for _, h := range []string{swap.Hash, pay.Hash, strings.ToUpper(pay.Hash)} {
		if applied, err := w.sim.Applied(ctx, h); err != nil || !applied {
			t.Fatalf("Applied(%s) = %v, %v; want true", h, applied, err)
		}
	}
}

// The simulator refuses what the network would refuse.
func TestSubmitRefusesWhatTheNetworkWould(t *testing.T) {
	for _, tc := range []struct {
		name     string
		usdc     exchange.Amount
		build    func(t *testing.T, w *world) exchange.SignedTx
		wantFail string
	}{
		{
			name: "not enough USDC",
			usdc: usdc(1, 0),
			build: func(t *testing.T, w *world) exchange.SignedTx {
				return must(t)(w.sim.BuildSwap(ctx, w.secret, 1000*exchange.One, usdc(11, 0), ""))
			},
			wantFail: exchange.OpUnderfunded,
		},
		{
			name: "the book moved up between build and submit",
			usdc: usdc(100, 0),
			build: func(t *testing.T, w *world) exchange.SignedTx {
				tx := must(t)(w.sim.BuildSwap(ctx, w.secret, 1000*exchange.One, usdc(10, 2_000_000), ""))
				w.sim.SetAsks([]exchangesim.Level{{Price: 103_000, Depth: 10_000 * exchange.One}})
				return tx
			},
			wantFail: exchange.OpOverSendMax,
		},
		{
			name: "the book thinned between build and submit",
			usdc: usdc(100, 0),
			build: func(t *testing.T, w *world) exchange.SignedTx {
				tx := must(t)(w.sim.BuildSwap(ctx, w.secret, 1000*exchange.One, usdc(11, 0), ""))
				w.sim.SetAsks([]exchangesim.Level{{Price: 101_000, Depth: 999 * exchange.One}})
				return tx
			},
			wantFail: exchange.OpTooFewOffers,
		},
		{
			name: "more TFT than the account holds",
			usdc: usdc(100, 0),
			build: func(t *testing.T, w *world) exchange.SignedTx {
				return must(t)(w.sim.BuildPayment(ctx, w.secret, vault, exchange.One, "twin_1"))
			},
			wantFail: exchange.OpUnderfunded,
		},
		{
			name: "destination never funded",
			usdc: usdc(100, 0),
			build: func(t *testing.T, w *world) exchange.SignedTx {
				if err := w.sim.FundTFT(w.addr, exchange.One); err != nil {
					t.Fatal(err)
				}
				return must(t)(w.sim.BuildPayment(ctx, w.secret, keypair.MustRandom().Address(), exchange.One, ""))
			},
			wantFail: exchange.OpNoDestination,
		},
		{
			name: "expired",
			usdc: usdc(100, 0),
			build: func(t *testing.T, w *world) exchange.SignedTx {
				tx := must(t)(w.sim.BuildSwap(ctx, w.secret, exchange.One, exchange.One, ""))
				w.clock.add(stellar.DefaultTxValidity + time.Second)
				return tx
			},
			wantFail: exchange.TxTooLate,
		},
		{
			name: "another transaction used the sequence number",
			usdc: usdc(100, 0),
			build: func(t *testing.T, w *world) exchange.SignedTx {
				first := must(t)(w.sim.BuildSwap(ctx, w.secret, exchange.One, exchange.One, "first"))
				second := must(t)(w.sim.BuildSwap(ctx, w.secret, exchange.One, exchange.One, "second"))
				if err := w.sim.Submit(ctx, first); err != nil {
					t.Fatal(err)
				}
				return second
			},
			wantFail: exchange.TxBadSeq,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.usdc)
			tx := tc.build(t, w)
			before := w.balances(t, w.addr)
			wantCode(t, w.sim.Submit(ctx, tx), fiatdashboard.ECONFLICT, tc.wantFail)
			if applied, err := w.sim.Applied(ctx, tx.Hash); err != nil || applied {
				t.Fatalf("Applied = %v, %v after a refused tx; want false", applied, err)
			}
			if after := w.balances(t, w.addr); after != before {
				t.Fatalf("balances moved from %+v to %+v on a refused tx", before, after)
			}
			if d := w.depositsMade(); len(d) != 0 {
				t.Fatalf("bridge deposits %+v on a refused tx", d)
			}
		})
	}
}

func must(t *testing.T) func(exchange.SignedTx, error) exchange.SignedTx {
	return func(tx exchange.SignedTx, err error) exchange.SignedTx {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
}

func TestBuildSwapRefusesAboveTheCap(t *testing.T) {
	w := newWorld(t, usdc(100, 0))
	for _, tc := range []struct {
		name     string
		receive  exchange.Amount
		sendMax  exchange.Amount
		memo     string
		wantCode string
		wantFail string
	}{
		{"cap one unit under the price", 1000 * exchange.One, usdc(10, 999_999), "", fiatdashboard.ECONFLICT, exchange.OpOverSendMax},
		{"book too thin", 3_000_000 * exchange.One, usdc(1_000_000, 0), "", fiatdashboard.ECONFLICT, exchange.OpTooFewOffers},
		{"memo over 28 bytes", exchange.One, exchange.One, strings.Repeat("m", 29), fiatdashboard.EINVALID, ""},
		{"no cap", exchange.One, 0, "", fiatdashboard.EINVALID, ""},
		{"cap exactly the price", 1000 * exchange.One, usdc(10, 1_000_000), "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.sim.BuildSwap(ctx, w.secret, tc.receive, tc.sendMax, tc.memo)
			wantCode(t, err, tc.wantCode, tc.wantFail)
		})
	}
}

// Faults on demand, and what the treasury sees of each.
func TestFaults(t *testing.T) {
	const receive = 1000 * exchange.One
	cost := usdc(10, 1_000_000)
	for _, tc := range []struct {
		name  string
		fault exchangesim.Fault
		run   func(t *testing.T, w *world)
	}{
		{
			name:  "submit unavailable: nothing applied, the resubmit applies",
			fault: exchangesim.SubmitUnavailable,
			run: func(t *testing.T, w *world) {
				tx := must(t)(w.sim.BuildSwap(ctx, w.secret, receive, cost, ""))
				wantCode(t, w.sim.Submit(ctx, tx), fiatdashboard.EUNAVAILABLE, "")
				if applied, _ := w.sim.Applied(ctx, tx.Hash); applied {
					t.Fatal("applied after an unavailable submit")
				}
				if b := w.balances(t, w.addr); b.TFT != 0 {
					t.Fatalf("TFT %s after an unavailable submit", b.TFT)
				}
				if err := w.sim.Submit(ctx, tx); err != nil {
					t.Fatal(err)
				}
				if b := w.balances(t, w.addr); b.TFT != receive {
					t.Fatalf("TFT %s after the resubmit, want %s", b.TFT, receive)
				}
			},
		},
		{
			name:  "price moved: the swap fails for good, a new swap goes through",
			fault: exchangesim.PriceMoved,
			run: func(t *testing.T, w *world) {
				tx := must(t)(w.sim.BuildSwap(ctx, w.secret, receive, cost, ""))
				err := w.sim.Submit(ctx, tx)
				wantCode(t, err, fiatdashboard.ECONFLICT, exchange.OpOverSendMax)
				if msg := fiatdashboard.ErrorMessage(err); msg != "op_over_source_max: the price moved past the slippage cap" {
					t.Fatalf("message %q", msg)
				}
				wantCode(t, w.sim.Submit(ctx, tx), fiatdashboard.ECONFLICT, exchange.OpOverSendMax)
				if b := w.balances(t, w.addr); b != (exchange.Balances{USDC: usdc(100, 0)}) {
					t.Fatalf("balances %+v after a failed swap", b)
				}
				again := must(t)(w.sim.BuildSwap(ctx, w.secret, receive, cost, ""))
				if err := w.sim.Submit(ctx, again); err != nil {
					t.Fatalf("a new swap after the failed one: %v", err)
				}
			},
		},
		{
			name:  "price moved waits for a swap: a payment before it is untouched",
			fault: exchangesim.PriceMoved,
			run: func(t *testing.T, w *world) {
				if err := w.sim.FundTFT(w.addr, 2*exchange.One); err != nil {
					t.Fatal(err)
				}
				pay := must(t)(w.sim.BuildPayment(ctx, w.secret, vault, 2*exchange.One, "twin_9"))
				if err := w.sim.Submit(ctx, pay); err != nil {
					t.Fatalf("payment: %v", err)
				}
				swap := must(t)(w.sim.BuildSwap(ctx, w.secret, receive, cost, ""))
				wantCode(t, w.sim.Submit(ctx, swap), fiatdashboard.ECONFLICT, exchange.OpOverSendMax)
			},
		},
		{
			name:  "response lost on the bridge deposit: applied once, deposited once",
			fault: exchangesim.ResponseLost,
			run: func(t *testing.T, w *world) {
				if err := w.sim.FundTFT(w.addr, 50*exchange.One); err != nil {
					t.Fatal(err)
				}
				pay := must(t)(w.sim.BuildPayment(ctx, w.secret, vault, 50*exchange.One, "twin_42"))
				wantCode(t, w.sim.Submit(ctx, pay), fiatdashboard.EUNAVAILABLE, "")
				if applied, err := w.sim.Applied(ctx, pay.Hash); err != nil || !applied {
					t.Fatalf("Applied = %v, %v after a lost response; want true", applied, err)
				}
				if err := w.sim.Submit(ctx, pay); err != nil {
					t.Fatalf("resubmitting an applied tx: %v", err)
				}
				if d := w.depositsMade(); len(d) != 1 || d[0] != (deposit{42, 50 * exchange.One}) {
					t.Fatalf("deposits %+v, want exactly one of 50 TFT to twin 42", d)
				}
				if b := w.balances(t, vault); b.TFT != 50*exchange.One {
					t.Fatalf("vault holds %s, want 50 TFT", b.TFT)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, usdc(100, 0))
			w.sim.FailNext(tc.fault)
			tc.run(t, w)
		})
	}
}

func TestBridgeHookReadsTheMemo(t *testing.T) {
	for _, tc := range []struct {
		name   string
		to     string
		usdc   bool
		memo   string
		want   []deposit
		amount exchange.Amount
	}{
		{name: "twin memo", to: vault, memo: "twin_42", amount: 5 * exchange.One, want: []deposit{{42, 5 * exchange.One}}},
		{name: "largest twin id", to: vault, memo: "twin_4294967295", amount: 2, want: []deposit{{4294967295, 2}}},
		{name: "twin id overflows", to: vault, memo: "twin_4294967296", amount: exchange.One},
		{name: "twin 0", to: vault, memo: "twin_0", amount: exchange.One},
		{name: "no id", to: vault, memo: "twin_", amount: exchange.One},
		{name: "signed id", to: vault, memo: "twin_+7", amount: exchange.One},
		{name: "a farm, not a twin", to: vault, memo: "farm_3", amount: exchange.One},
		{name: "no memo", to: vault, amount: exchange.One},
		{name: "USDC to the vault", to: vault, usdc: true, memo: "twin_42", amount: exchange.One},
		{name: "TFT to another account", to: "", memo: "twin_42", amount: exchange.One},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, usdc(100, 0))
			if err := w.sim.FundTFT(w.addr, 10*exchange.One); err != nil {
				t.Fatal(err)
			}
			to := tc.to
			if to == "" {
				to = keypair.MustRandom().Address()
				if err := w.sim.Fund(to, 0); err != nil {
					t.Fatal(err)
				}
			}
			tx := must(t)(w.sim.BuildPayment(ctx, w.secret, to, tc.amount, tc.memo))
			if tc.usdc {
				tx = usdcPayment(t, w, to, tc.amount, tc.memo)
			}
			if err := w.sim.Submit(ctx, tx); err != nil {
				t.Fatal(err)
			}
			if got := w.depositsMade(); len(got) != len(tc.want) || (len(got) == 1 && got[0] != tc.want[0]) {
				t.Fatalf("deposits %+v, want %+v", got, tc.want)
			}
		})
	}
}

// usdcPayment signs a USDC payment by hand: the port only pays TFT, but the
// bridge must not mint for any other asset that reaches the vault.
func usdcPayment(t *testing.T, w *world, to string, amount exchange.Amount, memo string) exchange.SignedTx {
	t.Helper()
	kp := keypair.MustParseFull(w.secret)
	// The account's sequence: a TFT payment built now carries it + 1.
	probe := must(t)(w.sim.BuildPayment(ctx, w.secret, to, 1, ""))
	g, err := txnbuild.TransactionFromXDR(probe.XDR)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := g.Transaction()
	pub := stellar.Public()
	tx, err := txnbuild.NewTransaction(txnbuild.TransactionParams{
		SourceAccount: &txnbuild.SimpleAccount{AccountID: kp.Address(), Sequence: p.SequenceNumber()},
		Operations:    []txnbuild.Operation{&txnbuild.Payment{Destination: to, Amount: amount.String(), Asset: txnbuild.CreditAsset{Code: pub.USDC.Code, Issuer: pub.USDC.Issuer}}},
		BaseFee:       txnbuild.MinBaseFee,
		Memo:          txnbuild.MemoText(memo),
		Preconditions: txnbuild.Preconditions{TimeBounds: txnbuild.NewTimebounds(0, w.clock.now().Add(time.Minute).Unix())},
	})
	if err != nil {
		t.Fatal(err)
	}
	if tx, err = tx.Sign(exchangesim.Passphrase, kp); err != nil {
		t.Fatal(err)
	}
	h, _ := tx.HashHex(exchangesim.Passphrase)
	x, _ := tx.Base64()
	return exchange.SignedTx{Hash: h, XDR: x}
}

func TestSubmitRejectsForeignTransactions(t *testing.T) {
	w := newWorld(t, usdc(100, 0))
	tx := must(t)(w.sim.BuildSwap(ctx, w.secret, exchange.One, exchange.One, ""))
	// Signed by someone else for the treasury account.
	thief := keypair.MustRandom()
	g, _ := txnbuild.TransactionFromXDR(tx.XDR)
	inner, _ := g.Transaction()
	forged, err := txnbuild.NewTransaction(txnbuild.TransactionParams{
		SourceAccount: &txnbuild.SimpleAccount{AccountID: w.addr, Sequence: inner.SequenceNumber()},
		Operations:    inner.Operations(),
		BaseFee:       txnbuild.MinBaseFee,
		Preconditions: txnbuild.Preconditions{TimeBounds: inner.Timebounds()},
	})
	if err != nil {
		t.Fatal(err)
	}
	forged, _ = forged.Sign(exchangesim.Passphrase, thief)
	fh, _ := forged.HashHex(exchangesim.Passphrase)
	fx, _ := forged.Base64()
	for _, tc := range []struct {
		name     string
		tx       exchange.SignedTx
		wantCode string
		wantFail string
	}{
		{"not XDR", exchange.SignedTx{Hash: tx.Hash, XDR: "garbage"}, fiatdashboard.EINVALID, ""},
		{"hash does not match", exchange.SignedTx{Hash: strings.Repeat("0", 64), XDR: tx.XDR}, fiatdashboard.EINVALID, ""},
		{"signed by another key", exchange.SignedTx{Hash: fh, XDR: fx}, fiatdashboard.ECONFLICT, exchange.TxBadAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, w.sim.Submit(ctx, tc.tx), tc.wantCode, tc.wantFail)
		})
	}
	if b := w.balances(t, w.addr); b.TFT != 0 {
		t.Fatalf("a foreign transaction moved money: %+v", b)
	}
	_, err = w.sim.Applied(ctx, "twin_42")
	var fe *fiatdashboard.Error
	if !errors.As(err, &fe) || fe.Code != fiatdashboard.EINVALID || fe.Field != "hash" {
		t.Fatalf("Applied of a non-hash: %v, want EINVALID on field hash", err)
	}
}

// Concurrent top-ups from one account: the sequence number lets exactly one
// of the transactions built against the same sequence apply.
func TestConcurrentSubmitsApplyOnce(t *testing.T) {
	w := newWorld(t, usdc(100, 0))
	var txs []exchange.SignedTx
	for i := range 8 {
		txs = append(txs, must(t)(w.sim.BuildSwap(ctx, w.secret, exchange.One, exchange.One, "race "+string(rune('a'+i)))))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(txs))
	for i, tx := range txs {
		wg.Go(func() { errs[i] = w.sim.Submit(ctx, tx) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if exchange.FailureCode(err) != exchange.TxBadSeq {
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d transactions on one sequence number applied, want 1", ok, len(txs))
	}
	if b := w.balances(t, w.addr); b.TFT != exchange.One {
		t.Fatalf("TFT %s, want exactly 1", b.TFT)
	}
}

func TestCancelledContext(t *testing.T) {
	w := newWorld(t, usdc(1, 0))
	c, cancel := context.WithCancel(ctx)
	cancel()
	_, err := w.sim.Balances(c, w.addr)
	wantCode(t, err, fiatdashboard.EUNAVAILABLE, "")
}
