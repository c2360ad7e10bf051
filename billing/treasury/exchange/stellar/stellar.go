// Package stellar implements exchange.Exchange on the Stellar network through
// a Horizon server (the Stellar Go SDK's horizonclient and txnbuild).
package stellar

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/network"
	hProtocol "github.com/stellar/go-stellar-sdk/protocols/horizon"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/internal/stellartx"
)

// Asset is a Stellar credit asset: its code and its issuer's address.
type Asset struct{ Code, Issuer string }

// String is "CODE:ISSUER", as Horizon's query parameters spell it.
func (a Asset) String() string { return a.Code + ":" + a.Issuer }

func (a Asset) credit() txnbuild.CreditAsset {
	return txnbuild.CreditAsset{Code: a.Code, Issuer: a.Issuer}
}

// Addresses of the TFChain bridge vaults on Stellar: a TFT payment there with
// memo "twin_<ID>" is minted on TFChain to that twin, minus exchange.BridgeFee
// (threefoldtech/tfchain bridge docs; tfgrid-sdk-go BridgeAddresses).
const (
	PublicBridgeVault  = "GBNOTAYUMXVO5QDYWYO2SOCOYIJ3XFIP65GKOQN7H65ZZSO6BK4SLWSC" // TFChain mainnet
	TestnetBridgeVault = "GA2CWNBUHX7NZ3B5GR4I23FMU7VY5RPA77IUJTIXTTTGKYSKDSV6LUA4" // TFChain testnet
)

// Config says which network and which assets to use.
type Config struct {
	HorizonURL        string // e.g. https://horizon.stellar.org
	NetworkPassphrase string // the network's passphrase: signatures and hashes depend on it
	TFT, USDC         Asset

	// Optional.
	BaseFee    int64         // most paid per operation, in stroops; 0: DefaultBaseFee
	TxValidity time.Duration // how long a built tx may apply; 0: DefaultTxValidity
	HTTPClient *http.Client  // nil: a client of its own
	Now        func() time.Time
}

const (
	// DefaultBaseFee is the fee cap per operation: 0.01 XLM. The network
	// charges the going surge price up to it, usually the 100-stroop minimum;
	// a higher cap keeps a top-up from stalling when the ledger is busy.
	DefaultBaseFee = 100_000
	// DefaultTxValidity bounds how long a built transaction can apply, so a
	// transaction that was never confirmed is, after it, known never to apply
	// and a new one can be built without risk of paying twice.
	DefaultTxValidity = 5 * time.Minute
)

// Public is the Stellar public network with Circle's USDC and ThreeFold's
// TFT (issuers: threefoldfoundation/tft-stellar README; Circle's USDC on
// Stellar).
func Public() Config {
	return Config{
		HorizonURL:        "https://horizon.stellar.org",
		NetworkPassphrase: network.PublicNetworkPassphrase,
		TFT:               Asset{"TFT", "GBOVQKJYHXRR3DX6NOX2RRYFRCUMSADGDESTDNBDS6CDVLGVESRTAC47"},
		USDC:              Asset{"USDC", "GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN"},
	}
}

// Testnet is the SDF test network with Circle's test USDC and ThreeFold's
// test TFT. The test network is reset every few months and its TFT/USDC
// book may be empty: seed offers before relying on it.
func Testnet() Config {
	return Config{
		HorizonURL:        "https://horizon-testnet.stellar.org",
		NetworkPassphrase: network.TestNetworkPassphrase,
		TFT:               Asset{"TFT", "GA47YZA3PKFUZMPLQ3B5F2E3CJIB57TGGU7SPCQT2WAEYKN766PWIMB3"},
		USDC:              Asset{"USDC", "GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"},
	}
}

// Exchange is exchange.Exchange on a Stellar network through Horizon.
type Exchange struct {
	cfg       Config
	tft, usdc txnbuild.CreditAsset
	http      *http.Client
	now       func() time.Time
}

var _ exchange.Exchange = (*Exchange)(nil)

// New checks cfg and returns an Exchange. It makes no request.
func New(cfg Config) (*Exchange, error) {
	u, err := url.Parse(cfg.HorizonURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("stellar: horizon url %q: want http(s)://host", cfg.HorizonURL)
	}
	if cfg.NetworkPassphrase == "" {
		return nil, errors.New("stellar: network passphrase is empty")
	}
	e := &Exchange{cfg: cfg, tft: cfg.TFT.credit(), usdc: cfg.USDC.credit(), http: cfg.HTTPClient, now: cfg.Now}
	if err := stellartx.CheckAsset("TFT", e.tft); err != nil {
		return nil, fmt.Errorf("stellar: %w", err)
	}
	if err := stellartx.CheckAsset("USDC", e.usdc); err != nil {
		return nil, fmt.Errorf("stellar: %w", err)
	}
	if e.cfg.BaseFee <= 0 {
		e.cfg.BaseFee = DefaultBaseFee
	}
	if e.cfg.TxValidity <= 0 {
		e.cfg.TxValidity = DefaultTxValidity
	}
	if e.http == nil {
		e.http = &http.Client{}
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e, nil
}

// Account returns the address of a secret seed.
func (e *Exchange) Account(secret string) (string, error) {
	kp, err := stellartx.Keypair(secret)
	if err != nil {
		return "", err
	}
	return kp.Address(), nil
}

// Balances returns the account's USDC and TFT of the configured issuers.
func (e *Exchange) Balances(ctx context.Context, account string) (exchange.Balances, error) {
	if err := stellartx.CheckAddress("account", account); err != nil {
		return exchange.Balances{}, err
	}
	hc, calls := e.client(ctx)
	acct, err := hc.AccountDetail(horizonclient.AccountRequest{AccountID: account})
	if err != nil {
		return exchange.Balances{}, e.accountErr(calls, account, err)
	}
	var b exchange.Balances
	for _, bal := range acct.Balances {
		var into *exchange.Amount
		switch {
		case bal.Code == e.tft.Code && bal.Issuer == e.tft.Issuer:
			into = &b.TFT
		case bal.Code == e.usdc.Code && bal.Issuer == e.usdc.Issuer:
			into = &b.USDC
		default:
			continue
		}
		if *into, err = exchange.ParseAmount(bal.Balance); err != nil {
			return exchange.Balances{}, fmt.Errorf("balances of %s: %w", account, err)
		}
	}
	return b, nil
}

// QuoteTFT returns the cheapest strict-receive path from USDC to receive TFT.
func (e *Exchange) QuoteTFT(ctx context.Context, receive exchange.Amount) (exchange.Quote, error) {
	if err := stellartx.CheckPositive("receive", receive); err != nil {
		return exchange.Quote{}, err
	}
	q, _, err := e.quote(ctx, receive)
	return q, err
}

func (e *Exchange) quote(ctx context.Context, receive exchange.Amount) (exchange.Quote, []txnbuild.Asset, error) {
	hc, calls := e.client(ctx)
	page, err := hc.StrictReceivePaths(horizonclient.PathsRequest{
		DestinationAssetType:   assetType(e.tft),
		DestinationAssetCode:   e.tft.Code,
		DestinationAssetIssuer: e.tft.Issuer,
		DestinationAmount:      receive.String(),
		SourceAssets:           stellartx.AssetString(e.usdc),
	})
	if err != nil {
		return exchange.Quote{}, nil, e.horizonErr(calls, "quote TFT", err)
	}
	var best *hProtocol.Path
	var bestCost exchange.Amount
	for i, p := range page.Embedded.Records {
		if p.SourceAssetCode != e.usdc.Code || p.SourceAssetIssuer != e.usdc.Issuer ||
			p.DestinationAssetCode != e.tft.Code || p.DestinationAssetIssuer != e.tft.Issuer {
			continue
		}
		cost, err := exchange.ParseAmount(p.SourceAmount)
		if err != nil {
			return exchange.Quote{}, nil, fmt.Errorf("quote TFT: %w", err)
		}
		if got, err := exchange.ParseAmount(p.DestinationAmount); err != nil || got != receive {
			continue
		}
		if best == nil || cost < bestCost {
			best, bestCost = &page.Embedded.Records[i], cost
		}
	}
	if best == nil {
		return exchange.Quote{}, nil, exchange.Failed(exchange.OpTooFewOffers)
	}
	q := exchange.Quote{ReceiveTFT: receive, SendUSDC: bestCost, Path: []string{}}
	var path []txnbuild.Asset
	for _, a := range best.Path {
		s := "native"
		if a.Type != "native" {
			s = a.Code + ":" + a.Issuer
		}
		ta, err := stellartx.ParseAsset(s)
		if err != nil {
			return exchange.Quote{}, nil, fmt.Errorf("quote TFT: %w", err)
		}
		q.Path = append(q.Path, s)
		path = append(path, ta)
	}
	return q, path, nil
}

// BuildSwap builds the path payment along the cheapest path Horizon finds now.
func (e *Exchange) BuildSwap(ctx context.Context, secret string, receive, sendMax exchange.Amount, memo string) (exchange.SignedTx, error) {
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
	seq, err := e.sequence(ctx, kp.Address())
	if err != nil {
		return exchange.SignedTx{}, err
	}
	q, path, err := e.quote(ctx, receive)
	if err != nil {
		return exchange.SignedTx{}, err
	}
	if q.SendUSDC > sendMax {
		// Submitting would only burn a fee and the sequence number.
		return exchange.SignedTx{}, exchange.Failed(exchange.OpOverSendMax)
	}
	return stellartx.Swap(kp, e.params(seq, memo), e.usdc, e.tft, receive, sendMax, path)
}

// BuildPayment builds a TFT payment.
func (e *Exchange) BuildPayment(ctx context.Context, secret, destination string, amount exchange.Amount, memo string) (exchange.SignedTx, error) {
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
	seq, err := e.sequence(ctx, kp.Address())
	if err != nil {
		return exchange.SignedTx{}, err
	}
	return stellartx.Payment(kp, e.params(seq, memo), e.tft, destination, amount)
}

func (e *Exchange) params(seq int64, memo string) stellartx.Params {
	return stellartx.Params{
		Passphrase: e.cfg.NetworkPassphrase,
		BaseFee:    e.cfg.BaseFee,
		Sequence:   seq,
		MaxTime:    e.now().Add(e.cfg.TxValidity).Unix(),
		Memo:       memo,
	}
}

func (e *Exchange) sequence(ctx context.Context, account string) (int64, error) {
	hc, calls := e.client(ctx)
	acct, err := hc.AccountDetail(horizonclient.AccountRequest{AccountID: account})
	if err != nil {
		return 0, e.accountErr(calls, account, err)
	}
	return acct.Sequence, nil
}

// Submit posts the transaction and waits for Horizon's answer.
func (e *Exchange) Submit(ctx context.Context, tx exchange.SignedTx) error {
	if _, err := stellartx.Decode(e.cfg.NetworkPassphrase, tx); err != nil {
		return err
	}
	hc, calls := e.client(ctx)
	res, err := hc.SubmitTransactionXDR(tx.XDR)
	if err == nil {
		if !res.Successful {
			return exchange.Failed(exchange.TxFailed)
		}
		return nil
	}
	herr := horizonclient.GetError(err)
	if herr == nil || herr.Response == nil || herr.Response.StatusCode != http.StatusBadRequest {
		if calls.status == http.StatusGatewayTimeout {
			// Horizon gave up waiting for the ledger: the tx may still apply.
			return fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE,
				"Stellar did not confirm transaction %s in time; it may still apply: check it, then submit it again", tx.Hash)
		}
		return e.horizonErr(calls, "submit transaction "+tx.Hash, err)
	}
	rc, rcErr := herr.ResultCodes()
	if rcErr != nil {
		return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "the network refused transaction %s: %s", tx.Hash, herr.Problem.Title)
	}
	if rc.TransactionCode == exchange.TxBadSeq {
		// Its sequence number is used: by this very tx if it applied before
		// (a retry after a lost answer), or by another.
		applied, aerr := e.Applied(ctx, tx.Hash)
		if aerr != nil {
			return aerr
		}
		if applied {
			return nil
		}
	}
	return exchange.Failed(rc.TransactionCode, rc.OperationCodes...)
}

// Applied looks the transaction up by hash.
func (e *Exchange) Applied(ctx context.Context, hash string) (bool, error) {
	if err := stellartx.CheckHash(hash); err != nil {
		return false, err
	}
	hc, calls := e.client(ctx)
	tx, err := hc.TransactionDetail(strings.ToLower(hash))
	if err != nil {
		if horizonclient.IsNotFoundError(err) {
			return false, nil
		}
		return false, e.horizonErr(calls, "look up transaction "+hash, err)
	}
	return tx.Successful, nil
}

func assetType(a txnbuild.CreditAsset) horizonclient.AssetType {
	if len(a.Code) <= 4 {
		return horizonclient.AssetType4
	}
	return horizonclient.AssetType12
}

// client returns a Horizon client whose requests follow ctx. The SDK's
// methods take no context, so each call gets a client of its own whose HTTP
// layer attaches ctx and remembers the last response status.
func (e *Exchange) client(ctx context.Context) (*horizonclient.Client, *ctxHTTP) {
	h := &ctxHTTP{ctx: ctx, c: e.http}
	return &horizonclient.Client{HorizonURL: e.cfg.HorizonURL, HTTP: h, AppName: "fiatdashboard"}, h
}

type ctxHTTP struct {
	ctx        context.Context
	c          *http.Client
	status     int
	retryAfter time.Duration
}

func (h *ctxHTTP) Do(req *http.Request) (*http.Response, error) {
	// The SDK gives req a timeout context that it cancels once the body is
	// read; the request must also end when the caller's ctx does.
	ctx, cancel := context.WithCancel(h.ctx)
	context.AfterFunc(req.Context(), cancel)
	resp, err := h.c.Do(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	h.status = resp.StatusCode
	if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
		h.retryAfter = time.Duration(s) * time.Second
	}
	return resp, nil
}

func (h *ctxHTTP) Get(u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(h.ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return h.Do(req)
}

func (h *ctxHTTP) PostForm(u string, data url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, u, strings.NewReader(data.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return h.Do(req)
}

func (e *Exchange) accountErr(calls *ctxHTTP, account string, err error) error {
	if horizonclient.IsNotFoundError(err) {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND,
			"Stellar account %s does not exist: it has never been funded with XLM", account)
	}
	return e.horizonErr(calls, "load account "+account, err)
}

// horizonErr sorts a failed Horizon call: an outage, rate limit or network
// error is EUNAVAILABLE (retry later); anything else is a bug or a Horizon
// we do not understand, wrapped for the log.
// noAnswer reports whether err means Horizon never answered: refused,
// reset, timed out or cancelled.
func noAnswer(err error) bool {
	var uerr *url.Error
	var nerr net.Error
	return errors.As(err, &uerr) || errors.As(err, &nerr) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func (e *Exchange) horizonErr(calls *ctxHTTP, what string, err error) error {
	status := calls.status
	if herr := horizonclient.GetError(err); herr != nil && herr.Response != nil {
		status = herr.Response.StatusCode
	}
	switch {
	case status == http.StatusTooManyRequests || status >= 500:
		return &fiatdashboard.Error{Code: fiatdashboard.EUNAVAILABLE,
			Message: fmt.Sprintf("Stellar's Horizon server is unavailable (%s: HTTP %d); try again later", what, status), RetryAfter: calls.retryAfter}
	case status == 0 && noAnswer(err):
		return fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE,
			"Stellar's Horizon server did not answer (%s); try again later", what)
	}
	return fmt.Errorf("%s: horizon: %w", what, err)
}
