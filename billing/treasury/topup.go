package treasury

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"

	"github.com/cosmos/go-bip39"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// BridgeFee is what the TFChain bridge keeps of every deposit: 1 TFT.
const BridgeFee = grid.TFTUnits(10_000_000)

// Top-up states, in order.
const (
	TopupPlanned    = "planned"
	TopupQuoted     = "quoted"
	TopupSwapped    = "swapped"
	TopupBridged    = "bridged"
	TopupMinted     = "minted"
	TopupReconciled = "reconciled"
	TopupFailed     = "failed"
)

// ErrMintPending says the bridge has not minted yet: try the step later.
var ErrMintPending = errors.New("the TFChain mint has not arrived yet")

// TopupEnqueuer queues the next step of a top-up (jobs implements it).
type TopupEnqueuer interface {
	EnqueueTopupStep(ctx context.Context, id uuid.UUID, state string) error
}

// Treasury is each tenant's TFChain wallet, Stellar account and automatic
// top-ups (USDC → TFT on the Stellar DEX → bridge → TFChain). Secrets are
// encrypted under FD_MASTER_KEY and opened only inside the step that signs.
type Treasury struct {
	db          *sqlx.DB
	authz       tenant.Authorizer
	keys        *rbac.Keyring
	ex          exchange.Exchange
	bridge      exchange.Bridge // TFChain's side: mints and the deposit fee
	grid        grid.Grid
	vault       string
	enqueue     TopupEnqueuer
	MintTimeout time.Duration
	log         *slog.Logger
	now         func() time.Time
	stepUp      SecondFactor
	mailer      billing.Mailer
	storefront  func(slug string) string
	grids       walletGrids // each tenant's wallet as a grid (wallet_grid.go)
}

// SecondFactor asks the signed-in person for two-factor again (rbac's
// ConfirmSecondFactor): EINVALID on field when the code is missing or wrong.
type SecondFactor interface {
	ConfirmSecondFactor(ctx context.Context, field, code string) error
}

// Options are the treasury's collaborators beyond its store, exchange and
// grid, given at construction; each may be nil where a test needs none.
type Options struct {
	// Bridge is TFChain's side of the bridge (exchange/tfchainbridge on a
	// real network); nil: the exchange, when it models both sides (the
	// simulator).
	Bridge exchange.Bridge
	// SecondFactor checks the code that replacing a wallet asks for; nil
	// refuses every replacement.
	SecondFactor SecondFactor
	// Mailer receives treasury alerts for the tenant's owners and admins;
	// StorefrontURL gives the storefront address for the link in them.
	Mailer        billing.Mailer
	StorefrontURL func(slug string) string
	// Grids builds tenants' wallet grids (the simulator's AsTwin or
	// tfgrid.New); nil: TenantGrid fails.
	Grids GridFactory
}

// NewTreasury wires the treasury; vault is the bridge's Stellar account.
func NewTreasury(db *sqlx.DB, authz tenant.Authorizer, keys *rbac.Keyring, ex exchange.Exchange, g grid.Grid, vault string, enqueue TopupEnqueuer, log *slog.Logger, opts Options) *Treasury {
	t := &Treasury{db: db, authz: authz, keys: keys, ex: ex, grid: g, vault: vault, enqueue: enqueue, MintTimeout: time.Hour, log: log, now: time.Now,
		bridge: opts.Bridge, stepUp: opts.SecondFactor, mailer: opts.Mailer, storefront: opts.StorefrontURL,
		grids: walletGrids{factory: opts.Grids, byKey: map[uuid.UUID]walletGrid{}}}
	if b, ok := ex.(exchange.Bridge); ok && t.bridge == nil { // the simulator models both sides
		t.bridge = b
	}
	return t
}

// depositFee reads the bridge's deposit fee from the chain.
func (t *Treasury) depositFee(ctx context.Context) (grid.TFTUnits, error) {
	if t.bridge == nil {
		return 0, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "no TFChain bridge is wired")
	}
	fee, err := t.bridge.DepositFee(ctx)
	if err != nil {
		return 0, fmt.Errorf("the bridge's deposit fee: %w", err)
	}
	return grid.TFTUnits(fee), nil
}

// SetClock replaces the clock (tests).
func (t *Treasury) SetClock(now func() time.Time) { t.now = now }

// WalletInput is what a tenant admin enters. Secrets are never returned.
// The twin is not entered: it is the twin of the mnemonic's account.
type WalletInput struct {
	Mnemonic      string `json:"mnemonic"`
	StellarSecret string `json:"stellar_secret"`
	// TOTPCode confirms replacing a wallet that exists: a current code of
	// the admin's authenticator app (or a recovery code).
	TOTPCode string `json:"totp_code"`
}

// SaveWallet stores the tenant's wallet, deriving its twin from the
// mnemonic, audited as wallet.saved (admin/wallet write; owners and admins,
// with two-factor). Replacing a wallet that exists asks for two-factor again
// (in.TOTPCode, EINVALID on "totp_code" when missing or wrong; nothing
// changes) and is audited as wallet.replaced. Returns EINVALID on
// "mnemonic" for a bad phrase or an account without a twin.
func (t *Treasury) SaveWallet(ctx context.Context, in WalletInput) error {
	if err := t.authz.Require(ctx, "admin/wallet", "write"); err != nil {
		return err
	}
	mnemonic := strings.Join(strings.Fields(strings.ToLower(in.Mnemonic)), " ")
	// IsMnemonicValid checks only the words; the byte conversion checks the checksum.
	if _, err := bip39.MnemonicToByteArray(mnemonic); err != nil || !bip39.IsMnemonicValid(mnemonic) {
		return fiatdashboard.Invalid("mnemonic", "this is not a valid 12 or 24 word recovery phrase (check the words and their order)")
	}
	twins, ok := t.grid.(grid.MnemonicTwins)
	if !ok {
		return fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "the grid adapter cannot find the twin of a mnemonic")
	}
	twin, err := twins.TwinOfMnemonic(ctx, mnemonic)
	switch fiatdashboard.ErrorCode(err) {
	case "":
	case fiatdashboard.ENOTFOUND:
		return fiatdashboard.Invalid("mnemonic", "no twin for this account — create one in the TF Dashboard first")
	case fiatdashboard.EINVALID:
		return fiatdashboard.Invalid("mnemonic", "this is not a valid 12 or 24 word recovery phrase (check the words and their order)")
	default:
		return err
	}
	account, err := t.ex.Account(strings.TrimSpace(in.StellarSecret))
	if err != nil {
		return err
	}
	var old *walletRow
	if old, err = t.wallet(ctx); fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND {
		old = nil
	} else if err != nil {
		return err
	}
	if old != nil {
		if err := t.confirmReplace(ctx, in.TOTPCode); err != nil {
			return err
		}
	}
	tid, _ := tenant.IDFromContext(ctx)
	// Sealed for this tenant only: a copy in another tenant's row does not open.
	mEnc, err := t.keys.SealFor("treasury", tid, []byte(mnemonic))
	if err != nil {
		return err
	}
	sEnc, err := t.keys.SealFor("treasury", tid, []byte(strings.TrimSpace(in.StellarSecret)))
	if err != nil {
		return err
	}
	return tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_wallets (tenant_id, twin_id, mnemonic_enc, stellar_account, stellar_secret_enc) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant_id) DO UPDATE SET twin_id = EXCLUDED.twin_id, mnemonic_enc = EXCLUDED.mnemonic_enc, stellar_account = EXCLUDED.stellar_account,
			stellar_secret_enc = EXCLUDED.stellar_secret_enc, updated_at = now()`, tid, twin, mEnc, account, sEnc); err != nil {
			return err
		}
		if old != nil {
			return tenant.Audit(ctx, tx, tid, "wallet.replaced", fmt.Sprint(twin), map[string]any{"stellar_account": account,
				"previous_twin_id": old.TwinID, "previous_stellar_account": old.Account})
		}
		return tenant.Audit(ctx, tx, tid, "wallet.saved", fmt.Sprint(twin), map[string]any{"stellar_account": account})
	})
}

// confirmReplace asks a person replacing the wallet for two-factor again.
// Background work (the system actor, e.g. the development seed) is not a
// person and has no second factor.
func (t *Treasury) confirmReplace(ctx context.Context, code string) error {
	actor, ok := tenant.ActorFromContext(ctx)
	if ok && actor.Kind == tenant.ActorSystem {
		return nil
	}
	if t.stepUp == nil {
		return fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "replacing a wallet needs a two-factor check, and none is wired")
	}
	return t.stepUp.ConfirmSecondFactor(ctx, "totp_code", code)
}

type walletRow struct {
	TwinID       uint32 `db:"twin_id"`
	Account      string `db:"stellar_account"`
	SecretSealed string `db:"stellar_secret_enc"`
}

func (t *Treasury) wallet(ctx context.Context) (*walletRow, error) {
	var w walletRow
	err := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &w, `SELECT twin_id, stellar_account, stellar_secret_enc FROM tenant_wallets`)
	})
	if tenant.IsNoRows(err) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "add a wallet first")
	}
	return &w, err
}

// WalletView is the wallet page: balances, KYC, tiers and top-ups. No secret.
type WalletView struct {
	TwinID         uint32     `json:"twin_id"`
	StellarAccount string     `json:"stellar_account"`
	TFT            string     `json:"tft_balance"`
	KYCVerified    bool       `json:"kyc_verified"`
	StellarUSDC    string     `json:"stellar_usdc"`
	StellarTFT     string     `json:"stellar_tft"`
	Tiers          TierReport `json:"tiers"`
	Policy         *Policy    `json:"policy"`
	Topups         []Topup    `json:"topups"`
	// Alert is the open treasury alert (the wallet cannot keep its runway,
	// a top-up failed, a mint is overdue), or nil.
	Alert *Alert `json:"alert"`
}

// WalletContracts returns the tier report of the wallet's running contracts
// (admin/wallet read); the caller pages its Contracts (ContractPage).
// Returns ENOTFOUND when the storefront has no wallet.
func (t *Treasury) WalletContracts(ctx context.Context) (TierReport, error) {
	if err := t.authz.Require(ctx, "admin/wallet", "read"); err != nil {
		return TierReport{}, err
	}
	w, err := t.wallet(ctx)
	if err != nil {
		return TierReport{}, err
	}
	bal, err := t.grid.TwinBalance(ctx, w.TwinID)
	if err != nil {
		return TierReport{}, err
	}
	costs, err := t.contractCosts(ctx)
	if err != nil {
		return TierReport{}, err
	}
	return Tiers(bal, costs), nil
}

// Wallet returns the wallet page's data (admin/wallet read).
func (t *Treasury) Wallet(ctx context.Context) (*WalletView, error) {
	if err := t.authz.Require(ctx, "admin/wallet", "read"); err != nil {
		return nil, err
	}
	w, err := t.wallet(ctx)
	if err != nil {
		return nil, err
	}
	v := &WalletView{TwinID: w.TwinID, StellarAccount: w.Account}
	bal, err := t.grid.TwinBalance(ctx, w.TwinID)
	if err != nil {
		return nil, err
	}
	v.TFT = bal.String()
	if v.KYCVerified, err = t.grid.TwinKYC(ctx, w.TwinID); err != nil {
		return nil, err
	}
	if b, err := t.ex.Balances(ctx, w.Account); err == nil {
		v.StellarUSDC, v.StellarTFT = b.USDC.String(), b.TFT.String()
	}
	costs, err := t.contractCosts(ctx)
	if err != nil {
		return nil, err
	}
	v.Tiers = Tiers(bal, costs)
	if v.Policy, err = t.policy(ctx); err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		return nil, err
	}
	if v.Topups, err = t.topups(ctx, 20); err != nil {
		return nil, err
	}
	v.Alert, err = t.openAlert(ctx)
	return v, err
}

// contractCosts reads the running contracts' monthly cost from the grid.
func (t *Treasury) contractCosts(ctx context.Context) ([]ContractCost, error) {
	var projects []string
	if err := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &projects, `SELECT DISTINCT project FROM grid_contracts WHERE canceled_at IS NULL LIMIT 500`)
	}); err != nil {
		return nil, err
	}
	// The contracts are the wallet twin's: read them as that twin when the
	// tenants' wallet grids are wired (wallet_grid.go).
	g := t.grid
	if tid, ok := tenant.IDFromContext(ctx); ok && len(projects) > 0 {
		if tg, err := t.TenantGrid(ctx, tid); err == nil {
			g = tg
		}
	}
	var out []ContractCost
	for _, name := range projects {
		p, err := g.Project(ctx, name)
		if fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, c := range p.Contracts {
			// The list cost (before the staking discount) as the grid
			// prices the contract itself: a rent at the node's dedicated
			// share plus its extra fee, a VM on a rented node by its IPs.
			if c.ListHourlyCost == 0 {
				continue // network contracts and VMs riding on a rent: nothing billed
			}
			out = append(out, ContractCost{ContractID: c.ID, MonthlyList: c.ListHourlyCost * grid.HoursPerMonth})
		}
	}
	return out, nil
}

// Policy is a tenant's top-up policy. Amounts are TFT (7 decimals).
type Policy struct {
	Enabled       bool                 `db:"enabled" json:"enabled"`
	MinRunwayDays int                  `db:"min_runway_days" json:"min_runway_days"`
	TargetTier    grid.DiscountPackage `db:"target_tier" json:"target_tier"`
	MaxPerTopup   grid.TFTUnits        `db:"max_per_topup" json:"-"`
	MaxPerMonth   grid.TFTUnits        `db:"max_per_month" json:"-"`
	SlippageBPS   int64                `db:"slippage_bps" json:"slippage_bps"`
	MaxPerTopupS  string               `db:"-" json:"max_per_topup_tft"`
	MaxPerMonthS  string               `db:"-" json:"max_per_month_tft"`
}

func (t *Treasury) policy(ctx context.Context) (*Policy, error) {
	var p Policy
	err := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &p, `SELECT enabled, min_runway_days, target_tier, max_per_topup, max_per_month, slippage_bps FROM topup_policies`)
	})
	if tenant.IsNoRows(err) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "set a top-up policy first")
	}
	p.MaxPerTopupS, p.MaxPerMonthS = p.MaxPerTopup.String(), p.MaxPerMonth.String()
	return &p, err
}

// SavePolicy stores the top-up policy (admin/wallet write).
func (t *Treasury) SavePolicy(ctx context.Context, p Policy) (*Policy, error) {
	if err := t.authz.Require(ctx, "admin/wallet", "write"); err != nil {
		return nil, err
	}
	var err error
	if p.MaxPerTopup, err = grid.ParseTFT(p.MaxPerTopupS); err != nil || p.MaxPerTopup <= BridgeFee {
		return nil, fiatdashboard.Invalid("max_per_topup_tft", "the most per top-up is a TFT amount above the 1 TFT bridge fee")
	}
	if p.MaxPerMonth, err = grid.ParseTFT(p.MaxPerMonthS); err != nil || p.MaxPerMonth < p.MaxPerTopup {
		return nil, fiatdashboard.Invalid("max_per_month_tft", "the most per month is a TFT amount at least the most per top-up")
	}
	switch {
	case p.MinRunwayDays < 1 || p.MinRunwayDays > 365:
		return nil, fiatdashboard.Invalid("min_runway_days", "keep 1 to 365 days of runway")
	case p.SlippageBPS < 1 || p.SlippageBPS > 2000:
		return nil, fiatdashboard.Invalid("slippage_bps", "the slippage cap is 0.01-20 %%")
	}
	switch p.TargetTier {
	case "":
		p.TargetTier = grid.DiscountNone
	case grid.DiscountNone, grid.DiscountDefault, grid.DiscountBronze, grid.DiscountSilver, grid.DiscountGold:
	default:
		return nil, fiatdashboard.Invalid("target_tier", "the target tier is none, default, bronze, silver or gold")
	}
	tid, _ := tenant.IDFromContext(ctx)
	err = tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO topup_policies (tenant_id, enabled, min_runway_days, target_tier, max_per_topup, max_per_month, slippage_bps)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id) DO UPDATE SET enabled = EXCLUDED.enabled, min_runway_days = EXCLUDED.min_runway_days,
			target_tier = EXCLUDED.target_tier, max_per_topup = EXCLUDED.max_per_topup, max_per_month = EXCLUDED.max_per_month, slippage_bps = EXCLUDED.slippage_bps, updated_at = now()`,
			tid, p.Enabled, p.MinRunwayDays, p.TargetTier, p.MaxPerTopup, p.MaxPerMonth, p.SlippageBPS); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "wallet.policy_changed", "", map[string]any{"min_runway_days": p.MinRunwayDays, "target_tier": p.TargetTier})
	})
	if err != nil {
		return nil, err
	}
	return t.policy(ctx)
}

// Topup is one top-up and where it stands.
type Topup struct {
	ID        uuid.UUID     `db:"id" json:"id"`
	State     string        `db:"state" json:"state"`
	Reason    string        `db:"reason" json:"reason"`
	Amount    grid.TFTUnits `db:"amount" json:"-"`
	AmountS   string        `db:"-" json:"amount_tft"`
	QuoteUSDC int64         `db:"quote_usdc" json:"-"`
	SendMax   int64         `db:"send_max_usdc" json:"-"`
	Alert     string        `db:"alert" json:"alert"`
	Error     string        `db:"error" json:"error"`
	// FailedStep is the step a failed top-up stopped at (the state it did
	// not reach: quoted, swapped, bridged, minted or reconciled), and when.
	FailedStep string     `db:"failed_step" json:"failed_step,omitempty"`
	FailedAt   *time.Time `db:"failed_at" json:"failed_at,omitempty"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt  time.Time  `db:"updated_at" json:"updated_at"`
	QuoteS     string     `db:"-" json:"quote_usdc"`
	// SendMaxS is the most USDC the swap may spend (the confirmed quote's
	// cap, or the quote step's).
	SendMaxS string `db:"-" json:"send_max_usdc"`
}

const topupColumns = `id, state, reason, amount, quote_usdc, send_max_usdc, alert, error, failed_step, failed_at, created_at, updated_at`

func (t *Treasury) topups(ctx context.Context, limit int) ([]Topup, error) {
	out := []Topup{}
	err := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+topupColumns+` FROM topups ORDER BY created_at DESC LIMIT $1`, limit)
	})
	for i := range out {
		out[i].AmountS, out[i].QuoteS = out[i].Amount.String(), exchange.Amount(out[i].QuoteUSDC).String()
		out[i].SendMaxS = exchange.Amount(out[i].SendMax).String()
	}
	return out, err
}

// Plan decides how much TFT the policy needs now — enough for the runway
// and the target tier, within the per-top-up and monthly caps — and starts
// a top-up; it returns nil when none is needed. With force ("Top up now")
// it tops up the per-top-up maximum when the policy needs nothing.
// It records a snapshot of the balance and burn for the history.
func (t *Treasury) Plan(ctx context.Context, reason string, force bool) (*Topup, error) {
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
	if err := t.record(ctx, st); err != nil {
		return nil, err
	}
	return t.plan(ctx, st, reason, force)
}

// walletStatus is where a wallet stands: its balance against its contracts.
type walletStatus struct {
	wallet  *walletRow
	policy  *Policy // nil without a policy
	balance grid.TFTUnits
	costs   []ContractCost
	report  TierReport
}

// status reads the wallet, its policy, its balance and its contracts' costs.
// ENOTFOUND without a wallet.
func (t *Treasury) status(ctx context.Context) (*walletStatus, error) {
	w, err := t.wallet(ctx)
	if err != nil {
		return nil, err
	}
	st := &walletStatus{wallet: w}
	if st.policy, err = t.policy(ctx); fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND {
		st.policy = nil
	} else if err != nil {
		return nil, err
	}
	if st.balance, err = t.grid.TwinBalance(ctx, w.TwinID); err != nil {
		return nil, err
	}
	if st.costs, err = t.contractCosts(ctx); err != nil {
		return nil, err
	}
	st.report = Tiers(st.balance, st.costs)
	return st, nil
}

// short reports whether the runway is under the policy's minimum.
func (st *walletStatus) short() bool {
	return st.policy != nil && st.report.RunwayDays >= 0 && st.report.RunwayDays < int64(st.policy.MinRunwayDays)
}

// need is the TFT the policy wants on the twin now — enough for the runway
// and the target tier (with force, the per-top-up maximum when it wants
// nothing) — within the per-top-up cap, and the bridge's deposit fee as the
// chain says now. need is 0 when nothing is needed.
func (t *Treasury) need(ctx context.Context, st *walletStatus, force bool) (need, fee grid.TFTUnits, err error) {
	p, bal, costs, r := st.policy, st.balance, st.costs, st.report
	burn, _ := grid.ParseTFT(r.BurnMonth)
	need = grid.TFTUnits(int64(burn)*int64(p.MinRunwayDays)/30) - bal
	var maxCost grid.TFTUnits
	for _, c := range costs {
		maxCost = max(maxCost, c.MonthlyList)
	}
	for _, th := range tierHalfMonths {
		if th.Package == p.TargetTier {
			need = max(need, grid.TFTUnits(int64(maxCost)*th.Halves/2)-bal)
		}
	}
	// What the bridge keeps of a deposit, as the chain says now.
	if fee, err = t.depositFee(ctx); err != nil {
		return 0, 0, err
	}
	if need <= 0 && force {
		need = p.MaxPerTopup - fee
	}
	if need <= 0 {
		return 0, fee, nil
	}
	return min(need, p.MaxPerTopup-fee), fee, nil
}

// withinMonth lowers amount to what is left of this month's budget (the
// policy's most per month, less what this month's top-ups bought), in tx;
// ECONFLICT when nothing is left.
func withinMonth(ctx context.Context, tx *tenant.Tx, p *Policy, amount, fee grid.TFTUnits) (grid.TFTUnits, error) {
	var month grid.TFTUnits
	if err := tx.GetContext(ctx, &month, `SELECT coalesce(sum(buy), 0) FROM topups WHERE state <> 'failed' AND created_at >= date_trunc('month', now())`); err != nil {
		return 0, err
	}
	if left := p.MaxPerMonth - month - fee; left < amount {
		amount = left
	}
	if amount <= 0 {
		return 0, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "this month's top-up budget is used up")
	}
	return amount, nil
}

func (t *Treasury) plan(ctx context.Context, st *walletStatus, reason string, force bool) (*Topup, error) {
	amount, fee, err := t.need(ctx, st, force)
	if err != nil || amount <= 0 {
		return nil, err
	}
	p := st.policy
	tid, _ := tenant.IDFromContext(ctx)
	var out Topup
	err = tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		var err error
		if amount, err = withinMonth(ctx, tx, p, amount, fee); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT topup`); err != nil {
			return err
		}
		err = tx.GetContext(ctx, &out, `INSERT INTO topups (tenant_id, reason, amount, buy) VALUES ($1, $2, $3, $4) RETURNING `+topupColumns,
			tid, reason, amount, amount+fee)
		if isUnique(err) {
			return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "a top-up is already under way")
		}
		if err != nil {
			return err
		}
		if err := oweTopupStep(ctx, tx, out.ID, out.State); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "wallet.topup_planned", out.ID.String(), map[string]any{"amount_tft": amount.String(), "reason": reason})
	})
	if err != nil {
		return nil, err
	}
	out.AmountS = out.Amount.String()
	return &out, t.enqueue.EnqueueTopupStep(ctx, out.ID, out.State)
}

type topupRow struct {
	ID            uuid.UUID  `db:"id"`
	State         string     `db:"state"`
	Amount        int64      `db:"amount"`
	Buy           int64      `db:"buy"`
	QuoteUSDC     int64      `db:"quote_usdc"`
	SendMax       int64      `db:"send_max_usdc"`
	SwapHash      string     `db:"swap_hash"`
	SwapXDR       string     `db:"swap_xdr"`
	BridgeHash    string     `db:"bridge_hash"`
	BridgeXDR     string     `db:"bridge_xdr"`
	BalanceBefore int64      `db:"balance_before"`
	BridgedAt     *time.Time `db:"bridged_at"`
	Alert         string     `db:"alert"`
	SpentUSDC     int64      `db:"spent_usdc"`
	ReceivedTFT   int64      `db:"received_tft"`
	BridgeFee     int64      `db:"bridge_fee"`
}

// Step runs the top-up's current step, stores the new state, and queues
// the next. Every step is idempotent and resumes from what is stored: a
// signed transaction's hash is stored before it is submitted, so a step
// that crashed finds out whether it applied instead of paying twice.
func (t *Treasury) Step(ctx context.Context, id uuid.UUID) error {
	var r topupRow
	err := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &r, `SELECT id, state, amount, buy, quote_usdc, send_max_usdc, swap_hash, swap_xdr, bridge_hash, bridge_xdr,
			balance_before, bridged_at, alert, spent_usdc, received_tft, bridge_fee FROM topups WHERE id = $1`, id)
	})
	if err != nil {
		return err
	}
	w, err := t.wallet(ctx)
	if err != nil {
		return err
	}
	next, err := t.step(ctx, &r, w)
	if err != nil {
		if fiatdashboard.ErrorCode(err) == fiatdashboard.ECONFLICT || fiatdashboard.ErrorCode(err) == fiatdashboard.EINVALID {
			return t.Fail(ctx, id, err)
		}
		return err
	}
	if next == "" || next == r.State {
		return nil
	}
	if next == TopupReconciled {
		t.resolveIfHealthy(ctx)
		return nil
	}
	// The next step is owed before this one is done: the outbox keeps it
	// if Redis loses the queued task.
	if err := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error { return oweTopupStep(ctx, tx, id, next) }); err != nil {
		return err
	}
	return t.enqueue.EnqueueTopupStep(ctx, id, next)
}

// TaskTopupStep runs a top-up's next step (task id topup:<id>:<state>).
const TaskTopupStep = "treasury:topup-step"

func oweTopupStep(ctx context.Context, tx *tenant.Tx, id uuid.UUID, state string) error {
	if _, ok := tenant.ActorFromContext(ctx); !ok {
		ctx = tenant.WithActor(ctx, tenant.System("treasury"))
	}
	return tenant.Owe(ctx, tx, tenant.OwedTask{Key: "topup:" + id.String() + ":" + state, Type: TaskTopupStep, Data: map[string]string{"id": id.String()}})
}

// nextStep names the step a top-up in state runs: the state it moves to.
var nextStep = map[string]string{TopupPlanned: TopupQuoted, TopupQuoted: TopupSwapped, TopupSwapped: TopupBridged,
	TopupBridged: TopupMinted, TopupMinted: TopupReconciled}

// stepNames are the steps as people name them, for messages.
var stepNames = map[string]string{TopupQuoted: "quote", TopupSwapped: "swap", TopupBridged: "bridge deposit",
	TopupMinted: "mint", TopupReconciled: "ledger posting"}

// Fail records that a top-up failed: the step it stopped at, when, and why
// (err's message, which never carries a secret; anything but an *Error
// shows as "internal error" and goes to the log), and raises the tenant's
// treasury alert (mailed once per incident). The jobs call it when a step
// keeps failing after its last retry. A top-up that is done or failed
// already stays as it is.
func (t *Treasury) Fail(ctx context.Context, id uuid.UUID, err error) error {
	msg := fiatdashboard.ErrorMessage(err)
	if fiatdashboard.ErrorCode(err) == fiatdashboard.EINTERNAL {
		t.log.Error("top-up failed", "topup", id, "err", err)
	}
	var r Topup
	e := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		var state string
		if err := tx.GetContext(ctx, &state, `SELECT state FROM topups WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		step := nextStep[state]
		if step == "" {
			return errTopupSettled
		}
		return tx.GetContext(ctx, &r, `UPDATE topups SET state = 'failed', failed_step = $2, failed_at = $3, error = $4, alert = $5, updated_at = now()
			WHERE id = $1 RETURNING `+topupColumns, id, step, t.now(), msg, "top-up failed at the "+stepNames[step]+": "+msg)
	})
	if errors.Is(e, errTopupSettled) {
		return nil
	}
	if e != nil {
		return e
	}
	return t.raise(ctx, AlertTopupFailed, fmt.Sprintf("The top-up of %s TFT failed at the %s step on %s: %s.",
		r.Amount, stepNames[r.FailedStep], r.FailedAt.UTC().Format("2 Jan 2006 15:04 UTC"), strings.TrimSuffix(msg, ".")), nil)
}

var errTopupSettled = errors.New("the top-up is settled")

func (t *Treasury) set(ctx context.Context, id uuid.UUID, cols map[string]any) error {
	q, args := `UPDATE topups SET updated_at = now()`, []any{id}
	for _, k := range []string{"state", "quote_usdc", "send_max_usdc", "spent_usdc", "swap_hash", "swap_xdr", "bridge_hash", "bridge_xdr", "balance_before", "bridged_at", "alert", "error",
		"received_tft", "bridge_fee"} {
		if v, ok := cols[k]; ok {
			args = append(args, v)
			q += fmt.Sprintf(", %s = $%d", k, len(args))
		}
	}
	return tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, q+` WHERE id = $1`, args...)
		return err
	})
}

func (t *Treasury) secret(ctx context.Context, w *walletRow) (string, error) {
	tid, _ := tenant.IDFromContext(ctx)
	b, err := t.keys.OpenFor("treasury", tid, w.SecretSealed)
	if err != nil {
		return "", fmt.Errorf("open the Stellar secret: %w", err)
	}
	return string(b), nil
}

func (t *Treasury) step(ctx context.Context, r *topupRow, w *walletRow) (string, error) {
	switch r.State {
	case TopupPlanned:
		q, err := t.ex.QuoteTFT(ctx, exchange.Amount(r.Buy))
		if err != nil {
			return "", err
		}
		var slip int64
		if err := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
			return tx.GetContext(ctx, &slip, `SELECT slippage_bps FROM topup_policies`)
		}); err != nil {
			return "", err
		}
		sendMax := ceilDiv(big.NewInt(int64(q.SendUSDC)*(10000+slip)), big.NewInt(10000)).Int64()
		bal, err := t.ex.Balances(ctx, w.Account)
		if err != nil {
			return "", err
		}
		if int64(bal.USDC) < sendMax {
			return "", fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "the Stellar account holds %s USDC; this top-up may need up to %s", bal.USDC, exchange.Amount(sendMax))
		}
		return TopupQuoted, t.set(ctx, r.ID, map[string]any{"state": TopupQuoted, "quote_usdc": int64(q.SendUSDC), "send_max_usdc": sendMax})
	case TopupQuoted:
		if r.SwapHash == "" {
			secret, err := t.secret(ctx, w)
			if err != nil {
				return "", err
			}
			tx, err := t.ex.BuildSwap(ctx, secret, exchange.Amount(r.Buy), exchange.Amount(r.SendMax), "fd-topup-"+r.ID.String()[:8])
			if err != nil {
				return "", err
			}
			r.SwapHash, r.SwapXDR = tx.Hash, tx.XDR
			// Stored before submitting: a crash from here on is resumable.
			if err := t.set(ctx, r.ID, map[string]any{"swap_hash": tx.Hash, "swap_xdr": tx.XDR}); err != nil {
				return "", err
			}
		}
		if err := t.submitOnce(ctx, exchange.SignedTx{Hash: r.SwapHash, XDR: r.SwapXDR}); err != nil {
			return "", err
		}
		// What the swap actually sent and received, from its result.
		res, err := t.ex.SwapResult(ctx, r.SwapHash)
		if err != nil {
			return "", err
		}
		return TopupSwapped, t.set(ctx, r.ID, map[string]any{"state": TopupSwapped, "spent_usdc": int64(res.SpentUSDC), "received_tft": int64(res.ReceivedTFT)})
	case TopupSwapped:
		if r.BridgeHash == "" {
			// Everything the swap received goes to the bridge; it keeps its
			// deposit fee as the chain says now (it may have changed since
			// the plan).
			deposit := r.ReceivedTFT
			if deposit == 0 {
				deposit = r.Buy
			}
			fee, err := t.depositFee(ctx)
			if err != nil {
				return "", err
			}
			if int64(fee) >= deposit {
				return "", fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "the bridge's deposit fee (%s TFT) is not below the deposit (%s TFT); the bridge would refund it", fee, grid.TFTUnits(deposit))
			}
			secret, err := t.secret(ctx, w)
			if err != nil {
				return "", err
			}
			tx, err := t.ex.BuildPayment(ctx, secret, t.vault, exchange.Amount(deposit), fmt.Sprintf("twin_%d", w.TwinID))
			if err != nil {
				return "", err
			}
			r.BridgeHash, r.BridgeXDR = tx.Hash, tx.XDR
			if err := t.set(ctx, r.ID, map[string]any{"bridge_hash": tx.Hash, "bridge_xdr": tx.XDR, "bridge_fee": int64(fee)}); err != nil {
				return "", err
			}
		}
		if err := t.submitOnce(ctx, exchange.SignedTx{Hash: r.BridgeHash, XDR: r.BridgeXDR}); err != nil {
			return "", err
		}
		return TopupBridged, t.set(ctx, r.ID, map[string]any{"state": TopupBridged, "bridged_at": t.now()})
	case TopupBridged:
		// The chain records every mint by the Stellar transaction it came
		// from: ask it, rather than watch the twin's balance, which a
		// contract bill landing meanwhile lowers (and a mint hidden by a
		// bill would leave this top-up waiting forever, blocking the next).
		if t.bridge == nil {
			return "", fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "no TFChain bridge is wired")
		}
		minted, err := t.bridge.MintedAlready(ctx, r.BridgeHash)
		if err != nil {
			return "", err
		}
		if minted {
			return TopupMinted, t.set(ctx, r.ID, map[string]any{"state": TopupMinted, "alert": ""})
		}
		if r.BridgedAt != nil && t.now().Sub(*r.BridgedAt) > t.MintTimeout {
			// Never a second deposit: the TFT are at the bridge; people must look.
			if r.Alert == "" {
				msg := fmt.Sprintf("the bridge has not minted %s TFT to twin %d after %s; check the bridge (deposit %s)",
					grid.TFTUnits(r.Amount), w.TwinID, t.MintTimeout, r.BridgeHash)
				t.set(ctx, r.ID, map[string]any{"alert": msg})
				t.log.Warn("top-up mint overdue", "topup", r.ID)
				if err := t.raise(ctx, AlertMintOverdue, sentenceOf(msg)+" No second deposit is made: the TFT are at the bridge.", nil); err != nil {
					t.log.Error("treasury alert", "topup", r.ID, "err", err)
				}
			}
			return TopupBridged, nil
		}
		return "", ErrMintPending
	case TopupMinted:
		// Post what the top-up cost in the ledger, in USDC cents: what the
		// swap actually sent (its result, not the quote), split into the
		// TFT that reached the twin and the bridge's fee (the fee read from
		// the chain at the deposit) as a cost of its own.
		sent, bought, bridgeFee := r.SpentUSDC, r.ReceivedTFT, r.BridgeFee
		if sent == 0 { // a top-up swapped before results were kept
			sent = r.QuoteUSDC
		}
		if bought == 0 {
			bought = r.Buy
		}
		if bridgeFee == 0 {
			bridgeFee = int64(BridgeFee)
		}
		spent := billing.Cents((sent + 50_000) / 100_000) // 1e-7 USDC → cents, to the nearest
		fee := billing.Cents(int64(spent) * bridgeFee / max(bought, 1))
		tid, _ := tenant.IDFromContext(ctx)
		err := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
			_, err := billing.Post(ctx, tx, tid, "topup", r.ID.String(), "usdc", "TFT top-up", map[string]billing.Cents{
				"treasury_tft": spent - fee, "bridge_fees": fee, "treasury_usdc": -spent})
			return err
		})
		if err != nil {
			return "", err
		}
		return TopupReconciled, t.set(ctx, r.ID, map[string]any{"state": TopupReconciled})
	}
	return "", nil
}

// submitOnce submits a stored transaction unless it already applied.
func (t *Treasury) submitOnce(ctx context.Context, tx exchange.SignedTx) error {
	applied, err := t.ex.Applied(ctx, tx.Hash)
	if err != nil || applied {
		return err
	}
	return t.ex.Submit(ctx, tx)
}

// CheckAll is the hourly check of every wallet: it re-checks mints that
// are waiting, records a snapshot of the balance and burn, starts the
// top-ups each enabled policy needs, and raises (or resolves) the tenant's
// treasury alert. It returns how many top-ups it started.
func (t *Treasury) CheckAll(ctx context.Context) (int, error) {
	var tenants []struct {
		ID      uuid.UUID `db:"tenant_id"`
		Enabled bool      `db:"enabled"`
	}
	err := tenant.SystemTx(ctx, t.db, "job: treasury check", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &tenants, `SELECT w.tenant_id, coalesce(p.enabled, false) AS enabled
			FROM tenant_wallets w LEFT JOIN topup_policies p ON p.tenant_id = w.tenant_id ORDER BY w.tenant_id`)
	})
	if err != nil {
		return 0, err
	}
	started := 0
	for _, tn := range tenants {
		tctx := tenant.WithID(tenant.WithActor(ctx, tenant.System("treasury")), tn.ID)
		var waiting []uuid.UUID
		tenant.InTx(tctx, t.db, func(tx *tenant.Tx) error {
			return tx.SelectContext(tctx, &waiting, `SELECT id FROM topups WHERE state = 'bridged'`)
		})
		for _, w := range waiting {
			if err := t.Step(tctx, w); err != nil && !errors.Is(err, ErrMintPending) {
				t.log.Error("treasury mint check", "topup", w, "err", err)
			}
		}
		ok, err := t.check(tctx, tn.Enabled)
		if err != nil {
			t.log.Error("treasury check", "tenant", tn.ID, "err", err)
			continue
		}
		if ok {
			started++
		}
	}
	return started, nil
}

// check is one tenant's part of the hourly check; it reports whether it
// started a top-up.
func (t *Treasury) check(ctx context.Context, enabled bool) (bool, error) {
	st, err := t.status(ctx)
	if err != nil {
		return false, err
	}
	if err := t.record(ctx, st); err != nil {
		return false, err
	}
	var top *Topup
	var planErr error
	if enabled && st.policy != nil {
		top, planErr = t.plan(ctx, st, "policy: runway or tier below target", false)
		if planErr != nil && fiatdashboard.ErrorCode(planErr) != fiatdashboard.ECONFLICT {
			return false, planErr
		}
	}
	return top != nil, t.evaluate(ctx, st, enabled, planErr)
}

// Rotate re-seals every wallet secret with the keyring's newest key
// (`fiatdashboard keys rotate`); it returns how many wallets it re-sealed.
func (t *Treasury) Rotate(ctx context.Context) (int, error) {
	n := 0
	err := tenant.SystemTx(ctx, t.db, "keys rotate", func(tx *tenant.Tx) error {
		var rows []struct {
			TenantID uuid.UUID `db:"tenant_id"`
			M        string    `db:"mnemonic_enc"`
			S        string    `db:"stellar_secret_enc"`
		}
		if err := tx.SelectContext(ctx, &rows, `SELECT tenant_id, mnemonic_enc, stellar_secret_enc FROM tenant_wallets FOR UPDATE`); err != nil {
			return err
		}
		for _, r := range rows {
			m, err := t.keys.OpenFor("treasury", r.TenantID, r.M)
			if err != nil {
				return fmt.Errorf("wallet of %s: %w", r.TenantID, err)
			}
			s, err := t.keys.OpenFor("treasury", r.TenantID, r.S)
			if err != nil {
				return fmt.Errorf("wallet of %s: %w", r.TenantID, err)
			}
			me, err := t.keys.SealFor("treasury", r.TenantID, m)
			if err != nil {
				return err
			}
			se, err := t.keys.SealFor("treasury", r.TenantID, s)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE tenant_wallets SET mnemonic_enc = $2, stellar_secret_enc = $3 WHERE tenant_id = $1`, r.TenantID, me, se); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
