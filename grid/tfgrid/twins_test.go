package tfgrid

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	substrate "github.com/threefoldtech/tfchain/clients/tfchain-client-go"

	"github.com/fiatdashboard/fiatdashboard"
)

// chainTwins answers TwinIdByAccountID from a map, as TFChain would.
type chainTwins struct {
	twins map[string]uint32
	asked [][]byte
	fail  error
}

func (c *chainTwins) GetTwinByPubKey(pk []byte) (uint32, error) {
	c.asked = append(c.asked, bytes.Clone(pk))
	if c.fail != nil {
		return 0, c.fail
	}
	if id, ok := c.twins[hex.EncodeToString(pk)]; ok {
		return id, nil
	}
	return 0, errors.Join(errors.New("twin not found"), substrate.ErrNotFound)
}

// Substrate's development phrase and the public key of its bare sr25519
// account (`subkey inspect "bottom drive … walk"`, no derivation path).
const (
	devPhrase  = "bottom drive obey lake curtain smoke basket hold race lonely fit walk"
	devAccount = "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a"
)

// TestTwinOfMnemonicDerivesTheSr25519Account derives the account of a phrase
// as the TF Dashboard does (sr25519) and asks the chain for its twin, without
// a network: the known development phrase gives its known account key.
func TestTwinOfMnemonicDerivesTheSr25519Account(t *testing.T) {
	chain := &chainTwins{twins: map[string]uint32{devAccount: 4242}}
	id, err := twinOfMnemonic(chain, "  Bottom drive obey lake curtain smoke\nbasket hold race lonely fit walk ")
	if err != nil || id != 4242 {
		t.Fatalf("twin = %d, %v; want 4242", id, err)
	}
	if len(chain.asked) != 1 || hex.EncodeToString(chain.asked[0]) != devAccount {
		t.Errorf("asked the chain for %x, want the account %s", chain.asked, devAccount)
	}

	// An account without a twin: ENOTFOUND on the mnemonic field, saying what to do.
	other := "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	_, err = twinOfMnemonic(chain, other)
	var e *fiatdashboard.Error
	if !errors.As(err, &e) || e.Code != fiatdashboard.ENOTFOUND || e.Field != "mnemonic" || !strings.Contains(e.Message, "create one in the TF Dashboard") {
		t.Errorf("no twin = %v, want ENOTFOUND on mnemonic", err)
	}

	// A bad phrase never reaches the chain, and the error never quotes it.
	chain.asked = nil
	for _, bad := range []string{"not a phrase at all", strings.Repeat("abandon ", 12)} {
		_, err := twinOfMnemonic(chain, bad)
		if fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID || strings.Contains(err.Error(), "abandon") || strings.Contains(err.Error(), "phrase at all") {
			t.Errorf("bad phrase %q = %v, want EINVALID without the phrase", bad, err)
		}
	}
	if len(chain.asked) != 0 {
		t.Errorf("the chain was asked about an invalid phrase")
	}

	// A chain outage is not "no twin".
	chain.fail = errors.New("connection refused")
	if _, err := twinOfMnemonic(chain, devPhrase); fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND || err == nil {
		t.Errorf("chain down = %v, want an outage error", err)
	}
}
