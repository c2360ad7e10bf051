package gridsim

import (
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// Farm is a simulated farm as its farmer sees it.
type Farm struct {
	ID            uint32
	Name          string
	TwinID        uint32 // the farmer's twin; TwinKey gives its key
	Country       string
	Region        string
	Certified     bool
	Dedicated     bool
	PublicIPs     int
	FreePublicIPs int
}

// Farms returns every farm, ordered by id.
func (s *Sim) Farms() []Farm {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	out := make([]Farm, len(s.w.farms))
	for i, f := range s.w.farms {
		out[i] = Farm{
			ID: f.ID, Name: f.Name, TwinID: f.TwinID, Country: f.Place.Country, Region: f.Place.Region,
			Certified: f.Certified, Dedicated: f.Dedicated, PublicIPs: len(f.IPs), FreePublicIPs: int(f.freeIPs()),
		}
	}
	return out
}

// Summary describes the simulated catalog.
type Summary struct {
	Seed           uint64
	Nodes          int
	Farms          int
	Countries      int
	Up             int
	Down           int
	Standby        int
	GPU            int // nodes with at least one GPU
	HDDHeavy       int // nodes with at least 10 TB of HDD
	Certified      int
	IPv4           int // nodes whose farm has a free public IPv4
	IPv6           int
	Light          int // ZOS 4 light nodes
	Dedicated      int
	Gateways       int // gateway nodes: a public config with a domain
	FreePublicIPv4 int
	Total          grid.Resources
	Used           grid.Resources
}

// Summary counts the catalog as it stands now.
func (s *Sim) Summary() Summary {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	sum := Summary{Seed: s.w.seed, Nodes: len(s.w.nodes), Farms: len(s.w.farms)}
	countries := map[string]bool{}
	for _, f := range s.w.farms {
		sum.FreePublicIPv4 += int(f.freeIPs())
	}
	for _, n := range s.w.nodes {
		v := s.w.view(n)
		countries[v.Country] = true
		switch v.Status {
		case grid.NodeUp:
			sum.Up++
		case grid.NodeDown:
			sum.Down++
		case grid.NodeStandby:
			sum.Standby++
		}
		count := func(c *int, ok bool) {
			if ok {
				*c++
			}
		}
		count(&sum.GPU, len(v.GPUs) > 0)
		count(&sum.HDDHeavy, v.Total.HRU >= 10_000*grid.GB)
		count(&sum.Certified, v.Certified)
		count(&sum.IPv4, v.PublicIPv4 > 0)
		count(&sum.IPv6, v.IPv6)
		count(&sum.Light, v.Light)
		count(&sum.Dedicated, v.Dedicated)
		count(&sum.Gateways, v.GatewayDomain != "")
		sum.Total = sum.Total.Add(v.Total)
		sum.Used = sum.Used.Add(v.Used)
	}
	sum.Countries = len(countries)
	return sum
}
