package gridsim_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
)

const (
	phraseA = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	phraseB = "legal winner thank year wave sausage worth useful legal winner thank yellow"
)

// TestTwinOfMnemonic: a twin created for a recovery phrase is found from the
// phrase (however it is spaced or capitalised), in any simulator with the
// same phrase; a phrase without a twin is ENOTFOUND on the mnemonic field, a
// bad phrase EINVALID; an account gets one twin.
func TestTwinOfMnemonic(t *testing.T) {
	ctx := context.Background()
	s := gridsim.New(gridsim.Config{Seed: 5, Nodes: 20, Farms: 4})
	id, err := s.CreateTwinForMnemonic(phraseA, 250*grid.UnitsPerTFT, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.TwinOfMnemonic(ctx, "  ABANDON abandon abandon abandon abandon abandon\nabandon abandon abandon abandon abandon about "); err != nil || got != id {
		t.Errorf("twin of the phrase = %d, %v; want %d", got, err, id)
	}
	if bal, _ := s.TwinBalance(ctx, id); bal != 250*grid.UnitsPerTFT {
		t.Errorf("balance = %s, want 250", bal)
	}
	if _, err := s.CreateTwinForMnemonic(phraseA, 0, true); fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		t.Errorf("second twin for one account = %v, want ECONFLICT", err)
	}
	_, err = s.TwinOfMnemonic(ctx, phraseB)
	var e *fiatdashboard.Error
	if !errors.As(err, &e) || e.Code != fiatdashboard.ENOTFOUND || e.Field != "mnemonic" || !strings.Contains(e.Message, "TF Dashboard") {
		t.Errorf("phrase without a twin = %v", err)
	}
	for _, bad := range []string{"not a phrase", strings.Repeat("abandon ", 12)} {
		if _, err := s.TwinOfMnemonic(ctx, bad); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID || strings.Contains(err.Error(), "abandon") {
			t.Errorf("bad phrase = %v, want EINVALID without the phrase", err)
		}
	}
	// The account key is the phrase's: another simulator derives the same one.
	other := gridsim.New(gridsim.Config{Seed: 9, Nodes: 20, Farms: 4})
	id2, _ := other.CreateTwinForMnemonic(phraseA, 0, false)
	k1, _ := s.TwinPublicKey(id)
	k2, _ := other.TwinPublicKey(id2)
	if !k1.Equal(k2) {
		t.Error("the same phrase gave two account keys")
	}
}
