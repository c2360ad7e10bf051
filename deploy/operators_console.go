package deploy

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// ConsoleOperator is a node operator as the console's Node operators page
// shows it: its twin, its nodes, the dashboards it supplies and what its
// nodes earned this month from the platform's contracts.
type ConsoleOperator struct {
	ID           uuid.UUID  `json:"id"`
	Email        string     `json:"email"`
	CreatedAt    time.Time  `json:"created_at"`
	DisabledAt   *time.Time `json:"disabled_at"`
	TwinID       *uint32    `json:"twin_id"`
	TwinLinked   *time.Time `json:"twin_linked_at"`
	Nodes        int        `json:"nodes"`
	NodesOnline  int        `json:"nodes_online"`
	NodesExposed int        `json:"nodes_exposed"`
	Approved     int        `json:"dashboards_approved"`
	Pending      int        `json:"dashboards_pending"`
	// EarnedMonth is the farmer share (TFT units) of this month's bills of
	// the platform's contracts on the operator's nodes; nil when the grid
	// could not be asked (EarnedMonthTFT is then empty too).
	EarnedMonth    *grid.TFTUnits `json:"earned_month_units"`
	EarnedMonthTFT string         `json:"earned_month_tft"`
	Month          string         `json:"month"` // 2026-03
}

// NodeOperators lists the platform's node-operator accounts by e-mail,
// after the cursor (an e-mail; "" for the first page), those whose e-mail
// starts with q when it is set (console/operators read). One query reads the
// page with its counts; node status comes from the catalog (memory) and the
// month's earnings from one bill-report call for the whole page.
func (s *Service) NodeOperators(ctx context.Context, q, after string, limit int) ([]ConsoleOperator, error) {
	if err := s.authz.Require(ctx, "console/operators", "read"); err != nil {
		return nil, err
	}
	pattern, err := tenant.EmailPrefix(q)
	if err != nil {
		return nil, err
	}
	// "This month" is the platform's month (its clock), never the grid
	// adapter's: the simulator's clock starts in January 2025 and would name
	// that month on a December 2026 page.
	now := s.now().UTC()
	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	var rows []struct {
		ID         uuid.UUID     `db:"id"`
		Email      string        `db:"email"`
		CreatedAt  time.Time     `db:"created_at"`
		DisabledAt *time.Time    `db:"disabled_at"`
		TwinID     *int64        `db:"twin_id"`
		LinkedAt   *time.Time    `db:"linked_at"`
		NodeIDs    pq.Int64Array `db:"node_ids"`
		Approved   int           `db:"approved"`
		Pending    int           `db:"pending"`
		Exposed    int           `db:"exposed"`
		Contracts  pq.Int64Array `db:"contracts"`
	}
	err = tenant.SystemTx(ctx, s.db, "console: node operators", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `
			WITH page AS (
				SELECT a.id, a.email, a.created_at, a.disabled_at FROM account_directory a
				WHERE a.tenant_id IS NULL
				  AND EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = a.id::text AND r.role = 'node_operator' AND r.domain = 'platform')
				  AND a.email > $1 AND ($2 = '' OR a.email LIKE $2)
				ORDER BY a.email LIMIT $3
			)
			SELECT p.id, p.email, p.created_at, p.disabled_at, t.twin_id, t.linked_at,
				coalesce(n.ids, '{}') AS node_ids, coalesce(rq.approved, 0) AS approved, coalesce(rq.pending, 0) AS pending,
				coalesce(ex.n, 0) AS exposed, coalesce(c.ids, '{}') AS contracts
			FROM page p
			LEFT JOIN operator_twins t ON t.account_id = p.id
			LEFT JOIN LATERAL (SELECT array_agg(node_id ORDER BY node_id) AS ids FROM operator_nodes WHERE account_id = p.id) n ON true
			LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE status = 'approved') AS approved, count(*) FILTER (WHERE status = 'pending') AS pending
				FROM node_operator_requests WHERE account_id = p.id) rq ON true
			LEFT JOIN LATERAL (SELECT count(DISTINCT node_id) AS n FROM pool_nodes WHERE contributed_by = p.id AND exposed) ex ON true
			LEFT JOIN LATERAL (SELECT array_agg(gc.contract_id) AS ids FROM grid_contracts gc
				JOIN operator_nodes o ON o.node_id = gc.node_id
				WHERE o.account_id = p.id AND (gc.canceled_at IS NULL OR gc.canceled_at >= $4)) c ON true
			ORDER BY p.email`, after, pattern, limit, monthStart)
	})
	if err != nil {
		return nil, err
	}
	out := make([]ConsoleOperator, len(rows))
	ownerOf := map[uint64]int{}
	var contracts []uint64
	for i, r := range rows {
		o := ConsoleOperator{ID: r.ID, Email: r.Email, CreatedAt: r.CreatedAt, DisabledAt: r.DisabledAt, TwinLinked: r.LinkedAt,
			Nodes: len(r.NodeIDs), NodesExposed: r.Exposed, Approved: r.Approved, Pending: r.Pending, Month: monthStart.Format("2006-01")}
		if r.TwinID != nil {
			tw := uint32(*r.TwinID)
			o.TwinID = &tw
		}
		for _, id := range r.NodeIDs {
			if n, err := s.catalog.Node(ctx, uint32(id)); err == nil && n.Status == grid.NodeUp {
				o.NodesOnline++
			}
		}
		for _, c := range r.Contracts {
			ownerOf[uint64(c)] = i
			contracts = append(contracts, uint64(c))
		}
		out[i] = o
	}
	earned := make([]grid.TFTUnits, len(out))
	known := true
	if len(contracts) > 0 {
		// From the bills the grid:bills job stored: no grid call here.
		var sums []struct {
			ID     int64 `db:"contract_id"`
			Earned int64 `db:"earned"`
		}
		ids := make([]int64, len(contracts))
		for i, c := range contracts {
			ids[i] = int64(c)
		}
		if err := tenant.SystemTx(ctx, s.db, "console: node operators' earnings", func(tx *tenant.Tx) error {
			return tx.SelectContext(ctx, &sums, `SELECT contract_id, sum(farmer_share)::bigint AS earned FROM grid_bills
				WHERE contract_id = ANY($1) AND billed_at >= $2 AND billed_at < $3 GROUP BY contract_id`,
				pq.Int64Array(ids), monthStart, monthStart.AddDate(0, 1, 0))
		}); err != nil {
			// The page still answers; only the earnings column is unknown.
			s.log.Warn("node operators: stored bills", "err", err)
			known = false
		}
		for _, r := range sums {
			if i, ok := ownerOf[uint64(r.ID)]; ok {
				earned[i] += grid.TFTUnits(r.Earned)
			}
		}
	}
	if known {
		for i := range out {
			e := earned[i]
			out[i].EarnedMonth, out[i].EarnedMonthTFT = &e, e.String()
		}
	}
	return out, nil
}

// gridNow is the grid's clock when the adapter has one (the simulator's
// moves as tests advance it): the window of bills to ask the grid for;
// otherwise the wall clock, which is the chain's. Pages that name a month
// use s.now, the platform's clock.
func (s *Service) gridNow() time.Time {
	if c, ok := s.grid.(interface{ Now() time.Time }); ok {
		return c.Now().UTC()
	}
	return s.now().UTC()
}
