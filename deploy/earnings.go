package deploy

import (
	"context"
	"math/big"
	"sort"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// EarningLine is what a node operator earned on one node, for one tenant,
// in one month: the chain's farmer share (50 %) of the bills of contracts
// this platform deployed there. The platform reports it; the chain pays it.
type EarningLine struct {
	Month    string        `json:"month"` // 2026-03
	NodeID   uint32        `json:"node_id"`
	Tenant   string        `json:"tenant"`
	Billed   grid.TFTUnits `json:"-"`
	Earned   grid.TFTUnits `json:"-"`
	BilledTF string        `json:"billed_tft"`
	EarnedTF string        `json:"earned_tft"`
	USD      string        `json:"earned_usd"` // at the TFT price used
}

// Earnings returns the actor's earnings by month, node and tenant within
// [from, to) (operator/earnings read). tftPriceUSD converts to USD (the
// price of the time when a price feed exists; the reference price now).
func (s *Service) Earnings(ctx context.Context, from, to time.Time, tftPriceUSD *big.Rat) ([]EarningLine, error) {
	if err := s.authz.Require(ctx, "operator/earnings", "read"); err != nil {
		return nil, err
	}
	if !to.After(from) {
		return nil, fiatdashboard.Invalid("to", "the period ends before it starts")
	}
	var contracts []struct {
		ID     uint64 `db:"contract_id"`
		NodeID uint32 `db:"node_id"`
		Tenant string `db:"name"`
	}
	// Every contract ever made on the operator's nodes; the bill window
	// (on the grid's clock) selects the period.
	err := tenant.SystemTx(ctx, s.db, "node operator: earnings", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &contracts, `SELECT c.contract_id, c.node_id, t.name FROM grid_contracts c
			JOIN operator_nodes n ON n.node_id = c.node_id JOIN tenants t ON t.id = c.tenant_id
			WHERE n.account_id = $1`, operator(ctx))
	})
	if err != nil || len(contracts) == 0 {
		return []EarningLine{}, err
	}
	tenantOf := map[uint64]string{}
	var ids []uint64
	for _, c := range contracts {
		tenantOf[c.ID] = c.Tenant
		ids = append(ids, c.ID)
	}
	reports, err := s.grid.BillReports(ctx, grid.BillQuery{ContractIDs: ids, From: from, To: to})
	if err != nil {
		return nil, err
	}
	type key struct {
		month  string
		node   uint32
		tenant string
	}
	sums := map[key]*EarningLine{}
	for _, r := range reports {
		k := key{r.At.UTC().Format("2006-01"), r.NodeID, tenantOf[r.ContractID]}
		l := sums[k]
		if l == nil {
			l = &EarningLine{Month: k.month, NodeID: k.node, Tenant: k.tenant}
			sums[k] = l
		}
		l.Billed += r.Amount
		l.Earned += r.FarmerShare
	}
	out := make([]EarningLine, 0, len(sums))
	for _, l := range sums {
		l.BilledTF, l.EarnedTF = l.Billed.String(), l.Earned.String()
		usd := new(big.Rat).Mul(new(big.Rat).SetFrac64(int64(l.Earned), 10_000_000), tftPriceUSD)
		l.USD = usd.FloatString(2)
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Month != out[j].Month {
			return out[i].Month < out[j].Month
		}
		if out[i].NodeID != out[j].NodeID {
			return out[i].NodeID < out[j].NodeID
		}
		return out[i].Tenant < out[j].Tenant
	})
	return out, nil
}

// RecordContracts remembers contracts the platform created for a tenant's
// project on the grid (the deploy task calls it; earnings and reconcile read it).
func (s *Service) RecordContracts(ctx context.Context, project string, contracts []grid.Contract) error {
	tid, _ := tenant.IDFromContext(ctx)
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		for _, c := range contracts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO grid_contracts (contract_id, tenant_id, node_id, project, created_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (contract_id) DO NOTHING`, c.ID, tid, c.NodeID, project, s.now()); err != nil {
				return err
			}
		}
		return nil
	})
}
