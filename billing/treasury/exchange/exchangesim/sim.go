// Package exchangesim is a deterministic, in-memory Stellar for `make run` and
// the tests: a TFT/USDC order book with spread and depth, accounts funded on
// demand, faults on demand, and the TFChain bridge's vault.
//
// It signs and reads real Stellar transaction envelopes (the SDK's txnbuild
// and keypair, under a passphrase of its own, so nothing it signs is valid on
// a real network) and accepts real Stellar secret seeds: the treasury code
// that runs against it runs unchanged against exchange/stellar.
package exchangesim

import (
	"cmp"
	"context"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/internal/stellartx"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/stellar"
)

// Passphrase is the simulator's network passphrase. Transactions are signed
// under it, so a real seed used in development signs nothing the public
// network or the test network would accept.
const Passphrase = "fiatdashboard exchange simulator"

// Level is one price level of the sell side of the TFT/USDC book: Depth TFT
// are offered at Price USDC (in 1e-7 units) per whole TFT.
type Level struct {
	Price exchange.Amount // USDC per 1 TFT, e.g. 101_000 = 0.0101 USDC
	Depth exchange.Amount // TFT offered at that price
}

// DefaultAsks is the book `make run` starts with: mid price 0.0100 USDC/TFT,
// best ask 1 % above it (a 2 % spread), and depth thinning out as the price
// rises, 2.25 M TFT in all. The book refills after every trade (market makers
// requote), so runs are repeatable; SetAsks changes it.
func DefaultAsks() []Level {
	return []Level{
		{Price: 101_000, Depth: 50_000 * exchange.One},
		{Price: 102_000, Depth: 200_000 * exchange.One},
		{Price: 105_000, Depth: 500_000 * exchange.One},
		{Price: 110_000, Depth: 1_500_000 * exchange.One},
	}
}

// Fault is a failure FailNext injects.
type Fault int

const (
	// SubmitUnavailable: the next Submit answers EUNAVAILABLE and nothing
	// reaches the ledger (Horizon down).
	SubmitUnavailable Fault = iota + 1
	// PriceMoved: the next swap submitted fails in the ledger with
	// op_over_source_max (ECONFLICT), as when the book moved past the
	// slippage cap between the quote and the submission. As on the network,
	// the failed transaction uses its sequence number.
	PriceMoved
	// ResponseLost: the next transaction submitted applies, but Submit
	// answers EUNAVAILABLE; Applied says true.
	ResponseLost
)

func (f Fault) String() string {
	switch f {
	case SubmitUnavailable:
		return "submit unavailable"
	case PriceMoved:
		return "price moved"
	case ResponseLost:
		return "response lost"
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

// Config tunes the simulator; the zero value is the default world.
type Config struct {
	Asks       []Level          // nil: DefaultAsks()
	TFT, USDC  stellar.Asset    // zero: the public network's
	Now        func() time.Time // nil: time.Now; decides transaction expiry
	TxValidity time.Duration    // 0: stellar.DefaultTxValidity
}

// Sim is an exchange.Exchange in memory. Safe for concurrent use.
type Sim struct {
	tft, usdc txnbuild.CreditAsset
	now       func() time.Time
	validity  time.Duration

	mu       sync.Mutex
	asks     []Level
	accounts map[string]*account
	ledger   map[string]result // by tx hash
	faults   []Fault
	vaults   map[string]func(twinID uint32, amount exchange.Amount)
	nextSeq  int64
}

type account struct {
	seq       int64
	usdc, tft exchange.Amount
}

// result is what the ledger holds for a transaction.
type result struct {
	applied bool
	code    string // the failing operation's code when !applied
}

var _ exchange.Exchange = (*Sim)(nil)

// New returns a simulator with no accounts.
func New(cfg Config) *Sim {
	pub := stellar.Public()
	if cfg.TFT == (stellar.Asset{}) {
		cfg.TFT = pub.TFT
	}
	if cfg.USDC == (stellar.Asset{}) {
		cfg.USDC = pub.USDC
	}
	if cfg.Asks == nil {
		cfg.Asks = DefaultAsks()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TxValidity <= 0 {
		cfg.TxValidity = stellar.DefaultTxValidity
	}
	return &Sim{
		tft:      txnbuild.CreditAsset{Code: cfg.TFT.Code, Issuer: cfg.TFT.Issuer},
		usdc:     txnbuild.CreditAsset{Code: cfg.USDC.Code, Issuer: cfg.USDC.Issuer},
		now:      cfg.Now,
		validity: cfg.TxValidity,
		asks:     sortedAsks(cfg.Asks),
		accounts: map[string]*account{},
		ledger:   map[string]result{},
		vaults:   map[string]func(uint32, exchange.Amount){},
		nextSeq:  1,
	}
}

// NewSeed returns a fresh random Stellar secret seed (S…), for tests and
// `make run`.
func NewSeed() string {
	return keypair.MustRandom().Seed()
}

func sortedAsks(levels []Level) []Level {
	asks := slices.Clone(levels)
	slices.SortStableFunc(asks, func(a, b Level) int { return cmp.Compare(a.Price, b.Price) })
	return asks
}

// SetAsks replaces the sell side of the book (e.g. a thin book for a test).
func (s *Sim) SetAsks(levels []Level) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asks = sortedAsks(levels)
}

// FailNext queues a fault; each is used by the next Submit it applies to
// (PriceMoved waits for a swap), in order.
func (s *Sim) FailNext(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// Fund adds usdc to an account, creating it (with trustlines for TFT and
// USDC) when it does not exist yet. EINVALID for a malformed address or a
// negative amount.
func (s *Sim) Fund(addr string, usdc exchange.Amount) error {
	return s.fund(addr, usdc, 0)
}

// FundTFT adds TFT to an account, creating it when it does not exist yet.
func (s *Sim) FundTFT(addr string, tft exchange.Amount) error {
	return s.fund(addr, 0, tft)
}

func (s *Sim) fund(addr string, usdc, tft exchange.Amount) error {
	if err := stellartx.CheckAddress("account", addr); err != nil {
		return err
	}
	if usdc < 0 || tft < 0 {
		return fiatdashboard.Invalid("amount", "must not be negative")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(addr)
	a.usdc += usdc
	a.tft += tft
	return nil
}

// account returns addr's account, creating it. Sequence numbers start
// apart, as on the network where they derive from the creating ledger.
func (s *Sim) account(addr string) *account {
	a, ok := s.accounts[addr]
	if !ok {
		a = &account{seq: s.nextSeq << 32}
		s.nextSeq++
		s.accounts[addr] = a
	}
	return a
}

// OnBridgeDeposit makes vault the TFChain bridge's vault: every TFT payment
// to it with memo "twin_<ID>" that applies calls fn with the twin and the
// whole amount paid (the bridge keeps exchange.BridgeFee of it; fn decides
// what to mint). fn runs once per applied payment, after Submit has
// committed it and outside the simulator's lock. The vault account is
// created. A payment with another memo stays in the vault, as a deposit the
// real bridge would have to refund.
func (s *Sim) OnBridgeDeposit(vault string, fn func(twinID uint32, amount exchange.Amount)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account(vault)
	s.vaults[vault] = fn
}

// Account returns the address of a secret seed.
func (s *Sim) Account(secret string) (string, error) {
	kp, err := stellartx.Keypair(secret)
	if err != nil {
		return "", err
	}
	return kp.Address(), nil
}

// Balances returns what the account holds; ENOTFOUND if never funded.
func (s *Sim) Balances(ctx context.Context, addr string) (exchange.Balances, error) {
	if err := stellartx.CheckAddress("account", addr); err != nil {
		return exchange.Balances{}, err
	}
	if err := ctx.Err(); err != nil {
		return exchange.Balances{}, unavailable(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[addr]
	if !ok {
		return exchange.Balances{}, notFound(addr)
	}
	return exchange.Balances{USDC: a.usdc, TFT: a.tft}, nil
}

// QuoteTFT walks the asks from the best price up.
func (s *Sim) QuoteTFT(ctx context.Context, receive exchange.Amount) (exchange.Quote, error) {
	if err := stellartx.CheckPositive("receive", receive); err != nil {
		return exchange.Quote{}, err
	}
	if err := ctx.Err(); err != nil {
		return exchange.Quote{}, unavailable(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cost, ok := s.cost(receive)
	if !ok {
		return exchange.Quote{}, exchange.Failed(exchange.OpTooFewOffers)
	}
	return exchange.Quote{ReceiveTFT: receive, SendUSDC: cost, Path: []string{}}, nil
}

// cost is what receiving tft costs on the book, each level's share rounded
// up to the unit in the offers' favour, as the network rounds; false when
// the book holds less.
func (s *Sim) cost(tft exchange.Amount) (exchange.Amount, bool) {
	total := new(big.Int)
	left := int64(tft)
	one := big.NewInt(int64(exchange.One))
	for _, l := range s.asks {
		if left == 0 {
			break
		}
		take := min(left, int64(l.Depth))
		if take <= 0 {
			continue
		}
		c := new(big.Int).Mul(big.NewInt(take), big.NewInt(int64(l.Price)))
		c.Add(c, new(big.Int).Sub(one, big.NewInt(1)))
		total.Add(total, c.Quo(c, one))
		left -= take
	}
	if left > 0 || !total.IsInt64() {
		return 0, false
	}
	return exchange.Amount(total.Int64()), true
}

// BuildSwap builds a path payment strict-receive USDC→TFT to the account
// itself, refusing (ECONFLICT) when the book cannot fill it within sendMax.
func (s *Sim) BuildSwap(ctx context.Context, secret string, receive, sendMax exchange.Amount, memo string) (exchange.SignedTx, error) {
	kp, err := stellartx.Keypair(secret)
	if err != nil {
		return exchange.SignedTx{}, err
	}
	if err := stellartx.CheckPositive("receive", receive); err != nil {
		return exchange.SignedTx{}, err
	}
	if err := stellartx.CheckPositive("send_max", sendMax); err != nil {
		return exchange.SignedTx{}, err
	}
	seq, err := s.sequence(ctx, kp.Address())
	if err != nil {
		return exchange.SignedTx{}, err
	}
	s.mu.Lock()
	cost, ok := s.cost(receive)
	s.mu.Unlock()
	switch {
	case !ok:
		return exchange.SignedTx{}, exchange.Failed(exchange.OpTooFewOffers)
	case cost > sendMax:
		return exchange.SignedTx{}, exchange.Failed(exchange.OpOverSendMax)
	}
	return stellartx.Swap(kp, s.params(seq, memo), s.usdc, s.tft, receive, sendMax, nil)
}

// BuildPayment builds a TFT payment.
func (s *Sim) BuildPayment(ctx context.Context, secret, destination string, amount exchange.Amount, memo string) (exchange.SignedTx, error) {
	kp, err := stellartx.Keypair(secret)
	if err != nil {
		return exchange.SignedTx{}, err
	}
	if err := stellartx.CheckAddress("destination", destination); err != nil {
		return exchange.SignedTx{}, err
	}
	if err := stellartx.CheckPositive("amount", amount); err != nil {
		return exchange.SignedTx{}, err
	}
	seq, err := s.sequence(ctx, kp.Address())
	if err != nil {
		return exchange.SignedTx{}, err
	}
	return stellartx.Payment(kp, s.params(seq, memo), s.tft, destination, amount)
}

func (s *Sim) params(seq int64, memo string) stellartx.Params {
	return stellartx.Params{
		Passphrase: Passphrase,
		BaseFee:    txnbuild.MinBaseFee,
		Sequence:   seq,
		MaxTime:    s.now().Add(s.validity).Unix(),
		Memo:       memo,
	}
}

func (s *Sim) sequence(ctx context.Context, addr string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, unavailable(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[addr]
	if !ok {
		return 0, notFound(addr)
	}
	return a.seq, nil
}

// Submit checks the transaction as the network would (signature, time
// bounds, sequence number), then applies it or fails it in the ledger.
func (s *Sim) Submit(ctx context.Context, stx exchange.SignedTx) error {
	tx, err := stellartx.Decode(Passphrase, stx)
	if err != nil {
		return err
	}
	hash := strings.ToLower(stx.Hash)
	if err := ctx.Err(); err != nil {
		return unavailable(err)
	}
	deposit, err := s.submit(hash, tx)
	if deposit != nil {
		deposit()
	}
	return err
}

func (s *Sim) submit(hash string, tx *txnbuild.Transaction) (deposit func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.takeFault(func(f Fault) bool { return f == SubmitUnavailable }) {
		return nil, fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "the exchange simulator is unavailable (injected); try again")
	}
	if r, ok := s.ledger[hash]; ok {
		if r.applied {
			return nil, nil
		}
		return nil, exchange.Failed(exchange.TxFailed, r.code)
	}
	src := tx.SourceAccount().AccountID
	a, ok := s.accounts[src]
	switch {
	case !ok:
		return nil, exchange.Failed(exchange.TxNoSourceAccount)
	case !stellartx.SignedBySource(Passphrase, tx):
		return nil, exchange.Failed(exchange.TxBadAuth)
	case tx.Timebounds().MaxTime != 0 && s.now().Unix() > tx.Timebounds().MaxTime:
		return nil, exchange.Failed(exchange.TxTooLate)
	case tx.SequenceNumber() != a.seq+1:
		return nil, exchange.Failed(exchange.TxBadSeq)
	case len(tx.Operations()) != 1:
		return nil, fiatdashboard.Invalid("tx", "the simulator applies transactions of one operation")
	}
	// From here the transaction is in the ledger: it uses its sequence
	// number whether its operation succeeds or fails.
	a.seq++
	op := tx.Operations()[0]
	_, swap := op.(*txnbuild.PathPaymentStrictReceive)
	code := ""
	if swap && s.takeFault(func(f Fault) bool { return f == PriceMoved }) {
		code = exchange.OpOverSendMax
	} else {
		code, deposit = s.apply(src, op, stellartx.MemoText(tx))
	}
	if code != "" {
		s.ledger[hash] = result{code: code}
		return nil, exchange.Failed(exchange.TxFailed, code)
	}
	s.ledger[hash] = result{applied: true}
	if s.takeFault(func(f Fault) bool { return f == ResponseLost }) {
		return deposit, fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE,
			"the exchange simulator lost the answer (injected); the transaction may have applied")
	}
	return deposit, nil
}

// takeFault removes and reports the first queued fault that applies.
func (s *Sim) takeFault(applies func(Fault) bool) bool {
	for i, f := range s.faults {
		if applies(f) {
			s.faults = slices.Delete(s.faults, i, i+1)
			return true
		}
	}
	return false
}

// apply runs one operation; it changes nothing and returns the failing
// operation's result code when the operation fails.
func (s *Sim) apply(src string, op txnbuild.Operation, memo string) (code string, deposit func()) {
	a := s.accounts[src]
	switch op := op.(type) {
	case *txnbuild.PathPaymentStrictReceive:
		receive, err1 := exchange.ParseAmount(op.DestAmount)
		sendMax, err2 := exchange.ParseAmount(op.SendMax)
		dst, ok := s.accounts[op.Destination]
		switch {
		case err1 != nil || err2 != nil || receive <= 0 || sendMax <= 0 || len(op.Path) > 0:
			return exchange.OpMalformed, nil
		case !stellartx.SameAsset(op.SendAsset, s.usdc):
			return exchange.OpSrcNoTrust, nil
		case !stellartx.SameAsset(op.DestAsset, s.tft):
			return exchange.OpNoTrust, nil
		case !ok:
			return exchange.OpNoDestination, nil
		}
		cost, ok := s.cost(receive)
		switch {
		case !ok:
			return exchange.OpTooFewOffers, nil
		case cost > sendMax:
			return exchange.OpOverSendMax, nil
		case a.usdc < cost:
			return exchange.OpUnderfunded, nil
		}
		a.usdc -= cost
		dst.tft += receive
		return "", nil
	case *txnbuild.Payment:
		amount, err := exchange.ParseAmount(op.Amount)
		dst, ok := s.accounts[op.Destination]
		var from, to *exchange.Amount
		switch {
		case err != nil || amount <= 0:
			return exchange.OpMalformed, nil
		case !ok:
			return exchange.OpNoDestination, nil
		case stellartx.SameAsset(op.Asset, s.tft):
			from, to = &a.tft, &dst.tft
		case stellartx.SameAsset(op.Asset, s.usdc):
			from, to = &a.usdc, &dst.usdc
		default:
			return exchange.OpSrcNoTrust, nil
		}
		if *from < amount {
			return exchange.OpUnderfunded, nil
		}
		*from -= amount
		*to += amount
		if fn := s.vaults[op.Destination]; fn != nil && to == &dst.tft {
			if twin, ok := twinMemo(memo); ok {
				deposit = func() { fn(twin, amount) }
			}
		}
		return "", deposit
	}
	return exchange.OpMalformed, nil
}

// twinMemo reads the bridge's deposit memo "twin_<ID>", a twin id of
// 1 or more.
func twinMemo(memo string) (uint32, bool) {
	id, ok := strings.CutPrefix(memo, "twin_")
	if !ok || !digitsOnly(id) {
		return 0, false
	}
	n, err := strconv.ParseUint(id, 10, 32)
	return uint32(n), err == nil && n > 0
}

func digitsOnly(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// Applied reports whether the transaction applied.
func (s *Sim) Applied(ctx context.Context, hash string) (bool, error) {
	if err := stellartx.CheckHash(hash); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, unavailable(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ledger[strings.ToLower(hash)].applied, nil
}

func notFound(addr string) error {
	return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "Stellar account %s does not exist: it has never been funded", addr)
}

func unavailable(err error) error {
	return fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "exchange simulator: %v", err)
}
