// Package exchange is the port through which the treasury turns USDC into TFT
// on the Stellar DEX and sends TFT to the TFChain bridge (ARCHITECTURE.md §2).
// Its implementations are exchange/stellar (the network, through Horizon) and
// exchange/exchangesim (a deterministic simulator for `make run` and tests).
package exchange

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/fiatdashboard/fiatdashboard"
)

// Amount is an amount of USDC or TFT in 1e-7 units: Stellar carries 7
// decimals for every asset, and TFT has 7 on TFChain too, so one unit on
// Stellar is one unit on TFChain. Never a float.
type Amount int64

// One is 1 USDC or 1 TFT.
const One Amount = 10_000_000

// BridgeFee is what the TFChain bridge keeps from every deposit: 1 TFT
// ("A deposit fee of 1 TFT will be taken", threefoldtech/tfchain
// bridge docs, "Bridging TFT between Stellar and TF Chain").
const BridgeFee Amount = One

// String formats a in whole units with 7 decimals, e.g. "12.3400000".
func (a Amount) String() string {
	sign := ""
	u := uint64(a)
	if a < 0 {
		sign, u = "-", uint64(-a)
	}
	return fmt.Sprintf("%s%d.%07d", sign, u/uint64(One), u%uint64(One))
}

// ParseAmount reads a decimal amount with at most 7 decimals ("12.34",
// "0.0000001"), as Horizon writes them. It rejects anything else rather
// than round.
func ParseAmount(s string) (Amount, error) {
	neg := strings.HasPrefix(s, "-")
	whole, frac, dot := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if whole == "" || (dot && frac == "") || len(frac) > 7 || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("amount %q: want a decimal number with at most 7 decimals", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	var f int64
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 7-len(frac)), 10, 64)
	}
	if err != nil || w > (math.MaxInt64-f)/int64(One) {
		return 0, fmt.Errorf("amount %q: too large", s)
	}
	v := Amount(w*int64(One) + f)
	if neg {
		v = -v
	}
	return v, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Balances is what a Stellar account holds of the two assets the treasury
// uses. An asset the account has no trustline for counts as zero.
type Balances struct{ USDC, TFT Amount }

// Quote is what the order book asks now for a given amount of TFT.
type Quote struct {
	ReceiveTFT Amount   // what we want
	SendUSDC   Amount   // what the order book says it costs now (strict-receive path)
	Path       []string // intermediate assets, "CODE:ISSUER" or "native" (usually empty)
}

// SignedTx is a built, signed transaction: its hash is known before it is
// submitted, so a step that crashed after submitting can find out whether it
// applied. Store it before calling Submit; resubmitting the same XDR is safe.
type SignedTx struct{ Hash, XDR string }

// Exchange moves the treasury's money on Stellar. It is used by the treasury
// top-up pipeline (billing), which runs as a system job; it knows nothing of
// tenants. Every method is safe for concurrent use.
//
// Exactly-once: Build* return a transaction whose hash is known before it is
// submitted and which is valid only for a few minutes (its time bounds) and
// only at the account's next sequence number. A caller stores the SignedTx,
// then calls Submit; after a crash or an EUNAVAILABLE it asks Applied(hash)
// and, if false, submits the same SignedTx again. When Submit answers
// ECONFLICT, that transaction did not apply and never will (it failed, it
// expired, or another transaction used its sequence number), so building a
// new one cannot pay twice.
//
// Errors: EINVALID for bad input (Field names it), ENOTFOUND for an account
// that does not exist on the network (unfunded), ECONFLICT for what the
// network refused, EUNAVAILABLE for a network or Horizon outage (retry).
// No error ever contains a secret.
type Exchange interface {
	// Account returns the public address (G…) of a secret seed (S…).
	// EINVALID (field "stellar_secret") for a malformed seed.
	Account(secret string) (string, error)
	// Balances returns the USDC and TFT an account holds. ENOTFOUND if the
	// account does not exist (was never funded); EINVALID for a malformed
	// address.
	Balances(ctx context.Context, account string) (Balances, error)
	// QuoteTFT asks the order book what receiving exactly `receive` TFT costs
	// in USDC now. ECONFLICT when the book is too thin to fill it.
	QuoteTFT(ctx context.Context, receive Amount) (Quote, error)
	// BuildSwap builds and signs a path payment strict-receive from the
	// secret's account to itself: it receives exactly `receive` TFT and sends
	// at most sendMax USDC, with a text memo (up to 28 bytes, may be empty).
	// ENOTFOUND if the account does not exist; ECONFLICT when the book cannot
	// fill `receive` within sendMax right now (nothing is built, no fee spent).
	BuildSwap(ctx context.Context, secret string, receive, sendMax Amount, memo string) (SignedTx, error)
	// BuildPayment builds and signs a TFT payment from the secret's account to
	// destination with a text memo (e.g. "twin_42" for the TFChain bridge).
	// ENOTFOUND if the source account does not exist.
	BuildPayment(ctx context.Context, secret, destination string, amount Amount, memo string) (SignedTx, error)
	// Submit sends a signed transaction to the network and waits for its
	// result. It is idempotent: a transaction already applied is success. A
	// transaction the network refuses or that fails is ECONFLICT, its result
	// code in plain words ("op_over_source_max: the price moved past the
	// slippage cap"); EUNAVAILABLE when the outcome is unknown (call Applied,
	// then Submit the same tx again); EINVALID for an XDR that is not a
	// signed transaction of this network.
	Submit(ctx context.Context, tx SignedTx) error
	// Applied reports whether the transaction with that hash is in the ledger
	// and succeeded. False for a hash the network has not seen (yet) and for
	// a transaction that was included but failed. EINVALID for a hash that is
	// not 64 hex digits.
	Applied(ctx context.Context, hash string) (bool, error)
}

// Result codes the network answers with, as Horizon names them, that the
// treasury may meet; Failed explains each in plain words.
const (
	TxBadSeq              = "tx_bad_seq"
	TxTooLate             = "tx_too_late"
	TxTooEarly            = "tx_too_early"
	TxBadAuth             = "tx_bad_auth"
	TxInsufficientBalance = "tx_insufficient_balance"
	TxInsufficientFee     = "tx_insufficient_fee"
	TxNoSourceAccount     = "tx_no_source_account"
	TxMalformed           = "tx_malformed"
	TxFailed              = "tx_failed"
	OpOverSendMax         = "op_over_source_max"
	OpTooFewOffers        = "op_too_few_offers"
	OpUnderfunded         = "op_underfunded"
	OpSrcNoTrust          = "op_src_no_trust"
	OpNoTrust             = "op_no_trust"
	OpNoDestination       = "op_no_destination"
	OpLineFull            = "op_line_full"
	OpNotAuthorized       = "op_not_authorized"
	OpSrcNotAuthorized    = "op_src_not_authorized"
	OpNoIssuer            = "op_no_issuer"
	OpCrossSelf           = "op_offer_cross_self"
	OpMalformed           = "op_malformed"
	OpLowReserve          = "op_low_reserve"
)

var plainWords = map[string]string{
	TxBadSeq:              "the account's sequence number has moved on (another transaction from this account went first); build a new transaction",
	TxTooLate:             "the transaction expired before it reached the ledger; build a new transaction",
	TxTooEarly:            "the transaction is not valid yet",
	TxBadAuth:             "the signature does not match the account's signers",
	TxInsufficientBalance: "the account has too little XLM left to pay the network fee",
	TxInsufficientFee:     "the network fee offered was too low at the time",
	TxNoSourceAccount:     "the source account does not exist",
	TxMalformed:           "the transaction is malformed",
	TxFailed:              "the transaction failed",
	OpOverSendMax:         "the price moved past the slippage cap",
	OpTooFewOffers:        "the order book is too thin for this amount",
	OpUnderfunded:         "the account does not hold enough of the asset it sends",
	OpSrcNoTrust:          "the account has no trustline for the asset it sends",
	OpNoTrust:             "the destination has no trustline for the asset",
	OpNoDestination:       "the destination account does not exist",
	OpLineFull:            "the destination's trustline is full",
	OpNotAuthorized:       "the issuer has not authorized the destination to hold the asset",
	OpSrcNotAuthorized:    "the issuer has not authorized the account to send the asset",
	OpNoIssuer:            "the asset's issuer does not exist",
	OpCrossSelf:           "the swap would cross one of the account's own offers",
	OpMalformed:           "an operation is malformed",
	OpLowReserve:          "the account's XLM reserve is too low",
}

// Failed returns the ECONFLICT error for a transaction the network refused or
// that failed, its result code in plain words. For tx_failed the first
// failing operation's code names the cause. Both implementations use it, so
// the treasury sees the same messages from the simulator and the network.
func Failed(txCode string, opCodes ...string) *fiatdashboard.Error {
	code := txCode
	if txCode == TxFailed || txCode == "" {
		for _, c := range opCodes {
			if c != "" && c != "op_success" {
				code = c
				break
			}
		}
	}
	if code == "" {
		code = TxFailed
	}
	words, ok := plainWords[code]
	if !ok {
		words = "the network refused the transaction"
	}
	return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "%s: %s", code, words)
}

// FailureCode returns the result code of an error made by Failed (e.g.
// "op_over_source_max"), or "" for any other error, so a caller can tell an
// expired transaction from a price that moved without parsing messages.
func FailureCode(err error) string {
	if fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		return ""
	}
	code, _, ok := strings.Cut(fiatdashboard.ErrorMessage(err), ": ")
	if !ok || !(strings.HasPrefix(code, "tx_") || strings.HasPrefix(code, "op_")) || strings.ContainsRune(code, ' ') {
		return ""
	}
	return code
}
