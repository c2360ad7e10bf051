package tfgrid

import (
	"context"
	"slices"
	"strings"
	"time"

	proxytypes "github.com/threefoldtech/tfgrid-sdk-go/grid-proxy/pkg/types"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// proxyPageSize is the page size asked of the grid proxy.
const proxyPageSize = 100

// proxyFilter translates what the grid proxy can filter on; local reports
// whether some condition of f needs checking here (several countries,
// excluded farms, free cores, a light=false or shared-only condition).
func proxyFilter(f grid.NodeFilter) (pf proxytypes.NodeFilter, local bool) {
	u64 := func(v uint64) *uint64 { return &v }
	yes := func() *bool { t := true; return &t }
	for _, s := range f.Status {
		pf.Status = append(pf.Status, string(s))
	}
	if f.MinFree.MRU > 0 {
		pf.FreeMRU = u64(f.MinFree.MRU)
	}
	if f.MinFree.SRU > 0 {
		pf.FreeSRU = u64(f.MinFree.SRU)
	}
	if f.MinFree.HRU > 0 {
		pf.FreeHRU = u64(f.MinFree.HRU)
	}
	switch len(f.Countries) {
	case 0:
	case 1:
		pf.Country = &f.Countries[0]
	default:
		local = true
	}
	if f.Region != "" {
		pf.Region = &f.Region
	}
	for _, id := range f.FarmIDs {
		pf.FarmIDs = append(pf.FarmIDs, uint64(id))
	}
	for _, id := range f.NodeIDs {
		pf.NodeIDs = append(pf.NodeIDs, uint64(id))
	}
	for _, id := range f.ExcludeNode {
		pf.Excluded = append(pf.Excluded, uint64(id))
	}
	if f.PublicIPv4 {
		pf.FreeIPs = u64(1)
	}
	if f.IPv6 {
		pf.IPv6 = yes()
	}
	if f.GPU {
		pf.HasGPU = yes()
	}
	if f.Certified {
		c := "Certified"
		pf.CertificationType = &c
	}
	if f.Rentable {
		pf.Rentable = yes()
	}
	if f.Gateway {
		// The grid proxy's domain filter: nodes whose public config has
		// a domain (the TF dashboard's gateway node picker uses it).
		pf.Domain = yes()
	}
	if f.Dedicated != nil {
		d := *f.Dedicated
		pf.InDedicatedFarm = &d
	}
	if f.Light != nil {
		if *f.Light {
			pf.Features = []string{"zmachine-light"}
		} else {
			local = true
		}
	}
	if len(f.ExcludeFarm) > 0 || f.MinFree.CRU > 0 {
		local = true
	}
	return pf, local
}

// ListNodes implements grid.Grid through the grid proxy.
func (c *Client) ListNodes(ctx context.Context, f grid.NodeFilter) (grid.NodePage, error) {
	page, err := f.Page.Normalize()
	if err != nil {
		return grid.NodePage{}, err
	}
	pf, local := proxyFilter(f)
	from, need := (page.Number-1)*page.Size, page.Size
	out := grid.NodePage{Page: page}
	var matched int
	for p := uint64(1); ; p++ {
		nodes, total, err := c.tf.GridProxyClient.Nodes(ctx, pf, proxytypes.Limit{
			Size: proxyPageSize, Page: p, RetCount: true, SortBy: "node_id", SortOrder: proxytypes.SortOrderAsc,
		})
		if err != nil {
			return grid.NodePage{}, translate(err, "list nodes")
		}
		for _, pn := range nodes {
			n := c.toNode(ctx, pn)
			if local && !f.Match(n) {
				continue
			}
			if matched >= from && len(out.Nodes) < need {
				out.Nodes = append(out.Nodes, n)
			}
			matched++
		}
		if !local {
			out.Total = total
		}
		done := len(nodes) < proxyPageSize || int(p)*proxyPageSize >= total
		if done || (!local && len(out.Nodes) == need) {
			break
		}
	}
	if local {
		out.Total = matched
	}
	return out, nil
}

// Node implements grid.Grid.
func (c *Client) Node(ctx context.Context, id uint32) (grid.Node, error) {
	pn, err := c.tf.GridProxyClient.Node(ctx, id)
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "not found") {
			return grid.Node{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "node %d does not exist", id)
		}
		return grid.Node{}, translate(err, "read the node")
	}
	return c.toNode(ctx, proxytypes.Node{
		NodeID: pn.NodeID, FarmID: pn.FarmID, FarmName: pn.FarmName, TwinID: pn.TwinID,
		Country: pn.Country, City: pn.City, Uptime: pn.Uptime, UpdatedAt: pn.UpdatedAt,
		TotalResources: pn.Capacity.Total, UsedResources: pn.Capacity.Used, PublicConfig: pn.PublicConfig,
		Status: pn.Status, CertificationType: pn.CertificationType, Dedicated: pn.Dedicated,
		InDedicatedFarm: pn.InDedicatedFarm, Rentable: pn.Rentable, Rented: pn.Rented,
		RentedByTwinID: pn.RentedByTwinID, GPUs: pn.GPUs, FarmFreeIps: pn.FarmFreeIps, Features: pn.Features, ExtraFee: pn.ExtraFee,
	}), nil
}

// toNode converts a grid proxy node.
func (c *Client) toNode(ctx context.Context, pn proxytypes.Node) grid.Node {
	n := grid.Node{
		ID:         uint32(pn.NodeID),
		TwinID:     uint32(pn.TwinID),
		FarmID:     uint32(pn.FarmID),
		FarmName:   pn.FarmName,
		FarmTwinID: c.farmTwin(ctx, uint32(pn.FarmID)),
		Country:    pn.Country,
		City:       pn.City,
		Total: grid.Resources{CRU: pn.TotalResources.CRU, MRU: uint64(pn.TotalResources.MRU),
			SRU: uint64(pn.TotalResources.SRU), HRU: uint64(pn.TotalResources.HRU)},
		Used: grid.Resources{CRU: pn.UsedResources.CRU, MRU: uint64(pn.UsedResources.MRU),
			SRU: uint64(pn.UsedResources.SRU), HRU: uint64(pn.UsedResources.HRU)},
		PublicIPv4: uint32(pn.FarmFreeIps),
		IPv6:       pn.PublicConfig.Ipv6 != "",
		// A gateway node's public config carries its domain.
		GatewayDomain: pn.PublicConfig.Domain,
		Certified:     strings.EqualFold(pn.CertificationType, "certified"),
		Dedicated:     pn.InDedicatedFarm || pn.Dedicated,
		Rentable:      pn.Rentable,
		// The farmer's extra fee for a rent (DedicatedNodesExtraFee, mUSD
		// a month), as the grid proxy reports it.
		ExtraFeeMUSDMonth: pn.ExtraFee,
		RentedByTwin:      uint32(pn.RentedByTwinID),
		Light:             slices.Contains(pn.Features, "zmachine-light") && !slices.Contains(pn.Features, "zmachine"),
		Status:            grid.NodeStatus(pn.Status),
		Uptime:            time.Duration(pn.Uptime) * time.Second,
		LastSeenAt:        time.Unix(pn.UpdatedAt, 0).UTC(),
	}
	for _, g := range pn.GPUs {
		n.GPUs = append(n.GPUs, grid.GPU{ID: g.ID, Vendor: g.Vendor, Device: g.Device})
	}
	return n
}

// farmTwin returns the twin of a farm's farmer, from a farm list the client
// refreshes every ten minutes; 0 when unknown.
func (c *Client) farmTwin(ctx context.Context, farmID uint32) uint32 {
	c.farmsMu.Lock()
	defer c.farmsMu.Unlock()
	if time.Since(c.farmsAt) > 10*time.Minute {
		twins := map[uint32]uint32{}
		for p := uint64(1); ; p++ {
			farms, total, err := c.tf.GridProxyClient.Farms(ctx, proxytypes.FarmFilter{}, proxytypes.Limit{Size: proxyPageSize, Page: p, RetCount: true})
			if err != nil {
				return c.farmTwins[farmID] // keep the old list; try again next time
			}
			for _, f := range farms {
				twins[uint32(f.FarmID)] = uint32(f.TwinID)
			}
			if len(farms) < proxyPageSize || int(p)*proxyPageSize >= total {
				break
			}
		}
		c.farmTwins, c.farmsAt = twins, time.Now()
	}
	return c.farmTwins[farmID]
}
