package deploy

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// placementLocks is the namespace of the per-node placement locks
// (pg_advisory_xact_lock(placementLocks, node)): choosing a node takes
// that node's lock only, so placements on different nodes run at once and
// two placements on one node count each other's reservation.
const placementLocks = 0x66645f70 // "fd_p"

// maxReplacements bounds how often one provisioning attempt moves a VM to
// the next best node after the grid refused it for capacity.
const maxReplacements = 3

// freshRoom returns the tenant's usable pool nodes (with capability c, and
// keep's approval) read from the grid now — not from the minute-old catalog —
// with each node's use raised by what in-flight deployments (other than
// except) have reserved on it and not yet deployed.
func (s *Service) freshRoom(ctx context.Context, c string, except uuid.UUID, keep func(grid.Node) bool) ([]grid.Node, error) {
	ids, nodes, err := s.freshNodes(ctx, c, keep)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	out, err := s.lessReserved(ctx, ids, nodes, except)
	if err != nil || c != CapGPU {
		return out, err
	}
	return wholeNodes(nodes, out), nil
}

// wholeNodeOnly reports a node whose use means renting it whole: a GPU
// node (kept for GPU orders) or a node of a dedicated farm.
func wholeNodeOnly(n grid.Node) bool { return len(n.GPUs) > 0 || n.Dedicated }

// wholeNodes keeps the nodes of reserved (nodes after lessReserved) that no
// in-flight order holds: a GPU order rents its node whole.
func wholeNodes(fresh, reserved []grid.Node) []grid.Node {
	out := reserved[:0:0]
	for i, n := range reserved {
		if n.Used == fresh[i].Used {
			out = append(out, n)
		}
	}
	return out
}

// freshNodes reads the tenant's usable pool nodes from the grid now.
func (s *Service) freshNodes(ctx context.Context, c string, keep func(grid.Node) bool) ([]uint32, []grid.Node, error) {
	ids, err := s.poolNodeIDs(ctx, false)
	if err != nil || len(ids) == 0 {
		return nil, nil, err
	}
	page, err := s.grid.ListNodes(ctx, grid.NodeFilter{NodeIDs: ids, Status: []grid.NodeStatus{grid.NodeUp}, Page: grid.Page{Size: grid.MaxPageSize}})
	if err != nil {
		return nil, nil, err
	}
	out := make([]grid.Node, 0, len(page.Nodes))
	for _, n := range page.Nodes {
		if (c != "" && !HasCapability(n, c)) || (keep != nil && !keep(n)) {
			continue
		}
		if c == CapGPU && !n.Rentable {
			// A GPU order rents its node whole (ZOS attaches a GPU only on
			// a rented node, and one VM holds it): a node someone rents
			// already, this wallet included, cannot take another.
			continue
		}
		out = append(out, n)
	}
	return ids, out, nil
}

// lessReserved raises each node's use by the reservations on it (read on
// the system pool: never a second connection of the caller's pool).
func (s *Service) lessReserved(ctx context.Context, ids []uint32, nodes []grid.Node, except uuid.UUID) ([]grid.Node, error) {
	reserved, err := s.reservations(ctx, ids, except)
	if err != nil {
		return nil, err
	}
	out := make([]grid.Node, len(nodes))
	for i, n := range nodes {
		n.Used = n.Used.Add(reserved.node[n.ID])
		out[i] = n
	}
	return out, nil
}

// reservations sums, per node, what deployments ordered but not yet on the
// grid hold there (every tenant's: nodes are shared): those awaiting
// payment (the node was reserved before the card was charged), paid or
// provisioning, whose contracts on that node are not recorded yet. A
// deployment whose contracts exist is counted by the grid itself. The
// primary VM's node also holds a public IPv4 at its farm when the order
// asks for one. except (uuid.Nil: none) is left out: the deployment being
// placed.
func (s *Service) reservations(ctx context.Context, nodes []uint32, except uuid.UUID) (*reservation, error) {
	var rows []struct {
		Node    uint32 `db:"node"`
		Primary bool   `db:"is_primary"`
		Spec    []byte `db:"spec"`
		Status  string `db:"status"`
	}
	err := tenant.SystemTx(ctx, s.db, "placement: reservations on shared nodes", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT n.node, n.is_primary, d.spec, d.status FROM deployments d
			CROSS JOIN LATERAL (VALUES (d.node_id, true), (d.standby_node_id, false)) AS n(node, is_primary)
			WHERE d.status IN ('awaiting_payment', 'paid', 'provisioning') AND d.id <> $2 AND n.node = ANY($1)
			  AND NOT EXISTS (SELECT 1 FROM grid_contracts c WHERE c.project = d.project AND c.canceled_at IS NULL AND c.node_id = n.node)`,
			pq.Array(nodes), except)
	})
	if err != nil {
		return nil, err
	}
	r := &reservation{node: map[uint32]grid.Resources{}, ipv4: map[uint32]uint32{}, inflight: map[uint32]int{}}
	for _, row := range rows {
		var spec billing.Spec
		if json.Unmarshal(row.Spec, &spec) != nil {
			continue
		}
		if row.Status == Provisioning {
			r.inflight[row.Node]++
		}
		r.node[row.Node] = r.node[row.Node].Add(needOf(spec))
		if row.Primary && spec.IPv4 {
			r.ipv4[row.Node]++
		}
	}
	return r, nil
}

// choose picks a node for column (node_id or standby_node_id) of deployment
// id from fresh capacity and reservations, and stores it; a node a
// concurrent attempt stored first wins. ECONFLICT when no eligible node has
// room.
//
// Only the chosen node is locked (placementLocks), not every placement:
// the candidates are ranked from the reservations read before any lock,
// then, holding the best node's lock, its reservations are read again and
// the node is taken only if the VM still fits there; otherwise the next
// best is tried. Every reservation of a node is stored by a holder of that
// node's lock, so no two placements overfill one node, and placements on
// different nodes never wait for each other.
func (s *Service) choose(ctx context.Context, id uuid.UUID, column string, need grid.Resources, c string, keep func(grid.Node) bool) (uint32, error) {
	// Everything that needs a connection of the application's pool is read
	// before the locked transaction takes one: a holder of a connection
	// never waits for another (the pool would run dry under load).
	ids, fresh, err := s.freshNodes(ctx, c, keep)
	if err != nil {
		return 0, err
	}
	perFarm, err := s.farmLoad(ctx, fresh)
	if err != nil {
		return 0, err
	}
	var nodes []grid.Node
	// A node may look full only because a deployment in flight there is
	// counted twice for a moment: by the grid, which has its VM, and by its
	// reservation, which ends when its contracts are recorded just after.
	// No room while deployments are in flight on the candidates is then a
	// reason to try again shortly (EUNAVAILABLE, retried), not to fail the
	// order for good.
	inflight := false
	// The primary VM of an order with a public IPv4 also needs a free
	// address at its node's farm, net of what orders in flight hold there.
	ipv4 := false
	if column == "node_id" {
		if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			return tx.GetContext(ctx, &ipv4, `SELECT coalesce((spec->>'ipv4')::boolean, false) FROM deployments WHERE id = $1`, id)
		}); err != nil && !tenant.IsNoRows(err) {
			return 0, err
		}
	}
	farmOf := map[uint32]uint32{}
	farmNodes := map[uint32][]uint32{}
	for _, n := range fresh {
		farmOf[n.ID] = n.FarmID
		farmNodes[n.FarmID] = append(farmNodes[n.FarmID], n.ID)
	}
	farmTaken := func(r *reservation, farm uint32) (k uint32) {
		for _, node := range farmNodes[farm] {
			k += r.ipv4[node]
		}
		return k
	}
	if len(ids) > 0 {
		reserved, err := s.reservations(ctx, ids, id)
		if err != nil {
			return 0, err
		}
		nodes = make([]grid.Node, 0, len(fresh))
		for _, n := range fresh {
			inflight = inflight || reserved.inflight[n.ID] > 0
			if ipv4 && n.PublicIPv4 <= farmTaken(reserved, n.FarmID) {
				continue // its farm's addresses are all held
			}
			if c == CapGPU && reserved.node[n.ID] != (grid.Resources{}) {
				continue // another GPU order in flight holds it whole
			}
			n.Used = n.Used.Add(reserved.node[n.ID])
			nodes = append(nodes, n)
		}
	}
	var full []uint32 // nodes found full under their lock
	for {
		candidates := slices.DeleteFunc(slices.Clone(nodes), func(n grid.Node) bool { return slices.Contains(full, n.ID) })
		pick, ok := uint32(0), false
		if c != CapGPU {
			// Other orders keep off GPU nodes and dedicated farms' nodes
			// while another node has room: on those the grid takes only a
			// renter's workloads, and a rent of the whole node for a small
			// VM would cost the wallet the node.
			pick, ok = rankNodes(slices.DeleteFunc(slices.Clone(candidates), wholeNodeOnly), need, nil, perFarm)
		}
		if !ok {
			pick, ok = rankNodes(candidates, need, nil, perFarm)
		}
		var node uint32
		taken := false
		err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			var cur *uint32
			if err := tx.GetContext(ctx, &cur, `SELECT `+column+` FROM deployments WHERE id = $1 FOR UPDATE`, id); err != nil {
				return err
			}
			if cur != nil {
				node, taken = *cur, true
				return nil
			}
			if !ok {
				if inflight {
					return fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "the nodes with room are being filled by deployments in flight; trying again")
				}
				if column == "standby_node_id" {
					return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "no node in another farm has room for the standby VM")
				}
				return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "no node in the pool has room for this size")
			}
			if ipv4 { // the farm's lock first, then the node's (as holdNode)
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, int32(farmLocks), int32(farmOf[pick])); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, int32(placementLocks), int32(pick)); err != nil {
				return err
			}
			// Under the node's lock: what other placements hold there now
			// (read on the system pool, committed by earlier holders), then
			// the node as the grid has it now. In this order a placement
			// deployed meanwhile is counted once at least: its contracts
			// are recorded (which ends its reservation) only after the grid
			// took its VM.
			heldOn := []uint32{pick}
			if ipv4 {
				heldOn = farmNodes[farmOf[pick]]
			}
			held, err := s.reservations(ctx, heldOn, id)
			if err != nil {
				return err
			}
			inflight = inflight || held.inflight[pick] > 0
			if c == CapGPU && held.node[pick] != (grid.Resources{}) {
				return nil // another GPU order took the node whole meanwhile
			}
			now, err := s.grid.ListNodes(ctx, grid.NodeFilter{NodeIDs: []uint32{pick}, Status: []grid.NodeStatus{grid.NodeUp}, Page: grid.Page{Size: 1}})
			if err != nil {
				return err
			}
			if len(now.Nodes) != 1 || (c == CapGPU && !now.Nodes[0].Rentable) {
				return nil // down, or rented, meanwhile
			}
			n := now.Nodes[0]
			if ipv4 && n.PublicIPv4 <= farmTaken(held, n.FarmID) {
				return nil // its farm's last address was taken meanwhile
			}
			n.Used = n.Used.Add(held.node[pick])
			if free := n.Free(); free.CRU < need.CRU || free.MRU < need.MRU || free.SRU < need.SRU {
				return nil // filled meanwhile
			}
			node, taken = pick, true
			_, err = tx.ExecContext(ctx, `UPDATE deployments SET `+column+` = $2 WHERE id = $1`, id, pick)
			return err
		})
		if err != nil || taken {
			return node, err
		}
		full = append(full, pick)
	}
}

// offerCapability is the capability the deployment's offer requires ("" none).
func (s *Service) offerCapability(ctx context.Context, id uuid.UUID) (string, error) {
	var c string
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &c, `SELECT offer_capability FROM deployments WHERE id = $1`, id)
	})
	if tenant.IsNoRows(err) {
		return "", nil
	}
	return c, err
}

// unplace forgets a node the grid refused for capacity (only if it is still
// the stored one), so the next choice skips it.
func (s *Service) unplace(ctx context.Context, id uuid.UUID, column string, node uint32) error {
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE deployments SET `+column+` = NULL WHERE id = $1 AND `+column+` = $2`, id, node)
		return err
	})
}

// refusedForCapacity reports a grid refusal another node may not give.
func refusedForCapacity(err error) bool {
	return grid.FailureReason(err) == grid.ReasonNodeCapacity
}

func notIn(tried []uint32) func(grid.Node) bool {
	return func(n grid.Node) bool { return !slices.Contains(tried, n.ID) }
}

// hasRoom reports whether a VM of need still fits on one of the tenant's
// eligible pool nodes (capability c), from fresh capacity, after the
// reservations of placed in-flight deployments and a first-fit placement of
// the in-flight ones not placed yet: the check before charging, so that a
// burst of orders is refused before payment rather than refunded after.
func (s *Service) hasRoom(ctx context.Context, need grid.Resources, c string) (bool, error) {
	nodes, err := s.freshRoom(ctx, c, uuid.Nil, nil)
	if err != nil || len(nodes) == 0 {
		return false, err
	}
	var pending [][]byte
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &pending, `SELECT spec FROM deployments WHERE status IN ('awaiting_payment', 'paid', 'provisioning')
			AND node_id IS NULL AND placement = 'default' AND created_at > now() - interval '1 hour'`)
	}); err != nil {
		return false, err
	}
	free := make([]grid.Resources, len(nodes))
	for i, n := range nodes {
		free[i] = n.Free()
	}
	for _, raw := range pending {
		var spec billing.Spec
		if json.Unmarshal(raw, &spec) != nil {
			continue
		}
		r := needOf(spec)
		for i := range free {
			if free[i].Covers(r) {
				free[i] = free[i].Sub(r)
				if c == CapGPU {
					free[i] = grid.Resources{} // it rents the node whole
				}
				break
			}
		}
	}
	for _, f := range free {
		if f.Covers(need) {
			return true, nil
		}
	}
	return false, nil
}
