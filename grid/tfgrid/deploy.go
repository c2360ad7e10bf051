package tfgrid

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/graphql"
	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/workloads"
	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/zos"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// The objects of a project. Every name derives from the project name, so a
// retry finds what an earlier attempt created.
func primaryNet(project string) string { return objectName(project, "net") }
func primaryDl(project string) string  { return objectName(project, "vm") }
func standbyNet(project string) string { return objectName(project, "sbnet") }
func standbyDl(project string) string  { return objectName(project, "sb") }
func zdbDl(project, qsfs string, node uint32) string {
	return objectName(project+"/"+qsfs, "z"+strconv.FormatUint(uint64(node), 10))
}

// projectState is what the chain holds for a project.
type projectState struct {
	node   []graphql.Contract
	name   []graphql.Contract
	byName map[string]graphql.Contract // deployment name → its node contract
}

func (s projectState) empty() bool { return len(s.node) == 0 && len(s.name) == 0 }

// loadProject reads the project's active contracts and tells the SDK's
// state about them, so it can load their deployments. c.mu must be held.
func (c *Client) loadProject(project string) (projectState, error) {
	cs, err := c.tf.ContractsGetter.ListContractsOfProjectName(project)
	if err != nil {
		return projectState{}, translate(err, "list the project's contracts")
	}
	st := projectState{node: cs.NodeContracts, name: cs.NameContracts, byName: map[string]graphql.Contract{}}
	for _, ct := range cs.NodeContracts {
		id, err := strconv.ParseUint(ct.ContractID, 10, 64)
		if err != nil {
			continue
		}
		c.tf.State.StoreContractIDs(ct.NodeID, id)
		if dd, err := workloads.ParseDeploymentData(ct.DeploymentData); err == nil {
			st.byName[dd.Name] = ct
		}
	}
	return st, nil
}

func contractID(ct graphql.Contract) uint64 {
	id, _ := strconv.ParseUint(ct.ContractID, 10, 64)
	return id
}

// checkNode refuses a node that cannot take need before the grid is asked.
func (c *Client) checkNode(ctx context.Context, id uint32, need grid.Resources, ipv4 bool) (grid.Node, error) {
	n, err := c.Node(ctx, id)
	if err != nil {
		return grid.Node{}, err
	}
	switch {
	case n.Status == grid.NodeDown:
		return n, grid.Fail(grid.ReasonNodeDown, "node %d is down", id)
	case n.Dedicated && n.RentedByTwin != c.tf.TwinID:
		return n, grid.Fail(grid.ReasonNodeCapacity, "node %d is dedicated: rent it before deploying on it", id)
	case !n.Free().Covers(need):
		return n, grid.Fail(grid.ReasonNodeCapacity, "node %d lacks capacity for this deployment", id)
	case ipv4 && n.PublicIPv4 == 0:
		return n, grid.Fail(grid.ReasonNodeCapacity, "farm %d has no free public IPv4 address", n.FarmID)
	}
	return n, nil
}

// checkFunds refuses a deployment whose first hour the wallet cannot pay.
func (c *Client) checkFunds(ctx context.Context, w grid.Workload) error {
	q, err := c.Quote(ctx, w)
	if err != nil {
		return err
	}
	if q.Balance <= 0 || q.Balance < q.ListTFTHour {
		return grid.Fail(grid.ReasonInsufficientFunds, "the wallet holds %s TFT, less than the first hour of this deployment (%s TFT)", q.Balance, q.ListTFTHour)
	}
	return nil
}

func workloadOf(spec grid.VMSpec, n grid.Node) grid.Workload {
	r := spec.Resources()
	w := grid.Workload{CRU: r.CRU, MRU: r.MRU, SRU: r.SRU, Certified: n.Certified}
	if spec.PublicIPv4 {
		w.PublicIPv4 = 1
	}
	return w
}

// DeployVM implements grid.Grid.
func (c *Client) DeployVM(ctx context.Context, project string, spec grid.VMSpec) (grid.Project, error) {
	if err := c.validate(project, spec); err != nil {
		return grid.Project{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.loadProject(project)
	if err != nil {
		return grid.Project{}, err
	}
	if ct, ok := st.byName[primaryDl(project)]; ok {
		if err := c.sameVM(ctx, ct.NodeID, primaryDl(project), spec); err != nil {
			return grid.Project{}, err
		}
		return c.snapshot(ctx, project, st)
	}
	n, err := c.checkNode(ctx, spec.NodeID, spec.Resources(), spec.PublicIPv4)
	if err != nil {
		return grid.Project{}, err
	}
	if err := c.checkFunds(ctx, workloadOf(spec, n)); err != nil {
		return grid.Project{}, err
	}
	if err := c.deployVM(ctx, project, spec, n, primaryNet(project), primaryDl(project), st); err != nil {
		return grid.Project{}, translate(err, "deploy the VM")
	}
	if st, err = c.loadProject(project); err != nil {
		return grid.Project{}, err
	}
	return c.snapshot(ctx, project, st)
}

// DeployStandbyVM implements grid.Grid.
func (c *Client) DeployStandbyVM(ctx context.Context, project string, spec grid.VMSpec) (grid.Project, error) {
	if err := c.validate(project, spec); err != nil {
		return grid.Project{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.loadProject(project)
	if err != nil {
		return grid.Project{}, err
	}
	primary, ok := st.byName[primaryDl(project)]
	if !ok {
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q has no VM to stand by for", project)
	}
	if ct, ok := st.byName[standbyDl(project)]; ok {
		if err := c.sameVM(ctx, ct.NodeID, standbyDl(project), spec); err != nil {
			return grid.Project{}, err
		}
		return c.snapshot(ctx, project, st)
	}
	pn, err := c.Node(ctx, primary.NodeID)
	if err != nil {
		return grid.Project{}, err
	}
	if spec.NodeID == pn.ID {
		return grid.Project{}, fiatdashboard.Invalid("node_id", "a standby VM must run on another node in another farm than the primary (farm %d)", pn.FarmID)
	}
	n, err := c.checkNode(ctx, spec.NodeID, spec.Resources(), spec.PublicIPv4)
	if err != nil {
		return grid.Project{}, err
	}
	if n.FarmID == pn.FarmID {
		return grid.Project{}, fiatdashboard.Invalid("node_id", "a standby VM must run on another node in another farm than the primary (farm %d)", pn.FarmID)
	}
	if err := c.checkFunds(ctx, workloadOf(spec, n)); err != nil {
		return grid.Project{}, err
	}
	if err := c.deployVM(ctx, project, spec, n, standbyNet(project), standbyDl(project), st); err != nil {
		return grid.Project{}, translate(err, "deploy the standby VM")
	}
	if st, err = c.loadProject(project); err != nil {
		return grid.Project{}, err
	}
	return c.snapshot(ctx, project, st)
}

func (c *Client) validate(project string, spec grid.VMSpec) error {
	if err := grid.ValidateProjectName(project); err != nil {
		return err
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	if spec.Gateway != "" {
		return fiatdashboard.Invalid("gateway", "gateway names are not supported by the tfgrid adapter yet")
	}
	return nil
}

// sameVM returns nil if the deployment dlName on node holds a VM with
// spec's shape, and ECONFLICT otherwise.
func (c *Client) sameVM(ctx context.Context, node uint32, dlName string, spec grid.VMSpec) error {
	dl, err := c.tf.State.LoadDeploymentFromGrid(ctx, node, dlName)
	if err != nil {
		return translate(err, "read the project's VM")
	}
	conflict := fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "the project already holds a different VM")
	switch {
	case len(dl.Vms) == 1:
		vm := dl.Vms[0]
		if vm.Name != workloadName(spec.Name) || node != spec.NodeID || uint64(vm.CPU) != spec.CPU ||
			vm.MemoryMB != spec.Memory>>20 || vm.Flist != spec.Flist || vm.PublicIP != spec.PublicIPv4 {
			return conflict
		}
	case len(dl.VmsLight) == 1:
		vm := dl.VmsLight[0]
		if vm.Name != workloadName(spec.Name) || node != spec.NodeID || uint64(vm.CPU) != spec.CPU ||
			vm.MemoryMB != spec.Memory>>20 || vm.Flist != spec.Flist {
			return conflict
		}
	default:
		return conflict
	}
	return nil
}

func gbCeil(bytes uint64) uint64 { return (bytes + grid.GB - 1) / grid.GB }

// deployVM deploys the network (unless an earlier attempt did) and the VM.
// c.mu must be held.
func (c *Client) deployVM(ctx context.Context, project string, spec grid.VMSpec, n grid.Node, netName, dlName string, st projectState) error {
	if n.Light && (spec.PublicIPv4 || spec.PublicIPv6) {
		return fiatdashboard.Invalid("public_ipv4", "ZOS 4 light node %d gives no public IP to VMs", n.ID)
	}
	myceliumKey, err := workloads.RandomMyceliumKey()
	if err != nil {
		return err
	}
	ipRange := zos.MustParseIPNet("10.20.0.0/16")
	if _, done := st.byName[netName]; !done {
		var network workloads.Network
		if n.Light {
			network = &workloads.ZNetLight{Name: netName, Nodes: []uint32{n.ID}, IPRange: ipRange,
				MyceliumKeys: map[uint32][]byte{n.ID: myceliumKey}, SolutionType: project}
		} else {
			network = &workloads.ZNet{Name: netName, Nodes: []uint32{n.ID}, IPRange: ipRange,
				MyceliumKeys: map[uint32][]byte{n.ID: myceliumKey}, SolutionType: project}
		}
		if err := c.tf.NetworkDeployer.Deploy(ctx, network); err != nil {
			return err
		}
	} else if n.Light {
		if _, err := c.tf.State.LoadNetworkLightFromGrid(ctx, netName); err != nil {
			return err
		}
	} else if _, err := c.tf.State.LoadNetworkFromGrid(ctx, netName); err != nil {
		return err
	}

	env := map[string]string{}
	for k, v := range spec.Env {
		env[k] = v
	}
	if len(spec.SSHKeys) > 0 {
		env["SSH_KEY"] = strings.Join(spec.SSHKeys, "\n")
	}
	var disks []workloads.Disk
	var mounts []workloads.Mount
	for _, d := range spec.Disks {
		disks = append(disks, workloads.Disk{Name: workloadName(d.Name), SizeGB: gbCeil(d.Size)})
		mounts = append(mounts, workloads.Mount{Name: workloadName(d.Name), MountPoint: d.MountPoint})
	}
	var gpus []zos.GPU
	for _, g := range spec.GPUs {
		gpus = append(gpus, zos.GPU(g))
	}
	var seed []byte
	if spec.Mycelium {
		if seed, err = workloads.RandomMyceliumIPSeed(); err != nil {
			return err
		}
	}
	dl := workloads.NewDeployment(dlName, n.ID, project, nil, netName, disks, nil, nil, nil, nil, nil)
	if n.Light {
		dl.VmsLight = []workloads.VMLight{{
			Name: workloadName(spec.Name), Description: spec.Name, NodeID: n.ID, NetworkName: netName,
			Flist: spec.Flist, Entrypoint: spec.Entrypoint, CPU: uint8(spec.CPU), MemoryMB: spec.Memory >> 20,
			RootfsSizeMB: spec.RootFS >> 20, Mounts: mounts, EnvVars: env, GPUs: gpus, MyceliumIPSeed: seed,
		}}
	} else {
		dl.Vms = []workloads.VM{{
			Name: workloadName(spec.Name), Description: spec.Name, NodeID: n.ID, NetworkName: netName,
			Flist: spec.Flist, Entrypoint: spec.Entrypoint, CPU: uint8(spec.CPU), MemoryMB: spec.Memory >> 20,
			RootfsSizeMB: spec.RootFS >> 20, Mounts: mounts, EnvVars: env, GPUs: gpus, MyceliumIPSeed: seed,
			PublicIP: spec.PublicIPv4, PublicIP6: spec.PublicIPv6,
		}}
	}
	return c.tf.DeploymentDeployer.Deploy(ctx, &dl)
}

// qsfsRecord is what the adapter keeps in a QSFS workload's description to
// report the QSFS later. It holds no secret.
type qsfsRecord struct {
	Name       string   `json:"name"`
	VM         string   `json:"vm"`
	MountPoint string   `json:"mount"`
	Expected   uint32   `json:"expected"`
	Minimal    uint32   `json:"minimal"`
	Data       []uint32 `json:"data"`
	Meta       []uint32 `json:"meta"`
}

func recordOf(s grid.QSFSSpec) qsfsRecord {
	return qsfsRecord{s.Name, s.VMName, s.MountPoint, s.Expected, s.Minimal, s.DataNodes, s.MetaNodes}
}

// DeployQSFS implements grid.Grid: one zdb deployment per backend node,
// then the QSFS workload added to the VM's deployment and mounted.
func (c *Client) DeployQSFS(ctx context.Context, project string, spec grid.QSFSSpec) (grid.Project, error) {
	if err := spec.Validate(); err != nil {
		return grid.Project{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.loadProject(project)
	if err != nil {
		return grid.Project{}, err
	}
	var dl workloads.Deployment
	var vmContract graphql.Contract
	found := false
	for _, name := range []string{primaryDl(project), standbyDl(project)} {
		ct, ok := st.byName[name]
		if !ok {
			continue
		}
		d, err := c.tf.State.LoadDeploymentFromGrid(ctx, ct.NodeID, name)
		if err != nil {
			return grid.Project{}, translate(err, "read the project's VM")
		}
		if len(d.Vms) == 1 && d.Vms[0].Description == spec.VMName {
			dl, vmContract, found = d, ct, true
		} else if len(d.VmsLight) == 1 && d.VmsLight[0].Description == spec.VMName {
			return grid.Project{}, fiatdashboard.Invalid("vm_name", "QSFS needs a VM on a full ZOS node, not a light one")
		}
	}
	if !found {
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q has no VM %q", project, spec.VMName)
	}
	want, _ := json.Marshal(recordOf(spec))
	for _, q := range dl.QSFS {
		if q.Name == workloadName(spec.Name) {
			if q.Description == string(want) {
				return c.snapshot(ctx, project, st)
			}
			return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "project %q already has a different QSFS %q", project, spec.Name)
		}
	}

	nodes := slices.Clone(spec.DataNodes)
	for _, id := range spec.MetaNodes {
		if !slices.Contains(nodes, id) {
			nodes = append(nodes, id)
		}
	}
	var zdbCost grid.Workload
	for _, id := range nodes {
		var need uint64
		if slices.Contains(spec.DataNodes, id) {
			need += spec.ShardSize
		}
		if slices.Contains(spec.MetaNodes, id) {
			need += spec.MetaSize
		}
		n, err := c.checkNode(ctx, id, grid.Resources{}, false)
		if err != nil {
			return grid.Project{}, err
		}
		if f := n.Free(); f.HRU < need && f.SRU < need {
			return grid.Project{}, grid.Fail(grid.ReasonNodeCapacity, "node %d lacks disk for its zdbs", id)
		}
		zdbCost.HRU += need
	}
	if err := c.checkFunds(ctx, zdbCost); err != nil {
		return grid.Project{}, err
	}

	// One zdb deployment per node, skipping what an earlier attempt made.
	dataName, metaName := "d"+workloadName(spec.Name), "m"+workloadName(spec.Name)
	dataName, metaName = dataName[:min(len(dataName), 36)], metaName[:min(len(metaName), 36)]
	for _, id := range nodes {
		name := zdbDl(project, spec.Name, id)
		if _, done := st.byName[name]; done {
			continue
		}
		var zdbs []workloads.ZDB
		if slices.Contains(spec.DataNodes, id) {
			zdbs = append(zdbs, workloads.ZDB{Name: dataName, Password: spec.Password, Public: true, SizeGB: gbCeil(spec.ShardSize), Mode: workloads.ZDBModeSeq})
		}
		if slices.Contains(spec.MetaNodes, id) {
			zdbs = append(zdbs, workloads.ZDB{Name: metaName, Password: spec.Password, Public: true, SizeGB: gbCeil(spec.MetaSize), Mode: workloads.ZDBModeUser})
		}
		zdl := workloads.NewDeployment(name, id, project, nil, "", nil, zdbs, nil, nil, nil, nil)
		if err := c.tf.DeploymentDeployer.Deploy(ctx, &zdl); err != nil {
			return grid.Project{}, translate(err, "deploy the QSFS backends")
		}
	}
	backend := func(id uint32, zdbName string) (workloads.Backend, error) {
		z, err := c.tf.State.LoadZdbFromGrid(ctx, id, zdbName, zdbDl(project, spec.Name, id))
		if err != nil {
			return workloads.Backend{}, err
		}
		addr := ""
		for _, ip := range z.IPs { // the last public IPv6 the zdb listens on
			if p := net.ParseIP(ip); p != nil && p.To4() == nil && !p.IsLinkLocalUnicast() {
				addr = ip
			}
		}
		if addr == "" {
			return workloads.Backend{}, fmt.Errorf("zdb on node %d has no reachable address", id)
		}
		return workloads.Backend{Address: "[" + addr + "]:" + strconv.FormatUint(uint64(z.Port), 10), Namespace: z.Namespace, Password: z.Password}, nil
	}
	var data, meta workloads.Backends
	for _, id := range spec.DataNodes {
		b, err := backend(id, dataName)
		if err != nil {
			return grid.Project{}, translate(err, "read the QSFS backends")
		}
		data = append(data, b)
	}
	for _, id := range spec.MetaNodes {
		b, err := backend(id, metaName)
		if err != nil {
			return grid.Project{}, translate(err, "read the QSFS backends")
		}
		meta = append(meta, b)
	}
	q := workloads.QSFS{
		Name: workloadName(spec.Name), Description: string(want), Cache: int(spec.CacheSize >> 20),
		MinimalShards: spec.Minimal, ExpectedShards: spec.Expected, MaxZDBDataDirSize: uint32(spec.ShardSize >> 20),
		EncryptionAlgorithm: "AES", EncryptionKey: spec.EncryptKey, CompressionAlgorithm: "snappy",
		Metadata: workloads.Metadata{Type: "zdb", Prefix: workloadName(spec.Name), EncryptionAlgorithm: "AES",
			EncryptionKey: spec.EncryptKey, Backends: meta},
		Groups: workloads.Groups{{Backends: data}},
	}
	dl.QSFS = append(dl.QSFS, q)
	dl.Vms[0].Mounts = append(dl.Vms[0].Mounts, workloads.Mount{Name: q.Name, MountPoint: spec.MountPoint})
	dl.SolutionType = project
	dl.ContractID = contractID(vmContract)
	dl.NodeDeploymentID = map[uint32]uint64{vmContract.NodeID: dl.ContractID}
	if err := c.tf.DeploymentDeployer.Deploy(ctx, &dl); err != nil {
		return grid.Project{}, translate(err, "mount the QSFS into the VM")
	}
	if st, err = c.loadProject(project); err != nil {
		return grid.Project{}, err
	}
	return c.snapshot(ctx, project, st)
}

// Project implements grid.Grid.
func (c *Client) Project(ctx context.Context, name string) (grid.Project, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.loadProject(name)
	if err != nil {
		return grid.Project{}, err
	}
	return c.snapshot(ctx, name, st)
}

// CancelProject implements grid.Grid.
func (c *Client) CancelProject(ctx context.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.loadProject(name)
	if err != nil {
		return err
	}
	if st.empty() {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q does not exist", name)
	}
	if err := c.tf.CancelByProjectName(name); err != nil {
		return translate(err, "cancel the project")
	}
	for _, ct := range st.node {
		c.tf.State.RemoveContractIDs(ct.NodeID, contractID(ct))
	}
	return nil
}

// snapshot reports a project from its contracts and deployments. c.mu
// must be held.
func (c *Client) snapshot(ctx context.Context, project string, st projectState) (grid.Project, error) {
	if st.empty() {
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q does not exist", project)
	}
	p := grid.Project{Name: project, TwinID: c.tf.TwinID}
	state := func(s string) grid.ContractState {
		if strings.EqualFold(s, "GracePeriod") {
			return grid.ContractGracePeriod
		}
		return grid.ContractCreated
	}
	for _, ct := range st.node {
		purpose := ""
		if dd, err := workloads.ParseDeploymentData(ct.DeploymentData); err == nil {
			purpose = dd.Type + ":" + dd.Name
		}
		p.Contracts = append(p.Contracts, grid.Contract{ID: contractID(ct), Kind: grid.NodeContract, TwinID: c.tf.TwinID,
			NodeID: ct.NodeID, Purpose: purpose, State: state(ct.State)})
	}
	for _, ct := range st.name {
		p.Contracts = append(p.Contracts, grid.Contract{ID: contractID(ct), Kind: grid.NameContract, TwinID: c.tf.TwinID,
			Name: ct.Name, Purpose: "name", State: state(ct.State)})
	}
	slices.SortFunc(p.Contracts, func(a, b grid.Contract) int { return cmp.Compare(a.ID, b.ID) })

	up := map[uint32]bool{}
	isUp := func(id uint32) bool {
		if v, ok := up[id]; ok {
			return v
		}
		n, err := c.Node(ctx, id)
		up[id] = err == nil && n.Status == grid.NodeUp
		return up[id]
	}
	health := map[grid.VMRole]grid.Health{}
	for _, role := range []struct {
		dl   string
		role grid.VMRole
	}{{primaryDl(project), grid.Primary}, {standbyDl(project), grid.Standby}} {
		ct, ok := st.byName[role.dl]
		if !ok {
			continue
		}
		vm := grid.VM{Role: role.role, NodeID: ct.NodeID, ContractID: contractID(ct), Health: grid.Down}
		if n, err := c.Node(ctx, ct.NodeID); err == nil {
			vm.FarmID = n.FarmID
		}
		dl, err := c.tf.State.LoadDeploymentFromGrid(ctx, ct.NodeID, role.dl)
		if err == nil {
			switch {
			case len(dl.Vms) == 1:
				v := dl.Vms[0]
				vm.Name, vm.PublicIPv4, vm.PublicIPv6, vm.MyceliumIP, vm.PrivateIP = v.Description, v.ComputedIP, v.ComputedIP6, v.MyceliumIP, v.IP
			case len(dl.VmsLight) == 1:
				v := dl.VmsLight[0]
				vm.Name, vm.MyceliumIP, vm.PrivateIP = v.Description, v.MyceliumIP, v.IP
			}
			if isUp(ct.NodeID) && state(ct.State) == grid.ContractCreated {
				vm.Health = grid.Healthy
			}
			for i := range p.Contracts {
				if p.Contracts[i].ID == vm.ContractID && vm.PublicIPv4 != "" {
					p.Contracts[i].PublicIPs = []string{vm.PublicIPv4}
				}
			}
			for _, q := range dl.QSFS {
				var rec qsfsRecord
				if json.Unmarshal([]byte(q.Description), &rec) != nil {
					continue
				}
				out := grid.QSFS{Name: rec.Name, VMName: rec.VM, MountPoint: rec.MountPoint, Expected: rec.Expected,
					Minimal: rec.Minimal, DataNodes: rec.Data, MetaNodes: rec.Meta, Health: grid.Healthy}
				nodes := slices.Clone(rec.Data)
				for _, id := range rec.Meta {
					if !slices.Contains(nodes, id) {
						nodes = append(nodes, id)
					}
				}
				for _, id := range nodes {
					if zc, ok := st.byName[zdbDl(project, rec.Name, id)]; ok {
						out.ContractIDs = append(out.ContractIDs, contractID(zc))
					}
				}
				for _, id := range rec.Data {
					if isUp(id) {
						out.ShardsUp++
					}
				}
				switch {
				case out.ShardsUp < out.Minimal || vm.Health != grid.Healthy:
					out.Health = grid.Down
				case out.ShardsUp < out.Expected:
					out.Health = grid.Degraded
				}
				p.QSFS = append(p.QSFS, out)
			}
		}
		health[role.role] = vm.Health
		p.VMs = append(p.VMs, vm)
	}

	p.Health = grid.Healthy
	if h, ok := health[grid.Primary]; ok && h != grid.Healthy {
		p.Health = grid.Down
		if health[grid.Standby] == grid.Healthy {
			p.Health = grid.Degraded
		}
	} else if h, ok := health[grid.Standby]; ok && h != grid.Healthy {
		p.Health = grid.Degraded
	}
	for _, q := range p.QSFS {
		if q.Health != grid.Healthy && p.Health == grid.Healthy {
			p.Health = grid.Degraded
		}
	}
	return p, nil
}
