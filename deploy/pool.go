package deploy

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// PoolNode is a node in a tenant's pool, with what the catalog knows of it.
type PoolNode struct {
	grid.Node
	Source           string    `json:"source"` // tenant or operator
	ContributedBy    string    `json:"contributed_by,omitempty"`
	Exposed          bool      `json:"exposed"`
	CustomerPickable bool      `json:"customer_pickable"`
	AddedAt          time.Time `json:"added_at"`
	// Approved: the tenant's own node, or its operator's approval stands
	// (a revoked approval withdraws the node from new deployments).
	Approved bool `json:"approved"`
}

// PoolSummary is the pool's capacity at a glance.
type PoolSummary struct {
	Nodes    int            `json:"nodes"`
	Eligible int            `json:"eligible"` // exposed, approved and up
	Up       int            `json:"up"`
	Total    grid.Resources `json:"total"`
	Free     grid.Resources `json:"free"`
}

type poolRow struct {
	NodeID           uint32    `db:"node_id"`
	Source           string    `db:"source"`
	ContributedBy    *string   `db:"email"`
	ContributorID    *string   `db:"contributed_by"`
	Exposed          bool      `db:"exposed"`
	CustomerPickable bool      `db:"customer_pickable"`
	AddedAt          time.Time `db:"added_at"`
	Approved         bool      `db:"approved"`
}

func (s *Service) poolRows(ctx context.Context) ([]poolRow, error) {
	var rows []poolRow
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		// approved: the same rule as EligibleNodes.
		return tx.SelectContext(ctx, &rows, `SELECT node_id, source, NULL::text AS email, contributed_by::text AS contributed_by, exposed, customer_pickable, added_at,
			(p.source = 'tenant' OR EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = p.contributed_by::text
				AND r.role = 'node_operator' AND r.domain = p.tenant_id::text)) AS approved
			FROM pool_nodes p ORDER BY node_id LIMIT 5000`)
	})
	if err != nil || len(rows) == 0 {
		return rows, err
	}
	// Contributors are platform accounts, outside the tenant's row scope:
	// one lookup in the platform realm's scope (no tenant's row visible).
	var ids []string
	for _, r := range rows {
		if r.ContributorID != nil {
			ids = append(ids, *r.ContributorID)
		}
	}
	if len(ids) == 0 {
		return rows, nil
	}
	var accounts []struct {
		ID    string `db:"id"`
		Email string `db:"email"`
	}
	err = tenant.PlatformTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &accounts, `SELECT id::text AS id, email FROM account_directory WHERE tenant_id IS NULL AND id = ANY($1::uuid[])`, pq.StringArray(ids))
	})
	emailOf := make(map[string]string, len(accounts))
	for _, a := range accounts {
		emailOf[a.ID] = a.Email
	}
	for i := range rows {
		if rows[i].ContributorID == nil {
			continue
		}
		if e, ok := emailOf[*rows[i].ContributorID]; ok {
			rows[i].ContributedBy = &e
		}
	}
	return rows, err
}

// Pool lists the tenant's pool with catalog data and a capacity summary
// (admin/pool read).
func (s *Service) Pool(ctx context.Context) ([]PoolNode, PoolSummary, error) {
	if err := s.authz.Require(ctx, "admin/pool", "read"); err != nil {
		return nil, PoolSummary{}, err
	}
	rows, err := s.poolRows(ctx)
	if err != nil {
		return nil, PoolSummary{}, err
	}
	var sum PoolSummary
	out := make([]PoolNode, 0, len(rows))
	for _, r := range rows {
		n, err := s.catalog.Node(ctx, r.NodeID)
		if err != nil {
			n = grid.Node{ID: r.NodeID, Status: grid.NodeDown}
		}
		p := PoolNode{Node: n, Source: r.Source, Exposed: r.Exposed, CustomerPickable: r.CustomerPickable, AddedAt: r.AddedAt, Approved: r.Approved}
		if r.ContributedBy != nil {
			p.ContributedBy = *r.ContributedBy
		}
		sum.Nodes++
		if n.Status == grid.NodeUp {
			sum.Up++
			sum.Total = sum.Total.Add(n.Total)
			sum.Free = sum.Free.Add(n.Free())
			if r.Exposed && r.Approved {
				sum.Eligible++
			}
		}
		out = append(out, p)
	}
	return out, sum, nil
}

// CatalogPage is a page of the grid's node catalog, marking pool members.
type CatalogPage struct {
	Nodes []CatalogNode `json:"items"`
	Total int           `json:"total"`
}

// CatalogNode is a catalog node and whether the pool has it.
type CatalogNode struct {
	grid.Node
	InPool bool `json:"in_pool"`
}

// Catalog pages through the grid's nodes (from the cache) with filters, for
// the pool page (admin/pool read).
func (s *Service) Catalog(ctx context.Context, f grid.NodeFilter) (*CatalogPage, error) {
	if err := s.authz.Require(ctx, "admin/pool", "read"); err != nil {
		return nil, err
	}
	page, err := s.catalog.ListNodes(ctx, f)
	if err != nil {
		return nil, err
	}
	var ids []uint32
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &ids, `SELECT node_id FROM pool_nodes`)
	})
	if err != nil {
		return nil, err
	}
	out := &CatalogPage{Total: page.Total, Nodes: make([]CatalogNode, 0, len(page.Nodes))}
	for _, n := range page.Nodes {
		if n.GPUs == nil {
			n.GPUs = []grid.GPU{} // a list is [] when empty, never null
		}
		out.Nodes = append(out.Nodes, CatalogNode{Node: n, InPool: slices.Contains(ids, n.ID)})
	}
	return out, nil
}

// AddToPool adds catalog nodes to the tenant's pool (admin/pool write).
// EINVALID names the first node the grid does not know.
func (s *Service) AddToPool(ctx context.Context, nodeIDs []uint32) error {
	if err := s.authz.Require(ctx, "admin/pool", "write"); err != nil {
		return err
	}
	if len(nodeIDs) == 0 || len(nodeIDs) > 500 {
		return fiatdashboard.Invalid("node_ids", "add 1 to 500 nodes at a time")
	}
	for _, id := range nodeIDs {
		if _, err := s.catalog.Node(ctx, id); err != nil {
			return fiatdashboard.Invalid("node_ids", "node %d is not in the grid's catalog", id)
		}
	}
	tid, _ := tenant.IDFromContext(ctx)
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		for _, id := range nodeIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO pool_nodes (tenant_id, node_id, source) VALUES ($1, $2, 'tenant') ON CONFLICT DO NOTHING`, tid, id); err != nil {
				return err
			}
		}
		return tenant.Audit(ctx, tx, tid, "pool.nodes_added", fmt.Sprint(nodeIDs), nil)
	})
}

// RemoveFromPool removes a node from the pool; running deployments on it go
// on (admin/pool write).
func (s *Service) RemoveFromPool(ctx context.Context, nodeID uint32) error {
	if err := s.authz.Require(ctx, "admin/pool", "write"); err != nil {
		return err
	}
	tid, _ := tenant.IDFromContext(ctx)
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM pool_nodes WHERE node_id = $1`, nodeID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "node %d is not in the pool", nodeID)
		}
		return tenant.Audit(ctx, tx, tid, "pool.node_removed", fmt.Sprint(nodeID), nil)
	})
}

// SetPickable says whether customers may pick the node in advanced mode
// (admin/pool write).
func (s *Service) SetPickable(ctx context.Context, nodeID uint32, pickable bool) error {
	if err := s.authz.Require(ctx, "admin/pool", "write"); err != nil {
		return err
	}
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE pool_nodes SET customer_pickable = $2 WHERE node_id = $1`, nodeID, pickable)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "node %d is not in the pool", nodeID)
		}
		return nil
	})
}

// EligibleNodes are the pool nodes a new deployment may use: exposed, up,
// with room for need; for a customer's own pick (advanced mode) only the
// nodes customers may pick. Public: a storefront shows them.
func (s *Service) EligibleNodes(ctx context.Context, need grid.Resources, customerPick bool) ([]grid.Node, error) {
	ids, err := s.poolNodeIDs(ctx, customerPick)
	if err != nil || len(ids) == 0 {
		return []grid.Node{}, err
	}
	page, err := s.catalog.ListNodes(ctx, grid.NodeFilter{NodeIDs: ids, Status: []grid.NodeStatus{grid.NodeUp}, MinFree: need, Page: grid.Page{Size: grid.MaxPageSize}})
	if err != nil {
		return nil, err
	}
	return page.Nodes, nil
}

// poolNodeIDs lists the tenant's usable pool nodes (customerPick: those
// customers may pick).
func (s *Service) poolNodeIDs(ctx context.Context, customerPick bool) ([]uint32, error) {
	var ids []uint32
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		// An operator's node counts only while the tenant's approval stands
		// (the node_operator role in the tenant's domain): revoking it
		// withdraws every node the operator exposed there.
		return tx.SelectContext(ctx, &ids, `SELECT p.node_id FROM pool_nodes p WHERE p.exposed AND ($1 = false OR p.customer_pickable)
			AND (p.source = 'tenant' OR EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = p.contributed_by::text
				AND r.role = 'node_operator' AND r.domain = p.tenant_id::text))
			ORDER BY p.node_id`, customerPick)
	})
	return ids, err
}
