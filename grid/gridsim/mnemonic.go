package gridsim

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"strings"

	"github.com/cosmos/go-bip39"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

var _ grid.MnemonicTwins = (*Sim)(nil)

// accountKey derives the simulated account key of a recovery phrase: an
// ed25519 key from the phrase's BIP-39 seed (no passphrase), so the same
// phrase always names the same account, in every simulator.
func accountKey(mnemonic string) (ed25519.PrivateKey, error) {
	phrase := strings.Join(strings.Fields(strings.ToLower(mnemonic)), " ")
	// IsMnemonicValid checks only the words; the byte conversion checks the checksum.
	if _, err := bip39.MnemonicToByteArray(phrase); err != nil || !bip39.IsMnemonicValid(phrase) {
		return nil, fiatdashboard.Invalid("mnemonic", "this is not a valid 12 or 24 word recovery phrase (check the words and their order)")
	}
	seed := bip39.NewSeed(phrase, "")
	h := sha256.Sum256(append([]byte("gridsim account key\x00"), seed...))
	return ed25519.NewKeyFromSeed(h[:]), nil
}

// twinOfKey returns the twin whose account key is pub, or nil; w.mu held.
func (w *world) twinOfKey(pub ed25519.PublicKey) *twin {
	for _, t := range w.twins {
		if bytes.Equal(t.Key.Public().(ed25519.PublicKey), pub) {
			return t
		}
	}
	return nil
}

// CreateTwinForMnemonic registers a twin for the account of a recovery
// phrase, with a balance and a KYC status, as creating a twin in the TF
// Dashboard does, and returns its id. Returns EINVALID for a phrase that is
// not a valid recovery phrase and ECONFLICT when the account already has a
// twin (the chain allows one per account).
func (s *Sim) CreateTwinForMnemonic(mnemonic string, balance grid.TFTUnits, kycVerified bool) (uint32, error) {
	key, err := accountKey(mnemonic)
	if err != nil {
		return 0, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	if t := s.w.twinOfKey(key.Public().(ed25519.PublicKey)); t != nil {
		return 0, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "this account already has twin %d", t.ID)
	}
	id := s.w.nextTwin
	s.w.nextTwin++
	t := s.w.addTwin(id, balance, kycVerified)
	t.Key = key
	return id, nil
}

// TwinOfMnemonic implements grid.MnemonicTwins.
func (s *Sim) TwinOfMnemonic(ctx context.Context, mnemonic string) (uint32, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	key, err := accountKey(mnemonic)
	if err != nil {
		return 0, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	t := s.w.twinOfKey(key.Public().(ed25519.PublicKey))
	if t == nil {
		return 0, &fiatdashboard.Error{Code: fiatdashboard.ENOTFOUND, Field: "mnemonic",
			Message: "no twin for this account — create one in the TF Dashboard first"}
	}
	return t.ID, nil
}
