package gridsim

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/fiatdashboard/fiatdashboard/grid"
)

// place is a city nodes can stand in.
type place struct {
	Country, Region string
	Cities          []string
	Weight          int // how likely a farm is here
}

// places spans 40 countries; farms cluster where the grid's farmers do
// (Belgium, the Netherlands, the US, Tanzania, Egypt …).
var places = []place{
	{"Belgium", "Europe", []string{"Ghent", "Brussels", "Lochristi"}, 8},
	{"Netherlands", "Europe", []string{"Amsterdam", "Rotterdam"}, 5},
	{"Germany", "Europe", []string{"Frankfurt", "Berlin", "Munich"}, 5},
	{"France", "Europe", []string{"Paris", "Lyon"}, 3},
	{"Switzerland", "Europe", []string{"Zurich", "Geneva"}, 3},
	{"Austria", "Europe", []string{"Vienna"}, 2},
	{"Italy", "Europe", []string{"Milan", "Rome"}, 2},
	{"Spain", "Europe", []string{"Madrid", "Barcelona"}, 2},
	{"Portugal", "Europe", []string{"Lisbon"}, 1},
	{"United Kingdom", "Europe", []string{"London", "Manchester"}, 3},
	{"Ireland", "Europe", []string{"Dublin"}, 1},
	{"Sweden", "Europe", []string{"Stockholm"}, 1},
	{"Norway", "Europe", []string{"Oslo"}, 1},
	{"Finland", "Europe", []string{"Helsinki"}, 1},
	{"Denmark", "Europe", []string{"Copenhagen"}, 1},
	{"Poland", "Europe", []string{"Warsaw"}, 1},
	{"Czechia", "Europe", []string{"Prague"}, 1},
	{"Romania", "Europe", []string{"Bucharest"}, 2},
	{"Bulgaria", "Europe", []string{"Sofia"}, 2},
	{"Greece", "Europe", []string{"Athens"}, 1},
	{"Slovenia", "Europe", []string{"Ljubljana"}, 1},
	{"Egypt", "Africa", []string{"Cairo", "Alexandria"}, 3},
	{"Tanzania", "Africa", []string{"Dar es Salaam", "Zanzibar"}, 3},
	{"Kenya", "Africa", []string{"Nairobi"}, 1},
	{"Uganda", "Africa", []string{"Kampala"}, 1},
	{"South Africa", "Africa", []string{"Johannesburg", "Cape Town"}, 1},
	{"Nigeria", "Africa", []string{"Lagos"}, 1},
	{"United States", "Americas", []string{"New York", "Dallas", "San Jose"}, 6},
	{"Canada", "Americas", []string{"Toronto", "Montreal"}, 2},
	{"Brazil", "Americas", []string{"Sao Paulo"}, 1},
	{"Mexico", "Americas", []string{"Mexico City"}, 1},
	{"Ecuador", "Americas", []string{"Quito"}, 1},
	{"India", "Asia", []string{"Bangalore", "Mumbai"}, 2},
	{"Singapore", "Asia", []string{"Singapore"}, 1},
	{"Japan", "Asia", []string{"Tokyo"}, 1},
	{"Vietnam", "Asia", []string{"Ho Chi Minh City"}, 1},
	{"Thailand", "Asia", []string{"Bangkok"}, 1},
	{"United Arab Emirates", "Asia", []string{"Dubai"}, 1},
	{"Australia", "Oceania", []string{"Sydney"}, 1},
	{"New Zealand", "Oceania", []string{"Auckland"}, 1},
}

var farmWords = []string{
	"Freefarm", "Bluebird", "Oakgrid", "Sunrise", "Riverbyte", "Greenedge", "Northstar",
	"Cloudfield", "Tidepool", "Hilltop", "Solace", "Ironwood", "Meadow", "Lighthouse",
	"Coral", "Granite", "Harbor", "Summit", "Valley", "Ember",
}

var gpuModels = []grid.GPU{
	{Vendor: "NVIDIA Corporation", Device: "GA104GL [RTX A4000]"},
	{Vendor: "NVIDIA Corporation", Device: "AD102 [GeForce RTX 4090]"},
	{Vendor: "NVIDIA Corporation", Device: "GA100 [A100 PCIe 40GB]"},
	{Vendor: "Advanced Micro Devices, Inc. [AMD/ATI]", Device: "Navi 31 [Radeon RX 7900 XTX]"},
}

// farm is a farm and the public IPv4 block its farmer registered.
type farm struct {
	ID        uint32
	Name      string
	TwinID    uint32
	Place     place
	Certified bool
	Dedicated bool
	IPs       []publicIP
}

type publicIP struct {
	Addr     string // "a.b.c.d/24"
	Contract uint64 // the contract holding it, or 0
}

func (f *farm) freeIPs() uint32 {
	var n uint32
	for _, ip := range f.IPs {
		if ip.Contract == 0 {
			n++
		}
	}
	return n
}

// node is a node's static description and its live usage.
type node struct {
	grid.Node                    // ID, twin, farm, place, Total, GPUs, Certified, Light
	used          grid.Resources // live usage: background + our contracts
	status        grid.NodeStatus
	bootedAt      time.Time
	lastSeen      time.Time
	rentedBy      uint32 // the twin renting the whole node, or 0
	rentContract  uint64 // that rent contract, when one of ours
	othersUse     bool   // other users' contracts run on it: a shared node with contracts cannot be rented
	nodeContracts int    // our active node contracts on it
}

// twin is a TFChain twin and its account.
type twin struct {
	ID      uint32
	Balance grid.TFTUnits
	Stash   grid.TFTUnits // usable balance of the stash account bonded to the twin
	KYC     bool
	Key     ed25519.PrivateKey
}

// twinKey derives a twin's ed25519 key from the simulator seed, so the same
// seed gives the same keys.
func twinKey(seed uint64, twinID uint32) ed25519.PrivateKey {
	var buf [12]byte
	binary.BigEndian.PutUint64(buf[:8], seed)
	binary.BigEndian.PutUint32(buf[8:], twinID)
	h := sha256.Sum256(append([]byte("gridsim twin key\x00"), buf[:]...))
	return ed25519.NewKeyFromSeed(h[:])
}

// Twin ids the simulator hands out.
const (
	walletTwinID    = 100   // the twin New's Sim acts as
	firstFarmTwinID = 2000  // farm i's farmer is twin 2000+i
	firstNodeTwinID = 10000 // node i's twin is 10000+i
	outsideTwinID   = 99    // stands for the grid's other users, who rent some dedicated nodes
)

// generate builds the farms and nodes for cfg, deterministically from
// cfg.Seed.
func generate(cfg Config, rng *rand.Rand) ([]*farm, []*node) {
	totalWeight := 0
	for _, p := range places {
		totalWeight += p.Weight
	}
	pickPlace := func() place {
		n := rng.IntN(totalWeight)
		for _, p := range places {
			if n < p.Weight {
				return p
			}
			n -= p.Weight
		}
		return places[0]
	}

	farms := make([]*farm, cfg.Farms)
	for i := range farms {
		id := uint32(i + 1)
		f := &farm{
			ID:     id,
			Name:   fmt.Sprintf("%s%s-%d", farmWords[rng.IntN(len(farmWords))], []string{"", "Farm", "Grid", "Cloud"}[rng.IntN(4)], id),
			TwinID: firstFarmTwinID + id,
		}
		// The first farms cover every country; the rest follow the weights.
		if i < len(places) {
			f.Place = places[i]
		} else {
			f.Place = pickPlace()
		}
		f.Certified = rng.IntN(100) < 20
		f.Dedicated = rng.IntN(100) < 10
		if rng.IntN(100) < 45 { // farms with a public IPv4 block
			n := 2 + rng.IntN(15)
			for j := range n {
				f.IPs = append(f.IPs, publicIP{Addr: fmt.Sprintf("185.%d.%d.%d/24", 16+id/200, id%200, 10+j)})
			}
		}
		farms[i] = f
	}

	// Every farm gets a node; the rest go to farms at random, so a few
	// farms grow large, as on the real grid.
	farmOf := make([]int, cfg.Nodes)
	for i := range farmOf {
		if i < cfg.Farms {
			farmOf[i] = i
		} else if rng.IntN(3) == 0 {
			farmOf[i] = rng.IntN(max(1, cfg.Farms/6)) // big farms
		} else {
			farmOf[i] = rng.IntN(cfg.Farms)
		}
	}

	nodes := make([]*node, cfg.Nodes)
	for i := range nodes {
		id := uint32(i + 1)
		f := farms[farmOf[i]]
		n := &node{Node: grid.Node{
			ID:         id,
			TwinID:     firstNodeTwinID + id,
			FarmID:     f.ID,
			FarmName:   f.Name,
			FarmTwinID: f.TwinID,
			Country:    f.Place.Country,
			City:       f.Place.Cities[rng.IntN(len(f.Place.Cities))],
			Region:     f.Place.Region,
			Certified:  f.Certified,
			Dedicated:  f.Dedicated,
			IPv6:       rng.IntN(100) < 60,
		}}
		gb := grid.GB
		switch r := rng.IntN(100); {
		case r < 6: // GPU servers
			n.Total = grid.Resources{CRU: 32 + 16*uint64(rng.IntN(3)), MRU: (128 + 128*uint64(rng.IntN(2))) * gb, SRU: (2000 + 2000*uint64(rng.IntN(2))) * gb, HRU: 0}
			for g := range 1 + rng.IntN(2) {
				m := gpuModels[rng.IntN(len(gpuModels))]
				m.ID = fmt.Sprintf("0000:%02x:00.0", 0x41+g)
				n.GPUs = append(n.GPUs, m)
			}
		case r < 20: // HDD-heavy storage nodes
			n.Total = grid.Resources{CRU: 8 + 8*uint64(rng.IntN(2)), MRU: (32 + 32*uint64(rng.IntN(2))) * gb, SRU: 1000 * gb, HRU: (40 + 20*uint64(rng.IntN(4))) * 1000 * gb}
		case r < 58: // home nodes (Titans and alike)
			n.Total = grid.Resources{CRU: 4 + 4*uint64(rng.IntN(2)), MRU: (16 + 16*uint64(rng.IntN(2))) * gb, SRU: (500 + 500*uint64(rng.IntN(2))) * gb, HRU: uint64(rng.IntN(3)) * 1000 * gb}
			n.Light = rng.IntN(100) < 15 // ZOS 4 light runs mostly on small nodes
		default: // rack servers
			n.Total = grid.Resources{CRU: 16 + 8*uint64(rng.IntN(5)), MRU: (64 + 64*uint64(rng.IntN(4))) * gb, SRU: (2000 + 1000*uint64(rng.IntN(3))) * gb, HRU: uint64(rng.IntN(3)) * 4000 * gb}
			n.Light = rng.IntN(100) < 3
		}

		switch r := rng.IntN(100); {
		case r < 5:
			n.status = grid.NodeDown
			n.lastSeen = cfg.Start.Add(-time.Duration(1+rng.IntN(30*24)) * time.Hour)
		case r < 8:
			n.status = grid.NodeStandby
			n.lastSeen = cfg.Start.Add(-time.Duration(1+rng.IntN(48)) * time.Hour)
		default:
			n.status = grid.NodeUp
			n.bootedAt = cfg.Start.Add(-time.Duration(1+rng.IntN(90*24)) * time.Hour)
			n.lastSeen = cfg.Start
			// Other users already use part of the node.
			frac := func(total uint64, unit uint64) uint64 {
				return total * uint64(rng.IntN(41)) / 100 / unit * unit
			}
			used := grid.Resources{
				CRU: frac(n.Total.CRU, 1),
				MRU: frac(n.Total.MRU, gb),
				SRU: frac(n.Total.SRU, gb),
				HRU: frac(n.Total.HRU, gb),
			}
			// A dedicated node is either free or rented whole by someone.
			if !n.Dedicated {
				n.used = used
			} else if rng.IntN(2) == 0 {
				n.used, n.rentedBy = used, outsideTwinID
			}
		}
		if len(n.GPUs) > 0 {
			// GPU servers are kept for renters (ZOS attaches a GPU only
			// on a rented node), so shared ones run nobody else's work,
			// and their farmers ask an extra fee for the rent (tfchain
			// DedicatedNodesExtraFee, mUSD a month). Derived from the id,
			// not drawn, so the rest of the world stays as it was.
			if !n.Dedicated && n.rentedBy == 0 {
				n.used = grid.Resources{}
			}
			n.ExtraFeeMUSDMonth = 20_000 + uint64(id%4)*10_000
		}
		n.othersUse = n.used != (grid.Resources{}) && n.rentedBy == 0
		nodes[i] = n
	}
	return farms, nodes
}
