package gridsim

import (
	"context"
	"crypto/sha256"
	"fmt"
	"reflect"
	"slices"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// DeployVM implements grid.Grid. The VM, its network, an optional rent
// and its QSFS (zdbs first, then the VM deployment with the qsfs workload
// and the mount) are created at once, as grid-client deploys them.
//
// ZOS refuses to update a running VM: its provision engine accepts an
// updated deployment only when every changed workload's type implements
// provision.Updater (zos pkg/provision/engine.go, "workload '%s' does
// not support upgrade"), and the zmachine manager does not. Of the types
// this platform uses, zmount, zdb, qsfs, network and volume can be
// updated; zmachine (the VM) and the public IP cannot. So a project
// whose VM differs from spec in any way is refused (ECONFLICT), never
// updated.
func (s *Sim) DeployVM(ctx context.Context, name string, spec grid.VMSpec) (grid.Project, error) {
	if err := grid.ValidateProjectName(name); err != nil {
		return grid.Project{}, err
	}
	if err := spec.Validate(); err != nil {
		return grid.Project{}, err
	}
	if err := s.wait(ctx, true); err != nil {
		return grid.Project{}, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	key := projectKey{s.twin, name}
	p := s.w.liveProject(key)
	if spec.Setup != nil && s.noKey {
		return grid.Project{}, errNoSSHKey("run the VM's setup")
	}
	if p != nil {
		if p.primary != nil && reflect.DeepEqual(p.primary.spec, withQSFSVM(spec)) {
			// A retry: the setup runs again unless its marker is there.
			err := s.w.runSetup(p.primary)
			return s.w.snapshot(p, nil), err
		}
		if p.primary != nil || p.k8s != nil {
			return grid.Project{}, refuseVMUpdate(name)
		}
		// A project holding only gateways (deployed first) takes its VM.
	}
	fresh := p == nil
	if fresh {
		p = &project{key: key}
	}
	vm, err := s.w.deployVM(p, spec, grid.Primary)
	if vm != nil {
		p.primary = vm
		if fresh {
			s.w.projects[key] = p
		}
		// A timeout after the contracts exist: the caller gets them, to
		// cancel exactly them or to wait for the deployment.
		return s.w.snapshot(p, nil), err
	}
	return grid.Project{}, err
}

// refuseVMUpdate is ZOS's answer to a changed VM workload.
func refuseVMUpdate(project string) error {
	return fiatdashboard.Errorf(fiatdashboard.ECONFLICT,
		"project %q already runs a different VM; ZOS does not update a running VM (workload 'zmachine' does not support upgrade)", project)
}

// withQSFSVM fills each QSFS's VMName, as Validate accepts it empty.
func withQSFSVM(spec grid.VMSpec) grid.VMSpec {
	spec = cloneSpec(spec)
	for i := range spec.QSFS {
		spec.QSFS[i].VMName = spec.Name
	}
	return spec
}

// DeployStandbyVM implements grid.Grid.
func (s *Sim) DeployStandbyVM(ctx context.Context, name string, spec grid.VMSpec) (grid.Project, error) {
	if err := spec.Validate(); err != nil {
		return grid.Project{}, err
	}
	if err := s.wait(ctx, true); err != nil {
		return grid.Project{}, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	p := s.w.liveProject(projectKey{s.twin, name})
	if p == nil || p.primary == nil {
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q has no VM to stand by for", name)
	}
	if spec.Setup != nil && s.noKey {
		return grid.Project{}, errNoSSHKey("run the VM's setup")
	}
	if p.standby != nil {
		if reflect.DeepEqual(p.standby.spec, withQSFSVM(spec)) {
			err := s.w.runSetup(p.standby)
			return s.w.snapshot(p, nil), err
		}
		return grid.Project{}, refuseVMUpdate(name)
	}
	if spec.Name == p.primary.spec.Name {
		return grid.Project{}, fiatdashboard.Invalid("name", "the standby VM needs a name of its own")
	}
	primary, _ := s.w.node(p.primary.spec.NodeID)
	n, err := s.w.node(spec.NodeID)
	if err != nil {
		return grid.Project{}, err
	}
	if n.ID == primary.ID || n.FarmID == primary.FarmID {
		return grid.Project{}, fiatdashboard.Invalid("node_id", "a standby VM must run on another node in another farm than the primary (farm %d)", primary.FarmID)
	}
	vm, err := s.w.deployVM(p, spec, grid.Standby)
	if vm != nil {
		p.standby = vm
		return s.w.snapshot(p, nil), err
	}
	return grid.Project{}, err
}

// admit checks what the grid checks before it takes a deployment on n:
// the twin's KYC, injected faults, the 2 TFT free grid-client demands,
// and that the node answers.
func (w *world) admit(t *twin, n *node) error {
	if !t.KYC || w.takeFault(FaultKYCMissing, n.ID) {
		return grid.Fail(grid.ReasonKYCMissing, "twin %d is not KYC-verified; the grid only lets verified twins deploy", t.ID)
	}
	if w.takeFault(FaultInsufficientFunds, n.ID) {
		return grid.Fail(grid.ReasonInsufficientFunds, "twin %d does not hold enough TFT to deploy", t.ID)
	}
	if t.Balance < grid.MinFreeToDeploy {
		return grid.Fail(grid.ReasonInsufficientFunds, "twin %d holds %s TFT, less than the 2 TFT the grid client needs free to deploy", t.ID, t.Balance)
	}
	if n.status == grid.NodeDown {
		return grid.Fail(grid.ReasonNodeDown, "node %d is down", n.ID)
	}
	if n.rentedBy != 0 && n.rentedBy != t.ID {
		return grid.Fail(grid.ReasonNodeCapacity, "node %d is rented by another twin", n.ID)
	}
	if w.takeFault(FaultDeployFails, n.ID) {
		return grid.Fail(grid.ReasonDeployFailed, "node %d failed to deploy the workload", n.ID)
	}
	return nil
}

// rentable reports whether twin may rent n now. TFChain's
// create_rent_contract takes a node that nobody rents and that is either
// in a dedicated farm or runs no active node contract.
func (w *world) rentable(n *node, twin uint32) bool {
	if n.rentedBy != 0 {
		return false
	}
	if n.Dedicated {
		return true
	}
	return !n.othersUse && n.nodeContracts == 0
}

// firstHour returns what the chain would bill for wl's first hour on n.
func (w *world) firstHour(n *node, wl grid.Workload) grid.TFTUnits {
	wl.Certified = n.Certified
	q, err := grid.QuoteWorkload(wl, w.policy, w.tftPrice, 0)
	if err != nil {
		panic(err) // the price is checked when it is set
	}
	return q.TFTHour
}

func (w *world) checkFunds(t *twin, need grid.TFTUnits) error {
	if t.Balance <= 0 || t.Balance < need {
		return grid.Fail(grid.ReasonInsufficientFunds, "twin %d holds %s TFT, less than the first hour of this deployment (%s TFT)", t.ID, t.Balance, need)
	}
	return nil
}

// zdbPlan is where one QSFS's zdbs go: the backend nodes in order and
// what each holds (zdbs go on HDD when it has room).
type zdbPlan struct {
	spec  grid.QSFSSpec
	order []uint32
	needs map[uint32]grid.Resources
}

// planZDBs places spec's zdbs, counting what earlier plans reserved.
func (w *world) planZDBs(t *twin, spec grid.QSFSSpec, reserved map[uint32]grid.Resources) (zdbPlan, error) {
	plan := zdbPlan{spec: spec, needs: map[uint32]grid.Resources{}}
	place := func(id uint32, size uint64) error {
		n, err := w.node(id)
		if err != nil {
			return err
		}
		if _, seen := plan.needs[id]; !seen {
			if err := w.admit(t, n); err != nil {
				return err
			}
			plan.order = append(plan.order, id)
		}
		r := plan.needs[id]
		free := n.Total.Sub(n.used).Sub(reserved[id]).Sub(r)
		switch {
		case free.HRU >= size:
			r.HRU += size
		case free.SRU >= size:
			r.SRU += size
		default:
			return grid.Fail(grid.ReasonNodeCapacity, "node %d lacks disk for a %d GB zdb", id, size/grid.GB)
		}
		plan.needs[id] = r
		return nil
	}
	for _, id := range spec.DataNodes {
		if err := place(id, spec.ShardSize); err != nil {
			return zdbPlan{}, err
		}
	}
	for _, id := range spec.MetaNodes {
		if err := place(id, spec.MetaSize); err != nil {
			return zdbPlan{}, err
		}
	}
	for id, r := range plan.needs {
		reserved[id] = reserved[id].Add(r)
	}
	return plan, nil
}

// deployVM creates the contracts of one VM and what it mounts. It returns
// the VM even with a timeout error, since the grid created its contracts
// before giving up; on any other error nothing was created.
func (w *world) deployVM(p *project, spec grid.VMSpec, role grid.VMRole) (*vmState, error) {
	spec = withQSFSVM(spec)
	t := w.twins[p.key.twin]
	n, err := w.node(spec.NodeID)
	if err != nil {
		return nil, err
	}
	if err := w.admit(t, n); err != nil {
		return nil, err
	}
	if err := checkFlist(spec.Flist); err != nil {
		return nil, err
	}
	renting := false
	if n.rentedBy != t.ID {
		switch {
		case spec.Rent && !w.rentable(n, t.ID):
			return nil, grid.Fail(grid.ReasonNodeCapacity, "node %d cannot be rented: it runs other users' contracts", n.ID)
		case spec.Rent:
			renting = true
		case n.Dedicated:
			return nil, grid.Fail(grid.ReasonNodeCapacity, "node %d is in a dedicated farm: rent it to deploy on it", n.ID)
		}
	}
	rented := renting || n.rentedBy == t.ID
	if len(spec.GPUs) > 0 && !rented {
		// ZOS attaches a GPU only to a VM of the twin renting the node.
		return nil, grid.Fail(grid.ReasonNodeCapacity, "node %d is not rented by twin %d; ZOS attaches GPUs only on a rented node", n.ID, t.ID)
	}
	need := spec.Resources()
	for _, q := range spec.QSFS {
		need.SRU += q.CacheSize // the qsfs workload's cache sits beside the VM
	}
	if free := n.Total.Sub(n.used); !free.Covers(need) {
		return nil, grid.Fail(grid.ReasonNodeCapacity, "node %d lacks capacity for this VM", n.ID)
	}
	f := w.farmOf(n)
	if spec.PublicIPv4 && f.freeIPs() == 0 {
		return nil, grid.Fail(grid.ReasonNodeCapacity, "farm %d has no free public IPv4 address", f.ID)
	}
	if spec.PublicIPv6 && !n.IPv6 {
		return nil, grid.Fail(grid.ReasonNodeCapacity, "node %d has no public IPv6", n.ID)
	}
	for _, g := range spec.GPUs {
		if !slices.ContainsFunc(n.GPUs, func(x grid.GPU) bool { return x.ID == g }) {
			return nil, fiatdashboard.Invalid("gpus", "node %d has no GPU %s", n.ID, g)
		}
		if w.gpuInUse(n.ID, g) {
			return nil, grid.Fail(grid.ReasonNodeCapacity, "GPU %s on node %d is attached to another VM", g, n.ID)
		}
	}
	reserved := map[uint32]grid.Resources{n.ID: need}
	var plans []zdbPlan
	for _, q := range spec.QSFS {
		plan, err := w.planZDBs(t, q, reserved)
		if err != nil {
			return nil, err
		}
		plans = append(plans, plan)
	}

	var ips uint32
	if spec.PublicIPv4 {
		ips = 1
	}
	var cost grid.TFTUnits
	if rented {
		cost = w.firstHour(n, grid.Workload{PublicIPv4: ips})
		if renting {
			cost += w.firstHour(n, rentWorkload(n))
		}
	} else {
		cost = w.firstHour(n, grid.Workload{CRU: need.CRU, MRU: need.MRU, SRU: need.SRU, HRU: need.HRU, PublicIPv4: ips})
	}
	for _, plan := range plans {
		for _, id := range plan.order {
			r := plan.needs[id]
			cost += w.firstHour(w.nodes[id-1], grid.Workload{SRU: r.SRU, HRU: r.HRU})
		}
	}
	if err := w.checkFunds(t, cost); err != nil {
		return nil, err
	}

	if n.status == grid.NodeStandby { // the farmerbot wakes it for the deployment
		w.setStatus(n, grid.NodeUp)
	}
	vm := &vmState{spec: spec, role: role}
	if renting {
		c := w.newContract(p, grid.RentContract, n, "rent", grid.Resources{})
		n.rentedBy, n.rentContract = t.ID, c.ID
		vm.rentContract = c.ID
	}
	// The zdbs first, each node its own deployment, as grid-client's QSFS
	// example does; then the VM's deployment mounts the qsfs workload.
	var qs []*qsfsState
	for _, plan := range plans {
		q := &qsfsState{spec: plan.spec, vm: vm}
		q.spec.DataNodes = slices.Clone(plan.spec.DataNodes)
		q.spec.MetaNodes = slices.Clone(plan.spec.MetaNodes)
		for _, id := range plan.order {
			zn := w.nodes[id-1]
			if zn.status == grid.NodeStandby {
				w.setStatus(zn, grid.NodeUp)
			}
			q.contracts = append(q.contracts, w.newContract(p, grid.NodeContract, zn, "zdb:"+plan.spec.Name, plan.needs[id]).ID)
		}
		qs = append(qs, q)
	}
	vm.netContract = w.newContract(p, grid.NodeContract, n, "network", grid.Resources{}).ID
	c := w.newContract(p, grid.NodeContract, n, "vm:"+spec.Name, need)
	vm.vmContract = c.ID
	if spec.PublicIPv4 {
		for i := range f.IPs {
			if f.IPs[i].Contract == 0 {
				f.IPs[i].Contract = c.ID
				c.PublicIPs = []string{f.IPs[i].Addr}
				vm.ipv4 = f.IPs[i].Addr
				break
			}
		}
	}
	p.qsfs = append(p.qsfs, qs...)
	h := sha256.Sum256([]byte(fmt.Sprintf("%d/%s/%s", p.key.twin, p.key.name, spec.Name)))
	vm.private = fmt.Sprintf("10.%d.%d.%d", 20+h[0]%200, h[1], 2+h[2]%250)
	vm.myc = fmt.Sprintf("4%02x:%02x%02x:%02x%02x:%02x%02x:ff0f:%02x%02x:%02x%02x:%02x%02x",
		h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15])
	if spec.PublicIPv6 {
		vm.ipv6 = fmt.Sprintf("2a10:b600:%x:%x::%x/64", n.FarmID, n.ID, 2+int(h[16])%250)
	}

	if at, ok := w.faultAfter(FaultNodeGoesOffline, n.ID); ok {
		w.offlineAt[n.ID] = w.now.Add(at)
	}
	if w.takeFault(FaultDeployTimesOut, n.ID) {
		if spec.Setup != nil {
			vm.setup = grid.SetupPending
		}
		return vm, grid.Fail(grid.ReasonTimeout, "the deployment on node %d timed out; its contracts may exist", n.ID)
	}
	// The adapter runs the setup once the VM answers; a failure leaves
	// the contracts, which come back with the error like a timeout's.
	return vm, w.runSetup(vm)
}

// gpuInUse reports whether a live VM holds GPU g of node.
func (w *world) gpuInUse(node uint32, g string) bool {
	for _, p := range w.projects {
		for _, v := range []*vmState{p.primary, p.standby} {
			if v != nil && v.spec.NodeID == node && slices.Contains(v.spec.GPUs, g) &&
				w.contracts[v.vmContract].State != grid.ContractDeleted {
				return true
			}
		}
	}
	return false
}

func cloneSpec(s grid.VMSpec) grid.VMSpec {
	s.Disks = slices.Clone(s.Disks)
	s.SSHKeys = slices.Clone(s.SSHKeys)
	s.GPUs = slices.Clone(s.GPUs)
	s.QSFS = slices.Clone(s.QSFS)
	if s.Setup != nil {
		setup := *s.Setup
		setup.Ports = slices.Clone(setup.Ports)
		s.Setup = &setup
	}
	for i := range s.QSFS {
		s.QSFS[i].DataNodes = slices.Clone(s.QSFS[i].DataNodes)
		s.QSFS[i].MetaNodes = slices.Clone(s.QSFS[i].MetaNodes)
	}
	if s.Env != nil {
		env := make(map[string]string, len(s.Env))
		for k, v := range s.Env {
			env[k] = v
		}
		s.Env = env
	}
	return s
}

// rentWorkload is what a rent contract on n bills: the whole node,
// dedicated, and the farmer's extra fee.
func rentWorkload(n *node) grid.Workload {
	return grid.Workload{CRU: n.Total.CRU, MRU: n.Total.MRU, SRU: n.Total.SRU, HRU: n.Total.HRU, Dedicated: true,
		ExtraFeeMUSDMonth: n.ExtraFeeMUSDMonth}
}

// newContract records a contract of p and reserves its resources on n.
func (w *world) newContract(p *project, kind grid.ContractKind, n *node, purpose string, r grid.Resources) *contract {
	w.nextID++
	c := &contract{
		Contract: grid.Contract{
			ID: w.nextID, Kind: kind, TwinID: p.key.twin, Purpose: purpose,
			Resources: r, State: grid.ContractCreated, CreatedAt: w.now,
		},
		project:    p.key,
		lastBilled: w.now,
	}
	if n != nil {
		c.NodeID = n.ID
		n.used = n.used.Add(r)
		if kind == grid.NodeContract {
			n.nodeContracts++
		}
	}
	w.contracts[c.ID] = c
	p.contracts = append(p.contracts, c.ID)
	return c
}

// deleteContract ends c and frees what it held.
func (w *world) deleteContract(c *contract) {
	if c.State == grid.ContractDeleted {
		return
	}
	c.State = grid.ContractDeleted
	if c.Kind == grid.NameContract {
		delete(w.names, c.Name)
		return
	}
	n := w.nodes[c.NodeID-1]
	n.used = n.used.Sub(c.Resources)
	if c.Kind == grid.NodeContract {
		n.nodeContracts--
	}
	if c.Kind == grid.RentContract && n.rentContract == c.ID {
		n.rentedBy, n.rentContract = 0, 0
	}
	f := w.farmOf(n)
	for i := range f.IPs {
		if f.IPs[i].Contract == c.ID {
			f.IPs[i].Contract = 0
		}
	}
}

// hourlyCost returns what the chain bills c for an hour now: the total,
// the dedicated node's extra fee in it, and the discount. The discount is
// judged against the twin's usable plus stash balance (billing.rs
// bill_contract).
func (w *world) hourlyCost(c *contract) (total, extra grid.TFTUnits, discount grid.DiscountPackage) {
	q := w.contractQuote(c)
	return q.TFTHour, q.ExtraFeeTFTHour, q.Discount
}

// contractQuote prices c for an hour now, as the chain does.
func (w *world) contractQuote(c *contract) grid.Quote {
	t := w.twins[c.TwinID]
	balance := t.Balance + t.Stash
	if c.Kind == grid.NameContract {
		hour, pkg, _ := grid.NameContractQuote(w.policy, w.tftPrice, balance)
		list, _, _ := grid.NameContractQuote(w.policy, w.tftPrice, 0)
		return grid.Quote{TFTHour: hour, ListTFTHour: list, Discount: pkg}
	}
	n := w.nodes[c.NodeID-1]
	var wl grid.Workload
	switch {
	case c.Kind == grid.RentContract:
		wl = rentWorkload(n)
	case n.rentContract != 0:
		// cost.rs: a node contract on a node with an active rent contract
		// bills no resources, only its public IPs.
		wl = grid.Workload{PublicIPv4: uint32(len(c.PublicIPs))}
	default:
		r := c.Resources
		wl = grid.Workload{CRU: r.CRU, MRU: r.MRU, SRU: r.SRU, HRU: r.HRU, PublicIPv4: uint32(len(c.PublicIPs))}
	}
	wl.Certified = n.Certified
	q, _ := grid.QuoteWorkload(wl, w.policy, w.tftPrice, balance)
	return q
}

// snapshot returns the project as Project reports it, with the contracts
// seen (nil: all).
func (w *world) snapshot(p *project, seen func(*contract) bool) grid.Project {
	if seen == nil {
		seen = func(*contract) bool { return true }
	}
	out := grid.Project{Name: p.key.name, TwinID: p.key.twin}
	ids := slices.Clone(p.contracts)
	slices.Sort(ids)
	for _, id := range ids {
		c := w.contracts[id]
		if c.State == grid.ContractDeleted || !seen(c) {
			continue
		}
		gc := c.Contract
		gc.PublicIPs = slices.Clone(c.PublicIPs)
		q := w.contractQuote(c)
		gc.HourlyCost, gc.ListHourlyCost = q.TFTHour, q.ListTFTHour
		if c.Kind == grid.RentContract {
			n := w.nodes[c.NodeID-1]
			gc.Resources = n.Total // a rent bills the whole node
		}
		out.Contracts = append(out.Contracts, gc)
	}
	vmHealth := func(v *vmState) grid.Health {
		n := w.nodes[v.spec.NodeID-1]
		if n.status == grid.NodeUp && w.contracts[v.vmContract].State == grid.ContractCreated {
			return grid.Healthy
		}
		return grid.Down
	}
	health := grid.Healthy
	for _, v := range []*vmState{p.primary, p.standby} {
		if v == nil || !seen(w.contracts[v.vmContract]) {
			continue
		}
		n := w.nodes[v.spec.NodeID-1]
		out.VMs = append(out.VMs, grid.VM{
			Name: v.spec.Name, Role: v.role, NodeID: n.ID, FarmID: n.FarmID, ContractID: v.vmContract,
			PublicIPv4: v.ipv4, PublicIPv6: v.ipv6, MyceliumIP: v.myc, PrivateIP: v.private,
			GPUs: slices.Clone(v.spec.GPUs), Health: vmHealth(v),
		})
		if v.spec.Setup != nil {
			out.VMs[len(out.VMs)-1].Setup = v.spec.Setup.State(v.setup)
		}
	}
	if p.primary != nil && vmHealth(p.primary) != grid.Healthy {
		health = grid.Down
		if p.standby != nil && vmHealth(p.standby) == grid.Healthy {
			health = grid.Degraded
		}
	} else if p.standby != nil && vmHealth(p.standby) != grid.Healthy {
		health = grid.Degraded
	}
	for _, q := range p.qsfs {
		if !seen(w.contracts[q.vm.vmContract]) {
			continue
		}
		var up uint32
		for _, id := range q.spec.DataNodes {
			if w.nodes[id-1].status == grid.NodeUp {
				up++
			}
		}
		qh := grid.Healthy
		switch {
		case up < q.spec.Minimal || vmHealth(q.vm) != grid.Healthy:
			qh = grid.Down
		case up < q.spec.Expected:
			qh = grid.Degraded
		}
		var cids []uint64
		for _, id := range q.contracts {
			if seen(w.contracts[id]) {
				cids = append(cids, id)
			}
		}
		out.QSFS = append(out.QSFS, grid.QSFS{
			Name: q.spec.Name, VMName: q.spec.VMName, MountPoint: q.spec.MountPoint,
			Expected: q.spec.Expected, Minimal: q.spec.Minimal,
			DataNodes: slices.Clone(q.spec.DataNodes), MetaNodes: slices.Clone(q.spec.MetaNodes),
			ContractIDs: cids, ShardsUp: up, Health: qh,
		})
		if qh == grid.Down && q.vm == p.primary {
			health = grid.Down
		} else if qh != grid.Healthy && health == grid.Healthy {
			health = grid.Degraded
		}
	}
	out.Health = w.appSnapshot(p, &out, seen, health)
	return out
}
