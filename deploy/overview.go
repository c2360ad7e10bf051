package deploy

import (
	"context"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Activity is the tenant admin's overview of deployments and capacity:
// how many deployments are in each state, and which pool nodes are down
// with how many running deployments on them.
type Activity struct {
	// ByStatus counts deployments per lifecycle state (terminated ones
	// excluded).
	ByStatus map[string]int `json:"by_status"`
	// PoolNodes counts the pool's nodes; NodesDown lists those the catalog
	// does not see up (down, standby or unknown), by id.
	PoolNodes int      `json:"pool_nodes"`
	NodesDown []uint32 `json:"nodes_down"`
	// OnDownNodes counts running deployments whose primary node is down
	// (the health job is failing them over or re-provisioning them).
	OnDownNodes int `json:"running_on_down_nodes"`
}

// Activity returns the overview (admin/deployments read): one transaction
// for the counts, node states from the catalog cache.
func (s *Service) Activity(ctx context.Context) (*Activity, error) {
	if err := s.authz.Require(ctx, "admin/deployments", "read"); err != nil {
		return nil, err
	}
	var counts []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	var pool, running []uint32
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.SelectContext(ctx, &counts, `SELECT status, count(*) AS n FROM deployments WHERE status <> 'terminated' GROUP BY status`); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &pool, `SELECT node_id FROM pool_nodes ORDER BY node_id LIMIT 5000`); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &running, `SELECT node_id FROM deployments WHERE status = 'running' AND node_id IS NOT NULL`)
	})
	if err != nil {
		return nil, err
	}
	out := &Activity{ByStatus: map[string]int{}, PoolNodes: len(pool), NodesDown: []uint32{}}
	for _, c := range counts {
		out.ByStatus[c.Status] = c.N
	}
	down := map[uint32]bool{}
	isDown := func(id uint32) bool {
		d, seen := down[id]
		if !seen {
			n, err := s.catalog.Node(ctx, id)
			d = err != nil || n.Status != grid.NodeUp
			down[id] = d
		}
		return d
	}
	for _, id := range pool {
		if isDown(id) {
			out.NodesDown = append(out.NodesDown, id)
		}
	}
	for _, id := range running {
		if isDown(id) {
			out.OnDownNodes++
		}
	}
	return out, nil
}

// LiveDeployments counts tenants' live deployments (provisioning, running,
// suspended); a tenant without one is missing from the map
// (tenant.DeploymentCounter, for the console's tenant list).
func (s *Service) LiveDeployments(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	var rows []struct {
		TenantID uuid.UUID `db:"tenant_id"`
		N        int       `db:"n"`
	}
	err := tenant.SystemTx(ctx, s.db, "console: tenants' deployments", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT tenant_id, count(*) AS n FROM deployments
			WHERE tenant_id = ANY($1) AND status IN ('provisioning', 'running', 'suspended') GROUP BY tenant_id`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.TenantID] = r.N
	}
	return out, nil
}
