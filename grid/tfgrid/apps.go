package tfgrid

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/workloads"
	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/zos"
	"golang.org/x/crypto/ssh"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// Deployment types grid-client writes in a deployment's metadata
// (workloads GenerateMetadata).
const (
	typeGatewayName = "Gateway Name"
	typeGatewayFQDN = "Gateway Fqdn"
	typeK8s         = "kubernetes"
)

// k8sNet is the name of a project's cluster network.
func k8sNet(project string) string { return objectName(project, "k8snet") }

// gatewayDl is the deployment (and workload) name of a gateway: a name
// gateway's workload is named after the name contract, as grid-client's
// GatewayNameProxy.ZosWorkload and State.LoadGatewayNameFromGrid need; an
// FQDN gateway gets a name derived from the project and the domain.
func gatewayDl(project string, spec grid.GatewaySpec) string {
	if spec.Name != "" {
		return spec.Name
	}
	return objectName(project+"/"+strings.ToLower(spec.FQDN), "fq")
}

// DeployGateway implements grid.Grid with grid-client's own deployers:
// GatewayNameDeployer (it creates the name contract, then the deployment,
// and cancels the name contract if the deployment fails) or
// GatewayFQDNDeployer.
func (c *Client) DeployGateway(ctx context.Context, project string, spec grid.GatewaySpec) (grid.Project, error) {
	if err := grid.ValidateProjectName(project); err != nil {
		return grid.Project{}, err
	}
	if err := spec.Validate(); err != nil {
		return grid.Project{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.loadProject(project)
	if err != nil {
		return grid.Project{}, err
	}
	dlName := gatewayDl(project, spec)
	if ct, ok := st.byName[dlName]; ok {
		if err := c.sameGateway(ctx, ct.NodeID, dlName, spec); err != nil {
			return grid.Project{}, err
		}
		return c.snapshot(ctx, project, st)
	}
	n, err := c.Node(ctx, spec.NodeID)
	if err != nil {
		return grid.Project{}, err
	}
	if n.GatewayDomain == "" {
		return grid.Project{}, fiatdashboard.Invalid("node_id", "node %d is not a gateway node: it has no public config with a domain", n.ID)
	}
	if _, err := c.checkNode(ctx, n.ID, grid.Resources{}, false); err != nil {
		return grid.Project{}, err
	}
	fqdn := strings.ToLower(spec.FQDN)
	if spec.FQDN != "" && (fqdn == n.GatewayDomain || strings.HasSuffix(fqdn, "."+n.GatewayDomain)) {
		// ZOS SetFQDNProxy refuses a subdomain of the gateway's domain.
		return grid.Project{}, fiatdashboard.Invalid("fqdn", "can't create a fqdn workload with a subdomain of the gateway's managed domain %s", n.GatewayDomain)
	}
	var created []uint64
	var derr error
	if spec.Name != "" {
		gw := &workloads.GatewayNameProxy{NodeID: n.ID, Name: spec.Name, Backends: workloads.NewZosBackends(spec.Backends),
			TLSPassthrough: spec.TLSPassthrough, SolutionType: project}
		// tfchain refuses a name any twin holds (NameExists); ask first
		// so the answer is a clear conflict, not a failed extrinsic. A
		// name this twin holds is an earlier attempt's (a timeout before
		// the indexer listed its deployment): the deployer reuses it
		// (GatewayNameDeployer.Deploy creates a name contract only when
		// NameContractID is 0).
		if id, err := c.tf.SubstrateConn.GetContractIDByNameRegistration(spec.Name); err == nil && id != 0 {
			ct, err := c.tf.SubstrateConn.GetContract(id)
			if err != nil || ct.Contract == nil || uint32(ct.Contract.TwinID) != c.tf.TwinID || c.nameInUse(spec.Name, project) {
				return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "the gateway name %q is taken (NameExists)", spec.Name)
			}
			gw.NameContractID = id
		}
		if err := c.checkFunds(ctx, grid.Workload{NameContracts: 1}); err != nil {
			return grid.Project{}, err
		}
		derr = c.tf.GatewayNameDeployer.Deploy(ctx, gw)
		for _, id := range []uint64{gw.NameContractID, gw.ContractID} {
			if id != 0 {
				created = append(created, id)
			}
		}
	} else {
		if err := c.refuseDrained("deploy"); err != nil {
			return grid.Project{}, err
		}
		gw := &workloads.GatewayFQDNProxy{NodeID: n.ID, Name: dlName, FQDN: fqdn, Backends: workloads.NewZosBackends(spec.Backends),
			TLSPassthrough: spec.TLSPassthrough, SolutionType: project}
		derr = c.tf.GatewayFQDNDeployer.Deploy(ctx, gw)
		if gw.ContractID != 0 {
			created = append(created, gw.ContractID)
		}
	}
	return c.report(ctx, project, st, created, derr, "deploy the gateway")
}

// nameInUse reports whether another project of this twin has a gateway
// deployment named name (or the indexer cannot say): its name contract is
// that project's, not an earlier attempt's to reuse.
func (c *Client) nameInUse(name, project string) bool {
	cs, err := c.tf.ContractsGetter.ListContractsByTwinID([]string{"Created", "GracePeriod"})
	if err != nil {
		return true
	}
	for _, ct := range cs.NodeContracts {
		dd, err := workloads.ParseDeploymentData(ct.DeploymentData)
		if err == nil && dd.Type == typeGatewayName && dd.Name == name && dd.ProjectName != project {
			return true
		}
	}
	return false
}

// report reads the project from the ids a deployer returned (never
// waiting for an indexer), with derr translated.
func (c *Client) report(ctx context.Context, project string, st projectState, created []uint64, derr error, doing string) (grid.Project, error) {
	st2, err := c.loadProject(project, append(st.ids(), created...)...)
	if err != nil {
		if derr != nil {
			return grid.Project{}, translate(derr, doing)
		}
		return grid.Project{}, err
	}
	p, err := c.snapshot(ctx, project, st2)
	if derr != nil {
		if fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND {
			return grid.Project{}, translate(derr, doing)
		}
		return p, translate(derr, doing)
	}
	return p, err
}

// sameGateway returns nil if the project's gateway dlName on node has
// spec's node and backends, ECONFLICT otherwise.
func (c *Client) sameGateway(ctx context.Context, node uint32, dlName string, spec grid.GatewaySpec) error {
	conflict := fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "the project already has gateway %q with another spec", spec.Key())
	if node != spec.NodeID {
		return conflict
	}
	var backends []string
	var pass bool
	if spec.Name != "" {
		gw, err := c.tf.State.LoadGatewayNameFromGrid(ctx, node, dlName, dlName)
		if err != nil {
			return translate(err, "read the project's gateway")
		}
		for _, b := range gw.Backends {
			backends = append(backends, string(b))
		}
		pass = gw.TLSPassthrough
	} else {
		gw, err := c.tf.State.LoadGatewayFQDNFromGrid(ctx, node, dlName, dlName)
		if err != nil {
			return translate(err, "read the project's gateway")
		}
		if !strings.EqualFold(gw.FQDN, spec.FQDN) {
			return conflict
		}
		for _, b := range gw.Backends {
			backends = append(backends, string(b))
		}
		pass = gw.TLSPassthrough
	}
	if !slices.Equal(backends, spec.Backends) || pass != spec.TLSPassthrough {
		return conflict
	}
	return nil
}

// k8sContracts returns the project's cluster deployments, node → contract.
func k8sContracts(st projectState) (master string, byNode map[uint32]uint64) {
	byNode = map[uint32]uint64{}
	for _, ct := range st.node {
		dd, err := workloads.ParseDeploymentData(ct.DeploymentData)
		if err != nil || dd.Type != typeK8s {
			continue
		}
		master = dd.Name
		byNode[ct.NodeID] = contractID(ct)
	}
	return master, byNode
}

// loadCluster reads the project's cluster from its nodes; ENOTFOUND when
// the project holds none. c.mu must be held.
func (c *Client) loadCluster(ctx context.Context, st projectState) (workloads.K8sCluster, error) {
	master, byNode := k8sContracts(st)
	if len(byNode) == 0 {
		return workloads.K8sCluster{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "the project holds no cluster")
	}
	var nodes []uint32
	for id := range byNode {
		nodes = append(nodes, id)
	}
	slices.Sort(nodes)
	cl, err := c.tf.State.LoadK8sFromGrid(ctx, nodes, master)
	if err != nil {
		return workloads.K8sCluster{}, translate(err, "read the project's cluster")
	}
	return cl, nil
}

// k8sRoot is the root file system ZOS gives a cluster VM, which
// grid-client leaves unset (zos gridtypes/zos/zmachine.go MinRootSize:
// 2 GB, or 500 MB when cores × memory is under 8 GB).
func k8sRoot(k grid.K8sNode) uint64 {
	if k.CPU*k.Memory/(8*grid.GB) == 0 {
		return 500 << 20
	}
	return 2 * grid.GB
}

// k8sDiskGB is the k3s data disk of a cluster VM: its DiskSize less the
// root ZOS adds, in whole GB, at least 1.
func k8sDiskGB(k grid.K8sNode) uint64 {
	root := k8sRoot(k)
	if k.DiskSize <= root+grid.GB {
		return 1
	}
	return (k.DiskSize - root) / grid.GB
}

// k8sNodeOf builds grid-client's node from ours.
func k8sNodeOf(k grid.K8sNode, network string) (workloads.K8sNode, error) {
	seed, err := workloads.RandomMyceliumIPSeed()
	if err != nil {
		return workloads.K8sNode{}, err
	}
	return workloads.K8sNode{VM: &workloads.VM{Name: k.Name, NodeID: k.NodeID, CPU: uint8(k.CPU), MemoryMB: k.Memory >> 20,
		PublicIP: k.PublicIPv4, MyceliumIPSeed: seed, NetworkName: network}, DiskSizeGB: k8sDiskGB(k)}, nil
}

// sameK8sNode reports whether the deployed node d is k.
func sameK8sNode(d workloads.K8sNode, k grid.K8sNode) bool {
	return d.VM != nil && d.Name == k.Name && d.NodeID == k.NodeID && uint64(d.CPU) == k.CPU &&
		d.MemoryMB == k.Memory>>20 && d.DiskSizeGB == k8sDiskGB(k) && d.PublicIP == k.PublicIPv4
}

// k8sNeeds sums what nodes need on each node, and the workload of their
// first hour.
func (c *Client) checkK8sNodes(ctx context.Context, nodes []grid.K8sNode) error {
	need := map[uint32]grid.Resources{}
	var order []uint32
	ipv4 := map[uint32]bool{}
	for _, k := range nodes {
		if _, ok := need[k.NodeID]; !ok {
			order = append(order, k.NodeID)
		}
		need[k.NodeID] = need[k.NodeID].Add(k.Resources())
		ipv4[k.NodeID] = ipv4[k.NodeID] || k.PublicIPv4
	}
	var wl grid.Workload
	for _, id := range order {
		n, err := c.checkNode(ctx, id, need[id], ipv4[id])
		if err != nil {
			return err
		}
		if n.Light {
			return fiatdashboard.Invalid("node_id", "node %d runs ZOS 4 light; grid-client's cluster needs full ZOS nodes", id)
		}
		if n.RentedByTwin != c.tf.TwinID {
			r := need[id]
			wl.CRU, wl.MRU, wl.SRU = wl.CRU+r.CRU, wl.MRU+r.MRU, wl.SRU+r.SRU
		}
		if ipv4[id] {
			wl.PublicIPv4++
		}
	}
	return c.checkFunds(ctx, wl)
}

// deployK8sNetwork deploys or updates the cluster network to span nodes
// (grid-client's K8sDeployer takes each node's subnet from it). It
// returns the contract ids created.
func (c *Client) deployK8sNetwork(ctx context.Context, project string, nodes []uint32, existing bool) ([]uint64, error) {
	netName := k8sNet(project)
	znet := &workloads.ZNet{Name: netName, IPRange: zos.MustParseIPNet("10.20.0.0/16"), SolutionType: project,
		MyceliumKeys: map[uint32][]byte{}}
	if existing {
		loaded, err := c.tf.State.LoadNetworkFromGrid(ctx, netName)
		if err != nil {
			return nil, err
		}
		znet = &loaded
		if znet.MyceliumKeys == nil {
			znet.MyceliumKeys = map[uint32][]byte{}
		}
	}
	before := map[uint32]uint64{}
	for id, ct := range znet.NodeDeploymentID {
		before[id] = ct
	}
	znet.Nodes = nodes
	for _, id := range nodes {
		if _, ok := znet.MyceliumKeys[id]; !ok {
			key, err := workloads.RandomMyceliumKey()
			if err != nil {
				return nil, err
			}
			znet.MyceliumKeys[id] = key
		}
	}
	err := c.tf.NetworkDeployer.Deploy(ctx, znet)
	var created []uint64
	for id, ct := range znet.NodeDeploymentID {
		if ct != 0 && before[id] != ct {
			created = append(created, ct)
		}
	}
	return created, err
}

// DeployKubernetes implements grid.Grid with grid-client's NetworkDeployer
// (one network across the cluster's nodes) and K8sDeployer (one
// deployment per node holding the cluster's VMs there).
func (c *Client) DeployKubernetes(ctx context.Context, project string, spec grid.K8sSpec) (grid.Project, error) {
	if err := grid.ValidateProjectName(project); err != nil {
		return grid.Project{}, err
	}
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return grid.Project{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.loadProject(project)
	if err != nil {
		return grid.Project{}, err
	}
	if _, byNode := k8sContracts(st); len(byNode) > 0 {
		cl, err := c.loadCluster(ctx, st)
		if err != nil {
			return grid.Project{}, err
		}
		same := cl.Master != nil && sameK8sNode(*cl.Master, spec.Master) && len(cl.Workers) == len(spec.Workers) && cl.Flist == spec.Flist
		for _, w := range spec.Workers {
			i := slices.IndexFunc(cl.Workers, func(d workloads.K8sNode) bool { return d.Name == w.Name })
			same = same && i >= 0 && sameK8sNode(cl.Workers[i], w)
		}
		if !same {
			return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ECONFLICT,
				"project %q already runs another cluster; workers change through SetK8sWorkers, and ZOS does not update a running VM", project)
		}
		return c.snapshot(ctx, project, st)
	}
	if _, ok := st.byName[primaryDl(project)]; ok {
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "project %q already runs a VM", project)
	}
	all := append([]grid.K8sNode{spec.Master}, spec.Workers...)
	if err := c.checkK8sNodes(ctx, all); err != nil {
		return grid.Project{}, err
	}
	var nodes []uint32
	for _, k := range all {
		if !slices.Contains(nodes, k.NodeID) {
			nodes = append(nodes, k.NodeID)
		}
	}
	created, derr := c.deployK8sNetwork(ctx, project, nodes, false)
	if derr == nil {
		cluster := workloads.K8sCluster{Token: spec.Token, NetworkName: k8sNet(project), Flist: spec.Flist,
			Entrypoint: "/sbin/zinit init", SolutionType: project, SSHKey: c.clusterSSHKeys(spec.SSHKeys)}
		m, err := k8sNodeOf(spec.Master, cluster.NetworkName)
		if err != nil {
			return grid.Project{}, err
		}
		cluster.Master = &m
		for _, w := range spec.Workers {
			kn, err := k8sNodeOf(w, cluster.NetworkName)
			if err != nil {
				return grid.Project{}, err
			}
			cluster.Workers = append(cluster.Workers, kn)
		}
		derr = c.tf.K8sDeployer.Deploy(ctx, &cluster)
		for _, id := range cluster.NodeDeploymentID {
			if id != 0 {
				created = append(created, id)
			}
		}
	}
	return c.report(ctx, project, st, created, derr, "deploy the cluster")
}

// SetK8sWorkers implements grid.Grid: the network is extended to new
// workers' nodes, then K8sDeployer.Deploy of the changed cluster updates,
// creates and cancels the per-node deployments (grid-client's deployer
// compares the cluster's old and new deployments node by node); nodes the
// cluster left are dropped from the network afterwards.
func (c *Client) SetK8sWorkers(ctx context.Context, project string, workers []grid.K8sNode) (grid.Project, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.loadProject(project)
	if err != nil {
		return grid.Project{}, err
	}
	cl, err := c.loadCluster(ctx, st)
	if err != nil {
		return grid.Project{}, err
	}
	if err := grid.ValidateWorkers(cl.Master.Name, workers); err != nil {
		return grid.Project{}, err
	}
	var kept []workloads.K8sNode
	var added []grid.K8sNode
	for i, w := range workers {
		j := slices.IndexFunc(cl.Workers, func(d workloads.K8sNode) bool { return d.Name == w.Name })
		if j < 0 {
			added = append(added, w)
			continue
		}
		if !sameK8sNode(cl.Workers[j], w) {
			return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ECONFLICT,
				"worker %s (workers[%d]) differs from the running one; ZOS does not update a running VM: remove it and add one with a new name", w.Name, i)
		}
		kept = append(kept, cl.Workers[j])
	}
	if len(added) == 0 && len(kept) == len(cl.Workers) {
		return c.snapshot(ctx, project, st)
	}
	if len(added) > 0 {
		if err := c.checkK8sNodes(ctx, added); err != nil {
			return grid.Project{}, err
		}
	}
	nodes := []uint32{cl.Master.NodeID}
	for _, w := range kept {
		if !slices.Contains(nodes, w.NodeID) {
			nodes = append(nodes, w.NodeID)
		}
	}
	for _, w := range added {
		if !slices.Contains(nodes, w.NodeID) {
			nodes = append(nodes, w.NodeID)
		}
	}
	var created []uint64
	var derr error
	netNodes := slices.Clone(nodes)
	for id := range cl.NodesIPRange {
		if !slices.Contains(netNodes, id) {
			netNodes = append(netNodes, id) // dropped after the cluster moved
		}
	}
	created, derr = c.deployK8sNetwork(ctx, project, netNodes, true)
	if derr == nil {
		cl.Workers = kept
		for _, w := range added {
			kn, err := k8sNodeOf(w, cl.NetworkName)
			if err != nil {
				return grid.Project{}, err
			}
			cl.Workers = append(cl.Workers, kn)
		}
		cl.SSHKey = c.clusterSSHKeys(strings.Split(cl.SSHKey, "\n"))
		derr = c.tf.K8sDeployer.Deploy(ctx, &cl)
		for _, id := range cl.NodeDeploymentID {
			if id != 0 && !slices.Contains(st.ids(), id) {
				created = append(created, id)
			}
		}
		if derr == nil && len(netNodes) != len(nodes) {
			ids, err := c.deployK8sNetwork(ctx, project, nodes, true)
			created = append(created, ids...)
			derr = err
		}
	}
	return c.report(ctx, project, st, created, derr, "change the cluster's workers")
}

// clusterSSHKeys joins the tenant's keys with the adapter's own key, which
// Kubeconfig logs in with; without duplicates.
func (c *Client) clusterSSHKeys(keys []string) string {
	var out []string
	for _, k := range keys {
		if k = strings.TrimSpace(k); k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	if c.sshSigner != nil {
		own := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(c.sshSigner.PublicKey())))
		if !slices.Contains(out, own) {
			out = append(out, own)
		}
	}
	return strings.Join(out, "\n")
}

// Kubeconfig implements grid.Grid as the TF dashboard's guide does: the
// k3s server on the master writes its admin kubeconfig to
// /etc/rancher/k3s/k3s.yaml (tf-images k3s entrypoint runs `k3s
// server`), pointing at https://127.0.0.1:6443; the adapter reads it over
// SSH as root with its own key (Config.SSHKey, added to every cluster's
// SSH_KEY) and points it at the master's public IPv4, or its Mycelium
// address.
func (c *Client) Kubeconfig(ctx context.Context, project string) (string, error) {
	if c.sshSigner == nil {
		return "", fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "the grid adapter has no SSH key to fetch kubeconfigs with (tfgrid Config.SSHKey)")
	}
	c.mu.Lock()
	st, err := c.loadProject(project)
	var cl workloads.K8sCluster
	if err == nil {
		cl, err = c.loadCluster(ctx, st)
	}
	c.mu.Unlock()
	if err != nil {
		if fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND {
			return "", fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q holds no cluster", project)
		}
		return "", err
	}
	host := vmHost(cl.Master.ComputedIP, cl.Master.MyceliumIP)
	if host == "" {
		return "", grid.Fail(grid.ReasonNodeDown, "the cluster's master has no address the adapter can reach")
	}
	client, err := c.dialSSH(ctx, host, "the cluster's master", 30*time.Second)
	if err != nil {
		return "", err
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return "", grid.Fail(grid.ReasonDeployFailed, "could not open a session on the cluster's master: %v", err)
	}
	defer sess.Close()
	out, err := sess.Output("cat /etc/rancher/k3s/k3s.yaml")
	if err != nil || !strings.Contains(string(out), "kind: Config") {
		// k3s writes the file once the server started; until then the
		// cluster is still coming up.
		return "", grid.Fail(grid.ReasonTimeout, "the cluster's kubeconfig is not ready yet")
	}
	server := "https://" + net.JoinHostPort(host, "6443")
	return strings.NewReplacer("https://127.0.0.1:6443", server, "https://localhost:6443", server).Replace(string(out)), nil
}

// appSnapshot adds the project's gateways and cluster to p: their
// workloads as the nodes report them, what each contract's deployment
// uses, and the health they give the project. c.mu must be held.
func (c *Client) appSnapshot(ctx context.Context, st projectState, p *grid.Project, used map[uint64]grid.Resources, isUp func(uint32) bool) {
	names := map[string]uint64{}
	for _, ct := range st.name {
		names[ct.Name] = contractID(ct)
	}
	for _, ct := range st.node {
		dd, err := workloads.ParseDeploymentData(ct.DeploymentData)
		if err != nil {
			continue
		}
		switch dd.Type {
		case typeGatewayName:
			gw, err := c.tf.State.LoadGatewayNameFromGrid(ctx, ct.NodeID, dd.Name, dd.Name)
			g := grid.GatewayState{Name: dd.Name, NodeID: ct.NodeID, ContractID: contractID(ct), NameContractID: names[dd.Name]}
			if err == nil {
				g.FQDN, g.TLSPassthrough = gw.FQDN, gw.TLSPassthrough
				for _, b := range gw.Backends {
					g.Backends = append(g.Backends, string(b))
				}
			} else if n, err := c.Node(ctx, ct.NodeID); err == nil && n.GatewayDomain != "" {
				g.FQDN = dd.Name + "." + n.GatewayDomain
			}
			if g.FQDN != "" {
				g.URL = "https://" + g.FQDN
			}
			p.Gateways = append(p.Gateways, g)
		case typeGatewayFQDN:
			g := grid.GatewayState{NodeID: ct.NodeID, ContractID: contractID(ct)}
			if gw, err := c.tf.State.LoadGatewayFQDNFromGrid(ctx, ct.NodeID, dd.Name, dd.Name); err == nil {
				g.FQDN, g.URL, g.TLSPassthrough = gw.FQDN, "https://"+gw.FQDN, gw.TLSPassthrough
				for _, b := range gw.Backends {
					g.Backends = append(g.Backends, string(b))
				}
			}
			p.Gateways = append(p.Gateways, g)
		default:
			continue
		}
		if !isUp(ct.NodeID) && p.Health == grid.Healthy {
			p.Health = grid.Degraded
		}
	}
	slices.SortFunc(p.Gateways, func(a, b grid.GatewayState) int {
		return strings.Compare(a.Name+a.FQDN, b.Name+b.FQDN)
	})

	_, byNode := k8sContracts(st)
	if len(byNode) == 0 {
		return
	}
	cl, err := c.loadCluster(ctx, st)
	if err != nil || cl.Master == nil {
		p.Health = grid.Down
		return
	}
	vmOf := func(k workloads.K8sNode, role grid.VMRole) grid.VM {
		id := byNode[k.NodeID]
		v := grid.VM{Name: k.Name, Role: role, NodeID: k.NodeID, ContractID: id, PublicIPv4: k.ComputedIP,
			PublicIPv6: k.ComputedIP6, MyceliumIP: k.MyceliumIP, PrivateIP: k.IP, Health: grid.Down}
		if n, err := c.Node(ctx, k.NodeID); err == nil {
			v.FarmID = n.FarmID
		}
		if isUp(k.NodeID) {
			v.Health = grid.Healthy
		}
		r := used[id]
		r.CRU += uint64(k.CPU)
		r.MRU += k.MemoryMB << 20
		gk := grid.K8sNode{CPU: uint64(k.CPU), Memory: k.MemoryMB << 20}
		r.SRU += k.DiskSizeGB*grid.GB + k8sRoot(gk)
		used[id] = r
		for i := range p.Contracts {
			if p.Contracts[i].ID == id && k.ComputedIP != "" {
				p.Contracts[i].PublicIPs = append(p.Contracts[i].PublicIPs, k.ComputedIP)
			}
		}
		return v
	}
	ks := &grid.K8sState{Master: vmOf(*cl.Master, grid.Primary)}
	for _, w := range cl.Workers {
		ks.Workers = append(ks.Workers, vmOf(w, grid.Worker))
	}
	slices.SortFunc(ks.Workers, func(a, b grid.VM) int { return strings.Compare(a.Name, b.Name) })
	p.K8s = ks
	if ks.Master.Health != grid.Healthy {
		p.Health = grid.Down
	}
	for _, w := range ks.Workers {
		if w.Health != grid.Healthy && p.Health == grid.Healthy {
			p.Health = grid.Degraded
		}
	}
}

// parseSSHKey reads the adapter's SSH private key (PEM or OpenSSH).
func parseSSHKey(pem string) (ssh.Signer, error) {
	s, err := ssh.ParsePrivateKey([]byte(pem))
	if err != nil {
		return nil, fiatdashboard.Invalid("ssh_key", "the grid adapter's SSH key is not a private key: %v", fmt.Sprint(errKind(err)))
	}
	return s, nil
}

// errKind keeps a key parser's error free of key material.
func errKind(err error) string {
	if strings.Contains(err.Error(), "passphrase") {
		return "it is protected by a passphrase"
	}
	return "unreadable"
}
