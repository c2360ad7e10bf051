// Package gridtest is the contract test suite that every grid.Grid
// implementation passes: the simulator always, the real adapter when it is
// given a funded test twin.
package gridtest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// Fixture tells the suite what an implementation can offer beyond Grid.
type Fixture struct {
	// Unverified acts as a twin that is not KYC-verified; nil skips the
	// tests that need one.
	Unverified grid.Grid
	// Poor acts as a KYC-verified twin whose balance cannot pay for a VM;
	// nil skips the tests that need one.
	Poor grid.Grid
	// Nodes narrows the nodes the suite deploys to (a test farm, say).
	Nodes grid.NodeFilter
	// Flist is the VM image; default the official Ubuntu flist.
	Flist string
	// QSFSExpected and QSFSMinimal size the QSFS test; default 4 and 2.
	QSFSExpected, QSFSMinimal uint32
	// Prefix starts every project name, so runs on a shared network do not
	// collide; default "gridtest".
	Prefix string
	// Timeout bounds each grid call; default one minute.
	Timeout time.Duration
	// Drainable lets the suite move nearly all of the twin's TFT to
	// Unverified and back (the simulator; never a real wallet).
	Drainable bool
	// OpenDrained, when set, opens the Grid of the same twin the way it
	// is opened when its wallet holds less than the 2 TFT grid-client
	// needs to start (tfgrid's read-and-cancel client), without draining
	// the wallet: the real adapter's drained path, run on a funded twin.
	OpenDrained func(t *testing.T) grid.Grid
	// NoSSHKey acts as the same twin through an adapter that holds no SSH
	// key of its own (tfgrid without Config.SSHKey); nil skips the case.
	NoSSHKey grid.Grid
}

// IndexerLag is the capability of a Grid whose indexer lag a test may set
// (the simulator); on the real grid the lag is simply there.
type IndexerLag interface {
	SetIndexerLag(d time.Duration)
}

// NodePower is the capability of a Grid whose nodes a test may power
// down (the simulator).
type NodePower interface {
	SetNodeStatus(nodeID uint32, status grid.NodeStatus) error
}

// Stasher is the capability of a Grid whose twins' bonded stash a test
// may set (the simulator).
type Stasher interface {
	SetStash(twinID uint32, amount grid.TFTUnits) error
}

// Clock is the capability of a Grid whose clock a test may move (the
// simulator); the billing test runs only against such a Grid.
type Clock interface {
	Now() time.Time
	Advance(d time.Duration)
}

// Run runs the suite. newGrid returns a fresh Grid, acting as a funded,
// KYC-verified twin, for each test, with its Fixture.
func Run(t *testing.T, newGrid func(t *testing.T) (grid.Grid, Fixture)) {
	tests := []struct {
		name string
		run  func(*suite)
	}{
		{"ListNodesPagesAndFilters", (*suite).listNodes},
		{"NodeNotFound", (*suite).node},
		{"QuoteMatchesPricing", (*suite).quote},
		{"DeployVMIsIdempotent", (*suite).deployVM},
		{"DeployVMWithPublicIPv4", (*suite).deployPublicIPv4},
		{"StandbyVMOnAnotherNodeAndFarm", (*suite).standbyVM},
		{"QSFSDeploysWithItsVM", (*suite).qsfs},
		{"RunningVMIsNeverUpdated", (*suite).noVMUpdate},
		{"QSFSDataDirFitsItsCache", (*suite).qsfsDataDir},
		{"QSFSRefusesWeakSecrets", (*suite).qsfsSecrets},
		{"QSFSBackendReplacement", (*suite).replaceBackend},
		{"DeployReturnsContractsBeforeTheIndexerListsThem", (*suite).indexerLag},
		{"CancelContractsCancelsExactlyThose", (*suite).cancelContracts},
		{"ProjectsReadIndependently", (*suite).projectsIndependent},
		{"ContractsCarryResourcesAndHourlyCost", (*suite).contractCosts},
		{"GPUNeedsARentedNode", (*suite).gpuRent},
		{"DrainedTwinStillReadsAndCancels", (*suite).drained},
		{"DiscountCountsUsableAndStash", (*suite).stash},
		{"BillReportsPage", (*suite).billPages},
		{"CertifiedBillsAsDIY", (*suite).certifiedAsDIY},
		{"RentBillsTheDedicatedShareAndExtraFee", (*suite).rentPrice},
		{"ExtraFeeGoesToTheFarmer", (*suite).extraFee},
		{"CancelEndsTheProject", (*suite).cancel},
		{"BillingTakesTheBalance", (*suite).billing},
		{"UnverifiedTwinMayNotDeploy", (*suite).kycMissing},
		{"TwinWithoutFundsMayNotDeploy", (*suite).insufficientFunds},
		{"TwinBalanceAndKYC", (*suite).twin},
		{"TransferTFT", (*suite).transfer},
		{"BillReportsValidatesQuery", (*suite).billQuery},
	}
	tests = append(tests, appTests...)
	tests = append(tests, setupTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, fx := newGrid(t)
			if fx.Flist == "" {
				fx.Flist = "https://hub.grid.tf/tf-official-vms/ubuntu-24.04-full.flist"
			}
			if fx.QSFSExpected == 0 {
				fx.QSFSExpected, fx.QSFSMinimal = 4, 2
			}
			if fx.Prefix == "" {
				fx.Prefix = "gridtest"
			}
			if fx.Timeout == 0 {
				fx.Timeout = time.Minute
			}
			tc.run(&suite{t: t, g: g, fx: fx})
		})
	}
}

type suite struct {
	t  *testing.T
	g  grid.Grid
	fx Fixture
}

func (s *suite) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), s.fx.Timeout)
	s.t.Cleanup(cancel)
	return ctx
}

func (s *suite) project(suffix string) string {
	return fmt.Sprintf("%s-%s", s.fx.Prefix, suffix)
}

func wantCode(t *testing.T, err error, code string, what string) {
	t.Helper()
	if got := fiatdashboard.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// vm returns a small VM spec for node.
func (s *suite) vm(name string, node uint32) grid.VMSpec {
	return grid.VMSpec{
		Name: name, NodeID: node, Flist: s.fx.Flist, Entrypoint: "/sbin/zinit init",
		CPU: 1, Memory: 2 * grid.GB, RootFS: 10 * grid.GB,
		Env:      map[string]string{"SSH_KEY": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGridTestKeyOnly gridtest"},
		Mycelium: true,
	}
}

// nodes returns up to count up, shared nodes with room for need, matching
// the fixture's filter and extra.
func (s *suite) nodes(need grid.Resources, count int, extra func(*grid.NodeFilter)) []grid.Node {
	s.t.Helper()
	f := s.fx.Nodes
	f.Status = []grid.NodeStatus{grid.NodeUp}
	f.MinFree = f.MinFree.Add(need)
	f.Dedicated = ptr(false)
	f.Page = grid.Page{Size: grid.MaxPageSize}
	if extra != nil {
		extra(&f)
	}
	page, err := s.g.ListNodes(s.ctx(), f)
	if err != nil {
		s.t.Fatalf("list nodes: %v", err)
	}
	if len(page.Nodes) > count {
		return page.Nodes[:count]
	}
	return page.Nodes
}

func ptr[T any](v T) *T { return &v }

var vmNeed = grid.Resources{CRU: 1, MRU: 2 * grid.GB, SRU: 10 * grid.GB}

// deploy deploys a small VM as project name and cancels it when the test ends.
func (s *suite) deploy(name string, spec grid.VMSpec) grid.Project {
	s.t.Helper()
	p, err := s.g.DeployVM(s.ctx(), name, spec)
	if err != nil {
		s.t.Fatalf("deploy %s: %v", name, err)
	}
	s.t.Cleanup(func() {
		err := s.g.CancelProject(context.Background(), name)
		if err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
			s.t.Errorf("cancel %s: %v", name, err)
		}
	})
	return p
}

func (s *suite) listNodes() {
	t, ctx := s.t, s.ctx()
	first, err := s.g.ListNodes(ctx, grid.NodeFilter{Page: grid.Page{Number: 1, Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Nodes) == 0 || len(first.Nodes) > 10 || first.Total < len(first.Nodes) {
		t.Fatalf("first page: %d nodes of %d", len(first.Nodes), first.Total)
	}
	if !slices.IsSortedFunc(first.Nodes, func(a, b grid.Node) int { return int(a.ID) - int(b.ID) }) {
		t.Error("nodes are not ordered by id")
	}
	if first.Total > 10 {
		second, err := s.g.ListNodes(ctx, grid.NodeFilter{Page: grid.Page{Number: 2, Size: 10}})
		if err != nil {
			t.Fatal(err)
		}
		if len(second.Nodes) == 0 || second.Nodes[0].ID <= first.Nodes[len(first.Nodes)-1].ID {
			t.Errorf("page 2 does not follow page 1")
		}
		if second.Total != first.Total {
			t.Errorf("total changed between pages: %d, %d", first.Total, second.Total)
		}
	}
	past, err := s.g.ListNodes(ctx, grid.NodeFilter{Page: grid.Page{Number: first.Total + 1, Size: 10}})
	if err != nil || len(past.Nodes) != 0 {
		t.Errorf("page past the end: %d nodes, %v; want none", len(past.Nodes), err)
	}

	sample := first.Nodes[0]
	filters := map[string]struct {
		f    grid.NodeFilter
		want func(grid.Node) bool
	}{
		"farm":      {grid.NodeFilter{FarmIDs: []uint32{sample.FarmID}}, func(n grid.Node) bool { return n.FarmID == sample.FarmID }},
		"country":   {grid.NodeFilter{Countries: []string{sample.Country}}, func(n grid.Node) bool { return n.Country == sample.Country }},
		"up":        {grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}}, func(n grid.Node) bool { return n.Status == grid.NodeUp }},
		"free cru":  {grid.NodeFilter{MinFree: grid.Resources{CRU: 4, MRU: 8 * grid.GB}}, func(n grid.Node) bool { return n.Free().CRU >= 4 && n.Free().MRU >= 8*grid.GB }},
		"gpu":       {grid.NodeFilter{GPU: true}, func(n grid.Node) bool { return len(n.GPUs) > 0 }},
		"certified": {grid.NodeFilter{Certified: true}, func(n grid.Node) bool { return n.Certified }},
		"ipv4":      {grid.NodeFilter{PublicIPv4: true}, func(n grid.Node) bool { return n.PublicIPv4 > 0 }},
		"ipv6":      {grid.NodeFilter{IPv6: true}, func(n grid.Node) bool { return n.IPv6 }},
		"shared":    {grid.NodeFilter{Dedicated: ptr(false)}, func(n grid.Node) bool { return !n.Dedicated }},
		"gateway":   {grid.NodeFilter{Gateway: true}, func(n grid.Node) bool { return n.GatewayDomain != "" }},
		"not farm":  {grid.NodeFilter{ExcludeFarm: []uint32{sample.FarmID}}, func(n grid.Node) bool { return n.FarmID != sample.FarmID }},
	}
	for name, tc := range filters {
		tc.f.Page = grid.Page{Size: 100}
		page, err := s.g.ListNodes(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, n := range page.Nodes {
			if !tc.want(n) {
				t.Errorf("%s filter let node %d through", name, n.ID)
			}
		}
		if name == "farm" || name == "country" {
			if !slices.ContainsFunc(page.Nodes, func(n grid.Node) bool { return n.ID == sample.ID }) && page.Total <= 100 {
				t.Errorf("%s filter lost node %d", name, sample.ID)
			}
		}
	}
	_, err = s.g.ListNodes(ctx, grid.NodeFilter{Page: grid.Page{Size: grid.MaxPageSize + 1}})
	wantCode(t, err, fiatdashboard.EINVALID, "oversized page")
}

func (s *suite) node() {
	t, ctx := s.t, s.ctx()
	page, err := s.g.ListNodes(ctx, grid.NodeFilter{Page: grid.Page{Size: 1}})
	if err != nil || len(page.Nodes) != 1 {
		t.Fatalf("list: %v", err)
	}
	n, err := s.g.Node(ctx, page.Nodes[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if n.ID != page.Nodes[0].ID || n.FarmID != page.Nodes[0].FarmID || n.Total != page.Nodes[0].Total {
		t.Errorf("Node(%d) = %+v, differs from the list entry %+v", n.ID, n, page.Nodes[0])
	}
	_, err = s.g.Node(ctx, 4_000_000_000)
	wantCode(t, err, fiatdashboard.ENOTFOUND, "unknown node")
}

func (s *suite) quote() {
	t := s.t
	for _, w := range []grid.Workload{
		{CRU: 1, MRU: 2 * grid.GB, SRU: 25 * grid.GB},
		{CRU: 4, MRU: 16 * grid.GB, SRU: 200 * grid.GB, HRU: 1000 * grid.GB, PublicIPv4: 1, Certified: true},
		{CRU: 16, MRU: 64 * grid.GB, SRU: 2000 * grid.GB, Dedicated: true},
	} {
		q, err := s.g.Quote(s.ctx(), w)
		if err != nil {
			t.Fatal(err)
		}
		if q.Workload != w {
			t.Errorf("quote of %+v is for %+v", w, q.Workload)
		}
		want, err := grid.QuoteWorkload(w, q.Policy, q.TFTPrice, q.Balance)
		if err != nil {
			t.Fatal(err)
		}
		if q.TFTMonth != want.TFTMonth || q.Discount != want.Discount || q.USDMonth.Cmp(want.USDMonth) != 0 || q.CU.Cmp(want.CU) != 0 {
			t.Errorf("quote %s TFT %s %s USD, pricing gives %s TFT %s %s USD",
				q.TFTMonth, q.Discount, q.USDMonth.FloatString(7), want.TFTMonth, want.Discount, want.USDMonth.FloatString(7))
		}
		if q.TFTMonth <= 0 || q.TFTMonth != q.TFTHour*grid.HoursPerMonth {
			t.Errorf("TFT/month %s is not 720 hourly bills of %s", q.TFTMonth, q.TFTHour)
		}
	}
}

func (s *suite) deployVM() {
	t := s.t
	nodes := s.nodes(vmNeed, 1, nil)
	if len(nodes) == 0 {
		t.Skip("no up node with room for a small VM")
	}
	name := s.project("vm")
	spec := s.vm("web", nodes[0].ID)
	p := s.deploy(name, spec)
	if p.Name != name || len(p.Contracts) < 2 {
		t.Fatalf("project %q with %d contracts, want the VM's and its network's", p.Name, len(p.Contracts))
	}
	for _, c := range p.Contracts {
		if c.Kind == grid.NodeContract && c.NodeID != nodes[0].ID {
			t.Errorf("contract %d on node %d, want %d", c.ID, c.NodeID, nodes[0].ID)
		}
		if c.State != grid.ContractCreated {
			t.Errorf("contract %d is %s", c.ID, c.State)
		}
	}
	vm, ok := p.VM("web")
	if !ok || vm.Role != grid.Primary || vm.NodeID != nodes[0].ID || vm.Health != grid.Healthy {
		t.Fatalf("VM web = %+v, want a healthy primary on node %d", vm, nodes[0].ID)
	}
	if vm.PrivateIP == "" || vm.MyceliumIP == "" {
		t.Errorf("VM lacks its private or Mycelium address: %+v", vm)
	}
	if !slices.Contains(p.ContractIDs(), vm.ContractID) {
		t.Errorf("VM contract %d is not among the project's %v", vm.ContractID, p.ContractIDs())
	}

	again, err := s.g.DeployVM(s.ctx(), name, spec)
	if err != nil {
		t.Fatalf("re-deploy: %v", err)
	}
	if !slices.Equal(again.ContractIDs(), p.ContractIDs()) {
		t.Errorf("re-deploy returned contracts %v, want the same %v", again.ContractIDs(), p.ContractIDs())
	}
	state, err := s.g.Project(s.ctx(), name)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(state.ContractIDs(), p.ContractIDs()) || state.Health != grid.Healthy {
		t.Errorf("state: contracts %v health %s, want %v healthy", state.ContractIDs(), state.Health, p.ContractIDs())
	}

	bigger := spec
	bigger.CPU = 2
	_, err = s.g.DeployVM(s.ctx(), name, bigger)
	wantCode(t, err, fiatdashboard.ECONFLICT, "re-deploy with another spec")
	state, _ = s.g.Project(s.ctx(), name)
	if !slices.Equal(state.ContractIDs(), p.ContractIDs()) {
		t.Errorf("a refused re-deploy changed the contracts to %v", state.ContractIDs())
	}

	_, err = s.g.DeployVM(s.ctx(), "Not A Name", spec)
	wantCode(t, err, fiatdashboard.EINVALID, "bad project name")
	noCPU := spec
	noCPU.CPU = 0
	_, err = s.g.DeployVM(s.ctx(), s.project("nocpu"), noCPU)
	wantCode(t, err, fiatdashboard.EINVALID, "VM without cores")
	_, err = s.g.DeployVM(s.ctx(), s.project("nonode"), s.vm("web", 4_000_000_000))
	wantCode(t, err, fiatdashboard.ENOTFOUND, "unknown node")
}

func (s *suite) deployPublicIPv4() {
	t := s.t
	nodes := s.nodes(vmNeed, 1, func(f *grid.NodeFilter) { f.PublicIPv4 = true })
	if len(nodes) == 0 {
		t.Skip("no up node in a farm with a free public IPv4")
	}
	spec := s.vm("web", nodes[0].ID)
	spec.PublicIPv4 = true
	p := s.deploy(s.project("ipv4"), spec)
	vm, _ := p.VM("web")
	if vm.PublicIPv4 == "" {
		t.Fatalf("VM has no public IPv4: %+v", vm)
	}
	var held bool
	for _, c := range p.Contracts {
		held = held || slices.Contains(c.PublicIPs, vm.PublicIPv4)
	}
	if !held {
		t.Errorf("no contract holds the VM's IPv4 %s", vm.PublicIPv4)
	}
}

func (s *suite) standbyVM() {
	t := s.t
	nodes := s.nodes(vmNeed, 1, nil)
	if len(nodes) == 0 {
		t.Skip("no up node with room for a small VM")
	}
	primary := nodes[0]
	name := s.project("standby")
	s.deploy(name, s.vm("web", primary.ID))
	others := s.nodes(vmNeed, 1, func(f *grid.NodeFilter) { f.ExcludeFarm = append(f.ExcludeFarm, primary.FarmID) })
	if len(others) == 0 {
		t.Skip("no node in another farm")
	}
	spec := s.vm("web-standby", others[0].ID)
	p, err := s.g.DeployStandbyVM(s.ctx(), name, spec)
	if err != nil {
		t.Fatal(err)
	}
	vm, ok := p.VM("web-standby")
	if !ok || vm.Role != grid.Standby || vm.NodeID != others[0].ID || vm.FarmID == primary.FarmID {
		t.Fatalf("standby = %+v, want a standby on node %d outside farm %d", vm, others[0].ID, primary.FarmID)
	}
	if len(p.VMs) != 2 || p.VMs[0].Role != grid.Primary {
		t.Errorf("VMs = %+v, want the primary then the standby", p.VMs)
	}
	again, err := s.g.DeployStandbyVM(s.ctx(), name, spec)
	if err != nil || !slices.Equal(again.ContractIDs(), p.ContractIDs()) {
		t.Errorf("re-deploying the standby: %v, contracts %v want %v", err, again.ContractIDs(), p.ContractIDs())
	}

	// The standby goes (its node failed): the primary stays, the standby's
	// contracts are gone, a second removal changes nothing, and a new
	// standby can then be placed.
	removed, err := s.g.RemoveStandbyVM(s.ctx(), name)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := removed.VM("web-standby"); ok || len(removed.VMs) != 1 || removed.VMs[0].Role != grid.Primary {
		t.Errorf("after removing the standby, VMs = %+v, want the primary only", removed.VMs)
	}
	if len(removed.ContractIDs()) >= len(p.ContractIDs()) {
		t.Errorf("contracts after removing the standby %v, before %v: none cancelled", removed.ContractIDs(), p.ContractIDs())
	}
	twice, err := s.g.RemoveStandbyVM(s.ctx(), name)
	if err != nil || !slices.Equal(twice.ContractIDs(), removed.ContractIDs()) {
		t.Errorf("removing the standby twice: %v, contracts %v want %v", err, twice.ContractIDs(), removed.ContractIDs())
	}
	if _, err := s.g.DeployStandbyVM(s.ctx(), name, spec); err != nil {
		t.Errorf("a new standby after the removal: %v", err)
	}
	_, err = s.g.RemoveStandbyVM(s.ctx(), s.project("no-such"))
	wantCode(t, err, fiatdashboard.ENOTFOUND, "removing the standby of a missing project")

	sameFarm := s.nodes(vmNeed, 1, func(f *grid.NodeFilter) {
		f.FarmIDs = []uint32{primary.FarmID}
		f.ExcludeNode = []uint32{primary.ID}
	})
	if len(sameFarm) > 0 {
		_, err = s.g.DeployStandbyVM(s.ctx(), s.project("standby2"), s.vm("b", sameFarm[0].ID))
		wantCode(t, err, fiatdashboard.ENOTFOUND, "standby for a missing project")
		name2 := s.project("standby3")
		s.deploy(name2, s.vm("web", primary.ID))
		_, err = s.g.DeployStandbyVM(s.ctx(), name2, s.vm("web-standby", sameFarm[0].ID))
		wantCode(t, err, fiatdashboard.EINVALID, "standby in the primary's farm")
	}
}

// qsfsSpec is the suite's swarm "data" for the VM "web": a data backend on
// each of data, metadata on the first metas of them.
func (s *suite) qsfsSpec(shard uint64, data []grid.Node, metas int) grid.QSFSSpec {
	spec := grid.QSFSSpec{
		Name: "data", VMName: "web", MountPoint: "/data",
		Expected: s.fx.QSFSExpected, Minimal: s.fx.QSFSMinimal,
		ShardSize: shard, MetaSize: grid.GB, CacheSize: grid.GB,
		Password: "gridtest-zdb-password", EncryptKey: "4d778ba3216e4da4231540c92a55f06157cabba802f9b68fb0f78375d2e825af",
	}
	for i, n := range data {
		spec.DataNodes = append(spec.DataNodes, n.ID)
		if i < metas {
			spec.MetaNodes = append(spec.MetaNodes, n.ID)
		}
	}
	return spec
}

func (s *suite) cancel() {
	t := s.t
	nodes := s.nodes(vmNeed, 1, nil)
	if len(nodes) == 0 {
		t.Skip("no up node with room for a small VM")
	}
	name := s.project("cancel")
	spec := s.vm("web", nodes[0].ID)
	p := s.deploy(name, spec)
	if err := s.g.CancelProject(s.ctx(), name); err != nil {
		t.Fatal(err)
	}
	_, err := s.g.Project(s.ctx(), name)
	wantCode(t, err, fiatdashboard.ENOTFOUND, "state after cancel")
	wantCode(t, s.g.CancelProject(s.ctx(), name), fiatdashboard.ENOTFOUND, "second cancel")
	_, err = s.g.Project(s.ctx(), s.project("never-deployed"))
	wantCode(t, err, fiatdashboard.ENOTFOUND, "state of a project never deployed")

	again := s.deploy(name, spec)
	for _, id := range again.ContractIDs() {
		if slices.Contains(p.ContractIDs(), id) {
			t.Errorf("deploying after a cancel reused contract %d", id)
		}
	}
}

func (s *suite) billing() {
	t := s.t
	clock, ok := s.g.(Clock)
	if !ok {
		t.Skip("this grid's clock cannot be moved; billing is checked against the simulator")
	}
	nodes := s.nodes(vmNeed, 1, nil)
	if len(nodes) == 0 {
		t.Skip("no up node with room for a small VM")
	}
	twin, err := s.g.Twin(s.ctx())
	if err != nil {
		t.Fatal(err)
	}
	p := s.deploy(s.project("billing"), s.vm("web", nodes[0].ID))
	vm, _ := p.VM("web")
	q, _ := s.g.Quote(s.ctx(), grid.Workload{CRU: 1, MRU: 2 * grid.GB, SRU: 10 * grid.GB})
	for _, c := range p.Contracts {
		if c.ID == vm.ContractID && c.HourlyCost != q.TFTHour {
			t.Errorf("the VM contract costs %s an hour, the quote says %s", c.HourlyCost, q.TFTHour)
		}
	}
	before, _ := s.g.TwinBalance(s.ctx(), twin)
	from := clock.Now()
	clock.Advance(3 * time.Hour)
	after, _ := s.g.TwinBalance(s.ctx(), twin)
	if after >= before {
		t.Fatalf("balance %s after 3 hours, was %s", after, before)
	}
	bills, err := s.g.BillReports(s.ctx(), grid.BillQuery{TwinID: twin, From: from, To: clock.Now().Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	var sum grid.TFTUnits
	vmBills := 0
	for _, b := range bills {
		sum += b.Amount
		if b.FarmerShare != grid.FarmerShare(b.Amount-b.ExtraFee)+b.ExtraFee {
			t.Errorf("bill %+v: farmer share is not half the cost plus the extra fee", b)
		}
		if b.ContractID == vm.ContractID {
			vmBills++
		}
	}
	if sum != before-after {
		t.Errorf("bills add up to %s, the balance fell by %s", sum, before-after)
	}
	if vmBills != 3 {
		t.Errorf("the VM contract got %d bills in 3 hours, want 3", vmBills)
	}
}

func (s *suite) kycMissing() {
	if s.fx.Unverified == nil {
		s.t.Skip("the fixture has no twin without KYC")
	}
	s.refused(s.fx.Unverified, grid.ReasonKYCMissing, fiatdashboard.EFORBIDDEN)
	twin, _ := s.fx.Unverified.Twin(s.ctx())
	if ok, err := s.g.TwinKYC(s.ctx(), twin); err != nil || ok {
		s.t.Errorf("TwinKYC(%d) = %v, %v; want false", twin, ok, err)
	}
}

func (s *suite) insufficientFunds() {
	if s.fx.Poor == nil {
		s.t.Skip("the fixture has no twin without funds")
	}
	s.refused(s.fx.Poor, grid.ReasonInsufficientFunds, fiatdashboard.ECONFLICT)
}

// refused checks that g may not deploy, for reason, and creates nothing.
func (s *suite) refused(g grid.Grid, reason grid.Reason, code string) {
	t := s.t
	nodes := s.nodes(vmNeed, 1, nil)
	if len(nodes) == 0 {
		t.Skip("no up node with room for a small VM")
	}
	name := s.project("refused")
	_, err := g.DeployVM(s.ctx(), name, s.vm("web", nodes[0].ID))
	if grid.FailureReason(err) != reason {
		t.Fatalf("deploy: %v (reason %q), want reason %q", err, grid.FailureReason(err), reason)
	}
	wantCode(t, err, code, "refused deploy")
	_, err = g.Project(s.ctx(), name)
	wantCode(t, err, fiatdashboard.ENOTFOUND, "state of a refused project")
}

func (s *suite) twin() {
	t, ctx := s.t, s.ctx()
	twin, err := s.g.Twin(ctx)
	if err != nil || twin == 0 {
		t.Fatalf("Twin = %d, %v", twin, err)
	}
	if ok, err := s.g.TwinKYC(ctx, twin); err != nil || !ok {
		t.Errorf("own twin KYC = %v, %v; the suite needs a verified twin", ok, err)
	}
	if b, err := s.g.TwinBalance(ctx, twin); err != nil || b <= 0 {
		t.Errorf("own balance = %s, %v; the suite needs a funded twin", b, err)
	}
	_, err = s.g.TwinBalance(ctx, 4_000_000_000)
	wantCode(t, err, fiatdashboard.ENOTFOUND, "balance of an unknown twin")
	_, err = s.g.TwinKYC(ctx, 4_000_000_000)
	wantCode(t, err, fiatdashboard.ENOTFOUND, "KYC of an unknown twin")
}

func (s *suite) transfer() {
	t, ctx := s.t, s.ctx()
	wantCode(t, s.g.TransferTFT(ctx, 1, 0), fiatdashboard.EINVALID, "zero transfer")
	wantCode(t, s.g.TransferTFT(ctx, 4_000_000_000, 1), fiatdashboard.ENOTFOUND, "transfer to an unknown twin")
	if s.fx.Unverified == nil {
		t.Skip("the fixture has no second twin to pay")
	}
	to, _ := s.fx.Unverified.Twin(ctx)
	twin, _ := s.g.Twin(ctx)
	before, _ := s.g.TwinBalance(ctx, to)
	mine, _ := s.g.TwinBalance(ctx, twin)
	if err := s.g.TransferTFT(ctx, to, 1_000); err != nil {
		t.Fatal(err)
	}
	if after, _ := s.g.TwinBalance(ctx, to); after != before+1_000 {
		t.Errorf("recipient balance %s, want %s", after, before+1_000)
	}
	err := s.g.TransferTFT(ctx, to, mine*2)
	if grid.FailureReason(err) != grid.ReasonInsufficientFunds {
		t.Errorf("transfer of twice the balance: %v, want insufficient funds", err)
	}
}

func (s *suite) billQuery() {
	t, ctx := s.t, s.ctx()
	_, err := s.g.BillReports(ctx, grid.BillQuery{})
	wantCode(t, err, fiatdashboard.EINVALID, "empty bill query")
	now := time.Now()
	_, err = s.g.BillReports(ctx, grid.BillQuery{TwinID: 1, From: now, To: now.Add(-time.Hour)})
	wantCode(t, err, fiatdashboard.EINVALID, "reversed window")
	bills, err := s.g.BillReports(ctx, grid.BillQuery{ContractIDs: []uint64{1 << 62}})
	if err != nil || len(bills) != 0 {
		t.Errorf("bills of an unknown contract: %v, %v; want none", bills, err)
	}
}
