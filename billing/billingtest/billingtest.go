// Package billingtest gives tests of every package what billing needs of a
// tenant before it takes orders: a grid wallet that can pay.
package billingtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"testing"

	"github.com/cosmos/go-bip39"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/exchangesim"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// NewMnemonic returns a fresh, valid 12-word recovery phrase.
func NewMnemonic(t testing.TB) string {
	t.Helper()
	entropy, err := bip39.NewEntropy(128)
	if err != nil {
		t.Fatal(err)
	}
	m, err := bip39.NewMnemonic(entropy)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type noSteps struct{}

func (noSteps) EnqueueTopupStep(context.Context, uuid.UUID, string) error { return nil }

// Treasury builds a treasury on the grid simulator and a new exchange
// simulator, with a master key of its own; top-up steps are not run.
func Treasury(t testing.TB, db *sqlx.DB, authz tenant.Authorizer, sim *gridsim.Sim, opts treasury.Options) (*treasury.Treasury, *exchangesim.Sim) {
	t.Helper()
	keys, err := rbac.ParseKeyring("bt:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	ex := exchangesim.New(exchangesim.Config{})
	vault, err := exchangesim.New(exchangesim.Config{}).Account(exchangesim.NewSeed())
	if err != nil {
		t.Fatal(err)
	}
	return treasury.NewTreasury(db, authz, keys, ex, sim, vault, noSteps{}, slog.New(slog.NewTextHandler(io.Discard, nil)), opts), ex
}

// FundWallet gives a tenant a grid wallet that can pay for its orders: a
// KYC-verified twin (of a fresh recovery phrase) holding balance on the
// simulator, and a Stellar account with 100 USDC, saved through tr as the
// system. It returns the twin and its phrase.
func FundWallet(t testing.TB, tr *treasury.Treasury, sim *gridsim.Sim, ex *exchangesim.Sim, tenantID uuid.UUID, balance grid.TFTUnits) (uint32, string) {
	t.Helper()
	mnemonic := NewMnemonic(t)
	twin, err := sim.CreateTwinForMnemonic(mnemonic, balance, true)
	if err != nil {
		t.Fatal(err)
	}
	seed := exchangesim.NewSeed()
	account, err := ex.Account(seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := ex.Fund(account, 100*exchange.One); err != nil {
		t.Fatal(err)
	}
	ctx := tenant.WithActor(tenant.WithID(context.Background(), tenantID), tenant.System("test: fund the wallet"))
	if err := tr.SaveWallet(ctx, treasury.WalletInput{Mnemonic: mnemonic, StellarSecret: seed}); err != nil {
		t.Fatalf("save the wallet: %v", err)
	}
	return twin, mnemonic
}
