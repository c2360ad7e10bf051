package stellar_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/stellar"
)

// The public network's assets, as the presets must name them.
const (
	tftIssuer  = "GBOVQKJYHXRR3DX6NOX2RRYFRCUMSADGDESTDNBDS6CDVLGVESRTAC47"
	usdcIssuer = "GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN"
	// A lookalike: same code, another issuer. It must never count.
	fakeIssuer = "GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"
	// The fake network: a tx signed for it is worthless on the real ones.
	passphrase = "fiatdashboard fake horizon ; 2026"
	startSeq   = int64(123456789) << 12
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func seed(b byte) *keypair.Full {
	kp, err := keypair.FromRawSeed([32]byte{b, 0xfd})
	if err != nil {
		panic(err)
	}
	return kp
}

var (
	treasury = seed(1)
	other    = seed(2)
)

func setup(t *testing.T) (*stellar.Exchange, *fakeHorizon) {
	t.Helper()
	f := newFakeHorizon(t, passphrase, now)
	cfg := stellar.Public()
	cfg.HorizonURL = f.srv.URL
	cfg.NetworkPassphrase = passphrase
	cfg.Now = func() time.Time { return now }
	ex, err := stellar.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ex, f
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := fiatdashboard.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func amt(t *testing.T, s string) exchange.Amount {
	t.Helper()
	a, err := exchange.ParseAmount(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNewChecksConfig(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*stellar.Config)
		wantOK bool
	}{
		{"public preset", func(*stellar.Config) {}, true},
		{"testnet preset", func(c *stellar.Config) { *c = stellar.Testnet() }, true},
		{"no horizon url", func(c *stellar.Config) { c.HorizonURL = "" }, false},
		{"horizon url without scheme", func(c *stellar.Config) { c.HorizonURL = "horizon.stellar.org" }, false},
		{"no passphrase", func(c *stellar.Config) { c.NetworkPassphrase = "" }, false},
		{"TFT issuer malformed", func(c *stellar.Config) { c.TFT.Issuer = "GBOVQ" }, false},
		{"USDC code too long", func(c *stellar.Config) { c.USDC.Code = "USDCUSDCUSDCUSDC" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := stellar.Public()
			tc.edit(&cfg)
			_, err := stellar.New(cfg)
			if (err == nil) != tc.wantOK {
				t.Fatalf("New: err = %v, want ok %v", err, tc.wantOK)
			}
		})
	}
}

func TestPresetsNameTheRightNetworks(t *testing.T) {
	for _, tc := range []struct {
		cfg              stellar.Config
		passphrase, tftI string
		usdcI            string
	}{
		{stellar.Public(), network.PublicNetworkPassphrase, tftIssuer, usdcIssuer},
		{stellar.Testnet(), network.TestNetworkPassphrase, "GA47YZA3PKFUZMPLQ3B5F2E3CJIB57TGGU7SPCQT2WAEYKN766PWIMB3", "GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},
	} {
		if tc.cfg.NetworkPassphrase != tc.passphrase || tc.cfg.TFT != (stellar.Asset{"TFT", tc.tftI}) || tc.cfg.USDC != (stellar.Asset{"USDC", tc.usdcI}) {
			t.Errorf("preset %+v: want passphrase %q, TFT:%s, USDC:%s", tc.cfg, tc.passphrase, tc.tftI, tc.usdcI)
		}
	}
}

func TestAccount(t *testing.T) {
	ex, f := setup(t)
	s := treasury.Seed()
	broken := s[:10] + string("ABCDEFGHIJ"[(strings.IndexByte("ABCDEFGHIJ", s[10])+1)%10]) + s[11:]
	for _, tc := range []struct {
		name, secret, want string
	}{
		{"seed", s, treasury.Address()},
		{"seed with surrounding blanks", " " + s + "\n", treasury.Address()},
		{"an address is not a secret", treasury.Address(), ""},
		{"empty", "", ""},
		{"one character changed", broken, ""},
		{"garbage", "hunter2", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ex.Account(tc.secret)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("Account = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			wantCode(t, err, fiatdashboard.EINVALID)
			var fe *fiatdashboard.Error
			if !errors.As(err, &fe) || fe.Field != "stellar_secret" {
				t.Fatalf("error %v: want field stellar_secret", err)
			}
			if tc.secret != "" && strings.Contains(err.Error(), strings.TrimSpace(tc.secret)) {
				t.Fatalf("error repeats the secret: %v", err)
			}
		})
	}
	if f.requests != 0 {
		t.Errorf("Account made %d requests to Horizon, want none", f.requests)
	}
}

func TestBalances(t *testing.T) {
	for _, tc := range []struct {
		name     string
		prepare  func(*fakeHorizon)
		account  string
		want     exchange.Balances
		wantCode string
	}{
		{
			name: "funded: counts only the configured issuers",
			prepare: func(f *fakeHorizon) {
				f.fund(treasury.Address(), startSeq,
					credit("USDC", usdcIssuer, "12.5000000"),
					credit("TFT", tftIssuer, "300.0000001"),
					credit("TFT", fakeIssuer, "999999.0000000"),
					credit("USDC", fakeIssuer, "999999.0000000"))
			},
			account: treasury.Address(),
			want:    exchange.Balances{USDC: 125_000_000, TFT: 3_000_000_001},
		},
		{
			name:    "no trustlines: zero",
			prepare: func(f *fakeHorizon) { f.fund(treasury.Address(), startSeq) },
			account: treasury.Address(),
		},
		{
			name:     "unfunded account",
			prepare:  func(*fakeHorizon) {},
			account:  treasury.Address(),
			wantCode: fiatdashboard.ENOTFOUND,
		},
		{
			name:     "malformed address",
			prepare:  func(*fakeHorizon) {},
			account:  "GNOTANADDRESS",
			wantCode: fiatdashboard.EINVALID,
		},
		{
			name:     "horizon down",
			prepare:  func(f *fakeHorizon) { f.down = http.StatusServiceUnavailable },
			account:  treasury.Address(),
			wantCode: fiatdashboard.EUNAVAILABLE,
		},
		{
			name:     "a proxy answers 502 with an HTML page",
			prepare:  func(f *fakeHorizon) { f.down, f.downBody = http.StatusBadGateway, "<html>Bad Gateway</html>" },
			account:  treasury.Address(),
			wantCode: fiatdashboard.EUNAVAILABLE,
		},
		{
			name:     "horizon unreachable",
			prepare:  func(f *fakeHorizon) { f.srv.Close() },
			account:  treasury.Address(),
			wantCode: fiatdashboard.EUNAVAILABLE,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex, f := setup(t)
			tc.prepare(f)
			got, err := ex.Balances(context.Background(), tc.account)
			if tc.wantCode != "" {
				wantCode(t, err, tc.wantCode)
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Balances = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestQuoteTFT(t *testing.T) {
	for _, tc := range []struct {
		name      string
		paths     []map[string]any
		receive   exchange.Amount
		down      int
		want      exchange.Quote
		wantCode  string
		wantFail  string
		wantRetry time.Duration
	}{
		{
			name: "cheapest path wins, intermediates named",
			paths: []map[string]any{
				pathRecord("USDC", usdcIssuer, "1.0200000", "TFT", tftIssuer, "100.0000000"),
				pathRecord("USDC", usdcIssuer, "1.0100000", "TFT", tftIssuer, "100.0000000", "native"),
				pathRecord("USDC", usdcIssuer, "1.0300000", "TFT", tftIssuer, "100.0000000", "native", "EURC:"+fakeIssuer),
			},
			receive: 100 * exchange.One,
			want:    exchange.Quote{ReceiveTFT: 100 * exchange.One, SendUSDC: 10_100_000, Path: []string{"native"}},
		},
		{
			name: "a lookalike USDC is never a source, a lookalike TFT never a destination",
			paths: []map[string]any{
				pathRecord("USDC", fakeIssuer, "0.0100000", "TFT", tftIssuer, "100.0000000"),
				pathRecord("USDC", usdcIssuer, "0.0200000", "TFT", fakeIssuer, "100.0000000"),
				pathRecord("USDC", usdcIssuer, "1.0000001", "TFT", tftIssuer, "100.0000000"),
			},
			receive: 100 * exchange.One,
			want:    exchange.Quote{ReceiveTFT: 100 * exchange.One, SendUSDC: 10_000_001, Path: []string{}},
		},
		{
			name:     "book too thin",
			paths:    nil,
			receive:  1_000_000 * exchange.One,
			wantCode: fiatdashboard.ECONFLICT,
			wantFail: exchange.OpTooFewOffers,
		},
		{
			name:     "zero TFT",
			receive:  0,
			wantCode: fiatdashboard.EINVALID,
		},
		{
			name:      "rate limited",
			receive:   exchange.One,
			down:      http.StatusTooManyRequests,
			wantCode:  fiatdashboard.EUNAVAILABLE,
			wantRetry: 7 * time.Second,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex, f := setup(t)
			f.paths = tc.paths
			if tc.down != 0 {
				f.down, f.retryAfter = tc.down, "7"
			}
			got, err := ex.QuoteTFT(context.Background(), tc.receive)
			if tc.wantCode != "" {
				wantCode(t, err, tc.wantCode)
				if got := exchange.FailureCode(err); got != tc.wantFail {
					t.Errorf("FailureCode = %q, want %q", got, tc.wantFail)
				}
				var fe *fiatdashboard.Error
				if errors.As(err, &fe) && fe.RetryAfter != tc.wantRetry {
					t.Errorf("RetryAfter = %v, want %v", fe.RetryAfter, tc.wantRetry)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ReceiveTFT != tc.want.ReceiveTFT || got.SendUSDC != tc.want.SendUSDC || strings.Join(got.Path, ",") != strings.Join(tc.want.Path, ",") {
				t.Fatalf("QuoteTFT = %+v, want %+v", got, tc.want)
			}
			q := f.pathQueries[0]
			for k, v := range map[string]string{
				"destination_asset_type":   "credit_alphanum4",
				"destination_asset_code":   "TFT",
				"destination_asset_issuer": tftIssuer,
				"destination_amount":       tc.receive.String(),
				"source_assets":            "USDC:" + usdcIssuer,
			} {
				if q.Get(k) != v {
					t.Errorf("paths query %s = %q, want %q", k, q.Get(k), v)
				}
			}
		})
	}
}

// The swap the treasury submits: Horizon decodes it and the test checks
// every field that moves money.
func TestBuildSwap(t *testing.T) {
	direct := []map[string]any{pathRecord("USDC", usdcIssuer, "1.0100000", "TFT", tftIssuer, "100.0000000")}
	viaXLM := []map[string]any{pathRecord("USDC", usdcIssuer, "1.0050000", "TFT", tftIssuer, "100.0000000", "native")}
	for _, tc := range []struct {
		name     string
		secret   string
		funded   bool
		paths    []map[string]any
		receive  exchange.Amount
		sendMax  exchange.Amount
		memo     string
		wantPath []txnbuild.Asset
		wantCode string
		wantFail string
	}{
		{name: "direct book", secret: treasury.Seed(), funded: true, paths: direct,
			receive: 100 * exchange.One, sendMax: 10_201_000, memo: "topup 7f3a"},
		{name: "through XLM", secret: treasury.Seed(), funded: true, paths: viaXLM,
			receive: 100 * exchange.One, sendMax: 10_201_000, wantPath: []txnbuild.Asset{txnbuild.NativeAsset{}}},
		{name: "price above the cap builds nothing", secret: treasury.Seed(), funded: true, paths: direct,
			receive: 100 * exchange.One, sendMax: 10_099_999, wantCode: fiatdashboard.ECONFLICT, wantFail: exchange.OpOverSendMax},
		{name: "book too thin", secret: treasury.Seed(), funded: true,
			receive: 100 * exchange.One, sendMax: 10_201_000, wantCode: fiatdashboard.ECONFLICT, wantFail: exchange.OpTooFewOffers},
		{name: "unfunded account", secret: treasury.Seed(), paths: direct,
			receive: 100 * exchange.One, sendMax: 10_201_000, wantCode: fiatdashboard.ENOTFOUND},
		{name: "memo over 28 bytes", secret: treasury.Seed(), funded: true, paths: direct,
			receive: 100 * exchange.One, sendMax: 10_201_000, memo: strings.Repeat("x", 29), wantCode: fiatdashboard.EINVALID},
		{name: "no send max", secret: treasury.Seed(), funded: true, paths: direct,
			receive: 100 * exchange.One, wantCode: fiatdashboard.EINVALID},
		{name: "bad secret", secret: "SXXXX", funded: true, paths: direct,
			receive: 100 * exchange.One, sendMax: 10_201_000, wantCode: fiatdashboard.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex, f := setup(t)
			f.paths = tc.paths
			if tc.funded {
				f.fund(treasury.Address(), startSeq, credit("USDC", usdcIssuer, "50.0000000"), credit("TFT", tftIssuer, "0.0000000"))
			}
			stx, err := ex.BuildSwap(context.Background(), tc.secret, tc.receive, tc.sendMax, tc.memo)
			if tc.wantCode != "" {
				wantCode(t, err, tc.wantCode)
				if got := exchange.FailureCode(err); got != tc.wantFail {
					t.Errorf("FailureCode = %q, want %q", got, tc.wantFail)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := ex.Submit(context.Background(), stx); err != nil {
				t.Fatalf("Submit: %v", err)
			}
			tx := f.lastSubmitted()
			if h, _ := tx.HashHex(passphrase); h != stx.Hash {
				t.Errorf("hash known before submit = %s, Horizon computed %s", stx.Hash, h)
			}
			checkEnvelope(t, tx, treasury.Address(), startSeq+1, tc.memo)
			ops := tx.Operations()
			if len(ops) != 1 {
				t.Fatalf("%d operations, want 1", len(ops))
			}
			pp, ok := ops[0].(*txnbuild.PathPaymentStrictReceive)
			if !ok {
				t.Fatalf("operation %T, want a path payment strict-receive", ops[0])
			}
			if pp.SendAsset != (txnbuild.CreditAsset{Code: "USDC", Issuer: usdcIssuer}) {
				t.Errorf("send asset %+v, want USDC of Circle", pp.SendAsset)
			}
			if pp.DestAsset != (txnbuild.CreditAsset{Code: "TFT", Issuer: tftIssuer}) {
				t.Errorf("destination asset %+v, want TFT of ThreeFold", pp.DestAsset)
			}
			if amt(t, pp.SendMax) != tc.sendMax {
				t.Errorf("SendMax %s, want %s", pp.SendMax, tc.sendMax)
			}
			if amt(t, pp.DestAmount) != tc.receive {
				t.Errorf("DestAmount %s, want %s", pp.DestAmount, tc.receive)
			}
			if pp.Destination != treasury.Address() {
				t.Errorf("destination %s, want the account itself %s", pp.Destination, treasury.Address())
			}
			if len(pp.Path) != len(tc.wantPath) || (len(pp.Path) == 1 && pp.Path[0].IsNative() != tc.wantPath[0].IsNative()) {
				t.Errorf("path %+v, want %+v", pp.Path, tc.wantPath)
			}
			if applied, err := ex.Applied(context.Background(), stx.Hash); err != nil || !applied {
				t.Errorf("Applied after a successful Submit = %v, %v; want true", applied, err)
			}
		})
	}
}

// checkEnvelope asserts what every built transaction must carry.
func checkEnvelope(t *testing.T, tx *txnbuild.Transaction, source string, seq int64, memo string) {
	t.Helper()
	if got := tx.SourceAccount().AccountID; got != source {
		t.Errorf("source %s, want %s", got, source)
	}
	if tx.SequenceNumber() != seq {
		t.Errorf("sequence %d, want %d (the account's next)", tx.SequenceNumber(), seq)
	}
	if !signedBy(passphrase, tx, source) {
		t.Error("not signed by the source account for this network")
	}
	if tx.BaseFee() != stellar.DefaultBaseFee {
		t.Errorf("base fee %d, want %d", tx.BaseFee(), stellar.DefaultBaseFee)
	}
	if tb := tx.Timebounds(); tb.MaxTime != now.Add(stellar.DefaultTxValidity).Unix() {
		t.Errorf("max time %d, want now + %v", tb.MaxTime, stellar.DefaultTxValidity)
	}
	m := tx.Memo()
	switch {
	case memo == "" && m != nil:
		t.Errorf("memo %#v, want none", m)
	case memo != "" && m != txnbuild.MemoText(memo):
		t.Errorf("memo %#v, want text %q", m, memo)
	}
}

func TestBuildPayment(t *testing.T) {
	for _, tc := range []struct {
		name        string
		destination string
		amount      exchange.Amount
		memo        string
		wantCode    string
		wantField   string
	}{
		{name: "bridge deposit", destination: stellar.PublicBridgeVault, amount: 5001 * exchange.One, memo: "twin_42"},
		{name: "plain payment", destination: other.Address(), amount: 1},
		{name: "destination malformed", destination: "GBNOTAY", amount: exchange.One, wantCode: fiatdashboard.EINVALID, wantField: "destination"},
		{name: "destination is a secret", destination: other.Seed(), amount: exchange.One, wantCode: fiatdashboard.EINVALID, wantField: "destination"},
		{name: "zero amount", destination: stellar.PublicBridgeVault, amount: 0, wantCode: fiatdashboard.EINVALID, wantField: "amount"},
		{name: "memo over 28 bytes", destination: stellar.PublicBridgeVault, amount: exchange.One, memo: "twin_" + strings.Repeat("9", 24), wantCode: fiatdashboard.EINVALID, wantField: "memo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex, f := setup(t)
			f.fund(treasury.Address(), startSeq, credit("TFT", tftIssuer, "6000.0000000"))
			stx, err := ex.BuildPayment(context.Background(), treasury.Seed(), tc.destination, tc.amount, tc.memo)
			if tc.wantCode != "" {
				wantCode(t, err, tc.wantCode)
				var fe *fiatdashboard.Error
				if !errors.As(err, &fe) || fe.Field != tc.wantField {
					t.Fatalf("error %v: want field %q", err, tc.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := ex.Submit(context.Background(), stx); err != nil {
				t.Fatalf("Submit: %v", err)
			}
			tx := f.lastSubmitted()
			checkEnvelope(t, tx, treasury.Address(), startSeq+1, tc.memo)
			ops := tx.Operations()
			if len(ops) != 1 {
				t.Fatalf("%d operations, want 1", len(ops))
			}
			p, ok := ops[0].(*txnbuild.Payment)
			if !ok {
				t.Fatalf("operation %T, want a payment", ops[0])
			}
			if p.Asset != (txnbuild.CreditAsset{Code: "TFT", Issuer: tftIssuer}) {
				t.Errorf("asset %+v, want TFT of ThreeFold", p.Asset)
			}
			if p.Destination != tc.destination {
				t.Errorf("destination %s, want %s", p.Destination, tc.destination)
			}
			if amt(t, p.Amount) != tc.amount {
				t.Errorf("amount %s, want %s", p.Amount, tc.amount)
			}
		})
	}
}

// Submit's answers for each way the network can respond, and whether the
// transaction is then in the ledger.
func TestSubmit(t *testing.T) {
	type step struct {
		script    []outcome
		wantCode  string
		wantFail  string
		wantWords string
		applied   bool
	}
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, ex *stellar.Exchange, f *fakeHorizon)
		steps   []step // Submit the same tx once per step
	}{
		{
			name:  "applied, then resubmitted: success both times",
			steps: []step{{applied: true}, {applied: true}},
		},
		{
			name:    "resubmitted after it applied, network answers tx_bad_seq: success",
			prepare: func(_ *testing.T, _ *stellar.Exchange, f *fakeHorizon) { f.knownAsBadSeq = true },
			steps:   []step{{applied: true}, {applied: true}},
		},
		{
			name: "fails in the ledger: conflict in plain words, and again on resubmit",
			steps: []step{
				{script: []outcome{{opCode: "op_underfunded"}}, wantCode: fiatdashboard.ECONFLICT, wantFail: exchange.OpUnderfunded,
					wantWords: "op_underfunded: the account does not hold enough of the asset it sends"},
				{wantCode: fiatdashboard.ECONFLICT, wantFail: exchange.OpUnderfunded},
			},
		},
		{
			name: "price moved past the cap",
			steps: []step{{script: []outcome{{opCode: "op_over_source_max"}}, wantCode: fiatdashboard.ECONFLICT,
				wantFail: exchange.OpOverSendMax, wantWords: "op_over_source_max: the price moved past the slippage cap"}},
		},
		{
			name: "applied but the answer timed out: unavailable, then Applied and a resubmit say success",
			steps: []step{
				{script: []outcome{{status: http.StatusGatewayTimeout, apply: true}}, wantCode: fiatdashboard.EUNAVAILABLE, applied: true},
				{applied: true},
			},
		},
		{
			name: "horizon down: unavailable and not applied; the resubmit applies",
			steps: []step{
				{script: []outcome{{status: http.StatusServiceUnavailable}}, wantCode: fiatdashboard.EUNAVAILABLE},
				{applied: true},
			},
		},
		{
			name: "expired before it reached the network",
			prepare: func(_ *testing.T, _ *stellar.Exchange, f *fakeHorizon) {
				f.now = now.Add(stellar.DefaultTxValidity + time.Second)
			},
			steps: []step{{wantCode: fiatdashboard.ECONFLICT, wantFail: exchange.TxTooLate}},
		},
		{
			name: "another transaction used the sequence number",
			prepare: func(t *testing.T, ex *stellar.Exchange, _ *fakeHorizon) {
				first, err := ex.BuildPayment(context.Background(), treasury.Seed(), other.Address(), exchange.One, "first")
				if err != nil {
					t.Fatal(err)
				}
				if err := ex.Submit(context.Background(), first); err != nil {
					t.Fatal(err)
				}
			},
			steps: []step{{wantCode: fiatdashboard.ECONFLICT, wantFail: exchange.TxBadSeq}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex, f := setup(t)
			f.fund(treasury.Address(), startSeq, credit("TFT", tftIssuer, "10.0000000"))
			stx, err := ex.BuildPayment(context.Background(), treasury.Seed(), stellar.PublicBridgeVault, 2*exchange.One, "twin_7")
			if err != nil {
				t.Fatal(err)
			}
			if tc.prepare != nil {
				tc.prepare(t, ex, f)
			}
			for i, s := range tc.steps {
				f.script(s.script...)
				err := ex.Submit(context.Background(), stx)
				if got := fiatdashboard.ErrorCode(err); got != s.wantCode {
					t.Fatalf("step %d: Submit error code %q (%v), want %q", i, got, err, s.wantCode)
				}
				if got := exchange.FailureCode(err); got != s.wantFail {
					t.Errorf("step %d: FailureCode %q, want %q", i, got, s.wantFail)
				}
				if s.wantWords != "" && fiatdashboard.ErrorMessage(err) != s.wantWords {
					t.Errorf("step %d: message %q, want %q", i, fiatdashboard.ErrorMessage(err), s.wantWords)
				}
				applied, err := ex.Applied(context.Background(), stx.Hash)
				if err != nil || applied != s.applied {
					t.Errorf("step %d: Applied = %v, %v; want %v", i, applied, err, s.applied)
				}
			}
		})
	}
}

func TestSubmitRejectsWhatIsNotOurSignedTx(t *testing.T) {
	ex, f := setup(t)
	f.fund(treasury.Address(), startSeq, credit("TFT", tftIssuer, "10.0000000"))
	stx, err := ex.BuildPayment(context.Background(), treasury.Seed(), other.Address(), exchange.One, "")
	if err != nil {
		t.Fatal(err)
	}
	// The same transaction signed for the public network has another hash.
	pub := stellar.Public()
	pub.HorizonURL, pub.Now = f.srv.URL, func() time.Time { return now }
	exPub, err := stellar.New(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubTx, err := exPub.BuildPayment(context.Background(), treasury.Seed(), other.Address(), exchange.One, "")
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := txnbuild.NewTransaction(txnbuild.TransactionParams{
		SourceAccount:        &txnbuild.SimpleAccount{AccountID: treasury.Address(), Sequence: startSeq},
		IncrementSequenceNum: true,
		Operations:           []txnbuild.Operation{&txnbuild.Payment{Destination: other.Address(), Amount: "1", Asset: txnbuild.CreditAsset{Code: "TFT", Issuer: tftIssuer}}},
		BaseFee:              txnbuild.MinBaseFee,
		Preconditions:        txnbuild.Preconditions{TimeBounds: txnbuild.NewTimebounds(0, now.Add(time.Minute).Unix())},
	})
	if err != nil {
		t.Fatal(err)
	}
	uHash, _ := unsigned.HashHex(passphrase)
	uXDR, _ := unsigned.Base64()
	for _, tc := range []struct {
		name string
		tx   exchange.SignedTx
	}{
		{"not XDR", exchange.SignedTx{Hash: stx.Hash, XDR: "not base64 at all"}},
		{"not signed", exchange.SignedTx{Hash: uHash, XDR: uXDR}},
		{"hash of another transaction", exchange.SignedTx{Hash: strings.Repeat("ab", 32), XDR: stx.XDR}},
		{"signed for another network", pubTx},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, ex.Submit(context.Background(), tc.tx), fiatdashboard.EINVALID)
		})
	}
	if n := f.submittedCount(); n != 0 {
		t.Errorf("%d transactions reached Horizon, want none", n)
	}
}

func TestApplied(t *testing.T) {
	ex, f := setup(t)
	f.txs["aa"+strings.Repeat("0", 62)] = fakeTx{successful: true}
	f.txs["bb"+strings.Repeat("0", 62)] = fakeTx{successful: false, opCode: "op_underfunded"}
	for _, tc := range []struct {
		name, hash string
		want       bool
		wantCode   string
	}{
		{"in the ledger, succeeded", "aa" + strings.Repeat("0", 62), true, ""},
		{"upper-case hash", "AA" + strings.Repeat("0", 62), true, ""},
		{"in the ledger, failed", "bb" + strings.Repeat("0", 62), false, ""},
		{"unknown", "cc" + strings.Repeat("0", 62), false, ""},
		{"not a hash", "twin_42", false, fiatdashboard.EINVALID},
		{"too short", "aa", false, fiatdashboard.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ex.Applied(context.Background(), tc.hash)
			if fiatdashboard.ErrorCode(err) != tc.wantCode || got != tc.want {
				t.Fatalf("Applied = %v, %v; want %v, code %q", got, err, tc.want, tc.wantCode)
			}
		})
	}
	f.down = http.StatusInternalServerError
	_, err := ex.Applied(context.Background(), "aa"+strings.Repeat("0", 62))
	wantCode(t, err, fiatdashboard.EUNAVAILABLE)
}

func TestCancelledContextStopsTheCall(t *testing.T) {
	ex, f := setup(t)
	f.fund(treasury.Address(), startSeq)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ex.Balances(ctx, treasury.Address())
	wantCode(t, err, fiatdashboard.EUNAVAILABLE)
	if f.requests != 0 {
		t.Errorf("a cancelled call reached Horizon %d times", f.requests)
	}
}
