package gridtest

import (
	"errors"
	"math/big"
	"slices"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// qsfsVM returns a VM "web" on a node with room for it and a QSFS cache,
// with the suite's QSFS on distinct other nodes, or skips.
func (s *suite) qsfsVM() (grid.VMSpec, grid.QSFSSpec) {
	t := s.t
	t.Helper()
	vmNodes := s.nodes(vmNeed.Add(grid.Resources{SRU: 2 * grid.GB}), 1, nil)
	if len(vmNodes) == 0 {
		t.Skip("no up node with room for a small VM")
	}
	data := s.nodes(grid.Resources{SRU: grid.GB}, int(s.fx.QSFSExpected), func(f *grid.NodeFilter) {
		f.ExcludeNode = append(f.ExcludeNode, vmNodes[0].ID)
	})
	if len(data) < int(s.fx.QSFSExpected) {
		t.Skipf("only %d nodes for %d shards", len(data), s.fx.QSFSExpected)
	}
	return s.vm("web", vmNodes[0].ID), s.qsfsSpec(grid.GB, data, 2)
}

// qsfs: ZOS never updates a running VM, so a QSFS is deployed with its VM:
// the zdbs and the VM's deployment (VM, qsfs workload, mount) at once.
func (s *suite) qsfs() {
	t := s.t
	vm, spec := s.qsfsVM()
	vm.QSFS = []grid.QSFSSpec{spec}
	name := s.project("qsfs")
	p := s.deploy(name, vm)
	if len(p.QSFS) != 1 {
		t.Fatalf("project has %d QSFS, want 1: %+v", len(p.QSFS), p)
	}
	q := p.QSFS[0]
	if q.Expected != spec.Expected || q.Minimal != spec.Minimal || q.VMName != "web" || q.MountPoint != spec.MountPoint || q.Health != grid.Healthy {
		t.Errorf("QSFS = %+v", q)
	}
	if !slices.Equal(q.DataNodes, spec.DataNodes) || len(q.ContractIDs) != len(spec.DataNodes) {
		t.Errorf("QSFS data nodes %v contracts %v, want one contract on each of %v", q.DataNodes, q.ContractIDs, spec.DataNodes)
	}
	for _, id := range q.ContractIDs {
		if !slices.Contains(p.ContractIDs(), id) {
			t.Errorf("zdb contract %d is not among the project's", id)
		}
	}
	v, _ := p.VM("web")
	for _, c := range p.Contracts {
		if c.ID == v.ContractID && c.Resources.SRU < vm.Resources().SRU+spec.CacheSize {
			t.Errorf("the VM deployment uses %d bytes of SSD, want the VM's and the QSFS cache's %d", c.Resources.SRU, vm.Resources().SRU+spec.CacheSize)
		}
	}
	again, err := s.g.DeployVM(s.ctx(), name, vm)
	if err != nil || !slices.Equal(again.ContractIDs(), p.ContractIDs()) {
		t.Errorf("re-deploying the VM and its QSFS: %v, contracts %v want %v", err, again.ContractIDs(), p.ContractIDs())
	}
	dup := vm
	dup.QSFS = []grid.QSFSSpec{spec}
	dup.QSFS[0].DataNodes = slices.Clone(spec.DataNodes)
	dup.QSFS[0].DataNodes[1] = dup.QSFS[0].DataNodes[0]
	_, err = s.g.DeployVM(s.ctx(), s.project("qsfs-dup"), dup)
	wantCode(t, err, fiatdashboard.EINVALID, "two shards on one node")
}

// noVMUpdate: adding a QSFS to a VM that runs is refused and creates no
// zdb contract (ZOS: workload 'zmachine' does not support upgrade).
func (s *suite) noVMUpdate() {
	t := s.t
	vm, spec := s.qsfsVM()
	name := s.project("noupdate")
	p := s.deploy(name, vm)
	with := vm
	with.QSFS = []grid.QSFSSpec{spec}
	_, err := s.g.DeployVM(s.ctx(), name, with)
	wantCode(t, err, fiatdashboard.ECONFLICT, "adding a QSFS to a running VM")
	after, err := s.g.Project(s.ctx(), name, p.ContractIDs()...)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(after.ContractIDs(), p.ContractIDs()) || len(after.QSFS) != 0 {
		t.Errorf("a refused update left contracts %v (were %v) and QSFS %+v", after.ContractIDs(), p.ContractIDs(), after.QSFS)
	}
}

// qsfsDataDir: the QSFS's local data dir must fit in its cache, as in
// grid-client's QSFS example (cache 1024 MB, data dir 512 MB).
func (s *suite) qsfsDataDir() {
	vm, spec := s.qsfsVM()
	spec.DataDirSize = spec.CacheSize + grid.GB
	vm.QSFS = []grid.QSFSSpec{spec}
	name := s.project("datadir")
	_, err := s.g.DeployVM(s.ctx(), name, vm)
	wantCode(s.t, err, fiatdashboard.EINVALID, "a data dir larger than the cache")
	_, err = s.g.Project(s.ctx(), name)
	wantCode(s.t, err, fiatdashboard.ENOTFOUND, "state after a refused QSFS")
}

// qsfsSecrets: a weak zdb password or an encryption key that is not 32
// bytes of hex (ZOS EncryptionKey.Valid) is refused before anything exists.
func (s *suite) qsfsSecrets() {
	vm, spec := s.qsfsVM()
	for field, mutate := range map[string]func(*grid.QSFSSpec){
		"password":    func(q *grid.QSFSSpec) { q.Password = "short" },
		"encrypt_key": func(q *grid.QSFSSpec) { q.EncryptKey = "not-hex-and-too-short" },
	} {
		bad := spec
		mutate(&bad)
		v := vm
		v.QSFS = []grid.QSFSSpec{bad}
		name := s.project("secret-" + field[:3])
		_, err := s.g.DeployVM(s.ctx(), name, v)
		wantCode(s.t, err, fiatdashboard.EINVALID, "a weak "+field)
		var e *fiatdashboard.Error
		if !errors.As(err, &e) || e.Field != field {
			s.t.Errorf("weak %s: error %v does not name the field", field, err)
		}
		if _, err := s.g.Project(s.ctx(), name); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
			s.t.Errorf("a refused %s left project %s: %v", field, name, err)
		}
	}
}

// indexerLag: the ids DeployVM returns are valid before the indexers list
// them; reads and cancels by those ids work at once.
func (s *suite) indexerLag() {
	t := s.t
	if l, ok := s.g.(IndexerLag); ok {
		l.SetIndexerLag(time.Minute)
	}
	nodes := s.nodes(vmNeed, 1, nil)
	if len(nodes) == 0 {
		t.Skip("no up node with room for a small VM")
	}
	name := s.project("lag")
	p := s.deploy(name, s.vm("web", nodes[0].ID))
	vm, ok := p.VM("web")
	if !ok || !slices.Contains(p.ContractIDs(), vm.ContractID) || len(p.Contracts) < 2 {
		t.Fatalf("DeployVM returned %+v; want the VM's and the network's contracts before any indexer lists them", p)
	}
	got, err := s.g.Project(s.ctx(), name, p.ContractIDs()...)
	if err != nil || !slices.Equal(got.ContractIDs(), p.ContractIDs()) {
		t.Fatalf("Project by the returned ids: %v, contracts %v want %v", err, got.ContractIDs(), p.ContractIDs())
	}
	if _, ok := s.g.(IndexerLag); ok {
		// Within the lag the indexers do not list the project yet: a
		// read or cancel by name alone cannot find it.
		_, err := s.g.Project(s.ctx(), name)
		wantCode(t, err, fiatdashboard.ENOTFOUND, "a listing by name inside the indexer lag")
	}
	if err := s.g.CancelContracts(s.ctx(), p.ContractIDs()); err != nil {
		t.Fatal(err)
	}
	_, err = s.g.Project(s.ctx(), name, p.ContractIDs()...)
	wantCode(t, err, fiatdashboard.ENOTFOUND, "state after cancelling the returned contracts")
	if err := s.g.CancelContracts(s.ctx(), p.ContractIDs()); err != nil {
		t.Errorf("cancelling the same contracts again: %v; want a no-op", err)
	}
}

// cancelContracts: exactly the given contracts end; another project's
// stay; an unknown id is refused and cancels nothing.
func (s *suite) cancelContracts() {
	t := s.t
	nodes := s.nodes(vmNeed, 2, nil)
	if len(nodes) < 2 {
		t.Skip("no two up nodes with room for a small VM")
	}
	a := s.deploy(s.project("cc-a"), s.vm("web", nodes[0].ID))
	b := s.deploy(s.project("cc-b"), s.vm("web", nodes[1].ID))
	err := s.g.CancelContracts(s.ctx(), append(a.ContractIDs(), 1<<62))
	wantCode(t, err, fiatdashboard.ENOTFOUND, "cancelling an unknown contract")
	if got, err := s.g.Project(s.ctx(), a.Name, a.ContractIDs()...); err != nil || !slices.Equal(got.ContractIDs(), a.ContractIDs()) {
		t.Fatalf("a refused cancel changed project a: %v, %v", got.ContractIDs(), err)
	}
	if err := s.g.CancelContracts(s.ctx(), a.ContractIDs()); err != nil {
		t.Fatal(err)
	}
	_, err = s.g.Project(s.ctx(), a.Name, a.ContractIDs()...)
	wantCode(t, err, fiatdashboard.ENOTFOUND, "project a after cancelling its contracts")
	if got, err := s.g.Project(s.ctx(), b.Name, b.ContractIDs()...); err != nil || !slices.Equal(got.ContractIDs(), b.ContractIDs()) {
		t.Errorf("project b after cancelling a's contracts: %v, %v; want %v", got.ContractIDs(), err, b.ContractIDs())
	}
}

// projectsIndependent: a project reads only its own contracts, so a down
// node of another project of the twin does not mark it down.
func (s *suite) projectsIndependent() {
	t := s.t
	power, ok := s.g.(NodePower)
	if !ok {
		t.Skip("this grid's nodes cannot be powered down by a test")
	}
	nodes := s.nodes(vmNeed, 2, nil)
	if len(nodes) < 2 {
		t.Skip("no two up nodes with room for a small VM")
	}
	a := s.deploy(s.project("ind-a"), s.vm("web", nodes[0].ID))
	b := s.deploy(s.project("ind-b"), s.vm("web", nodes[1].ID))
	if err := power.SetNodeStatus(nodes[0].ID, grid.NodeDown); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { power.SetNodeStatus(nodes[0].ID, grid.NodeUp) })
	pa, err := s.g.Project(s.ctx(), a.Name, a.ContractIDs()...)
	if err != nil || pa.Health != grid.Down {
		t.Errorf("project on the down node: %s, %v; want down", pa.Health, err)
	}
	pb, err := s.g.Project(s.ctx(), b.Name, b.ContractIDs()...)
	if err != nil || pb.Health != grid.Healthy {
		t.Errorf("project on the up node: %s, %v; want healthy", pb.Health, err)
	}
}

// contractCosts: the contracts a deploy returns carry their resources and
// what the chain bills them an hour, from the grid itself.
func (s *suite) contractCosts() {
	t := s.t
	nodes := s.nodes(vmNeed, 1, nil)
	if len(nodes) == 0 {
		t.Skip("no up node with room for a small VM")
	}
	spec := s.vm("web", nodes[0].ID)
	p := s.deploy(s.project("costs"), spec)
	vm, _ := p.VM("web")
	q, err := s.g.Quote(s.ctx(), grid.Workload{CRU: spec.CPU, MRU: spec.Memory, SRU: spec.RootFS})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range p.Contracts {
		if c.ID != vm.ContractID {
			continue
		}
		found = true
		if c.Resources != spec.Resources() {
			t.Errorf("VM contract resources %+v, want %+v", c.Resources, spec.Resources())
		}
		if c.HourlyCost != q.TFTHour || c.ListHourlyCost != q.ListTFTHour {
			t.Errorf("VM contract costs %s (list %s) an hour, the chain's pricing says %s (list %s)", c.HourlyCost, c.ListHourlyCost, q.TFTHour, q.ListTFTHour)
		}
	}
	if !found {
		t.Fatalf("no VM contract among %+v", p.Contracts)
	}
}

// gpuRent: ZOS attaches a GPU only on a node the twin rents. A GPU VM
// rents the node first, lists its GPU, and its resources are billed by
// the rent, not the node contract.
func (s *suite) gpuRent() {
	t := s.t
	f := s.fx.Nodes
	f.Status, f.GPU, f.Rentable = []grid.NodeStatus{grid.NodeUp}, true, true
	f.MinFree = vmNeed
	f.Page = grid.Page{Size: 10}
	page, err := s.g.ListNodes(s.ctx(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Nodes) == 0 {
		t.Skip("no rentable up node with a GPU")
	}
	n := page.Nodes[0]
	spec := s.vm("gpu", n.ID)
	spec.GPUs = []string{n.GPUs[0].ID}
	_, err = s.g.DeployVM(s.ctx(), s.project("gpu-norent"), spec)
	wantCode(t, err, fiatdashboard.EINVALID, "a GPU on a node not rented")
	spec.Rent = true
	p := s.deploy(s.project("gpu"), spec)
	vm, _ := p.VM("gpu")
	if !slices.Equal(vm.GPUs, spec.GPUs) {
		t.Errorf("the VM lists GPUs %v, want %v", vm.GPUs, spec.GPUs)
	}
	var rent *grid.Contract
	for i, c := range p.Contracts {
		if c.Kind == grid.RentContract && c.NodeID == n.ID {
			rent = &p.Contracts[i]
		}
		if c.ID == vm.ContractID && c.HourlyCost != 0 {
			t.Errorf("the VM contract on a rented node bills %s an hour; its resources are the rent's", c.HourlyCost)
		}
	}
	if rent == nil {
		t.Fatalf("no rent contract on node %d in %+v", n.ID, p.Contracts)
	}
	q, err := s.g.Quote(s.ctx(), grid.Workload{CRU: n.Total.CRU, MRU: n.Total.MRU, SRU: n.Total.SRU, HRU: n.Total.HRU,
		Dedicated: true, ExtraFeeMUSDMonth: n.ExtraFeeMUSDMonth})
	if err != nil {
		t.Fatal(err)
	}
	if rent.HourlyCost != q.TFTHour {
		t.Errorf("the rent costs %s an hour, the chain's pricing says %s", rent.HourlyCost, q.TFTHour)
	}
	got, err := s.g.Node(s.ctx(), n.ID)
	twin, _ := s.g.Twin(s.ctx())
	if err != nil || got.RentedByTwin != twin || got.Rentable {
		t.Errorf("node after the rent: rented by %d, rentable %v, %v; want rented by %d", got.RentedByTwin, got.Rentable, err, twin)
	}
}

// drained: a wallet below what deploying needs (grid-client refuses to
// start, deploy or cancel below 2 TFT free: validateAccountBalanceForExtrinsics)
// still reads and cancels its contracts, and a deploy is refused with
// insufficient funds, not "unavailable". The simulator drains the wallet;
// the real adapter opens its drained client (OpenDrained) on a funded twin.
func (s *suite) drained() {
	t := s.t
	if !(s.fx.Drainable && s.fx.Unverified != nil) && s.fx.OpenDrained == nil {
		t.Skip("the fixture can neither drain the wallet nor open its drained client")
	}
	nodes := s.nodes(vmNeed, 2, nil)
	if len(nodes) == 0 {
		t.Skip("no up node with room for a small VM")
	}
	name := s.project("drained")
	p := s.deploy(name, s.vm("web", nodes[0].ID))
	g := s.g
	if s.fx.Drainable && s.fx.Unverified != nil {
		twin, _ := s.g.Twin(s.ctx())
		other, _ := s.fx.Unverified.Twin(s.ctx())
		balance, _ := s.g.TwinBalance(s.ctx(), twin)
		keep := grid.UnitsPerTFT // 1 TFT: below grid-client's 2 TFT
		if err := s.g.TransferTFT(s.ctx(), other, balance-keep); err != nil {
			t.Fatal(err)
		}
	} else {
		g = s.fx.OpenDrained(t)
	}
	got, err := g.Project(s.ctx(), name, p.ContractIDs()...)
	if err != nil || len(got.Contracts) != len(p.Contracts) {
		t.Errorf("a drained wallet reads its project: %d of %d contracts, %v", len(got.Contracts), len(p.Contracts), err)
	}
	other := nodes[len(nodes)-1]
	_, err = g.DeployVM(s.ctx(), s.project("drained-more"), s.vm("web", other.ID))
	if grid.FailureReason(err) != grid.ReasonInsufficientFunds {
		t.Errorf("a drained wallet deploying = %v, want insufficient funds", err)
	}
	if err := g.CancelProject(s.ctx(), name, p.ContractIDs()...); err != nil {
		t.Errorf("a drained wallet cancels its project: %v", err)
	}
	if _, err := s.g.Project(s.ctx(), name, p.ContractIDs()...); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("the project after the drained wallet cancelled it: %v, want ENOTFOUND", err)
	}
}

// stash: the staking discount is judged against usable plus stash
// balance (billing.rs bill_contract), not the free balance alone.
func (s *suite) stash() {
	t := s.t
	st, ok := s.g.(Stasher)
	if !ok {
		t.Skip("this grid's stash cannot be set by a test")
	}
	twin, _ := s.g.Twin(s.ctx())
	w := grid.Workload{CRU: 4, MRU: 16 * grid.GB, SRU: 200 * grid.GB}
	plain, err := s.g.Quote(s.ctx(), w)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetStash(twin, 100*plain.ListTFTMonth); err != nil {
		t.Fatal(err)
	}
	b, err := s.g.TwinBalances(s.ctx(), twin)
	if err != nil || b.Stash != 100*plain.ListTFTMonth {
		t.Fatalf("balances %+v, %v; want the stash", b, err)
	}
	q, err := s.g.Quote(s.ctx(), w)
	if err != nil {
		t.Fatal(err)
	}
	if q.Discount != grid.DiscountGold || q.Balance != b.ForDiscount() {
		t.Errorf("with a stash of 100 months the discount is %s against %s, want gold against usable + stash %s", q.Discount, q.Balance, b.ForDiscount())
	}
}

// billPages: bill reports come in pages that follow each other.
func (s *suite) billPages() {
	t := s.t
	clock, ok := s.g.(Clock)
	if !ok {
		t.Skip("this grid's clock cannot be moved")
	}
	nodes := s.nodes(vmNeed, 1, nil)
	if len(nodes) == 0 {
		t.Skip("no up node with room for a small VM")
	}
	twin, _ := s.g.Twin(s.ctx())
	s.deploy(s.project("pages"), s.vm("web", nodes[0].ID))
	from := clock.Now()
	clock.Advance(5 * time.Hour)
	q := grid.BillQuery{TwinID: twin, From: from}
	all, err := s.g.BillReports(s.ctx(), q)
	if err != nil || len(all) < 5 {
		t.Fatalf("bills: %d, %v", len(all), err)
	}
	var paged []grid.BillReport
	q.Limit = 2
	for {
		page, err := s.g.BillReports(s.ctx(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("a page of %d bills, limit 2", len(page))
		}
		paged = append(paged, page...)
		if len(page) < 2 {
			break
		}
		last := page[len(page)-1]
		q.AfterAt, q.AfterContract = last.At, last.ContractID
	}
	if !slices.Equal(paged, all) {
		t.Errorf("%d paged bills differ from the %d unpaged", len(paged), len(all))
	}
}

// certifiedAsDIY: the chain bills every contract as DIY (cost.rs
// calculate_contract_cost_tft), so a certified node costs the same.
func (s *suite) certifiedAsDIY() {
	w := grid.Workload{CRU: 2, MRU: 4 * grid.GB, SRU: 50 * grid.GB, PublicIPv4: 1}
	diy, err := s.g.Quote(s.ctx(), w)
	if err != nil {
		s.t.Fatal(err)
	}
	w.Certified = true
	cert, err := s.g.Quote(s.ctx(), w)
	if err != nil {
		s.t.Fatal(err)
	}
	if cert.TFTMonth != diy.TFTMonth || cert.ListUSDHour.Cmp(diy.ListUSDHour) != 0 {
		s.t.Errorf("certified %s TFT a month, DIY %s: the chain bills both alike", cert.TFTMonth, diy.TFTMonth)
	}
}

// rentPrice: a rent bills Percent::from_percent(discount_for_dedication_nodes)
// of the whole node's cost, plus the farmer's extra fee (mUSD a month).
func (s *suite) rentPrice() {
	node := grid.Workload{CRU: 16, MRU: 64 * grid.GB, SRU: 2000 * grid.GB, HRU: 8000 * grid.GB}
	shared, err := s.g.Quote(s.ctx(), node)
	if err != nil {
		s.t.Fatal(err)
	}
	rent := node
	rent.Dedicated, rent.ExtraFeeMUSDMonth = true, 36_000 // 36 USD a month
	q, err := s.g.Quote(s.ctx(), rent)
	if err != nil {
		s.t.Fatal(err)
	}
	unit := big.NewRat(1, 10_000_000)
	units := new(big.Rat).Quo(shared.ListUSDHour, unit) // the shared cost, unit-USD an hour
	units.Mul(units, big.NewRat(q.Policy.DedicatedDiscountPct, 100))
	units.Add(units, big.NewRat(36_000*10_000/grid.HoursPerMonth, 1))
	want := new(big.Rat).Mul(units, unit)
	if q.ListUSDHour.Cmp(want) != 0 {
		s.t.Errorf("a rent lists %s USD an hour, want %s%% of %s plus the extra fee = %s",
			q.ListUSDHour.FloatString(7), big.NewInt(q.Policy.DedicatedDiscountPct), shared.ListUSDHour.FloatString(7), want.FloatString(7))
	}
	if q.ExtraFeeUSDHour.Cmp(big.NewRat(36_000*10_000/grid.HoursPerMonth, 10_000_000)) != 0 {
		s.t.Errorf("extra fee %s USD an hour", q.ExtraFeeUSDHour.FloatString(7))
	}
}

// extraFee: a rent's bills carry the extra fee on their own, all of it
// the farmer's.
func (s *suite) extraFee() {
	t := s.t
	clock, ok := s.g.(Clock)
	if !ok {
		t.Skip("this grid's clock cannot be moved")
	}
	f := s.fx.Nodes
	f.Status, f.GPU, f.Rentable = []grid.NodeStatus{grid.NodeUp}, true, true
	f.MinFree = vmNeed
	page, err := s.g.ListNodes(s.ctx(), f)
	if err != nil {
		t.Fatal(err)
	}
	var n grid.Node
	for _, c := range page.Nodes {
		if c.ExtraFeeMUSDMonth > 0 {
			n = c
			break
		}
	}
	if n.ID == 0 {
		t.Skip("no rentable node with an extra fee")
	}
	spec := s.vm("web", n.ID)
	spec.Rent = true
	p := s.deploy(s.project("extra"), spec)
	var rent uint64
	for _, c := range p.Contracts {
		if c.Kind == grid.RentContract {
			rent = c.ID
		}
	}
	from := clock.Now()
	clock.Advance(2 * time.Hour)
	bills, err := s.g.BillReports(s.ctx(), grid.BillQuery{ContractIDs: []uint64{rent}, From: from})
	if err != nil || len(bills) != 2 {
		t.Fatalf("rent bills: %d, %v; want 2", len(bills), err)
	}
	for _, b := range bills {
		if b.ExtraFee <= 0 || b.FarmerShare != grid.FarmerShare(b.Amount-b.ExtraFee)+b.ExtraFee {
			t.Errorf("rent bill %+v: want the extra fee on its own and wholly the farmer's", b)
		}
	}
}
