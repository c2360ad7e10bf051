package deploy

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Nothing is charged for what the grid cannot take (issue 15 item 2): before
// the card is charged, the order's node (the customer's pick, or the one
// default placement would score best) must have the capacity and, when the
// order asks for one, a free public IPv4 at its farm, net of what orders
// placed but not yet provisioned hold there. The chosen node is stored on
// the deployment, which reserves it: provisioning uses it (choose), and
// later checks count it (reservations, placement.go).

// reservation is what pending orders hold on nodes and farms.
type reservation struct {
	node map[uint32]grid.Resources
	ipv4 map[uint32]uint32 // by node; summed per farm by the caller
	// inflight counts, by node, the reservations of deployments being
	// provisioned: their VMs may be on the grid already (see choose).
	inflight map[uint32]int
}

// NodeChoice is a node as the customer's node picker shows it: the grid's
// view plus what is free after pending orders' reservations.
type NodeChoice struct {
	grid.Node
	// FreeIPv4 are the public IPv4 addresses still free at the node's farm.
	FreeIPv4 uint32 `json:"free_ipv4"`
	// FreeCPU, FreeRAMGB and FreeDiskGB are the capacity still free.
	FreeCPU    uint64 `json:"free_cpu"`
	FreeRAMGB  uint64 `json:"free_ram_gb"`
	FreeDiskGB uint64 `json:"free_disk_gb"`
	GPUCount   int    `json:"gpu_count"`
	// UptimeSeconds since the node's last boot.
	UptimeSeconds int64 `json:"uptime_seconds"`
}

// choices applies the reservations to nodes.
func (s *Service) choices(ctx context.Context, nodes []grid.Node) ([]NodeChoice, error) {
	ids := make([]uint32, len(nodes))
	for i, n := range nodes {
		ids[i] = n.ID
	}
	r, err := s.reservations(ctx, ids, uuid.Nil)
	if err != nil {
		return nil, err
	}
	farmIPv4 := map[uint32]uint32{}
	farmOf := map[uint32]uint32{}
	for _, n := range nodes {
		farmOf[n.ID] = n.FarmID
	}
	for node, k := range r.ipv4 {
		if f, ok := farmOf[node]; ok {
			farmIPv4[f] += k
		}
	}
	out := make([]NodeChoice, 0, len(nodes))
	for _, n := range nodes {
		free := n.Free().Sub(r.node[n.ID])
		c := NodeChoice{Node: n, FreeCPU: free.CRU, FreeRAMGB: free.MRU >> 30, FreeDiskGB: free.SRU >> 30, GPUCount: len(n.GPUs),
			UptimeSeconds: int64(n.Uptime.Seconds())}
		if n.PublicIPv4 > farmIPv4[n.FarmID] {
			c.FreeIPv4 = n.PublicIPv4 - farmIPv4[n.FarmID]
		}
		if c.GPUs == nil {
			c.GPUs = []grid.GPU{}
		}
		out = append(out, c)
	}
	return out, nil
}

// PickableNodes are the nodes a customer may pick (capability c: a co-op
// offer's), with what is free on each after reservations; public.
func (s *Service) PickableNodes(ctx context.Context, c string) ([]NodeChoice, error) {
	nodes, err := s.EligibleForCapability(ctx, grid.Resources{}, true, c)
	if err != nil {
		return nil, err
	}
	return s.choices(ctx, nodes)
}

// fits reports whether choice c can take need, and a public IPv4 if ipv4.
func fits(c NodeChoice, need grid.Resources, ipv4 bool) bool {
	return c.FreeCPU >= need.CRU && c.FreeRAMGB<<30 >= need.MRU && c.FreeDiskGB<<30 >= need.SRU && (!ipv4 || c.FreeIPv4 > 0)
}

// deliverable refuses an order the grid cannot take now, before anything
// is charged, and returns the node to reserve for it: the customer's pick
// (advanced) or the best-scored node that fits (default). nodes are the
// eligible nodes for the order (capacity and offer capability). EINVALID
// names node_id, ipv4, size or backup.
func (s *Service) deliverable(ctx context.Context, in *CreateInput, spec billing.Spec, nodes []grid.Node, capability string) (uint32, error) {
	need := needOf(spec)
	if capability == CapGPU {
		// A GPU order rents its node whole: only nodes nobody rents, and
		// none another order in flight holds.
		ids := make([]uint32, len(nodes))
		for i, n := range nodes {
			ids[i] = n.ID
		}
		held, err := s.reservations(ctx, ids, uuid.Nil)
		if err != nil {
			return 0, err
		}
		if in.Placement == "advanced" {
			for _, n := range nodes {
				if n.ID == in.NodeID && (!n.Rentable || held.node[n.ID] != (grid.Resources{})) {
					return 0, fiatdashboard.Invalid("node_id", "node %d is rented or held by another order; a GPU server rents its node whole, so pick another", in.NodeID)
				}
			}
		}
		nodes = slices.DeleteFunc(slices.Clone(nodes), func(n grid.Node) bool { return !n.Rentable || held.node[n.ID] != (grid.Resources{}) })
	}
	cs, err := s.choices(ctx, nodes)
	if err != nil {
		return 0, err
	}
	var fit []grid.Node
	roomButNoIPv4 := false
	for _, c := range cs {
		if fits(c, need, spec.IPv4) {
			fit = append(fit, c.Node)
		} else if fits(c, need, false) {
			roomButNoIPv4 = true
		}
	}
	var pick uint32
	if in.Placement == "advanced" {
		for _, c := range cs {
			if c.ID != in.NodeID {
				continue
			}
			switch {
			case !fits(c, need, false):
				return 0, fiatdashboard.Invalid("node_id", "node %d has no room left for this size (other orders hold it); pick another", in.NodeID)
			case spec.IPv4 && c.FreeIPv4 == 0:
				return 0, fiatdashboard.Invalid("ipv4", "node %d's farm has no free public IPv4 address; pick a node that shows IPv4, or turn public IPv4 off", in.NodeID)
			}
			pick = c.ID
		}
		if pick == 0 {
			return 0, fiatdashboard.Invalid("node_id", "node %d is not available for this size; pick another", in.NodeID)
		}
	} else {
		if len(fit) == 0 {
			if spec.IPv4 && roomButNoIPv4 {
				return 0, fiatdashboard.Invalid("ipv4", "no node with room for this size has a free public IPv4 address right now; turn public IPv4 off or try later")
			}
			return 0, fiatdashboard.Invalid("size", "no node has room for this size right now; pick a smaller one")
		}
		if capability != CapGPU {
			// Keep off GPU nodes and dedicated farms' nodes while another
			// node fits (wholeNodeOnly).
			if rest := slices.DeleteFunc(slices.Clone(fit), wholeNodeOnly); len(rest) > 0 {
				fit = rest
			}
		}
		var ok bool
		if pick, ok = s.bestNode(ctx, fit, need, nil); !ok {
			return 0, fiatdashboard.Invalid("size", "no node has room for this size right now; pick a smaller one")
		}
	}
	switch spec.Backup {
	case "vm":
		var farm uint32
		for _, c := range cs {
			if c.ID == pick {
				farm = c.FarmID
			}
		}
		all, err := s.EligibleNodes(ctx, need, false)
		if err != nil {
			return 0, err
		}
		standby, err := s.choices(ctx, all)
		if err != nil {
			return 0, err
		}
		found := false
		for _, c := range standby {
			found = found || (c.FarmID != farm && c.Status == grid.NodeUp && fits(c, need, false))
		}
		if !found {
			return 0, fiatdashboard.Invalid("backup", "no node in another farm has room for a standby VM of this size right now; pick another backup")
		}
	case "qsfs":
		ids, err := s.backendCandidates(ctx, []uint32{pick})
		if err != nil {
			return 0, err
		}
		if len(ids) < qsfsExpected+qsfsMeta {
			return 0, fiatdashboard.Invalid("backup", "not enough storage nodes for a QSFS swarm right now; pick another backup")
		}
	}
	return pick, nil
}

// rentedNode is what billing prices for an order that rents node id of
// nodes whole.
func rentedNode(nodes []grid.Node, id uint32) *billing.RentedNode {
	for _, n := range nodes {
		if n.ID == id {
			return &billing.RentedNode{ID: n.ID, Total: n.Total, GPUs: len(n.GPUs), ExtraFeeMUSDMonth: n.ExtraFeeMUSDMonth}
		}
	}
	return nil
}

// farmLocks is the namespace of the per-farm locks an order asking for a
// public IPv4 takes before its node's (placementLocks): a farm's addresses
// are shared by its nodes. Locks are taken farm first, then node.
const farmLocks = 0x66645f66 // "fd_f"

// holdNode re-checks, in tx (the transaction that stores the order's
// deployment and so its reservation), that node pick — chosen by
// deliverable from what was free a moment before — still has room for spec,
// and a free public IPv4 at its farm when spec asks for one, holding the
// node's lock (and the farm's) until tx ends. Every reservation is stored
// by a holder of its node's lock, so two orders placed at once never both
// take a node's last room or a farm's last address. nodes are the order's
// eligible nodes (deliverable's). It returns the node to store: pick, or
// nil when pick filled up meanwhile — the deployment is then placed when it
// is provisioned (choose), like one whose node was forgotten.
func (s *Service) holdNode(ctx context.Context, tx *tenant.Tx, pick uint32, spec billing.Spec, nodes []grid.Node, capability string) (*uint32, error) {
	var farm uint32
	var farmNodes []uint32
	for _, n := range nodes {
		if n.ID == pick {
			farm = n.FarmID
		}
	}
	for _, n := range nodes {
		if n.FarmID == farm {
			farmNodes = append(farmNodes, n.ID)
		}
	}
	if spec.IPv4 {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, int32(farmLocks), int32(farm)); err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, int32(placementLocks), int32(pick)); err != nil {
		return nil, err
	}
	// Reservations first, then the grid (see choose).
	ids := []uint32{pick}
	if spec.IPv4 {
		ids = farmNodes
	}
	held, err := s.reservations(ctx, ids, uuid.Nil)
	if err != nil {
		return nil, err
	}
	now, err := s.grid.ListNodes(ctx, grid.NodeFilter{NodeIDs: []uint32{pick}, Status: []grid.NodeStatus{grid.NodeUp}, Page: grid.Page{Size: 1}})
	if err != nil {
		return nil, err
	}
	if len(now.Nodes) != 1 {
		return nil, nil
	}
	n := now.Nodes[0]
	if capability == CapGPU && (!n.Rentable || held.node[pick] != (grid.Resources{})) {
		return nil, nil
	}
	free, need := n.Free().Sub(held.node[pick]), needOf(spec)
	if !free.Covers(need) {
		return nil, nil
	}
	if spec.IPv4 {
		var taken uint32
		for _, k := range held.ipv4 {
			taken += k
		}
		if n.PublicIPv4 <= taken {
			return nil, nil
		}
	}
	return &pick, nil
}
