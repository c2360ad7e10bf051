package treasury_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cosmos/go-bip39"
	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/billingtest"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/exchangesim"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
	"github.com/fiatdashboard/fiatdashboard/rbac"
)

// steps records queued steps instead of running a worker.
type steps struct {
	mu   sync.Mutex
	list []string
}

func (s *steps) EnqueueTopupStep(_ context.Context, _ uuid.UUID, state string) error {
	s.mu.Lock()
	s.list = append(s.list, state)
	s.mu.Unlock()
	return nil
}

type treasuryFixture struct {
	*fixture
	// grids builds the wallets' grids, when a test sets it (the
	// treasury's Options.Grids asks it).
	grids    treasury.GridFactory
	tr       *treasury.Treasury
	ex       *exchangesim.Sim
	sim      *gridsim.Sim
	twin     uint32
	account  string
	seed     string
	deposits int
	mint     bool
	q        *steps
	now      time.Time
	codes    *secondFactor
	usdc     exchange.Amount // what setup puts on the Stellar account
	logs     *lockedBuffer
}

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

const vault = "GBNOTAREALVAULTFORTESTSXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"

func newTreasury(t *testing.T) *treasuryFixture {
	t.Helper()
	f := newFixture(t)
	tf := &treasuryFixture{fixture: f, ex: exchangesim.New(exchangesim.Config{}), sim: f.sim, q: &steps{}, mint: true,
		now: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), codes: &secondFactor{}, usdc: 1000 * exchange.One}
	// The wallet's twin is the twin of its recovery phrase's account.
	twin, err := tf.sim.CreateTwinForMnemonic(mnemonicWords, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	tf.twin = twin
	// The chain's side of the bridge: it mints each deposit less its
	// deposit fee and records the Stellar transaction as minted.
	tf.ex.OnBridgeMint(vaultAddr(t), 0, func(twin uint32, minted exchange.Amount) error {
		tf.deposits++
		if !tf.mint {
			return errors.New("the bridge is down")
		}
		return tf.sim.Fund(twin, grid.TFTUnits(minted))
	})
	keys, _ := rbac.ParseKeyring("m1:" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))))
	// The treasury logs everything it says into tf.logs, which the secrets test greps.
	tf.logs = &lockedBuffer{}
	tf.tr = treasury.NewTreasury(f.d.App, f.authz, keys, tf.ex, tf.sim, vaultAddr(t), tf.q, slog.New(slog.NewTextHandler(tf.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		treasury.Options{SecondFactor: tf.codes, Mailer: rbac.NewOutbox(f.d.App), StorefrontURL: func(slug string) string { return "http://" + slug + ".localhost" },
			Grids: func(ctx context.Context, twinID uint32, mnemonic string) (grid.Grid, error) {
				if tf.grids == nil {
					return nil, errors.New("this test opens no wallet grid")
				}
				return tf.grids(ctx, twinID, mnemonic)
			}})
	tf.tr.SetClock(func() time.Time { return tf.now })
	return tf
}

// secondFactor stands for rbac's two-factor check: "123456" is the code.
type secondFactor struct{ asked int }

func (s *secondFactor) ConfirmSecondFactor(_ context.Context, field, code string) error {
	s.asked++
	if code != "123456" {
		return fiatdashboard.Invalid(field, "that code is not right")
	}
	return nil
}

var vaultOnce struct {
	sync.Once
	addr string
}

func vaultAddr(t *testing.T) string {
	vaultOnce.Do(func() {
		a, _ := exchangesim.New(exchangesim.Config{}).Account(exchangesim.NewSeed())
		vaultOnce.addr = a
	})
	return vaultOnce.addr
}

const mnemonicWords = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

func (tf *treasuryFixture) setup(t *testing.T) {
	t.Helper()
	seed := exchangesim.NewSeed()
	tf.seed = seed
	account, err := tf.ex.Account(seed)
	if err != nil {
		t.Fatal(err)
	}
	tf.account = account
	if err := tf.ex.Fund(account, tf.usdc); err != nil {
		t.Fatal(err)
	}
	if err := tf.tr.SaveWallet(tf.owner, treasury.WalletInput{Mnemonic: "not a mnemonic at all", StellarSecret: seed}); err == nil || !strings.Contains(err.Error(), "mnemonic") {
		t.Errorf("bad mnemonic = %v", err)
	}
	// Twelve known words with a wrong checksum.
	if err := tf.tr.SaveWallet(tf.owner, treasury.WalletInput{Mnemonic: strings.Repeat("abandon ", 12), StellarSecret: seed}); err == nil || !strings.Contains(err.Error(), "mnemonic") {
		t.Errorf("bad checksum = %v", err)
	}
	if err := tf.tr.SaveWallet(tf.owner, treasury.WalletInput{Mnemonic: mnemonicWords, StellarSecret: "SNOTASECRET"}); err == nil || strings.Contains(err.Error(), "SNOTASECRET") {
		t.Errorf("bad secret = %v (must fail without echoing it)", err)
	}
	if err := tf.tr.SaveWallet(tf.owner, treasury.WalletInput{Mnemonic: mnemonicWords, StellarSecret: seed}); err != nil {
		t.Fatal(err)
	}
	if _, err := tf.tr.SavePolicy(tf.owner, treasury.Policy{Enabled: true, MinRunwayDays: 30, TargetTier: "none", SlippageBPS: 100,
		MaxPerTopupS: "500", MaxPerMonthS: "2000"}); err != nil {
		t.Fatal(err)
	}
	if !bip39.IsMnemonicValid(mnemonicWords) {
		t.Fatal("test mnemonic invalid")
	}
}

// run drives the queued steps like the worker, until none is left.
func (tf *treasuryFixture) run(t *testing.T, id uuid.UUID) {
	t.Helper()
	for range 10 {
		tf.q.mu.Lock()
		n := len(tf.q.list)
		tf.q.list = nil
		tf.q.mu.Unlock()
		if n == 0 {
			return
		}
		if err := tf.tr.Step(tf.owner, id); err != nil {
			t.Fatalf("step: %v", err)
		}
	}
}

func (tf *treasuryFixture) state(t *testing.T) treasury.Topup {
	t.Helper()
	v, err := tf.tr.Wallet(tf.owner)
	if err != nil {
		t.Fatal(err)
	}
	return v.Topups[0]
}

// TestTopupRunsEveryStep: Top up now goes planned → quoted → swapped →
// bridged → minted → reconciled against the simulators; the twin's balance
// rises by the amount, the USDC spent is within the slippage cap, and the
// ledger balances.
func TestTopupRunsEveryStep(t *testing.T) {
	tf := newTreasury(t)
	tf.setup(t)
	top, err := tf.tr.Plan(tf.owner, "top up now", true)
	if err != nil || top == nil {
		t.Fatalf("plan = %v, %v", top, err)
	}
	if top.AmountS != "499.0000000" {
		t.Errorf("amount = %s, want 499 (500 per top-up minus the 1 TFT bridge fee)", top.AmountS)
	}
	if _, err := tf.tr.Plan(tf.owner, "again", true); err == nil {
		t.Error("a second top-up started while one is under way")
	}
	tf.run(t, top.ID)
	if st := tf.state(t); st.State != treasury.TopupReconciled {
		t.Fatalf("top-up = %+v, want reconciled", st)
	}
	bal, _ := tf.sim.TwinBalance(context.Background(), tf.twin)
	if bal != 499*tft || tf.deposits != 1 {
		t.Errorf("twin balance %s after %d deposits, want 499 after 1", bal, tf.deposits)
	}
	b, _ := tf.ex.Balances(context.Background(), tf.account)
	spent := 1000*exchange.One - b.USDC
	// 500 TFT at the best ask 0.0101: 5.05 USDC; the cap is 1 % more.
	if spent != 505*exchange.One/100 || b.TFT != 0 {
		t.Errorf("spent %s USDC, TFT left %s; want 5.05 and 0", spent, b.TFT)
	}
	if bad, _ := tf.svc.Unbalanced(tf.owner); len(bad) != 0 {
		t.Errorf("unbalanced: %v", bad)
	}
}

// TestCrashAfterSwapDoesNotSwapTwice: the swap applied but its answer was
// lost; the retried step finds the stored transaction applied and goes on.
func TestCrashAfterSwapDoesNotSwapTwice(t *testing.T) {
	tf := newTreasury(t)
	tf.setup(t)
	top, _ := tf.tr.Plan(tf.owner, "top up now", true)
	if err := tf.tr.Step(tf.owner, top.ID); err != nil { // quote
		t.Fatal(err)
	}
	tf.ex.FailNext(exchangesim.ResponseLost)
	if err := tf.tr.Step(tf.owner, top.ID); err == nil { // swap: applied, answer lost
		t.Fatal("a lost answer looked like success")
	}
	if st := tf.state(t); st.State != treasury.TopupQuoted {
		t.Fatalf("after the lost answer = %s, want still quoted", st.State)
	}
	tf.q.list = []string{"quoted"}
	tf.run(t, top.ID)
	b, _ := tf.ex.Balances(context.Background(), tf.account)
	if spent := 1000*exchange.One - b.USDC; spent != 505*exchange.One/100 {
		t.Errorf("spent %s USDC, want 5.05 (one swap)", spent)
	}
	if st := tf.state(t); st.State != treasury.TopupReconciled || tf.deposits != 1 {
		t.Errorf("end = %s with %d deposits", st.State, tf.deposits)
	}
}

// TestMintThatNeverArrives raises the alert and never deposits twice.
func TestMintThatNeverArrives(t *testing.T) {
	tf := newTreasury(t)
	tf.setup(t)
	tf.mint = false
	top, _ := tf.tr.Plan(tf.owner, "top up now", true)
	for range 3 {
		if err := tf.tr.Step(tf.owner, top.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := tf.tr.Step(tf.owner, top.ID); err != treasury.ErrMintPending {
		t.Fatalf("mint step = %v, want pending", err)
	}
	tf.now = tf.now.Add(2 * time.Hour)
	for range 3 {
		if err := tf.tr.Step(tf.owner, top.ID); err != nil {
			t.Fatal(err)
		}
	}
	st := tf.state(t)
	if st.State != treasury.TopupBridged || !strings.Contains(st.Alert, "has not minted") || tf.deposits != 1 {
		t.Errorf("overdue mint = %+v, %d deposits; want bridged with an alert and one deposit", st, tf.deposits)
	}
}

// TestTreasurySecretsStayHidden: neither the mnemonic nor the Stellar
// secret appears in the database, the wallet view or the audit log.
func TestTreasurySecretsStayHidden(t *testing.T) {
	tf := newTreasury(t)
	tf.setup(t)
	// Everything that writes or logs: a top-up that fails (with its alert
	// and mail), a mint that is overdue, a replacement refused for want of a
	// code, the history and the console's health.
	top, _ := tf.tr.Plan(tf.owner, "top up now", true)
	tf.ex.FailNext(exchangesim.PriceMoved)
	tf.run(t, top.ID)
	tf.mint = false
	top, _ = tf.tr.Plan(tf.owner, "top up now", true)
	tf.runQueued(t)
	tf.now = tf.now.Add(2 * time.Hour)
	tf.tr.Step(tf.owner, top.ID)
	if err := tf.tr.SaveWallet(tf.owner, treasury.WalletInput{Mnemonic: mnemonicWords, StellarSecret: tf.seed, TOTPCode: "999999"}); err == nil ||
		strings.Contains(err.Error(), tf.seed) || strings.Contains(err.Error(), "abandon") {
		t.Errorf("refused replacement = %v", err)
	}
	history, _ := tf.tr.History(tf.owner, 90)
	health, _ := tf.tr.WalletHealth(tf.system(), []uuid.UUID{tf.tenantID})
	var dump string
	if err := tf.d.Owner(t).Get(&dump, `SELECT string_agg(w::text, ' ') FROM tenant_wallets w`); err != nil {
		t.Fatal(err)
	}
	var rows string
	if err := tf.d.Owner(t).Get(&rows, `SELECT concat_ws(' ', (SELECT string_agg(x::text, ' ') FROM topups x), (SELECT string_agg(x::text, ' ') FROM treasury_alerts x),
		(SELECT string_agg(x::text, ' ') FROM treasury_snapshots x), (SELECT string_agg(x::text, ' ') FROM outbox_emails x))`); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rows, "overdue") && !strings.Contains(rows, "not minted") {
		t.Errorf("the scenario did not raise the alerts it should: %s", rows)
	}
	var audit string
	if err := tf.d.Owner(t).Get(&audit, `SELECT string_agg(a::text, ' ') FROM audit_events a`); err != nil {
		t.Fatal(err)
	}
	v, err := tf.tr.Wallet(tf.owner)
	if err != nil || v.StellarAccount != tf.account {
		t.Fatalf("wallet view = %+v, %v", v, err)
	}
	api, _ := json.Marshal(map[string]any{"wallet": v, "history": history, "health": health})
	view := fmt.Sprintf("%+v %s", v, api)
	logs := tf.logs.String()
	if logs == "" {
		t.Error("nothing was logged: the log grep proves nothing")
	}
	for _, where := range []string{dump, rows, audit, view, logs} {
		if strings.Contains(where, "abandon") || strings.Contains(where, tf.seed) {
			t.Errorf("a secret leaked: %s", where)
		}
	}
	if !strings.Contains(dump, "m1$") {
		t.Errorf("wallet row = %s, want sealed values", dump)
	}
}

// TestTopupReconcilesWhenTheTwinIsBilledDuringTheMint: between the quote and
// the mint, a contract bill takes TFT from the twin, the bridge's deposit
// fee changes (1 → 2 TFT) and the book moves within the slippage cap. The
// mint is found by the chain's record of the deposit's Stellar transaction,
// so the top-up still reconciles (watching the balance, it would wait
// forever: 10 + 499 never arrives, the bill took 5); the twin gets the
// deposit less the fee in force at the deposit, and the ledger posts what
// the swap actually spent, not the quote.
func TestTopupReconcilesWhenTheTwinIsBilledDuringTheMint(t *testing.T) {
	tf := newTreasury(t)
	tf.setup(t)
	ctx := context.Background()
	if err := tf.sim.Fund(tf.twin, 10*tft); err != nil {
		t.Fatal(err)
	}
	biller, err := tf.sim.CreateTwinForMnemonic(billingtest.NewMnemonic(t), 0, true)
	if err != nil {
		t.Fatal(err)
	}
	tf.ex.SetBillDuringMint(func(twin uint32) {
		if err := tf.sim.AsTwin(twin).TransferTFT(ctx, biller, 5*tft); err != nil {
			t.Errorf("the bill: %v", err)
		}
	})
	top, err := tf.tr.Plan(tf.owner, "top up now", true)
	if err != nil || top.AmountS != "499.0000000" {
		t.Fatalf("plan = %+v, %v", top, err)
	}
	if err := tf.tr.Step(tf.owner, top.ID); err != nil { // quote: 500 TFT at 0.0101 = 5.05 USDC
		t.Fatal(err)
	}
	tf.ex.SetDepositFee(2 * exchange.One)
	asks := exchangesim.DefaultAsks()
	asks[0].Price = 101_500 // 0.5 % dearer, inside the 1 % cap
	tf.ex.SetAsks(asks)
	tf.q.list = []string{"quoted"}
	tf.run(t, top.ID)
	st := tf.state(t)
	if st.State != treasury.TopupReconciled {
		t.Fatalf("top-up = %+v, want reconciled", st)
	}
	if bal, _ := tf.sim.TwinBalance(ctx, tf.twin); bal != 503*tft {
		t.Errorf("twin balance = %s, want 503 (10 − the 5 billed + 500 deposited − the 2 TFT fee)", bal)
	}
	// 500 TFT at 0.01015 = 5.075 USDC sent: 508 cents (5.05 quoted).
	var spent, fees int64
	if err := tf.d.Owner(t).QueryRow(`SELECT -coalesce(sum(amount_cents) FILTER (WHERE account = 'treasury_usdc'), 0),
		coalesce(sum(amount_cents) FILTER (WHERE account = 'bridge_fees'), 0) FROM ledger_postings`).Scan(&spent, &fees); err != nil {
		t.Fatal(err)
	}
	if spent != 508 || fees != 508*2/500 {
		t.Errorf("ledger: USDC spent %d cents, bridge fees %d; want 508 (the swap's result) and %d (2 TFT of 500)", spent, fees, 508*2/500)
	}
	if bad, _ := tf.svc.Unbalanced(tf.owner); len(bad) != 0 {
		t.Errorf("unbalanced: %v", bad)
	}
}

// drainedGrid is a wallet's grid opened drained (tfgrid's read-and-cancel
// client when the wallet holds less than grid-client's 2 TFT).
type drainedGrid struct {
	grid.Grid
	drained bool
}

func (d drainedGrid) Drained() bool { return d.drained }

// TestDrainedWalletGridIsReopened: the treasury keeps a wallet's grid for
// good, but one opened drained (read and cancel only) for a minute at most,
// so a topped-up wallet deploys again without a restart.
func TestDrainedWalletGridIsReopened(t *testing.T) {
	tf := newTreasury(t)
	tf.setup(t)
	opened, drained := 0, true
	tf.grids = func(_ context.Context, twinID uint32, _ string) (grid.Grid, error) {
		opened++
		return drainedGrid{Grid: tf.sim.AsTwin(twinID), drained: drained}, nil
	}
	get := func() grid.Grid {
		t.Helper()
		g, err := tf.tr.TenantGrid(context.Background(), tf.tenantID)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	get()
	get()
	if opened != 1 {
		t.Fatalf("opened %d times within the minute, want once", opened)
	}
	drained = false // topped up
	tf.now = tf.now.Add(61 * time.Second)
	if g := get(); opened != 2 || g.(drainedGrid).drained {
		t.Fatalf("after a minute: opened %d times, drained %v; want the wallet reopened, funded", opened, g.(drainedGrid).drained)
	}
	tf.now = tf.now.Add(time.Hour)
	get()
	if opened != 2 {
		t.Errorf("a funded wallet's grid was reopened (%d opens), want it kept", opened)
	}
}
