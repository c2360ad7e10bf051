package gridsim_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
	"github.com/fiatdashboard/fiatdashboard/grid/gridtest"
)

func TestContract(t *testing.T) {
	gridtest.Run(t, func(t *testing.T) (grid.Grid, gridtest.Fixture) {
		s := gridsim.New(gridsim.Config{Seed: 42})
		poor := s.CreateTwin(1, true)
		unverified := s.CreateTwin(1_000*grid.UnitsPerTFT, false)
		return s, gridtest.Fixture{Unverified: s.AsTwin(unverified), Poor: s.AsTwin(poor), Drainable: true,
			NoSSHKey: s.WithoutSSHKey()}
	})
}

var ctx = context.Background()

func allNodes(t *testing.T, g grid.Grid, f grid.NodeFilter) []grid.Node {
	t.Helper()
	var out []grid.Node
	for n := 1; ; n++ {
		f.Page = grid.Page{Number: n, Size: grid.MaxPageSize}
		page, err := g.ListNodes(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Nodes...)
		if len(out) >= page.Total {
			return out
		}
	}
}

// firstNode returns the first up, shared node passing ok.
func firstNode(t *testing.T, s *gridsim.Sim, ok func(grid.Node) bool) grid.Node {
	t.Helper()
	for _, n := range allNodes(t, s, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, Dedicated: new(bool),
		MinFree: grid.Resources{CRU: 2, MRU: 4 * grid.GB, SRU: 50 * grid.GB}}) {
		if ok == nil || ok(n) {
			return n
		}
	}
	t.Fatal("no node fits")
	return grid.Node{}
}

func usd(s string) *big.Rat {
	r, err := grid.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return r
}

func vm(name string, node uint32) grid.VMSpec {
	return grid.VMSpec{Name: name, NodeID: node, Flist: "https://hub.grid.tf/tf-official-vms/ubuntu-24.04-full.flist",
		CPU: 1, Memory: 2 * grid.GB, RootFS: 10 * grid.GB, Mycelium: true}
}

func TestCatalogIsRealisticAndDeterministic(t *testing.T) {
	a, b := gridsim.New(gridsim.Config{Seed: 7}), gridsim.New(gridsim.Config{Seed: 7})
	nodesA, nodesB := allNodes(t, a, grid.NodeFilter{}), allNodes(t, b, grid.NodeFilter{})
	if !reflect.DeepEqual(nodesA, nodesB) || !reflect.DeepEqual(a.Farms(), b.Farms()) {
		t.Error("two simulators from seed 7 differ")
	}
	if other := allNodes(t, gridsim.New(gridsim.Config{Seed: 8}), grid.NodeFilter{}); reflect.DeepEqual(nodesA, other) {
		t.Error("seeds 7 and 8 built the same grid")
	}

	sum := a.Summary()
	if sum.Nodes < 500 || sum.Farms < 50 || sum.Countries < 30 {
		t.Errorf("catalog too small: %d nodes, %d farms, %d countries", sum.Nodes, sum.Farms, sum.Countries)
	}
	for name, n := range map[string]int{"GPU": sum.GPU, "HDD-heavy": sum.HDDHeavy, "certified": sum.Certified,
		"IPv4": sum.IPv4, "IPv6": sum.IPv6, "light": sum.Light, "dedicated": sum.Dedicated, "standby": sum.Standby} {
		if n == 0 {
			t.Errorf("no %s nodes", name)
		}
	}
	if pct := sum.Down * 100 / sum.Nodes; pct < 2 || pct > 10 {
		t.Errorf("%d%% of nodes down, want about 5%%", pct)
	}
	if sum.Up+sum.Down+sum.Standby != sum.Nodes || !sum.Total.Covers(sum.Used) {
		t.Errorf("inconsistent summary %+v", sum)
	}
	farms := map[uint32]gridsim.Farm{}
	for _, f := range a.Farms() {
		farms[f.ID] = f
	}
	for _, n := range nodesA {
		f := farms[n.FarmID]
		if n.FarmTwinID != f.TwinID || n.FarmName != f.Name || n.Country != f.Country || n.PublicIPv4 != uint32(f.FreePublicIPs) {
			t.Fatalf("node %d disagrees with its farm %+v", n.ID, f)
		}
		if n.Dedicated && n.RentedByTwin == 0 && n.Used != (grid.Resources{}) {
			t.Fatalf("dedicated node %d is used without being rented", n.ID)
		}
	}
}

func TestFarmTwinKeysSignChallenges(t *testing.T) {
	s := gridsim.New(gridsim.Config{Seed: 1})
	farm := s.Farms()[3]
	key, err := s.TwinKey(farm.TwinID)
	if err != nil {
		t.Fatal(err)
	}
	challenge := []byte("link node operator account 9f2c")
	sig := ed25519.Sign(key, challenge)
	pub, _ := s.TwinPublicKey(farm.TwinID)
	if !ed25519.Verify(pub, challenge, sig) {
		t.Error("the farm twin's signature does not verify with its public key")
	}
	again, _ := gridsim.New(gridsim.Config{Seed: 1}).TwinKey(farm.TwinID)
	if !key.Equal(again) {
		t.Error("the same seed derived another key")
	}
	otherSeed, _ := gridsim.New(gridsim.Config{Seed: 2}).TwinKey(farm.TwinID)
	other, _ := s.TwinKey(s.Farms()[4].TwinID)
	if key.Equal(otherSeed) || key.Equal(other) {
		t.Error("keys repeat across seeds or twins")
	}
	_, err = s.TwinKey(4_000_000_000)
	if fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("key of an unknown twin: %v", err)
	}
}

func TestCapacityIsReservedAndFreed(t *testing.T) {
	s := gridsim.New(gridsim.Config{Seed: 3})
	n := firstNode(t, s, func(n grid.Node) bool { return n.PublicIPv4 > 0 })
	spec := vm("web", n.ID)
	spec.PublicIPv4 = true
	spec.Disks = []grid.Disk{{Name: "data", Size: 20 * grid.GB, MountPoint: "/data"}}
	p, err := s.DeployVM(ctx, "cap", spec)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := s.Node(ctx, n.ID)
	if want := n.Used.Add(grid.Resources{CRU: 1, MRU: 2 * grid.GB, SRU: 30 * grid.GB}); after.Used != want {
		t.Errorf("used %+v after deploy, want %+v", after.Used, want)
	}
	if after.PublicIPv4 != n.PublicIPv4-1 {
		t.Errorf("farm has %d free IPv4 after deploy, want %d", after.PublicIPv4, n.PublicIPv4-1)
	}
	if v, _ := p.VM("web"); v.PublicIPv4 == "" {
		t.Error("no public IPv4 on the VM")
	}
	if err := s.CancelProject(ctx, "cap"); err != nil {
		t.Fatal(err)
	}
	freed, _ := s.Node(ctx, n.ID)
	if freed.Used != n.Used || freed.PublicIPv4 != n.PublicIPv4 {
		t.Errorf("after cancel: used %+v, %d IPv4; want %+v, %d", freed.Used, freed.PublicIPv4, n.Used, n.PublicIPv4)
	}

	// A node without room refuses, for capacity.
	huge := vm("huge", n.ID)
	huge.Memory = n.Total.MRU + grid.GB
	_, err = s.DeployVM(ctx, "huge", huge)
	if grid.FailureReason(err) != grid.ReasonNodeCapacity || fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		t.Errorf("oversized VM: %v", err)
	}
}

func TestFaults(t *testing.T) {
	t.Run("deploy fails once", func(t *testing.T) {
		s := gridsim.New(gridsim.Config{Seed: 5})
		n := firstNode(t, s, nil)
		if err := s.InjectNodeFault(n.ID, gridsim.Fault{Kind: gridsim.FaultDeployFails, Times: 1}); err != nil {
			t.Fatal(err)
		}
		_, err := s.DeployVM(ctx, "p", vm("web", n.ID))
		if grid.FailureReason(err) != grid.ReasonDeployFailed || fiatdashboard.ErrorCode(err) != fiatdashboard.EUNAVAILABLE {
			t.Fatalf("first deploy: %v", err)
		}
		if _, err := s.Project(ctx, "p"); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
			t.Errorf("a failed deploy left a project: %v", err)
		}
		if after, _ := s.Node(ctx, n.ID); after.Used != n.Used {
			t.Error("a failed deploy reserved capacity")
		}
		if _, err := s.DeployVM(ctx, "p", vm("web", n.ID)); err != nil {
			t.Errorf("second deploy, after the fault was used up: %v", err)
		}
	})

	t.Run("a timed-out deploy is found by the retry", func(t *testing.T) {
		s := gridsim.New(gridsim.Config{Seed: 5})
		n := firstNode(t, s, nil)
		s.InjectFault(gridsim.Fault{Kind: gridsim.FaultDeployTimesOut, Times: 1})
		_, err := s.DeployVM(ctx, "p", vm("web", n.ID))
		if grid.FailureReason(err) != grid.ReasonTimeout {
			t.Fatalf("deploy: %v, want a timeout", err)
		}
		left, err := s.Project(ctx, "p")
		if err != nil || len(left.Contracts) == 0 {
			t.Fatalf("the timed-out deploy created no contracts: %v", err)
		}
		retry, err := s.DeployVM(ctx, "p", vm("web", n.ID))
		if err != nil || !slices.Equal(retry.ContractIDs(), left.ContractIDs()) {
			t.Errorf("retry: %v, contracts %v; want the earlier %v", err, retry.ContractIDs(), left.ContractIDs())
		}
		after, _ := s.Node(ctx, n.ID)
		if after.Used.CRU != n.Used.CRU+1 {
			t.Errorf("node uses %d cores, want %d: the retry duplicated the VM", after.Used.CRU, n.Used.CRU+1)
		}
	})

	for _, tc := range []struct {
		kind   gridsim.FaultKind
		reason grid.Reason
		code   string
	}{
		{gridsim.FaultInsufficientFunds, grid.ReasonInsufficientFunds, fiatdashboard.ECONFLICT},
		{gridsim.FaultKYCMissing, grid.ReasonKYCMissing, fiatdashboard.EFORBIDDEN},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			s := gridsim.New(gridsim.Config{Seed: 5})
			n := firstNode(t, s, nil)
			s.InjectFault(gridsim.Fault{Kind: tc.kind})
			for range 2 { // a fault without Times stays
				_, err := s.DeployVM(ctx, "p", vm("web", n.ID))
				if grid.FailureReason(err) != tc.reason || fiatdashboard.ErrorCode(err) != tc.code {
					t.Fatalf("deploy: %v, want %s", err, tc.reason)
				}
			}
			s.ClearFaults()
			if _, err := s.DeployVM(ctx, "p", vm("web", n.ID)); err != nil {
				t.Errorf("after ClearFaults: %v", err)
			}
		})
	}

	t.Run("node down", func(t *testing.T) {
		s := gridsim.New(gridsim.Config{Seed: 5})
		n := firstNode(t, s, nil)
		_ = s.SetNodeStatus(n.ID, grid.NodeDown)
		_, err := s.DeployVM(ctx, "p", vm("web", n.ID))
		if grid.FailureReason(err) != grid.ReasonNodeDown || fiatdashboard.ErrorCode(err) != fiatdashboard.EUNAVAILABLE {
			t.Errorf("deploy on a down node: %v", err)
		}
	})

	t.Run("node goes offline later", func(t *testing.T) {
		s := gridsim.New(gridsim.Config{Seed: 5})
		n := firstNode(t, s, nil)
		standbyNode := firstNode(t, s, func(o grid.Node) bool { return o.FarmID != n.FarmID })
		_ = s.InjectNodeFault(n.ID, gridsim.Fault{Kind: gridsim.FaultNodeGoesOffline, After: 2 * time.Hour})
		if _, err := s.DeployVM(ctx, "p", vm("web", n.ID)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeployStandbyVM(ctx, "p", vm("web-standby", standbyNode.ID)); err != nil {
			t.Fatal(err)
		}
		s.Advance(time.Hour + 59*time.Minute)
		if p, _ := s.Project(ctx, "p"); p.Health != grid.Healthy {
			t.Fatalf("health %s before the outage", p.Health)
		}
		s.Advance(time.Minute)
		p, _ := s.Project(ctx, "p")
		if node, _ := s.Node(ctx, n.ID); node.Status != grid.NodeDown {
			t.Fatalf("node %d is %s after its outage time", n.ID, node.Status)
		}
		primary, _ := p.VM("web")
		if primary.Health != grid.Down || p.Health != grid.Degraded {
			t.Errorf("primary %s, project %s; want down, degraded (the standby runs)", primary.Health, p.Health)
		}
		_ = s.SetNodeStatus(standbyNode.ID, grid.NodeDown)
		if p, _ := s.Project(ctx, "p"); p.Health != grid.Down {
			t.Errorf("project %s with both nodes down", p.Health)
		}
	})
}

func TestStandbyNodeWakesUpToDeploy(t *testing.T) {
	s := gridsim.New(gridsim.Config{Seed: 9})
	sleeping := allNodes(t, s, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeStandby}, Dedicated: new(bool)})
	if len(sleeping) == 0 {
		t.Fatal("no standby node in the catalog")
	}
	if _, err := s.DeployVM(ctx, "wake", vm("web", sleeping[0].ID)); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Node(ctx, sleeping[0].ID); n.Status != grid.NodeUp {
		t.Errorf("node is %s after a deploy", n.Status)
	}
}

func TestQSFSHealthFollowsItsNodes(t *testing.T) {
	s := gridsim.New(gridsim.Config{Seed: 11})
	vmNode := firstNode(t, s, nil)
	var data []uint32
	for _, n := range allNodes(t, s, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, Dedicated: new(bool), MinFree: grid.Resources{HRU: 100 * grid.GB}}) {
		if n.ID != vmNode.ID && len(data) < 6 {
			data = append(data, n.ID)
		}
	}
	spec := grid.QSFSSpec{Name: "data", VMName: "web", MountPoint: "/data", Expected: 6, Minimal: 4,
		DataNodes: data, MetaNodes: data[:4], ShardSize: 100 * grid.GB, MetaSize: grid.GB, CacheSize: 5 * grid.GB,
		Password: "sim-test-zdb-password", EncryptKey: strings.Repeat("ab", 32)}
	before, _ := s.Node(ctx, data[0])
	v := vm("web", vmNode.ID)
	v.QSFS = []grid.QSFSSpec{spec}
	if _, err := s.DeployVM(ctx, "q", v); err != nil {
		t.Fatal(err)
	}
	if after, _ := s.Node(ctx, data[0]); after.Used.HRU != before.Used.HRU+101*grid.GB {
		t.Errorf("node %d HDD used %d GB, want %d GB (a shard and a metadata zdb)", data[0], after.Used.HRU/grid.GB, before.Used.HRU/grid.GB+101)
	}
	health := func() (grid.Health, uint32) {
		p, _ := s.Project(ctx, "q")
		return p.QSFS[0].Health, p.QSFS[0].ShardsUp
	}
	for i, want := range []grid.Health{grid.Degraded, grid.Degraded, grid.Down} {
		_ = s.SetNodeStatus(data[i], grid.NodeDown)
		if h, up := health(); h != want || up != uint32(6-i-1) {
			t.Errorf("%d data nodes down: %s with %d shards up, want %s", i+1, h, up, want)
		}
	}
}

func TestBillingGracePeriodAndFarmerShare(t *testing.T) {
	s := gridsim.New(gridsim.Config{Seed: 13})
	n := firstNode(t, s, func(n grid.Node) bool { return !n.Certified })
	q, _ := grid.QuoteWorkload(grid.Workload{CRU: 1, MRU: 2 * grid.GB, SRU: 10 * grid.GB}, grid.MainnetPricingPolicy, usd("0.01"), 0)
	hour := q.TFTHour // 1 vCPU, 2 GB, 10 GB: 52500 unit-USD = 5 250 000 units an hour
	if hour != 5_250_000 {
		t.Fatalf("hourly cost %d, want 5250000", hour)
	}
	// grid-client deploys only with 2 TFT free; that much leaves the wallet
	// once the contracts run, so 2.5 hours' worth remain.
	twin := s.CreateTwin(grid.MinFreeToDeploy+2*hour+hour/2, true)
	g := s.AsTwin(twin)
	spec := vm("web", n.ID)
	p, err := g.DeployVM(ctx, "b", spec)
	if err != nil {
		t.Fatal(err)
	}
	gw := allNodes(t, s, grid.NodeFilter{Gateway: true, Status: []grid.NodeStatus{grid.NodeUp}})[0]
	if _, err := g.DeployGateway(ctx, "b", grid.GatewaySpec{NodeID: gw.ID, Name: "shop13", Backends: []string{"http://[" + p.VMs[0].MyceliumIP + "]:80"}}); err != nil {
		t.Fatal(err)
	}
	if err := g.TransferTFT(ctx, n.FarmTwinID, grid.MinFreeToDeploy); err != nil {
		t.Fatal(err)
	}
	web, _ := p.VM("web")
	farmer := n.FarmTwinID
	farmerBefore, _ := s.TwinBalance(ctx, farmer)

	// The name contract (250 000 units an hour) and the VM share the
	// balance: 13 125 000 pays hour 1 (5 500 000) and hour 2, then the VM
	// cannot pay hour 3 (2 125 000 left) and enters grace; the name
	// contract still can.
	s.Advance(3 * time.Hour)
	bills, _ := s.BillReports(ctx, grid.BillQuery{ContractIDs: []uint64{web.ContractID}})
	if len(bills) != 2 {
		t.Fatalf("%d VM bills, want 2", len(bills))
	}
	var shares grid.TFTUnits
	for _, b := range bills {
		if b.Amount != hour || b.FarmerShare != hour/2 || b.NodeID != n.ID || b.FarmID != n.FarmID {
			t.Errorf("bill %+v, want %d with a %d farmer share on node %d", b, hour, hour/2, n.ID)
		}
		shares += b.FarmerShare
	}
	if got, _ := s.TwinBalance(ctx, farmer); got != farmerBefore+shares {
		t.Errorf("farmer balance %s, want %s", got, farmerBefore+shares)
	}
	names, _ := s.BillReports(ctx, grid.BillQuery{TwinID: twin, NodeIDs: nil})
	var nameBills int
	for _, b := range names {
		if b.NodeID == 0 {
			nameBills++
			if b.Amount != 250_000 || b.FarmerShare != 0 {
				t.Errorf("name bill %+v", b)
			}
		}
	}
	if nameBills != 3 {
		t.Errorf("%d name contract bills, want 3", nameBills)
	}
	p, _ = g.Project(ctx, "b")
	if v, _ := p.VM("web"); v.Health != grid.Down || p.Health != grid.Down {
		t.Errorf("unpaid VM is %s, project %s; want down", v.Health, p.Health)
	}

	// Funded again, the next hour is billed and the VM comes back.
	_ = s.Fund(twin, 10*hour)
	s.Advance(time.Hour)
	p, _ = g.Project(ctx, "b")
	if p.Health != grid.Healthy {
		t.Errorf("funded project is %s", p.Health)
	}

	// Drained, it is deleted once the grace period ends.
	bal, _ := s.TwinBalance(ctx, twin)
	if err := g.TransferTFT(ctx, farmer, bal); err != nil {
		t.Fatal(err)
	}
	s.Advance(15 * 24 * time.Hour)
	if _, err := g.Project(ctx, "b"); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("project after an unpaid grace period: %v", err)
	}
	if after, _ := s.Node(ctx, n.ID); after.Used != n.Used {
		t.Errorf("the expired VM still uses %+v, want %+v", after.Used, n.Used)
	}
}

func TestRentedNode(t *testing.T) {
	s := gridsim.New(gridsim.Config{Seed: 17})
	free := allNodes(t, s, grid.NodeFilter{Rentable: true, Status: []grid.NodeStatus{grid.NodeUp}})
	if len(free) == 0 {
		t.Fatal("no rentable node")
	}
	n := free[0]
	if n.Dedicated {
		if _, err := s.DeployVM(ctx, "unrented", vm("web", n.ID)); grid.FailureReason(err) != grid.ReasonNodeCapacity {
			t.Errorf("a VM on a dedicated node without a rent: %v", err)
		}
	}
	spec := vm("web", n.ID)
	spec.Rent = true
	p, err := s.DeployVM(ctx, "dedicated", spec)
	if err != nil {
		t.Fatal(err)
	}
	var rent *grid.Contract
	for i, c := range p.Contracts {
		if c.Kind == grid.RentContract {
			rent = &p.Contracts[i]
		}
	}
	q, _ := s.Quote(ctx, grid.Workload{CRU: n.Total.CRU, MRU: n.Total.MRU, SRU: n.Total.SRU, HRU: n.Total.HRU, Dedicated: true, ExtraFeeMUSDMonth: n.ExtraFeeMUSDMonth})
	if rent == nil || rent.NodeID != n.ID || rent.HourlyCost != q.TFTHour {
		t.Fatalf("rent contract %+v, want one on node %d costing %s", rent, n.ID, q.TFTHour)
	}
	if node, _ := s.Node(ctx, n.ID); node.Rentable || node.RentedByTwin != p.TwinID {
		t.Errorf("rented node: rentable %v, rented by %d", node.Rentable, node.RentedByTwin)
	}
	other := s.AsTwin(s.CreateTwin(1_000*grid.UnitsPerTFT, true))
	if _, err := other.DeployVM(ctx, "intruder", vm("web", n.ID)); grid.FailureReason(err) != grid.ReasonNodeCapacity {
		t.Errorf("another twin on a rented node: %v", err)
	}
	s.Advance(time.Hour)
	bills, _ := s.BillReports(ctx, grid.BillQuery{NodeIDs: []uint32{n.ID}})
	if len(bills) != 1 || bills[0].ContractID != rent.ID {
		t.Errorf("bills on the rented node: %+v, want the rent alone (the VM rides on it)", bills)
	}
	_ = s.CancelProject(ctx, "dedicated")
	if node, _ := s.Node(ctx, n.ID); !node.Rentable {
		t.Error("node not rentable after the cancel")
	}
}

func TestConcurrentDeploys(t *testing.T) {
	s := gridsim.New(gridsim.Config{Seed: 19})
	n := firstNode(t, s, func(n grid.Node) bool { return n.Free().CRU >= 8 && n.Free().MRU >= 16*grid.GB })
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			name := string(rune('a'+i)) + "-project"
			if _, err := s.DeployVM(ctx, name, vm("web", n.ID)); err != nil {
				errs <- err
			}
			if _, err := s.DeployVM(ctx, name, vm("web", n.ID)); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := s.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}}); err != nil {
				errs <- err
			}
			s.Advance(time.Minute)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if after, _ := s.Node(ctx, n.ID); after.Used.CRU != n.Used.CRU+8 {
		t.Errorf("node uses %d cores, want %d", after.Used.CRU, n.Used.CRU+8)
	}
}

func TestLatencyHonoursTheContext(t *testing.T) {
	s := gridsim.New(gridsim.Config{Seed: 23})
	n := firstNode(t, s, nil)
	s.SetLatency(gridsim.Latency{Deploy: time.Minute})
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err := s.DeployVM(short, "slow", vm("web", n.ID))
	if grid.FailureReason(err) != grid.ReasonTimeout {
		t.Errorf("deploy past the deadline: %v", err)
	}
	var f *grid.Failure
	if !errors.As(err, &f) || fiatdashboard.ErrorCode(err) != fiatdashboard.EUNAVAILABLE {
		t.Errorf("timeout error %v is not an EUNAVAILABLE failure", err)
	}
	s.SetLatency(gridsim.Latency{})
	if _, err := s.Project(ctx, "slow"); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("an abandoned call created the project: %v", err)
	}
}

func TestDemoWorldHasGatewayNodes(t *testing.T) {
	s := gridsim.New(gridsim.Config{Seed: 42})
	gws := allNodes(t, s, grid.NodeFilter{Gateway: true})
	if len(gws) < 3 {
		t.Fatalf("%d gateway nodes, want several", len(gws))
	}
	domains := map[string]bool{}
	for _, n := range gws {
		if n.GatewayDomain == "" || !strings.HasSuffix(n.GatewayDomain, ".grid.tf") || domains[n.GatewayDomain] {
			t.Errorf("node %d has gateway domain %q", n.ID, n.GatewayDomain)
		}
		domains[n.GatewayDomain] = true
	}
	t.Logf("%d gateway nodes: %v", len(gws), domains)
}

func TestClusterAndGatewaySmoke(t *testing.T) {
	s := gridsim.New(gridsim.Config{Seed: 42})
	ns := allNodes(t, s, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, Dedicated: new(bool), PublicIPv4: true,
		MinFree: grid.Resources{CRU: 4, MRU: 8 * grid.GB, SRU: 100 * grid.GB}})
	k := func(name string, node uint32) grid.K8sNode {
		return grid.K8sNode{Name: name, NodeID: node, CPU: 2, Memory: 4 * grid.GB, DiskSize: 25 * grid.GB}
	}
	master := k("master", ns[0].ID)
	master.PublicIPv4 = true
	spec := grid.K8sSpec{Master: master, Workers: []grid.K8sNode{k("w1", ns[1].ID), k("w2", ns[1].ID)}, Token: "abcdef123456"}
	p, err := s.DeployKubernetes(ctx, "k", spec)
	if err != nil {
		t.Fatal(err)
	}
	if p.K8s == nil || p.K8s.Master.PublicIPv4 == "" || len(p.K8s.Workers) != 2 || len(p.Contracts) != 4 {
		t.Fatalf("cluster %+v, contracts %+v", p.K8s, p.Contracts)
	}
	p, err = s.SetK8sWorkers(ctx, "k", []grid.K8sNode{k("w1", ns[1].ID), k("w3", ns[2].ID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.K8s.Workers) != 2 || len(p.Contracts) != 6 {
		t.Fatalf("workers %+v, contracts %+v", p.K8s.Workers, p.Contracts)
	}
	kc, err := s.Kubeconfig(ctx, "k")
	if err != nil || !strings.Contains(kc, "server: https://") {
		t.Fatalf("kubeconfig %q %v", kc, err)
	}
	if err := s.CancelProject(ctx, "k"); err != nil {
		t.Fatal(err)
	}
}

// TestAppOrphansAreFoundOnceIndexed: a caller that lost the ids of a
// cluster and its gateway (a crash before it stored them) finds them by
// project name once the indexers list them, and its cancel ends every
// one, the name contract included, as reconcile does for orphans.
func TestAppOrphansAreFoundOnceIndexed(t *testing.T) {
	s := gridsim.New(gridsim.Config{Seed: 5, IndexerLag: time.Minute})
	n := firstNode(t, s, nil)
	gw := allNodes(t, s, grid.NodeFilter{Gateway: true, Status: []grid.NodeStatus{grid.NodeUp}})[0]
	spec := grid.K8sSpec{Master: grid.K8sNode{Name: "master", NodeID: n.ID, CPU: 1, Memory: 2 * grid.GB, DiskSize: 10 * grid.GB}, Token: "orphan1234"}
	p, err := s.DeployKubernetes(ctx, "lost", spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeployGateway(ctx, "lost", grid.GatewaySpec{NodeID: gw.ID, Name: "lostname", Backends: []string{"http://[" + p.K8s.Master.MyceliumIP + "]:80"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Project(ctx, "lost"); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Fatalf("listed inside the indexer lag: %v", err)
	}
	s.Advance(2 * time.Minute)
	got, err := s.Project(ctx, "lost")
	if err != nil || got.K8s == nil || len(got.Gateways) != 1 || len(got.Contracts) != 4 {
		t.Fatalf("after the lag: %+v, %v; want the network, cluster, gateway and name contracts", got, err)
	}
	kinds := map[grid.ContractKind]int{}
	for _, c := range got.Contracts {
		kinds[c.Kind]++
	}
	if kinds[grid.NodeContract] != 3 || kinds[grid.NameContract] != 1 {
		t.Errorf("contract kinds %v", kinds)
	}
	before, _ := s.Node(ctx, n.ID)
	if err := s.CancelProject(ctx, "lost"); err != nil {
		t.Fatal(err)
	}
	if after, _ := s.Node(ctx, n.ID); after.Used != before.Used.Sub(spec.Master.Resources()) {
		t.Errorf("node %d uses %+v after the cancel, want %+v", n.ID, after.Used, before.Used.Sub(spec.Master.Resources()))
	}
	if _, err := s.DeployGateway(ctx, "other", grid.GatewaySpec{NodeID: gw.ID, Name: "lostname", Backends: []string{"http://185.69.166.10:80"}}); err != nil {
		t.Errorf("the cancelled project's name is not free: %v", err)
	}
}
