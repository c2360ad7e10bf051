package deploy

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// billChunk is how many contracts one bill query names.
const billChunk = 200

// billIndexerMargin is how far back each run looks again for bills the
// indexer listed late.
const billIndexerMargin = time.Hour

// SyncBills fetches the chain's bills of the platform's contracts for the
// window since the last run up to now (the grid's clock), page by page,
// and stores them (the grid:bills job). A contract is asked for while it
// lives and for a day after its cancel (its last bills). Bills already
// stored are skipped, so a repeated or overlapping run changes nothing.
// It returns how many bills it stored. Pages read grid_bills; none asks
// the grid while it renders.
func (s *Service) SyncBills(ctx context.Context) (int, error) {
	// Bills up to now included; a window reaches an hour back past the
	// last run, since the grid proxy indexes a bill some time after the
	// chain wrote it (what is stored already is skipped).
	to := s.gridNow().Add(time.Nanosecond)
	var from time.Time
	var contracts []struct {
		ID     int64     `db:"contract_id"`
		Tenant uuid.UUID `db:"tenant_id"`
	}
	err := tenant.SystemTx(ctx, s.db, "grid:bills: contracts", func(tx *tenant.Tx) error {
		var synced []time.Time
		if err := tx.SelectContext(ctx, &synced, `SELECT synced_to FROM grid_bill_sync`); err != nil {
			return err
		}
		if len(synced) == 1 {
			from = synced[0].Add(-billIndexerMargin)
		}
		return tx.SelectContext(ctx, &contracts, `SELECT contract_id, tenant_id FROM grid_contracts
			WHERE canceled_at IS NULL OR canceled_at >= $1 ORDER BY contract_id`, from.Add(-24*time.Hour))
	})
	if err != nil || len(contracts) == 0 {
		return 0, err
	}
	if !to.After(from) {
		return 0, nil
	}
	tenantOf := make(map[uint64]uuid.UUID, len(contracts))
	stored := 0
	for i := 0; i < len(contracts); i += billChunk {
		var ids []uint64
		for _, c := range contracts[i:min(i+billChunk, len(contracts))] {
			ids = append(ids, uint64(c.ID))
			tenantOf[uint64(c.ID)] = c.Tenant
		}
		q := grid.BillQuery{ContractIDs: ids, From: from, To: to, Limit: grid.MaxBillPage}
		for {
			page, err := s.grid.BillReports(ctx, q)
			if err != nil {
				return stored, err
			}
			n, err := s.storeBills(ctx, page, tenantOf)
			stored += n
			if err != nil {
				return stored, err
			}
			if len(page) < q.PageLimit() {
				break
			}
			last := page[len(page)-1]
			q.AfterAt, q.AfterContract = last.At, last.ContractID
		}
	}
	err = tenant.SystemTx(ctx, s.db, "grid:bills: cursor", func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO grid_bill_sync (id, synced_to) VALUES (true, $1)
			ON CONFLICT (id) DO UPDATE SET synced_to = greatest(grid_bill_sync.synced_to, excluded.synced_to)`, to)
		return err
	})
	return stored, err
}

// storeBills writes one page of bills in one statement.
func (s *Service) storeBills(ctx context.Context, page []grid.BillReport, tenantOf map[uint64]uuid.UUID) (int, error) {
	if len(page) == 0 {
		return 0, nil
	}
	var (
		tenants          []string
		contracts, nodes []int64
		farms, amounts   []int64
		extras, shares   []int64
		times            []string
		discounts        []string
	)
	for _, b := range page {
		t, ok := tenantOf[b.ContractID]
		if !ok {
			continue
		}
		tenants = append(tenants, t.String())
		contracts = append(contracts, int64(b.ContractID))
		times = append(times, b.At.UTC().Format(time.RFC3339Nano))
		nodes = append(nodes, int64(b.NodeID))
		farms = append(farms, int64(b.FarmID))
		amounts = append(amounts, int64(b.Amount))
		extras = append(extras, int64(b.ExtraFee))
		shares = append(shares, int64(b.FarmerShare))
		discounts = append(discounts, string(b.Discount))
	}
	var n int64
	err := tenant.SystemTx(ctx, s.db, "grid:bills: store", func(tx *tenant.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO grid_bills (tenant_id, contract_id, billed_at, node_id, farm_id, amount, extra_fee, farmer_share, discount)
			SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[])
			ON CONFLICT (contract_id, billed_at) DO NOTHING`,
			pqArray(tenants), pq.Int64Array(contracts), pqArray(times), pq.Int64Array(nodes), pq.Int64Array(farms), pq.Int64Array(amounts), pq.Int64Array(extras), pq.Int64Array(shares), pqArray(discounts))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
