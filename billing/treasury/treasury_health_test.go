package treasury_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/billingtest"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/exchangesim"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

func fieldOf(err error) string {
	var e *fiatdashboard.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

func (tf *treasuryFixture) system() context.Context {
	return tenant.WithActor(tenant.WithID(context.Background(), tf.tenantID), tenant.System("test"))
}

func (tf *treasuryFixture) audited(t *testing.T, action string) int {
	t.Helper()
	var n int
	if err := tf.d.Owner(t).Get(&n, `SELECT count(*) FROM audit_events WHERE action = $1`, action); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestWalletTwinIsDerivedFromTheMnemonic: the wallet's twin is the twin of
// the recovery phrase's account, shown on the wallet page; a phrase whose
// account has no twin is refused on the mnemonic field, saying what to do.
func TestWalletTwinIsDerivedFromTheMnemonic(t *testing.T) {
	tf := newTreasury(t)
	orphan := billingtest.NewMnemonic(t)
	err := tf.tr.SaveWallet(tf.owner, treasury.WalletInput{Mnemonic: orphan, StellarSecret: exchangesim.NewSeed()})
	if fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID || fieldOf(err) != "mnemonic" || !strings.Contains(err.Error(), "no twin for this account — create one in the TF Dashboard first") {
		t.Errorf("phrase without a twin = %v, want EINVALID on mnemonic", err)
	}
	if strings.Contains(err.Error(), strings.Fields(orphan)[0]+" "+strings.Fields(orphan)[1]) {
		t.Errorf("the error quotes the phrase: %v", err)
	}
	tf.setup(t)
	v, err := tf.tr.Wallet(tf.owner)
	if err != nil || v.TwinID != tf.twin {
		t.Fatalf("wallet = %+v, %v; want twin %d (the phrase's)", v, err, tf.twin)
	}
	if tf.codes.asked != 0 {
		t.Errorf("the first wallet asked for a two-factor code %d times", tf.codes.asked)
	}
	if tf.audited(t, "wallet.saved") != 1 || tf.audited(t, "wallet.replaced") != 0 {
		t.Error("the first wallet is not audited as wallet.saved")
	}
}

// TestReplacingAWalletAsksForTwoFactorAgain: with a wallet in place, a new
// one needs a fresh code (missing or wrong: EINVALID on totp_code and
// nothing changes), and the replacement is audited as wallet.replaced.
func TestReplacingAWalletAsksForTwoFactorAgain(t *testing.T) {
	tf := newTreasury(t)
	tf.setup(t)
	phrase := billingtest.NewMnemonic(t)
	twin, err := tf.sim.CreateTwinForMnemonic(phrase, 50*tft, true)
	if err != nil {
		t.Fatal(err)
	}
	seed := exchangesim.NewSeed()
	for _, code := range []string{"", "654321"} {
		err := tf.tr.SaveWallet(tf.owner, treasury.WalletInput{Mnemonic: phrase, StellarSecret: seed, TOTPCode: code})
		if fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID || fieldOf(err) != "totp_code" {
			t.Errorf("replace with code %q = %v, want EINVALID on totp_code", code, err)
		}
		if v, _ := tf.tr.Wallet(tf.owner); v.TwinID != tf.twin {
			t.Errorf("a refused replacement changed the wallet to twin %d", v.TwinID)
		}
	}
	if err := tf.tr.SaveWallet(tf.owner, treasury.WalletInput{Mnemonic: phrase, StellarSecret: seed, TOTPCode: "123456"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := tf.tr.Wallet(tf.owner); v.TwinID != twin {
		t.Errorf("after the replacement the wallet is twin %d, want %d", v.TwinID, twin)
	}
	if tf.audited(t, "wallet.replaced") != 1 {
		t.Error("the replacement is not audited as wallet.replaced")
	}
	// Background work (the development seed) is no person: no code.
	if err := tf.tr.SaveWallet(tf.system(), treasury.WalletInput{Mnemonic: mnemonicWords, StellarSecret: tf.seed}); err != nil {
		t.Errorf("system replacement = %v", err)
	}
}

// deployContract runs a small VM on the grid for the tenant (its contracts
// recorded as the platform does), so the wallet has a burn.
func (tf *treasuryFixture) deployContract(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	page, err := tf.sim.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, MinFree: grid.Resources{CRU: 2, MRU: 4 << 30, SRU: 50 << 30}, Page: grid.Page{Size: 1}})
	if err != nil || len(page.Nodes) == 0 {
		t.Fatalf("no node: %v", err)
	}
	p, err := tf.sim.DeployVM(ctx, "burner", grid.VMSpec{Name: "vm", NodeID: page.Nodes[0].ID, Flist: "https://hub.grid.tf/tf-official-vms/debian-12.flist",
		CPU: 1, Memory: 2 << 30, RootFS: 25 << 30})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Contracts {
		if _, err := tf.d.Owner(t).Exec(`INSERT INTO grid_contracts (contract_id, tenant_id, node_id, project) VALUES ($1, $2, $3, $4)`,
			c.ID, tf.tenantID, c.NodeID, "burner"); err != nil {
			t.Fatal(err)
		}
	}
}

// runQueued runs every queued step, like the worker, for the newest top-up.
func (tf *treasuryFixture) runQueued(t *testing.T) treasury.Topup {
	t.Helper()
	top := tf.state(t)
	for range 10 {
		tf.q.mu.Lock()
		n := len(tf.q.list)
		tf.q.list = nil
		tf.q.mu.Unlock()
		if n == 0 {
			break
		}
		if err := tf.tr.Step(tf.owner, top.ID); err != nil && !errors.Is(err, treasury.ErrMintPending) {
			t.Fatalf("step: %v", err)
		}
	}
	return tf.state(t)
}

func (tf *treasuryFixture) mails(t *testing.T) []rbac.OutboxMail {
	t.Helper()
	var out []rbac.OutboxMail
	if err := tf.d.Owner(t).Select(&out, `SELECT id, to_addr, subject, body_text, created_at FROM outbox_emails WHERE tenant_id = $1 ORDER BY id`, tf.tenantID); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTreasuryAlertOncePerIncident: a wallet whose runway is under the
// policy and whose Stellar account holds no USDC fails its top-up at the
// quote (recorded: step, time, message), is flagged, and its owner gets one
// e-mail however often the hourly check finds it still failing; a top-up
// that lands resolves the incident; the next incident mails again.
func TestTreasuryAlertOncePerIncident(t *testing.T) {
	tf := newTreasury(t)
	tf.usdc = 0
	tf.setup(t)
	tf.deployContract(t)

	if _, err := tf.tr.CheckAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	failed := tf.runQueued(t)
	if failed.State != treasury.TopupFailed || failed.FailedStep != treasury.TopupQuoted || failed.FailedAt == nil || !failed.FailedAt.Equal(tf.now) ||
		!strings.Contains(failed.Error, "holds 0.0000000 USDC") {
		t.Fatalf("top-up without USDC = %+v; want failed at the quote, now, saying why", failed)
	}
	v, err := tf.tr.Wallet(tf.owner)
	if err != nil || v.Alert == nil || v.Alert.Reason != treasury.AlertTopupFailed || !strings.Contains(v.Alert.Message, "failed at the quote step") {
		t.Fatalf("alert = %+v, %v", v.Alert, err)
	}
	mails := tf.mails(t)
	if len(mails) != 1 || mails[0].To != "owner@alpha.test" || !strings.Contains(mails[0].Subject, "Alpha Cloud") ||
		!strings.Contains(mails[0].Text, "failed at the quote step") || !strings.Contains(mails[0].Text, "http://alpha.localhost/admin/wallet") {
		t.Fatalf("mails = %+v, want one to the owner naming the failed step and the wallet page", mails)
	}
	for _, m := range mails {
		if strings.Contains(m.Text, "abandon") || strings.Contains(m.Text, tf.seed) {
			t.Error("the alert mail carries a secret")
		}
	}

	// Two more hours: the check tries again, fails again; no second mail.
	for range 2 {
		tf.now = tf.now.Add(time.Hour)
		if _, err := tf.tr.CheckAll(context.Background()); err != nil {
			t.Fatal(err)
		}
		if st := tf.runQueued(t); st.State != treasury.TopupFailed {
			t.Fatalf("retry = %s", st.State)
		}
	}
	if n := len(tf.mails(t)); n != 1 {
		t.Errorf("%d mails for one incident, want 1", n)
	}
	health, err := tf.tr.WalletHealth(tenant.WithActor(context.Background(), tenant.System("console")), nil)
	if err != nil || len(health) != 0 {
		t.Errorf("health of no tenant = %v, %v", health, err)
	}

	// USDC arrives; "Top up now" lands the TFT and resolves the incident.
	if err := tf.ex.Fund(tf.account, 1000*exchange.One); err != nil {
		t.Fatal(err)
	}
	tf.now = tf.now.Add(time.Hour)
	if _, err := tf.tr.Plan(tf.owner, "top up now", true); err != nil {
		t.Fatal(err)
	}
	if st := tf.runQueued(t); st.State != treasury.TopupReconciled {
		t.Fatalf("top-up with USDC = %+v", st)
	}
	if v, _ := tf.tr.Wallet(tf.owner); v.Alert != nil {
		t.Errorf("alert after a good top-up = %+v", v.Alert)
	}
	if tf.audited(t, "wallet.alert_resolved") != 1 {
		t.Error("the resolution is not audited")
	}

	// A new incident: the policy now wants a year of runway and this
	// month's budget is spent. It mails again, once.
	if _, err := tf.tr.SavePolicy(tf.owner, treasury.Policy{Enabled: true, MinRunwayDays: 365, TargetTier: "none", SlippageBPS: 100,
		MaxPerTopupS: "2", MaxPerMonthS: "2"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		tf.now = tf.now.Add(time.Hour)
		if _, err := tf.tr.CheckAll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	v, _ = tf.tr.Wallet(tf.owner)
	if v.Alert == nil || v.Alert.Reason != treasury.AlertRunwayLow || !strings.Contains(v.Alert.Message, "budget is used up") {
		t.Fatalf("alert with the budget spent = %+v", v.Alert)
	}
	if n := len(tf.mails(t)); n != 2 {
		t.Errorf("%d mails after a second incident, want 2", n)
	}
	health, err = tf.tr.WalletHealth(tenant.WithActor(context.Background(), tenant.System("console")), []uuid.UUID{tf.tenantID})
	if err != nil || health[tf.tenantID].Status != "failing" || !strings.Contains(health[tf.tenantID].Note, "budget") {
		t.Errorf("console health = %+v, %v; want failing, saying why", health, err)
	}
}

// TestFailedSwapRecordsItsStep: a swap refused because the price moved past
// the cap fails the top-up at the swap, with when and why, and raises the
// alert (without a runway shortfall: no mail is held back for it).
func TestFailedSwapRecordsItsStep(t *testing.T) {
	tf := newTreasury(t)
	tf.setup(t)
	top, err := tf.tr.Plan(tf.owner, "top up now", true)
	if err != nil {
		t.Fatal(err)
	}
	tf.ex.FailNext(exchangesim.PriceMoved)
	tf.now = tf.now.Add(90 * time.Second)
	tf.run(t, top.ID)
	st := tf.state(t)
	if st.State != treasury.TopupFailed || st.FailedStep != treasury.TopupSwapped || st.FailedAt == nil || !st.FailedAt.Equal(tf.now) || st.Error == "" {
		t.Fatalf("top-up after the price moved = %+v; want failed at the swap", st)
	}
	if strings.Contains(st.Error, tf.seed) || strings.Contains(st.Alert, tf.seed) {
		t.Error("the failure names the Stellar secret")
	}
	v, _ := tf.tr.Wallet(tf.owner)
	if v.Alert == nil || !strings.Contains(v.Alert.Message, "failed at the swap step") {
		t.Errorf("alert = %+v", v.Alert)
	}
}

// TestMintOverdueIsAnAlert: the mint that never arrives opens the
// tenant's alert too (and never deposits twice, see TestMintThatNeverArrives).
func TestMintOverdueIsAnAlert(t *testing.T) {
	tf := newTreasury(t)
	tf.setup(t)
	tf.mint = false
	top, _ := tf.tr.Plan(tf.owner, "top up now", true)
	for range 3 {
		if err := tf.tr.Step(tf.owner, top.ID); err != nil {
			t.Fatal(err)
		}
	}
	tf.now = tf.now.Add(2 * time.Hour)
	if err := tf.tr.Step(tf.owner, top.ID); err != nil {
		t.Fatal(err)
	}
	v, _ := tf.tr.Wallet(tf.owner)
	if v.Alert == nil || v.Alert.Reason != treasury.AlertMintOverdue || tf.deposits != 1 {
		t.Errorf("alert = %+v after %d deposits", v.Alert, tf.deposits)
	}
}

// TestWalletHistoryIsDaily: the history holds the hourly snapshots of the
// checks and of "Top up now", and answers one point a day (the day's last),
// oldest first, over the last 90 days.
func TestWalletHistoryIsDaily(t *testing.T) {
	tf := newTreasury(t)
	tf.setup(t)
	var snaps []treasury.Snapshot
	for h := 100 * 24; h >= 1; h -= 6 { // every six hours for 100 days, up to an hour ago
		at := tf.now.Add(-time.Duration(h) * time.Hour)
		snaps = append(snaps, treasury.Snapshot{At: at, Balance: grid.TFTUnits(h) * tft, BurnMonth: 300 * tft})
	}
	if err := tf.tr.ImportHistory(tf.owner, snaps); err != nil {
		t.Fatal(err)
	}
	tf.now = tf.now.Add(5 * time.Hour)
	if _, err := tf.tr.Plan(tf.owner, "top up now", true); err != nil { // records today's snapshot
		t.Fatal(err)
	}
	h, err := tf.tr.History(tf.owner, treasury.HistoryDays)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 90 {
		t.Fatalf("%d points, want 90 (one a day)", len(h))
	}
	if h[0].Day != "2026-02-01" || h[89].Day != "2026-05-01" {
		t.Errorf("days %s … %s, want 2026-02-01 … 2026-05-01", h[0].Day, h[89].Day)
	}
	// 2026-04-30's last snapshot is 18:00 (six hours before midnight).
	if h[88].BalanceS != "6.0000000" || h[88].BurnS != "300.0000000" || h[88].RunwayDays == nil || *h[88].RunwayDays != 0 {
		t.Errorf("2026-04-30 = %+v, want its 18:00 snapshot", h[88])
	}
	if h[89].BalanceS != "0.0000000" || h[89].RunwayDays != nil {
		t.Errorf("today = %+v, want the wallet as Top up now found it (0 TFT, nothing burning)", h[89])
	}
	if short, _ := tf.tr.History(tf.owner, 7); len(short) != 7 {
		t.Errorf("7 days = %d points", len(short))
	}
	if _, err := tf.tr.History(tf.owner, 91); fieldOf(err) != "days" {
		t.Errorf("91 days = %v", err)
	}
	// The hourly check writes the hour's snapshot too.
	tf.now = tf.now.Add(time.Hour)
	if _, err := tf.tr.CheckAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tf.d.Owner(t).Get(&n, `SELECT count(*) FROM treasury_snapshots WHERE at >= $1`, tf.now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d snapshots in the last two hours, want 2 (Top up now's and the check's)", n)
	}
}

// TestAlertWhenTheWalletCannotDeploy: a wallet below the 2 TFT grid-client
// needs free to deploy raises the treasury alert even when its runway is
// fine (nothing runs), saying that new servers cannot start; topped up to
// 2 TFT, the hourly check resolves it.
func TestAlertWhenTheWalletCannotDeploy(t *testing.T) {
	tf := newTreasury(t)
	tf.setup(t)
	if _, err := tf.tr.CheckAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	v, err := tf.tr.Wallet(tf.owner)
	if err != nil || v.Alert == nil || !strings.Contains(v.Alert.Message, "under the 2 TFT the grid client needs free to deploy") {
		t.Fatalf("alert of an empty wallet = %+v, %v; want one saying new servers cannot start", v.Alert, err)
	}
	if err := tf.sim.Fund(tf.twin, grid.MinFreeToDeploy); err != nil {
		t.Fatal(err)
	}
	tf.now = tf.now.Add(time.Hour)
	if _, err := tf.tr.CheckAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v, err := tf.tr.Wallet(tf.owner); err != nil || v.Alert != nil {
		t.Errorf("alert after the top-up to 2 TFT = %+v, %v; want it resolved", v.Alert, err)
	}
}
