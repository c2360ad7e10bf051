package deploy

import (
	"context"
	"math/big"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// EarningLine is what the chain billed on one node, for one tenant, in one
// month, and what it distributed to the node's farmer: Kind "usage" is the
// contracts' cost (the farmer gets FarmerSharePct of it); Kind
// "extra_fee" is the dedicated node's extra fee on rents, which the chain
// pays to the farmer in full (billing.rs distribute_extra_cultivation_rewards),
// on its own line. The platform reports it; the chain pays it.
type EarningLine struct {
	Month    string        `json:"month"` // 2026-03
	NodeID   uint32        `json:"node_id"`
	Tenant   string        `json:"tenant"`
	Kind     string        `json:"kind"` // usage | extra_fee
	Billed   grid.TFTUnits `json:"-"`
	Earned   grid.TFTUnits `json:"-"`
	BilledTF string        `json:"billed_tft"`
	EarnedTF string        `json:"earned_tft"`
	USD      string        `json:"earned_usd"` // at the TFT price used
}

// Earnings returns the actor's earnings by month, node and tenant within
// [from, to) (operator/earnings read), from the bills the grid:bills job
// stored (SyncBills): no grid call. tftPriceUSD converts to USD (the price
// of the time when a price feed exists; the reference price now).
func (s *Service) Earnings(ctx context.Context, from, to time.Time, tftPriceUSD *big.Rat) ([]EarningLine, error) {
	if err := s.authz.Require(ctx, "operator/earnings", "read"); err != nil {
		return nil, err
	}
	if !to.After(from) {
		return nil, fiatdashboard.Invalid("to", "the period ends before it starts")
	}
	var rows []struct {
		Month  string `db:"month"`
		NodeID int64  `db:"node_id"`
		Tenant string `db:"name"`
		Billed int64  `db:"billed"`
		Earned int64  `db:"earned"`
		Extra  int64  `db:"extra"`
	}
	err := tenant.SystemTx(ctx, s.db, "node operator: earnings", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT to_char(b.billed_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, b.node_id, t.name,
				sum(b.amount - b.extra_fee)::bigint AS billed, sum(b.farmer_share - b.extra_fee)::bigint AS earned, sum(b.extra_fee)::bigint AS extra
			FROM grid_bills b JOIN operator_nodes n ON n.node_id = b.node_id JOIN tenants t ON t.id = b.tenant_id
			WHERE n.account_id = $1 AND b.billed_at >= $2 AND b.billed_at < $3
			GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, operator(ctx), from, to)
	})
	if err != nil {
		return nil, err
	}
	out := []EarningLine{}
	line := func(month string, node uint32, tenantName, kind string, billed, earned grid.TFTUnits) EarningLine {
		usd := new(big.Rat).Mul(new(big.Rat).SetFrac64(int64(earned), 10_000_000), tftPriceUSD)
		return EarningLine{Month: month, NodeID: node, Tenant: tenantName, Kind: kind, Billed: billed, Earned: earned,
			BilledTF: billed.String(), EarnedTF: earned.String(), USD: usd.FloatString(2)}
	}
	for _, r := range rows {
		out = append(out, line(r.Month, uint32(r.NodeID), r.Tenant, "usage", grid.TFTUnits(r.Billed), grid.TFTUnits(r.Earned)))
		if r.Extra > 0 {
			out = append(out, line(r.Month, uint32(r.NodeID), r.Tenant, "extra_fee", grid.TFTUnits(r.Extra), grid.TFTUnits(r.Extra)))
		}
	}
	return out, nil
}

// RecordContracts remembers contracts the platform created for a tenant's
// project on the grid (the deploy task calls it; earnings and reconcile read it).
func (s *Service) RecordContracts(ctx context.Context, project string, contracts []grid.Contract) error {
	tid, _ := tenant.IDFromContext(ctx)
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		for _, c := range contracts {
			kind := c.Kind
			if kind == "" {
				kind = grid.NodeContract
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO grid_contracts (contract_id, tenant_id, node_id, project, created_at, kind) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (contract_id) DO NOTHING`, c.ID, tid, c.NodeID, project, s.now(), string(kind)); err != nil {
				return err
			}
		}
		return nil
	})
}
