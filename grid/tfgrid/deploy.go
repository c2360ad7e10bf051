package tfgrid

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/graphql"
	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/state"
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
	rent   []graphql.Contract
	byName map[string]graphql.Contract // deployment name → its node contract
}

func (s projectState) empty() bool { return len(s.node) == 0 && len(s.name) == 0 && len(s.rent) == 0 }

// ids returns every contract id of the state.
func (s projectState) ids() []uint64 {
	var out []uint64
	for _, list := range [][]graphql.Contract{s.node, s.name, s.rent} {
		for _, ct := range list {
			out = append(out, contractID(ct))
		}
	}
	return out
}

// loadProject reads the project's active contracts: those GraphQL lists
// under its name, plus known (ids the caller holds, which the indexer may
// not list yet: they are read from the chain by id). The SDK's state is
// reset to exactly these contracts first, so the client never carries
// other projects' contracts (each read would cost an RMB call per contract
// ever seen, and one unreachable node would fail every project's network
// load: state.LoadNetworkFromGrid walks all of CurrentNodeDeployments).
// c.mu must be held.
func (c *Client) loadProject(project string, known ...uint64) (projectState, error) {
	c.tf.State.CurrentNodeDeployments = map[uint32]state.ContractIDs{}
	cs, err := c.tf.ContractsGetter.ListContractsOfProjectName(project)
	if err != nil {
		return projectState{}, translate(err, "list the project's contracts")
	}
	st := projectState{node: cs.NodeContracts, name: cs.NameContracts, rent: cs.RentContracts, byName: map[string]graphql.Contract{}}
	listed := map[uint64]bool{}
	for _, id := range st.ids() {
		listed[id] = true
	}
	for _, id := range known {
		if listed[id] {
			continue
		}
		listed[id] = true
		ct, err := c.tf.SubstrateConn.GetContract(id)
		if err != nil || ct.Contract == nil || ct.IsDeleted() || uint32(ct.Contract.TwinID) != c.tf.TwinID {
			continue // cancelled, or never ours
		}
		g := graphql.Contract{ContractID: strconv.FormatUint(id, 10), State: "Created"}
		if ct.State.IsGracePeriod {
			g.State = "GracePeriod"
		}
		switch t := ct.ContractType; {
		case t.IsNodeContract:
			g.NodeID, g.DeploymentData = uint32(t.NodeContract.Node), t.NodeContract.DeploymentData
			st.node = append(st.node, g)
		case t.IsRentContract:
			g.NodeID = uint32(t.RentContract.Node)
			st.rent = append(st.rent, g)
		case t.IsNameContract:
			g.Name = t.NameContract.Name
			st.name = append(st.name, g)
		}
	}
	for _, ct := range st.node {
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
	return c.checkNodeRent(ctx, id, need, ipv4, false)
}

// checkNodeRent is checkNode for a deployment that rents the node first
// when rent is set.
func (c *Client) checkNodeRent(ctx context.Context, id uint32, need grid.Resources, ipv4, rent bool) (grid.Node, error) {
	n, err := c.Node(ctx, id)
	if err != nil {
		return grid.Node{}, err
	}
	mine := n.RentedByTwin == c.tf.TwinID
	switch {
	case n.Status == grid.NodeDown:
		return n, grid.Fail(grid.ReasonNodeDown, "node %d is down", id)
	case n.RentedByTwin != 0 && !mine:
		return n, grid.Fail(grid.ReasonNodeCapacity, "node %d is rented by another twin", id)
	case rent && !mine && !n.Rentable:
		return n, grid.Fail(grid.ReasonNodeCapacity, "node %d cannot be rented now", id)
	case n.Dedicated && !mine && !rent:
		return n, grid.Fail(grid.ReasonNodeCapacity, "node %d is in a dedicated farm: rent it to deploy on it", id)
	case !n.Free().Covers(need):
		return n, grid.Fail(grid.ReasonNodeCapacity, "node %d lacks capacity for this deployment", id)
	case ipv4 && n.PublicIPv4 == 0:
		return n, grid.Fail(grid.ReasonNodeCapacity, "farm %d has no free public IPv4 address", n.FarmID)
	}
	return n, nil
}

// checkFunds refuses a deployment whose first hour the wallet cannot pay.
func (c *Client) checkFunds(ctx context.Context, w grid.Workload) error {
	if err := c.refuseDrained("deploy"); err != nil {
		return err
	}
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

// DeployVM implements grid.Grid. A VM with a setup gets the adapter's
// SSH key; the setup runs once the VM is deployed (and again on a retry,
// where its marker makes it a no-op once done), outside the client's
// lock, since it may take minutes.
func (c *Client) DeployVM(ctx context.Context, project string, spec grid.VMSpec) (grid.Project, error) {
	if err := c.validate(project, spec); err != nil {
		return grid.Project{}, err
	}
	if err := c.requireKey(spec); err != nil {
		return grid.Project{}, err
	}
	p, err := c.deployPrimary(context.WithValue(ctx, noMarkerCheck{}, true), project, spec)
	if err != nil || spec.Setup == nil {
		return p, err
	}
	return c.runSetup(ctx, p, spec)
}

func (c *Client) deployPrimary(ctx context.Context, project string, spec grid.VMSpec) (grid.Project, error) {
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
	n, err := c.checkNodeRent(ctx, spec.NodeID, spec.Resources(), spec.PublicIPv4, spec.Rent)
	if err != nil {
		return grid.Project{}, err
	}
	if err := c.checkFunds(ctx, workloadOf(spec, n)); err != nil {
		return grid.Project{}, err
	}
	return c.deployAndReport(ctx, project, spec, n, primaryNet(project), primaryDl(project), st, "deploy the VM")
}

// deployAndReport deploys the VM and reports the project from the
// contract ids the deployer returned, never waiting for an indexer to list
// them; on a failure after some contracts exist, the project of those
// contracts comes with the error.
func (c *Client) deployAndReport(ctx context.Context, project string, spec grid.VMSpec, n grid.Node, netName, dlName string, st projectState, doing string) (grid.Project, error) {
	created, derr := c.deployVM(ctx, project, spec, n, netName, dlName, st)
	st2, err := c.loadProject(project, append(st.ids(), created...)...)
	if err != nil {
		if derr != nil {
			return grid.Project{}, translate(derr, doing)
		}
		return grid.Project{}, err
	}
	p, err := c.snapshot(ctx, project, st2)
	if derr != nil {
		return p, translate(derr, doing)
	}
	return p, err
}

// DeployStandbyVM implements grid.Grid; a setup runs as DeployVM's does.
func (c *Client) DeployStandbyVM(ctx context.Context, project string, spec grid.VMSpec) (grid.Project, error) {
	if err := c.validate(project, spec); err != nil {
		return grid.Project{}, err
	}
	if err := c.requireKey(spec); err != nil {
		return grid.Project{}, err
	}
	p, err := c.deployStandby(context.WithValue(ctx, noMarkerCheck{}, true), project, spec)
	if err != nil || spec.Setup == nil {
		return p, err
	}
	return c.runSetup(ctx, p, spec)
}

func (c *Client) deployStandby(ctx context.Context, project string, spec grid.VMSpec) (grid.Project, error) {
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
	n, err := c.checkNodeRent(ctx, spec.NodeID, spec.Resources(), spec.PublicIPv4, spec.Rent)
	if err != nil {
		return grid.Project{}, err
	}
	if n.FarmID == pn.FarmID {
		return grid.Project{}, fiatdashboard.Invalid("node_id", "a standby VM must run on another node in another farm than the primary (farm %d)", pn.FarmID)
	}
	if err := c.checkFunds(ctx, workloadOf(spec, n)); err != nil {
		return grid.Project{}, err
	}
	return c.deployAndReport(ctx, project, spec, n, standbyNet(project), standbyDl(project), st, "deploy the standby VM")
}

func (c *Client) validate(project string, spec grid.VMSpec) error {
	if err := grid.ValidateProjectName(project); err != nil {
		return err
	}
	if err := spec.Validate(); err != nil {
		return err
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
	conflict := fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "the project already runs a different VM; ZOS does not update a running VM (workload 'zmachine' does not support upgrade)")
	if len(dl.QSFS) != len(spec.QSFS) {
		return conflict
	}
	// A setup is compared by its record (name, service, ports): its
	// script is never stored on the grid.
	switch {
	case len(dl.Vms) == 1:
		vm := dl.Vms[0]
		if vm.Name != workloadName(spec.Name) || node != spec.NodeID || uint64(vm.CPU) != spec.CPU ||
			vm.MemoryMB != spec.Memory>>20 || vm.Flist != spec.Flist || vm.PublicIP != spec.PublicIPv4 ||
			vm.EnvVars[setupEnv] != setupEnvValue(spec.Setup) {
			return conflict
		}
	case len(dl.VmsLight) == 1:
		vm := dl.VmsLight[0]
		if vm.Name != workloadName(spec.Name) || node != spec.NodeID || uint64(vm.CPU) != spec.CPU ||
			vm.MemoryMB != spec.Memory>>20 || vm.Flist != spec.Flist || vm.EnvVars[setupEnv] != setupEnvValue(spec.Setup) {
			return conflict
		}
	default:
		return conflict
	}
	return nil
}

func gbCeil(bytes uint64) uint64 { return (bytes + grid.GB - 1) / grid.GB }

// deployVM deploys, unless an earlier attempt did: the rent (spec.Rent),
// the zdbs of each QSFS (one deployment per backend node), the network,
// and one deployment with the VM, its disks, the qsfs workloads and their
// mounts (ZOS never updates a running VM, so all it mounts comes with it).
// It returns the contract ids created, also when it fails midway.
// c.mu must be held.
func (c *Client) deployVM(ctx context.Context, project string, spec grid.VMSpec, n grid.Node, netName, dlName string, st projectState) ([]uint64, error) {
	var created []uint64
	if n.Light && (spec.PublicIPv4 || spec.PublicIPv6) {
		return nil, fiatdashboard.Invalid("public_ipv4", "ZOS 4 light node %d gives no public IP to VMs", n.ID)
	}
	if n.Light && len(spec.QSFS) > 0 {
		return nil, fiatdashboard.Invalid("qsfs", "QSFS needs a VM on a full ZOS node, not a light one")
	}
	if spec.Rent && n.RentedByTwin != c.tf.TwinID {
		sub, err := c.chain()
		if err != nil {
			return nil, err
		}
		id, err := sub.CreateRentContract(c.tf.Identity, n.ID, nil)
		if err != nil {
			return nil, err
		}
		created = append(created, id)
	}
	myceliumKey, err := workloads.RandomMyceliumKey()
	if err != nil {
		return created, err
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
		err := c.tf.NetworkDeployer.Deploy(ctx, network)
		for _, id := range network.GetNodeDeploymentID() {
			if id != 0 {
				created = append(created, id)
			}
		}
		if err != nil {
			return created, err
		}
	} else if n.Light {
		if _, err := c.tf.State.LoadNetworkLightFromGrid(ctx, netName); err != nil {
			return created, err
		}
	} else if _, err := c.tf.State.LoadNetworkFromGrid(ctx, netName); err != nil {
		return created, err
	}

	env := c.vmEnv(spec)
	var disks []workloads.Disk
	var mounts []workloads.Mount
	for _, d := range spec.Disks {
		disks = append(disks, workloads.Disk{Name: workloadName(d.Name), SizeGB: gbCeil(d.Size)})
		mounts = append(mounts, workloads.Mount{Name: workloadName(d.Name), MountPoint: d.MountPoint})
	}
	var qsfs []workloads.QSFS
	for _, q := range spec.QSFS {
		q.VMName = spec.Name
		w, ids, err := c.deployZDBs(ctx, project, q, st)
		created = append(created, ids...)
		if err != nil {
			return created, err
		}
		qsfs = append(qsfs, w)
		mounts = append(mounts, workloads.Mount{Name: w.Name, MountPoint: q.MountPoint})
	}
	var gpus []zos.GPU
	for _, g := range spec.GPUs {
		gpus = append(gpus, zos.GPU(g))
	}
	var seed []byte
	if spec.Mycelium {
		if seed, err = workloads.RandomMyceliumIPSeed(); err != nil {
			return created, err
		}
	}
	dl := workloads.NewDeployment(dlName, n.ID, project, nil, netName, disks, nil, nil, nil, qsfs, nil)
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
	err = c.tf.DeploymentDeployer.Deploy(ctx, &dl)
	if dl.ContractID != 0 {
		created = append(created, dl.ContractID) // set by the SDK even when the deploy fails midway
	}
	return created, err
}

// vmEnv is the VM's environment: spec.Env, SSH_KEY from spec.SSHKeys,
// and for a VM with a setup the adapter's own key and the setup's record.
func (c *Client) vmEnv(spec grid.VMSpec) map[string]string {
	env := map[string]string{}
	for k, v := range spec.Env {
		env[k] = v
	}
	if len(spec.SSHKeys) > 0 {
		env["SSH_KEY"] = strings.Join(spec.SSHKeys, "\n")
	}
	if spec.Setup != nil {
		// The setup logs in with the adapter's key: ZOS gives root every
		// key of SSH_KEY (zos pkg/vm/manager.go, cloud-init users).
		env["SSH_KEY"] = c.clusterSSHKeys(strings.Split(env["SSH_KEY"], "\n"))
		env[setupEnv] = setupEnvValue(spec.Setup)
	}
	return env
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
	ShardGB    uint64   `json:"shard_gb,omitempty"`
	MetaGB     uint64   `json:"meta_gb,omitempty"`
}

func recordOf(s grid.QSFSSpec) qsfsRecord {
	return qsfsRecord{s.Name, s.VMName, s.MountPoint, s.Expected, s.Minimal, s.DataNodes, s.MetaNodes, gbCeil(s.ShardSize), gbCeil(s.MetaSize)}
}

// deployZDBs deploys the zdbs of spec (one deployment per backend node,
// skipping what an earlier attempt made) and returns the qsfs workload
// that uses them, with the contract ids it created. The namespaces are not
// public (a public 0-db namespace can be read without its password, zos
// pkg/primitives/zdb NamespaceSetPublic); the VM reaches them over
// Mycelium, which every VM of the platform has. c.mu must be held.
func (c *Client) deployZDBs(ctx context.Context, project string, spec grid.QSFSSpec, st projectState) (workloads.QSFS, []uint64, error) {
	var created []uint64
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
			return workloads.QSFS{}, nil, err
		}
		if f := n.Free(); f.HRU < need && f.SRU < need {
			return workloads.QSFS{}, nil, grid.Fail(grid.ReasonNodeCapacity, "node %d lacks disk for its zdbs", id)
		}
		zdbCost.HRU += need
	}
	if err := c.checkFunds(ctx, zdbCost); err != nil {
		return workloads.QSFS{}, nil, err
	}
	dataName, metaName := "d"+workloadName(spec.Name), "m"+workloadName(spec.Name)
	dataName, metaName = dataName[:min(len(dataName), 36)], metaName[:min(len(metaName), 36)]
	for _, id := range nodes {
		name := zdbDl(project, spec.Name, id)
		if _, done := st.byName[name]; done {
			continue
		}
		var zdbs []workloads.ZDB
		if slices.Contains(spec.DataNodes, id) {
			zdbs = append(zdbs, workloads.ZDB{Name: dataName, Password: spec.Password, Public: false, SizeGB: gbCeil(spec.ShardSize), Mode: workloads.ZDBModeSeq})
		}
		if slices.Contains(spec.MetaNodes, id) {
			zdbs = append(zdbs, workloads.ZDB{Name: metaName, Password: spec.Password, Public: false, SizeGB: gbCeil(spec.MetaSize), Mode: workloads.ZDBModeUser})
		}
		zdl := workloads.NewDeployment(name, id, project, nil, "", nil, zdbs, nil, nil, nil, nil)
		err := c.tf.DeploymentDeployer.Deploy(ctx, &zdl)
		if zdl.ContractID != 0 {
			created = append(created, zdl.ContractID)
		}
		if err != nil {
			return workloads.QSFS{}, created, err
		}
	}
	var data, meta workloads.Backends
	for _, id := range spec.DataNodes {
		b, _, err := c.zdbBackend(ctx, project, spec.Name, id, dataName)
		if err != nil {
			return workloads.QSFS{}, created, err
		}
		data = append(data, b)
	}
	for _, id := range spec.MetaNodes {
		b, _, err := c.zdbBackend(ctx, project, spec.Name, id, metaName)
		if err != nil {
			return workloads.QSFS{}, created, err
		}
		meta = append(meta, b)
	}
	desc, _ := json.Marshal(recordOf(spec))
	return workloads.QSFS{
		Name: workloadName(spec.Name), Description: string(desc), Cache: int(spec.CacheSize >> 20),
		// The local data dir stays within the cache, as grid-client's
		// QSFS example keeps it (cache 1024 MB, data dir 512 MB).
		MinimalShards: spec.Minimal, ExpectedShards: spec.Expected, MaxZDBDataDirSize: uint32(spec.DataDir() >> 20),
		EncryptionAlgorithm: "AES", EncryptionKey: spec.EncryptKey, CompressionAlgorithm: "snappy",
		Metadata: workloads.Metadata{Type: "zdb", Prefix: workloadName(spec.Name), EncryptionAlgorithm: "AES",
			EncryptionKey: spec.EncryptKey, Backends: meta},
		Groups: workloads.Groups{{Backends: data}},
	}, created, nil
}

// Project implements grid.Grid.
func (c *Client) Project(ctx context.Context, name string, known ...uint64) (grid.Project, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.loadProject(name, known...)
	if err != nil {
		return grid.Project{}, err
	}
	return c.snapshot(ctx, name, st)
}

// CancelProject implements grid.Grid: the listed and known contracts, by
// id (node and name contracts, then rent contracts: the chain refuses to
// cancel a rent while node contracts run on its node).
func (c *Client) CancelProject(ctx context.Context, name string, known ...uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.loadProject(name, known...)
	if err != nil {
		return err
	}
	if st.empty() {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q does not exist", name)
	}
	return c.cancelState(st)
}

// cancelState cancels every contract of st, rent contracts last.
func (c *Client) cancelState(st projectState) error {
	var first, last []uint64
	for _, list := range [][]graphql.Contract{st.node, st.name} {
		for _, ct := range list {
			first = append(first, contractID(ct))
		}
	}
	for _, ct := range st.rent {
		last = append(last, contractID(ct))
	}
	for _, ids := range [][]uint64{first, last} {
		if len(ids) == 0 {
			continue
		}
		if err := c.tf.BatchCancelContract(ids); err != nil {
			return translate(err, "cancel the project's contracts")
		}
	}
	c.tf.State.CurrentNodeDeployments = map[uint32]state.ContractIDs{}
	return nil
}

// CancelContracts implements grid.Grid.
func (c *Client) CancelContracts(ctx context.Context, ids []uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var st projectState
	for _, id := range ids {
		ct, err := c.tf.SubstrateConn.GetContract(id)
		if err != nil || ct.Contract == nil {
			if err != nil && !strings.Contains(strings.ToLower(err.Error()), "not found") {
				return translate(err, "read a contract")
			}
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "contract %d does not exist", id)
		}
		if uint32(ct.Contract.TwinID) != c.tf.TwinID {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "contract %d does not exist", id)
		}
		if ct.IsDeleted() {
			continue
		}
		g := graphql.Contract{ContractID: strconv.FormatUint(id, 10)}
		if ct.ContractType.IsRentContract {
			st.rent = append(st.rent, g)
		} else {
			st.node = append(st.node, g)
		}
	}
	if st.empty() {
		return nil
	}
	return c.cancelState(st)
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
	for _, ct := range st.rent {
		p.Contracts = append(p.Contracts, grid.Contract{ID: contractID(ct), Kind: grid.RentContract, TwinID: c.tf.TwinID,
			NodeID: ct.NodeID, Purpose: "rent", State: state(ct.State)})
	}
	used := map[uint64]grid.Resources{} // what each node contract's deployment uses
	defer func() { c.priceContracts(ctx, &p, used) }()
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
				for _, g := range v.GPUs {
					vm.GPUs = append(vm.GPUs, string(g))
				}
				if s := setupOfEnv(v.EnvVars); s != nil {
					vm.Setup = c.setupState(ctx, vm.ContractID, s, vmHost(vm.PublicIPv4, vm.MyceliumIP))
				}
				used[vm.ContractID] = grid.Resources{CRU: uint64(v.CPU), MRU: v.MemoryMB << 20, SRU: v.RootfsSizeMB << 20}
			case len(dl.VmsLight) == 1:
				v := dl.VmsLight[0]
				vm.Name, vm.MyceliumIP, vm.PrivateIP = v.Description, v.MyceliumIP, v.IP
				for _, g := range v.GPUs {
					vm.GPUs = append(vm.GPUs, string(g))
				}
				if s := setupOfEnv(v.EnvVars); s != nil {
					vm.Setup = c.setupState(ctx, vm.ContractID, s, v.MyceliumIP)
				}
				used[vm.ContractID] = grid.Resources{CRU: uint64(v.CPU), MRU: v.MemoryMB << 20, SRU: v.RootfsSizeMB << 20}
			}
			r := used[vm.ContractID]
			for _, d := range dl.Disks {
				r.SRU += d.SizeGB * grid.GB
			}
			for _, q := range dl.QSFS {
				r.SRU += uint64(q.Cache) << 20
			}
			used[vm.ContractID] = r
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
						var hru uint64 // ZOS keeps zdbs on HDD
						if slices.Contains(rec.Data, id) {
							hru += rec.ShardGB * grid.GB
						}
						if slices.Contains(rec.Meta, id) {
							hru += rec.MetaGB * grid.GB
						}
						used[contractID(zc)] = grid.Resources{HRU: hru}
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
	c.appSnapshot(ctx, st, &p, used, isUp)
	return p, nil
}

// priceContracts fills each contract's resources and what the chain bills
// it an hour, from the chain's pricing policy, TFT price and this twin's
// balances, with cost.rs's rules: a node contract on a node this twin
// rents bills only its public IPs; a rent bills the whole node at the
// dedicated share plus the farmer's extra fee. A figure the grid will not
// give stays zero.
func (c *Client) priceContracts(ctx context.Context, p *grid.Project, used map[uint64]grid.Resources) {
	if len(p.Contracts) == 0 {
		return
	}
	policy, err := c.PricingPolicy(ctx)
	if err != nil {
		return
	}
	price, err := c.TFTPrice(ctx)
	if err != nil {
		return
	}
	b, err := c.TwinBalances(ctx, c.tf.TwinID)
	if err != nil {
		return
	}
	rented := map[uint32]bool{}
	for _, ct := range p.Contracts {
		if ct.Kind == grid.RentContract {
			rented[ct.NodeID] = true
		}
	}
	for i := range p.Contracts {
		ct := &p.Contracts[i]
		var w grid.Workload
		switch ct.Kind {
		case grid.NameContract:
			ct.HourlyCost, _, _ = grid.NameContractQuote(policy, price, b.ForDiscount())
			ct.ListHourlyCost, _, _ = grid.NameContractQuote(policy, price, 0)
			continue
		case grid.RentContract:
			n, err := c.Node(ctx, ct.NodeID)
			if err != nil {
				continue
			}
			ct.Resources = n.Total
			w = grid.Workload{CRU: n.Total.CRU, MRU: n.Total.MRU, SRU: n.Total.SRU, HRU: n.Total.HRU, Dedicated: true, ExtraFeeMUSDMonth: n.ExtraFeeMUSDMonth}
		default:
			ct.Resources = used[ct.ID]
			w = grid.Workload{PublicIPv4: uint32(len(ct.PublicIPs))}
			if !rented[ct.NodeID] {
				r := ct.Resources
				w.CRU, w.MRU, w.SRU, w.HRU = r.CRU, r.MRU, r.SRU, r.HRU
			}
		}
		if q, err := grid.QuoteWorkload(w, policy, price, b.ForDiscount()); err == nil {
			ct.HourlyCost, ct.ListHourlyCost = q.TFTHour, q.ListTFTHour
		}
	}
}
