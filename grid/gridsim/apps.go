package gridsim

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// hub is the simulated ThreeFold hub: the flists a node can download.
// grid-client validates every VM's flist by fetching it before it creates
// any contract (workloads/flist.go ValidateFlist: "flist: '%s' is invalid,
// failed to download flist"), and ZOS fails a zmachine whose flist it
// cannot download, so an flist missing here is refused with nothing
// created.
var hub = map[string]bool{
	"https://hub.grid.tf/tf-official-vms/ubuntu-24.04-full.flist":         true,
	"https://hub.grid.tf/tf-official-vms/ubuntu-22.04-full.flist":         true,
	"https://hub.grid.tf/tf-official-vms/debian-12.flist":                 true,
	"https://hub.grid.tf/tf-official-vms/nixos-micro.flist":               true,
	"https://hub.grid.tf/tf-official-apps/base:latest.flist":              true,
	"https://hub.grid.tf/tf-official-apps/threefoldtech-k3s-latest.flist": true, // grid-client's former default
	grid.K3sFlist:       true,
	grid.NextcloudFlist: true,
	grid.OpenWebUIFlist: true,
}

// HubHas reports whether the simulated hub serves flist.
func HubHas(flist string) bool { return hub[flist] }

// checkFlist refuses an flist the hub does not serve.
func checkFlist(flist string) error {
	if err := grid.ValidateFlist(flist); err != nil {
		return err
	}
	if !hub[flist] {
		return fiatdashboard.Invalid("flist", "flist: '%s' is invalid, failed to download flist", flist)
	}
	return nil
}

type gatewayState struct {
	spec         grid.GatewaySpec
	fqdn         string
	contract     uint64 // the node contract of the gateway workload
	nameContract uint64
}

type k8sVM struct {
	node    grid.K8sNode
	role    grid.VMRole
	private string
	myc     string
	ipv4    string
}

type k8sState struct {
	spec      grid.K8sSpec // as deployed: the master and the current workers
	vms       []*k8sVM     // master first
	contracts map[uint32]uint64
	networks  map[uint32]uint64
	subnets   map[uint32]int // node → third octet of its subnet in the cluster network
	hosts     map[uint32]int // node → last host number handed out
	netPrefix string         // "10.a."
}

// PointDNS makes the simulated DNS resolve fqdn to gateway node's public
// IP, as a tenant does at its registrar before it asks for an FQDN
// gateway (ZOS verifyDomainDestination checks it). Node 0 removes the
// record. Returns ENOTFOUND for an unknown node.
func (s *Sim) PointDNS(fqdn string, nodeID uint32) error {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	fqdn = strings.ToLower(fqdn)
	if nodeID == 0 {
		delete(s.w.dns, fqdn)
		return nil
	}
	if _, err := s.w.node(nodeID); err != nil {
		return err
	}
	s.w.dns[fqdn] = nodeID
	return nil
}

// resolve answers the gateway node a domain points at (0: none): its own
// record, else a wildcard record one label up ("*.apps.example" answers
// any single label under apps.example, as DNS wildcards do, RFC 4592).
// ZOS's fqdn-proxy check (pkg/gateway/gateway.go verifyDomainDestination)
// resolves the domain with net.LookupHost and requires one of its IPs to
// be the gateway's public IP, so a wildcard record serves every name.
func (w *world) resolve(fqdn string) uint32 {
	fqdn = strings.ToLower(fqdn)
	if n, ok := w.dns[fqdn]; ok {
		return n
	}
	if _, parent, ok := strings.Cut(fqdn, "."); ok {
		return w.dns["*."+parent]
	}
	return 0
}

// CheckDNS implements grid.DNSChecker: nil when fqdn resolves to the
// gateway node (ZOS verifyDomainDestination), EINVALID on field fqdn
// otherwise.
func (s *Sim) CheckDNS(_ context.Context, fqdn string, nodeID uint32) error {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	if s.w.resolve(fqdn) != nodeID {
		return fiatdashboard.Invalid("fqdn", "%s doesn't point to the gateway ip of node %d", fqdn, nodeID)
	}
	return nil
}

// DeployGateway implements grid.Grid.
//
// As grid-client's GatewayNameDeployer.Deploy: the node must answer
// (AreNodesUp), the name contract is created first (tfchain
// create_name_contract: the name's rules, then NameExists when any twin
// holds it), then the deployment holding the gateway-name-proxy
// workload; when the node fails the workload, the name contract is
// cancelled again. ZOS (pkg/gateway/gateway.go) refuses a name proxy on a
// node without a domain in its public config, a name contract that is
// not the deploying twin's, more than one backend, an FQDN under the
// gateway's own domain, an FQDN whose DNS does not point at the gateway,
// and a domain the node serves already.
func (s *Sim) DeployGateway(ctx context.Context, name string, spec grid.GatewaySpec) (grid.Project, error) {
	if err := grid.ValidateProjectName(name); err != nil {
		return grid.Project{}, err
	}
	if err := spec.Validate(); err != nil {
		return grid.Project{}, err
	}
	spec.Backends = slices.Clone(spec.Backends)
	if err := s.wait(ctx, true); err != nil {
		return grid.Project{}, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	key := projectKey{s.twin, name}
	p := s.w.liveProject(key)
	if p != nil {
		for _, g := range p.gateways {
			if g.spec.Key() == spec.Key() && s.w.contracts[g.contract].State != grid.ContractDeleted {
				if reflect.DeepEqual(g.spec, spec) {
					return s.w.snapshot(p, nil), nil
				}
				return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ECONFLICT,
					"project %q already has gateway %q with another spec", name, spec.Key())
			}
		}
	}
	fresh := p == nil
	if fresh {
		p = &project{key: key}
	}
	g, err := s.w.deployGateway(p, spec)
	if g == nil {
		return grid.Project{}, err
	}
	p.gateways = append(p.gateways, g)
	if fresh {
		s.w.projects[key] = p
	}
	return s.w.snapshot(p, nil), err
}

func (w *world) deployGateway(p *project, spec grid.GatewaySpec) (*gatewayState, error) {
	t := w.twins[p.key.twin]
	n, err := w.node(spec.NodeID)
	if err != nil {
		return nil, err
	}
	if n.GatewayDomain == "" {
		// ZOS SetNamedProxy: "node doesn't support name proxy (doesn't
		// have a domain)"; ensureGateway: no public config, no gateway.
		return nil, fiatdashboard.Invalid("node_id", "node %d is not a gateway node: it has no public config with a domain", n.ID)
	}
	if err := w.admit(t, n); err != nil {
		return nil, err
	}
	if n.Dedicated && n.rentedBy != t.ID {
		return nil, grid.Fail(grid.ReasonNodeCapacity, "node %d is in a dedicated farm: rent it to deploy on it", n.ID)
	}
	fqdn := strings.ToLower(spec.FQDN)
	if spec.Name != "" {
		if _, taken := w.names[spec.Name]; taken {
			// tfchain create_name_contract: Error::NameExists.
			return nil, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "the gateway name %q is taken (NameExists)", spec.Name)
		}
		fqdn = spec.Name + "." + n.GatewayDomain
	} else {
		if fqdn == n.GatewayDomain || strings.HasSuffix(fqdn, "."+n.GatewayDomain) {
			return nil, fiatdashboard.Invalid("fqdn", "can't create a fqdn workload with a subdomain of the gateway's managed domain %s", n.GatewayDomain)
		}
		if w.resolve(fqdn) != n.ID {
			return nil, fiatdashboard.Invalid("fqdn", "failed to verify domain dns record: %s doesn't point to the gateway ip of node %d", fqdn, n.ID)
		}
	}
	if w.domainServed(n.ID, fqdn) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "node %d serves %s already (domain already registered)", n.ID, fqdn)
	}
	var cost grid.TFTUnits
	if spec.Name != "" {
		cost, _, _ = grid.NameContractQuote(w.policy, w.tftPrice, 0)
	}
	if err := w.checkFunds(t, cost); err != nil {
		return nil, err
	}
	if n.status == grid.NodeStandby {
		w.setStatus(n, grid.NodeUp)
	}
	g := &gatewayState{spec: spec, fqdn: fqdn}
	if spec.Name != "" {
		nc := w.newContract(p, grid.NameContract, nil, "name", grid.Resources{})
		nc.Name = spec.Name
		w.names[spec.Name] = nc.ID
		g.nameContract = nc.ID
	}
	g.contract = w.newContract(p, grid.NodeContract, n, "gateway:"+fqdn, grid.Resources{}).ID
	if w.takeFault(FaultDeployTimesOut, n.ID) {
		return g, grid.Fail(grid.ReasonTimeout, "the gateway deployment on node %d timed out; its contracts may exist", n.ID)
	}
	return g, nil
}

// domainServed reports whether a live gateway on node serves fqdn.
func (w *world) domainServed(node uint32, fqdn string) bool {
	for _, p := range w.projects {
		for _, g := range p.gateways {
			if g.spec.NodeID == node && g.fqdn == fqdn && w.contracts[g.contract].State != grid.ContractDeleted {
				return true
			}
		}
	}
	return false
}

// DeployKubernetes implements grid.Grid, as grid-client's K8sDeployer
// does: every node must answer (AreNodesUp), the cluster's VMs share one
// network (a network deployment on each node of the cluster, as
// NetworkDeployer makes), and each node gets one deployment holding the
// cluster's VMs there, each VM a zmachine with its own disk mounted at
// /mydisk; the workers find the master at https://<master ip>:6443
// (K3S_URL). The master's public IPv4 is on its node's deployment.
func (s *Sim) DeployKubernetes(ctx context.Context, name string, spec grid.K8sSpec) (grid.Project, error) {
	if err := grid.ValidateProjectName(name); err != nil {
		return grid.Project{}, err
	}
	spec = cloneK8s(spec.WithDefaults())
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
	if p != nil {
		if p.k8s != nil && reflect.DeepEqual(p.k8s.spec, spec) {
			return s.w.snapshot(p, nil), nil
		}
		if p.k8s != nil || p.primary != nil {
			return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ECONFLICT,
				"project %q already runs another cluster or a VM; workers change through SetK8sWorkers, and ZOS does not update a running VM", name)
		}
	}
	if err := checkFlist(spec.Flist); err != nil {
		return grid.Project{}, err
	}
	fresh := p == nil
	if fresh {
		p = &project{key: key}
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("k8s/%d/%s", p.key.twin, p.key.name)))
	st := &k8sState{
		spec:      grid.K8sSpec{Token: spec.Token, SSHKeys: spec.SSHKeys, Flist: spec.Flist, Master: spec.Master},
		contracts: map[uint32]uint64{}, networks: map[uint32]uint64{},
		subnets: map[uint32]int{}, hosts: map[uint32]int{},
		netPrefix: fmt.Sprintf("10.%d.", 20+int(h[0])%200),
	}
	nodes := append([]grid.K8sNode{spec.Master}, spec.Workers...)
	created, err := s.w.addK8sNodes(p, st, nodes, nil)
	if !created {
		return grid.Project{}, err
	}
	st.spec.Workers = slices.Clone(spec.Workers)
	p.k8s = st
	if fresh {
		s.w.projects[key] = p
	}
	return s.w.snapshot(p, nil), err
}

// SetK8sWorkers implements grid.Grid. Like grid-client's K8sDeployer
// Deploy of the changed cluster: a node that gains workers gets its
// deployment updated (or a new network and deployment), a node that
// loses all the cluster's VMs gets its deployment and network cancelled.
// ZOS updates a deployment by adding and removing workloads, never by
// changing a zmachine, so a kept worker must keep its spec.
func (s *Sim) SetK8sWorkers(ctx context.Context, name string, workers []grid.K8sNode) (grid.Project, error) {
	workers = slices.Clone(workers)
	return s.inProject(ctx, name, true, func(w *world, p *project) (grid.Project, error) {
		st := p.k8s
		if st == nil || w.contracts[st.contracts[st.spec.Master.NodeID]].State == grid.ContractDeleted {
			return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q holds no cluster", name)
		}
		if err := grid.ValidateWorkers(st.spec.Master.Name, workers); err != nil {
			return grid.Project{}, err
		}
		current := map[string]grid.K8sNode{}
		for _, k := range st.spec.Workers {
			current[k.Name] = k
		}
		wanted := map[string]bool{}
		var added []grid.K8sNode
		for i, k := range workers {
			wanted[k.Name] = true
			old, ok := current[k.Name]
			switch {
			case !ok:
				added = append(added, k)
			case old != k:
				return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ECONFLICT,
					"worker %s (workers[%d]) differs from the running one; ZOS does not update a running VM: remove it and add one with a new name", k.Name, i)
			}
		}
		var removed []grid.K8sNode
		freed := map[uint32]grid.Resources{}
		for _, k := range st.spec.Workers {
			if !wanted[k.Name] {
				removed = append(removed, k)
				freed[k.NodeID] = freed[k.NodeID].Add(k.Resources())
			}
		}
		if len(added) == 0 && len(removed) == 0 {
			return w.snapshot(p, nil), nil
		}
		// Additions are checked first, counting what the removals free on
		// the same nodes: the update is one deployment change per node.
		if len(added) > 0 {
			if err := w.checkK8sNodes(p, st, added, freed); err != nil {
				return grid.Project{}, err
			}
		}
		for _, k := range removed {
			w.removeK8sVM(p, st, k)
		}
		var err error
		if len(added) > 0 {
			_, err = w.addK8sNodes(p, st, added, freed)
		}
		st.spec.Workers = workers
		return w.snapshot(p, nil), err
	})
}

// checkK8sNodes checks what the grid checks before it takes nodes into
// the cluster: each node up and admitting the twin, the flist, capacity
// (plus free, freed by removals in the same change), the master's IPv4
// and the first hour's cost.
func (w *world) checkK8sNodes(p *project, st *k8sState, nodes []grid.K8sNode, freed map[uint32]grid.Resources) error {
	t := w.twins[p.key.twin]
	need := map[uint32]grid.Resources{}
	var order []uint32
	var ips uint32
	for _, k := range nodes {
		n, err := w.node(k.NodeID)
		if err != nil {
			return err
		}
		if _, seen := need[n.ID]; !seen {
			if err := w.admit(t, n); err != nil {
				return err
			}
			if n.Dedicated && n.rentedBy != t.ID {
				return grid.Fail(grid.ReasonNodeCapacity, "node %d is in a dedicated farm: rent it to deploy on it", n.ID)
			}
			order = append(order, n.ID)
		}
		need[n.ID] = need[n.ID].Add(k.Resources())
		if k.PublicIPv4 {
			if w.farmOf(n).freeIPs() == 0 {
				return grid.Fail(grid.ReasonNodeCapacity, "farm %d has no free public IPv4 address", n.FarmID)
			}
			ips++
		}
	}
	var cost grid.TFTUnits
	for _, id := range order {
		n := w.nodes[id-1]
		if free := n.Total.Sub(n.used).Add(freed[id]); !free.Covers(need[id]) {
			return grid.Fail(grid.ReasonNodeCapacity, "node %d lacks capacity for the cluster's VMs", id)
		}
		r := need[id]
		wl := grid.Workload{CRU: r.CRU, MRU: r.MRU, SRU: r.SRU}
		if n.rentedBy == t.ID {
			wl = grid.Workload{}
		}
		cost += w.firstHour(n, wl)
	}
	if ips > 0 {
		cost += w.firstHour(w.nodes[order[0]-1], grid.Workload{PublicIPv4: ips})
	}
	return w.checkFunds(t, cost)
}

// addK8sNodes checks and adds VMs to the cluster. created reports whether
// contracts were made (the error is then a timeout).
func (w *world) addK8sNodes(p *project, st *k8sState, nodes []grid.K8sNode, freed map[uint32]grid.Resources) (created bool, err error) {
	if freed == nil {
		if err := w.checkK8sNodes(p, st, nodes, nil); err != nil {
			return false, err
		}
	}
	timedOut := false
	for _, k := range nodes {
		n := w.nodes[k.NodeID-1]
		if n.status == grid.NodeStandby {
			w.setStatus(n, grid.NodeUp)
		}
		if _, ok := st.networks[n.ID]; !ok {
			st.networks[n.ID] = w.newContract(p, grid.NodeContract, n, "network", grid.Resources{}).ID
			st.subnets[n.ID] = 2 + len(st.subnets)
			st.hosts[n.ID] = 1
		}
		id, ok := st.contracts[n.ID]
		if !ok || w.contracts[id].State == grid.ContractDeleted {
			id = w.newContract(p, grid.NodeContract, n, "k8s", grid.Resources{}).ID
			st.contracts[n.ID] = id
		}
		w.resize(w.contracts[id], w.contracts[id].Resources.Add(k.Resources()))
		vm := &k8sVM{node: k, role: grid.Worker}
		if len(st.vms) == 0 {
			vm.role = grid.Primary
		}
		st.hosts[n.ID]++
		vm.private = fmt.Sprintf("%s%d.%d", st.netPrefix, st.subnets[n.ID], st.hosts[n.ID])
		h := sha256.Sum256([]byte(fmt.Sprintf("%d/%s/k8s/%s", p.key.twin, p.key.name, k.Name)))
		vm.myc = fmt.Sprintf("4%02x:%02x%02x:%02x%02x:%02x%02x:ff0f:%02x%02x:%02x%02x:%02x%02x",
			h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15])
		if k.PublicIPv4 {
			c := w.contracts[id]
			f := w.farmOf(n)
			for i := range f.IPs {
				if f.IPs[i].Contract == 0 {
					f.IPs[i].Contract = c.ID
					c.PublicIPs = append(c.PublicIPs, f.IPs[i].Addr)
					vm.ipv4 = f.IPs[i].Addr
					break
				}
			}
		}
		st.vms = append(st.vms, vm)
		if at, ok := w.faultAfter(FaultNodeGoesOffline, n.ID); ok {
			w.offlineAt[n.ID] = w.now.Add(at)
		}
		if w.takeFault(FaultDeployTimesOut, n.ID) {
			timedOut = true
		}
	}
	if timedOut {
		return true, grid.Fail(grid.ReasonTimeout, "the cluster deployment timed out; its contracts may exist")
	}
	return true, nil
}

// resize changes what a node contract holds (ZOS reports a deployment's
// new capacity when it is updated).
func (w *world) resize(c *contract, r grid.Resources) {
	n := w.nodes[c.NodeID-1]
	n.used = n.used.Sub(c.Resources).Add(r)
	c.Resources = r
}

// removeK8sVM takes a worker out of its node's deployment, cancelling the
// deployment and the node's network when nothing of the cluster is left
// there.
func (w *world) removeK8sVM(p *project, st *k8sState, k grid.K8sNode) {
	i := slices.IndexFunc(st.vms, func(v *k8sVM) bool { return v.node.Name == k.Name })
	if i < 0 {
		return
	}
	st.vms = slices.Delete(st.vms, i, i+1)
	id := st.contracts[k.NodeID]
	c := w.contracts[id]
	w.resize(c, c.Resources.Sub(k.Resources()))
	if slices.ContainsFunc(st.vms, func(v *k8sVM) bool { return v.node.NodeID == k.NodeID }) {
		return
	}
	for _, cid := range []uint64{id, st.networks[k.NodeID]} {
		w.deleteContract(w.contracts[cid])
		p.contracts = slices.DeleteFunc(p.contracts, func(x uint64) bool { return x == cid })
	}
	delete(st.contracts, k.NodeID)
	delete(st.networks, k.NodeID)
}

// Kubeconfig implements grid.Grid: a kubeconfig generated for the
// cluster (the real one is k3s's /etc/rancher/k3s/k3s.yaml on the
// master), pointing at the master's public IPv4, or its Mycelium address.
func (s *Sim) Kubeconfig(ctx context.Context, name string) (string, error) {
	if s.noKey {
		return "", errNoSSHKey("fetch kubeconfigs")
	}
	if err := s.wait(ctx, false); err != nil {
		return "", err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	p := s.w.liveProject(projectKey{s.twin, name})
	if p == nil || p.k8s == nil || len(p.k8s.vms) == 0 || p.k8s.vms[0].role != grid.Primary ||
		s.w.contracts[p.k8s.contracts[p.k8s.vms[0].node.NodeID]].State == grid.ContractDeleted {
		return "", fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q holds no cluster", name)
	}
	m := p.k8s.vms[0]
	if n := s.w.nodes[m.node.NodeID-1]; n.status != grid.NodeUp {
		return "", grid.Fail(grid.ReasonNodeDown, "the cluster's master on node %d is %s", n.ID, n.status)
	}
	server := "[" + m.myc + "]"
	if m.ipv4 != "" {
		server = strings.SplitN(m.ipv4, "/", 2)[0]
	}
	secret := func(what string) string {
		h := sha256.Sum256([]byte(fmt.Sprintf("%d/%d/%s/%s/%s", s.w.seed, p.key.twin, p.key.name, p.k8s.spec.Token, what)))
		return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("-----BEGIN SIMULATED %s-----\n%x\n-----END SIMULATED %s-----\n", strings.ToUpper(what), h, strings.ToUpper(what))))
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: %s
    server: https://%s:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
preferences: {}
users:
- name: default
  user:
    client-certificate-data: %s
    client-key-data: %s
`, secret("certificate"), server, secret("client certificate"), secret("private key")), nil
}

// appSnapshot adds the project's gateways and cluster to out, with the
// contracts seen, and returns the health they give the project.
func (w *world) appSnapshot(p *project, out *grid.Project, seen func(*contract) bool, health grid.Health) grid.Health {
	live := func(id uint64) bool {
		c := w.contracts[id]
		return c != nil && c.State != grid.ContractDeleted && seen(c)
	}
	gws := slices.Clone(p.gateways)
	slices.SortFunc(gws, func(a, b *gatewayState) int { return strings.Compare(a.spec.Key(), b.spec.Key()) })
	for _, g := range gws {
		if !live(g.contract) {
			continue
		}
		gs := grid.GatewayState{Name: g.spec.Name, FQDN: g.fqdn, URL: "https://" + g.fqdn, NodeID: g.spec.NodeID,
			ContractID: g.contract, Backends: slices.Clone(g.spec.Backends), TLSPassthrough: g.spec.TLSPassthrough}
		if live(g.nameContract) {
			gs.NameContractID = g.nameContract
		}
		out.Gateways = append(out.Gateways, gs)
		if w.nodes[g.spec.NodeID-1].status != grid.NodeUp && health == grid.Healthy {
			health = grid.Degraded
		}
	}
	st := p.k8s
	if st == nil || len(st.vms) == 0 || st.vms[0].role != grid.Primary || !live(st.contracts[st.vms[0].node.NodeID]) {
		return health
	}
	ks := &grid.K8sState{}
	for _, v := range st.vms {
		id := st.contracts[v.node.NodeID]
		if !live(id) {
			continue
		}
		n := w.nodes[v.node.NodeID-1]
		h := grid.Healthy
		if n.status != grid.NodeUp || w.contracts[id].State != grid.ContractCreated {
			h = grid.Down
		}
		vm := grid.VM{Name: v.node.Name, Role: v.role, NodeID: n.ID, FarmID: n.FarmID, ContractID: id,
			PublicIPv4: v.ipv4, MyceliumIP: v.myc, PrivateIP: v.private, Health: h}
		if v.role == grid.Primary {
			ks.Master = vm
			if h != grid.Healthy {
				health = grid.Down
			}
			continue
		}
		ks.Workers = append(ks.Workers, vm)
		if h != grid.Healthy && health == grid.Healthy {
			health = grid.Degraded
		}
	}
	out.K8s = ks
	return health
}

func cloneK8s(s grid.K8sSpec) grid.K8sSpec {
	s.Workers = slices.Clone(s.Workers)
	s.SSHKeys = slices.Clone(s.SSHKeys)
	return s
}

// assignGateways gives some nodes a public config with a domain, as
// farmers configure gateway nodes (gent01.grid.tf and alike): every 20th
// up, shared node without GPU in a farm with public IPv4 (a public config
// needs a public IP), and at least the first such node. Derived from the
// generated world without drawing from its random source, so the rest of
// the world stays as it was.
func assignGateways(farms []*farm, nodes []*node) {
	count := map[string]int{}
	eligible := 0
	for _, n := range nodes {
		f := farms[n.FarmID-1]
		if n.status != grid.NodeUp || n.Dedicated || len(n.GPUs) > 0 || n.Light || len(f.IPs) == 0 {
			continue
		}
		if eligible%20 == 0 {
			slug := strings.ToLower(strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
					return r
				}
				return -1
			}, n.City))
			count[slug]++
			n.GatewayDomain = fmt.Sprintf("%s%02d.grid.tf", slug, count[slug])
		}
		eligible++
	}
}
