package tfgrid

import (
	"context"
	"errors"
	"strings"

	substrate "github.com/threefoldtech/tfchain/clients/tfchain-client-go"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

var _ grid.MnemonicTwins = (*Client)(nil)

// twinLookup is the one chain read TwinOfMnemonic needs (the SDK's
// subi.SubstrateExt has it).
type twinLookup interface {
	GetTwinByPubKey(pk []byte) (uint32, error)
}

// TwinOfMnemonic implements grid.MnemonicTwins on TFChain: the phrase gives
// the sr25519 account (as the TF Dashboard and the grid client derive it),
// and the chain's TwinIdByAccountID map gives its twin.
func (c *Client) TwinOfMnemonic(ctx context.Context, mnemonic string) (uint32, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return twinOfMnemonic(c.tf.SubstrateConn, mnemonic)
}

func twinOfMnemonic(chain twinLookup, mnemonic string) (uint32, error) {
	phrase := strings.Join(strings.Fields(strings.ToLower(mnemonic)), " ")
	pub, err := accountOfMnemonic(phrase)
	if err != nil {
		return 0, err
	}
	id, err := chain.GetTwinByPubKey(pub)
	if errors.Is(err, substrate.ErrNotFound) || (err == nil && id == 0) {
		return 0, &fiatdashboard.Error{Code: fiatdashboard.ENOTFOUND, Field: "mnemonic",
			Message: "no twin for this account — create one in the TF Dashboard first"}
	}
	if err != nil {
		// The chain client's errors never carry the phrase; redact anyway.
		return 0, translate(redact(err, phrase), "look up the twin of the account")
	}
	return id, nil
}

// accountOfMnemonic returns the 32-byte public key of the sr25519 account of
// a recovery phrase (the chain's AccountId). EINVALID on field "mnemonic",
// never quoting it, for a phrase the key derivation refuses.
func accountOfMnemonic(phrase string) ([]byte, error) {
	id, err := substrate.NewIdentityFromSr25519Phrase(phrase)
	if err != nil || len(id.PublicKey()) != 32 {
		return nil, fiatdashboard.Invalid("mnemonic", "this is not a valid 12 or 24 word recovery phrase (check the words and their order)")
	}
	return id.PublicKey(), nil
}
