package billing

import (
	"context"
	"math/big"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// errWalletCannotPay refuses an order the storefront's grid wallet cannot
// pay for; the customer is not charged.
func errWalletCannotPay() error {
	return &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "wallet",
		Message: "this storefront cannot take new orders right now: its grid wallet cannot pay for the deployment"}
}

// walletCanPay refuses a new order (ECONFLICT on field "wallet") when the
// tenant has no grid wallet, or its TFT balance does not cover the
// machine's first month on the grid at the staking discount that balance
// earns. It costs one balance read and one grid quote; tx is the
// checkout's transaction, so the refusal stores nothing.
func (s *Service) walletCanPay(ctx context.Context, tx *tenant.Tx, spec Spec) error {
	var twin uint32
	err := tx.GetContext(ctx, &twin, `SELECT twin_id FROM tenant_wallets`)
	if tenant.IsNoRows(err) {
		s.log.Warn("order refused: the storefront has no grid wallet", "tenant", tx.TenantID())
		return errWalletCannotPay()
	}
	if err != nil {
		return err
	}
	ipv4 := uint32(0)
	if spec.IPv4 {
		ipv4 = 1
	}
	w := grid.Workload{CRU: spec.CPU, MRU: spec.RAMGB * gib, SRU: spec.DiskGB * gib, PublicIPv4: ipv4}
	if spec.Plan != nil {
		w = spec.Plan.Workload() // every VM, disk and address of the app
	}
	q, err := s.grid.Quote(ctx, w)
	if err != nil {
		return err
	}
	balance, err := s.grid.TwinBalance(ctx, twin)
	if fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND {
		return errWalletCannotPay()
	}
	if err != nil {
		return err
	}
	// The chain evaluates the staking discount against the whole balance.
	pct := grid.StakingDiscount(balance, q.ListTFTMonth).Pct()
	month := grid.TFTUnits(ceilDiv(big.NewInt(int64(q.ListTFTMonth)*(100-pct)), big.NewInt(100)).Int64())
	if balance < month {
		s.log.Warn("order refused: the grid wallet cannot pay for it", "tenant", tx.TenantID(), "twin", twin,
			"balance_tft", balance.String(), "first_month_tft", month.String())
		return errWalletCannotPay()
	}
	return nil
}
