// Package stellartx builds, signs and reads the two Stellar transactions the
// treasury makes (a USDC→TFT path payment and a TFT payment), so the network
// implementation and the simulator produce the same envelopes.
package stellartx

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
)

// Keypair parses a secret seed (S…). The error never repeats the input.
func Keypair(secret string) (*keypair.Full, error) {
	kp, err := keypair.ParseFull(strings.TrimSpace(secret))
	if err != nil {
		return nil, fiatdashboard.Invalid("stellar_secret", "not a Stellar secret seed (56 characters starting with S)")
	}
	return kp, nil
}

// CheckAddress returns EINVALID naming field unless addr is a Stellar
// account address (G…).
func CheckAddress(field, addr string) error {
	if !strkey.IsValidEd25519PublicKey(addr) {
		return fiatdashboard.Invalid(field, "not a Stellar account address (56 characters starting with G)")
	}
	return nil
}

// CheckHash returns EINVALID unless h is a transaction hash (64 hex digits).
func CheckHash(h string) error {
	if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
		return fiatdashboard.Invalid("hash", "not a Stellar transaction hash (64 hex digits)")
	}
	return nil
}

// CheckAsset returns an error unless a is a credit asset with a valid code
// and issuer.
func CheckAsset(name string, a txnbuild.CreditAsset) error {
	if n := len(a.Code); n < 1 || n > 12 {
		return fmt.Errorf("%s asset code %q: want 1 to 12 characters", name, a.Code)
	}
	if !strkey.IsValidEd25519PublicKey(a.Issuer) {
		return fmt.Errorf("%s asset issuer %q: not a Stellar account address", name, a.Issuer)
	}
	return nil
}

// AssetString is the asset as Horizon's query parameters spell it:
// "native" or "CODE:ISSUER".
func AssetString(a txnbuild.Asset) string {
	if a.IsNative() {
		return "native"
	}
	return a.GetCode() + ":" + a.GetIssuer()
}

// ParseAsset reads "native" or "CODE:ISSUER".
func ParseAsset(s string) (txnbuild.Asset, error) {
	if s == "native" {
		return txnbuild.NativeAsset{}, nil
	}
	code, issuer, _ := strings.Cut(s, ":")
	a := txnbuild.CreditAsset{Code: code, Issuer: issuer}
	if err := CheckAsset("path", a); err != nil {
		return nil, err
	}
	return a, nil
}

// SameAsset reports whether a is the credit asset want.
func SameAsset(a txnbuild.Asset, want txnbuild.CreditAsset) bool {
	return a != nil && !a.IsNative() && a.GetCode() == want.Code && a.GetIssuer() == want.Issuer
}

// Params are what every transaction needs besides its operation.
type Params struct {
	Passphrase string // the network's; the hash and signature depend on it
	BaseFee    int64  // the most paid per operation, in stroops
	Sequence   int64  // the source account's current sequence; the tx uses the next
	MaxTime    int64  // unix seconds after which the tx can never apply
	Memo       string // text memo, up to 28 bytes; "" for none
}

func checkMemo(memo string) error {
	if len(memo) > txnbuild.MemoTextMaxLength {
		return fiatdashboard.Invalid("memo", "a Stellar text memo holds at most %d bytes", txnbuild.MemoTextMaxLength)
	}
	return nil
}

// CheckPositive returns EINVALID naming field unless a > 0.
func CheckPositive(field string, a exchange.Amount) error {
	if a <= 0 {
		return fiatdashboard.Invalid(field, "must be more than zero")
	}
	return nil
}

// Swap builds and signs a path payment strict-receive from kp's account to
// itself: exactly receive of dest for at most sendMax of send, through path.
func Swap(kp *keypair.Full, p Params, send, dest txnbuild.CreditAsset, receive, sendMax exchange.Amount, path []txnbuild.Asset) (exchange.SignedTx, error) {
	if err := CheckPositive("receive", receive); err != nil {
		return exchange.SignedTx{}, err
	}
	if err := CheckPositive("send_max", sendMax); err != nil {
		return exchange.SignedTx{}, err
	}
	return build(kp, p, &txnbuild.PathPaymentStrictReceive{
		SendAsset:   send,
		SendMax:     sendMax.String(),
		Destination: kp.Address(),
		DestAsset:   dest,
		DestAmount:  receive.String(),
		Path:        path,
	})
}

// Payment builds and signs a payment of amount of asset to destination.
func Payment(kp *keypair.Full, p Params, asset txnbuild.CreditAsset, destination string, amount exchange.Amount) (exchange.SignedTx, error) {
	if err := CheckAddress("destination", destination); err != nil {
		return exchange.SignedTx{}, err
	}
	if err := CheckPositive("amount", amount); err != nil {
		return exchange.SignedTx{}, err
	}
	return build(kp, p, &txnbuild.Payment{Destination: destination, Amount: amount.String(), Asset: asset})
}

func build(kp *keypair.Full, p Params, op txnbuild.Operation) (exchange.SignedTx, error) {
	if err := checkMemo(p.Memo); err != nil {
		return exchange.SignedTx{}, err
	}
	var memo txnbuild.Memo
	if p.Memo != "" {
		memo = txnbuild.MemoText(p.Memo)
	}
	tx, err := txnbuild.NewTransaction(txnbuild.TransactionParams{
		SourceAccount:        &txnbuild.SimpleAccount{AccountID: kp.Address(), Sequence: p.Sequence},
		IncrementSequenceNum: true,
		Operations:           []txnbuild.Operation{op},
		BaseFee:              p.BaseFee,
		Memo:                 memo,
		Preconditions:        txnbuild.Preconditions{TimeBounds: txnbuild.NewTimebounds(0, p.MaxTime)},
	})
	if err != nil {
		return exchange.SignedTx{}, fmt.Errorf("build transaction: %w", err)
	}
	if tx, err = tx.Sign(p.Passphrase, kp); err != nil {
		return exchange.SignedTx{}, fmt.Errorf("sign transaction: %w", err)
	}
	hash, err := tx.HashHex(p.Passphrase)
	if err != nil {
		return exchange.SignedTx{}, fmt.Errorf("hash transaction: %w", err)
	}
	xdr, err := tx.Base64()
	if err != nil {
		return exchange.SignedTx{}, fmt.Errorf("encode transaction: %w", err)
	}
	return exchange.SignedTx{Hash: hash, XDR: xdr}, nil
}

// Decode reads a SignedTx: the XDR must be a (not fee-bumped) transaction
// whose hash on this network is tx.Hash. EINVALID otherwise.
func Decode(passphrase string, tx exchange.SignedTx) (*txnbuild.Transaction, error) {
	g, err := txnbuild.TransactionFromXDR(tx.XDR)
	if err != nil {
		return nil, fiatdashboard.Invalid("tx", "not a Stellar transaction envelope")
	}
	t, ok := g.Transaction()
	if !ok {
		return nil, fiatdashboard.Invalid("tx", "fee-bump transactions are not supported")
	}
	hash, err := t.HashHex(passphrase)
	if err != nil {
		return nil, fiatdashboard.Invalid("tx", "cannot hash the transaction")
	}
	if !strings.EqualFold(hash, tx.Hash) {
		return nil, fiatdashboard.Invalid("tx", "the hash does not match the transaction on this network")
	}
	if len(t.Signatures()) == 0 {
		return nil, fiatdashboard.Invalid("tx", "the transaction is not signed")
	}
	return t, nil
}

// SignedBySource reports whether one of t's signatures is its source
// account's over the hash on this network.
func SignedBySource(passphrase string, t *txnbuild.Transaction) bool {
	kp, err := keypair.ParseAddress(t.SourceAccount().AccountID)
	if err != nil {
		return false
	}
	h, err := t.Hash(passphrase)
	if err != nil {
		return false
	}
	for _, s := range t.Signatures() {
		if [4]byte(s.Hint) == kp.Hint() && kp.Verify(h[:], s.Signature) == nil {
			return true
		}
	}
	return false
}

// MemoText returns t's text memo, "" when it has none or another kind.
func MemoText(t *txnbuild.Transaction) string {
	if m, ok := t.Memo().(txnbuild.MemoText); ok {
		return string(m)
	}
	return ""
}
