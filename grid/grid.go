// Package grid is the platform's port to the ThreeFold Grid: nodes and their
// catalog, exact TFChain pricing, deployments by project name, twin wallets
// and the bills the chain writes.
package grid

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
)

// Grid is the ThreeFold Grid as the platform uses it. A Grid acts as one
// twin, the wallet that signs and pays for what it deploys (a tenant's
// wallet); reads of nodes, balances and KYC status cover every twin.
//
// Errors are *fiatdashboard.Error values with codes; deployment refusals
// also carry a Reason (see FailureReason). Every method honours ctx.
type Grid interface {
	// ListNodes returns one page of the nodes matching f, ordered by node
	// id, and how many match in all. An empty page past the end is not an
	// error. Returns EINVALID for a malformed filter or page.
	ListNodes(ctx context.Context, f NodeFilter) (NodePage, error)

	// Node returns one node. Returns ENOTFOUND if no node has that id.
	Node(ctx context.Context, id uint32) (Node, error)

	// Quote prices w with the chain's current pricing policy and TFT price
	// for this Grid's twin (its balance decides the staking discount).
	// Returns EINVALID for an impossible workload.
	Quote(ctx context.Context, w Workload) (Quote, error)

	// DeployVM deploys a VM and its private network on spec.NodeID as the
	// project named project, with everything the VM mounts: ZOS refuses to
	// update a running VM (zmachine has no upgrade), so a QSFS in
	// spec.QSFS is deployed with it, its zdb backends first and then one
	// deployment holding the VM, the qsfs workload and the mount. A rent
	// contract comes first when spec.Rent is set (GPUs need it). The
	// returned Project holds the contract ids the chain returned; they are
	// valid at once, before any indexer lists them. On a failure after
	// some contracts were created (a timeout), the error comes with the
	// Project of those contracts, so the caller can cancel exactly them.
	// It is idempotent by project name: when the
	// project already holds a VM with the same spec, its contracts are
	// returned as they are and nothing new is created, so a retry after a
	// timeout never duplicates contracts. Returns EINVALID for a bad spec,
	// ECONFLICT if the project exists with a different VM, ENOTFOUND if the
	// node does not exist, and a Failure (FailureReason) for refusals: twin
	// not KYC-verified (EFORBIDDEN), insufficient funds or node lacking
	// capacity (ECONFLICT), node down, timeout or failed deploy (EUNAVAILABLE).
	DeployVM(ctx context.Context, project string, spec VMSpec) (Project, error)

	// DeployStandbyVM adds a standby copy of the project's primary VM on
	// spec.NodeID, which must be another node in another farm than the
	// primary's (EINVALID otherwise). Idempotent like DeployVM. Returns
	// ENOTFOUND if the project has no primary VM.
	DeployStandbyVM(ctx context.Context, project string, spec VMSpec) (Project, error)

	// ReplaceQSFSBackend moves the zdb backends that the project's QSFS
	// named qsfs keeps on node lost (its data shard, its metadata, or both)
	// to node replacement, and cancels the zdb contract on lost: the swarm
	// rebuilds the shard from the others. The replacement takes lost's place
	// in the QSFS's lists of nodes. It is idempotent: when replacement
	// already holds lost's place, the project is returned as it is. Returns
	// ENOTFOUND if the project or QSFS does not exist or lost is not one of
	// its backends, EINVALID if replacement already holds a backend of the
	// QSFS, and a Failure for refusals as DeployVM does (node down, lacking
	// disk, funds).
	ReplaceQSFSBackend(ctx context.Context, project, qsfs string, lost, replacement uint32) (Project, error)

	// RemoveStandbyVM cancels the contracts of the project's standby VM (its
	// node failed, or a new standby is wanted elsewhere) and leaves the
	// primary as it is. Removing a standby that is not there returns the
	// project unchanged, so a retry is safe. Returns ENOTFOUND if the
	// project does not exist.
	RemoveStandbyVM(ctx context.Context, project string) (Project, error)

	// Project returns the state of a project of this twin: its active
	// contracts (with their resources and hourly cost), VMs with their
	// IPs, QSFS and health. known are the contract ids the caller holds
	// for the project (from earlier Deploy results): they are read from
	// the chain directly, so a contract the indexers have not listed yet
	// is still seen; without them the project is found through the
	// indexers, which list a new contract only seconds after it was
	// created. Only the project's own contracts are read, so a down node
	// of another project never affects this one. Returns ENOTFOUND if no
	// active contract of the project is found (never deployed, or
	// cancelled).
	Project(ctx context.Context, name string, known ...uint64) (Project, error)

	// CancelProject cancels every contract of the project that the
	// indexers list, plus known (contract ids the caller holds for it, which
	// the indexers may not list yet); its capacity and public IPs are freed
	// and billing stops. Returns ENOTFOUND if no active contract was found,
	// which a retried cancel may treat as done.
	CancelProject(ctx context.Context, name string, known ...uint64) error

	// CancelContracts cancels exactly the given contracts of this twin
	// (node, name and rent contracts); ones already cancelled are skipped,
	// so a retry is safe. A rent contract is cancelled after the node
	// contracts on its node. Returns ENOTFOUND if a contract never
	// existed or belongs to another twin (nothing is cancelled then).
	CancelContracts(ctx context.Context, ids []uint64) error

	// DeployGateway deploys a gateway on spec.NodeID that proxies HTTPS
	// to spec.Backends, in the project named project (which may hold a
	// VM or a cluster already, or nothing yet). A name gateway (spec.Name)
	// first creates the name contract (the name is unique chain-wide),
	// then the gateway's node contract, as grid-client's
	// GatewayNameDeployer does, and answers at https://<name>.<domain>;
	// an FQDN gateway (spec.FQDN) needs the domain's DNS to point at the
	// gateway node. It is idempotent by (project, name or FQDN): the same
	// spec again returns the project as it is. Returns EINVALID for a bad
	// spec (a name outside tfchain's rules, a backend ZOS refuses, a node
	// that is no gateway), ECONFLICT if the name is taken (by anyone) or
	// the project holds that gateway with another spec, ENOTFOUND if the
	// node does not exist, and Failures as DeployVM does (node down,
	// funds, KYC, timeout with the Project of the contracts created).
	DeployGateway(ctx context.Context, project string, spec GatewaySpec) (Project, error)

	// DeployKubernetes deploys a k3s cluster as the project named
	// project: the master and workers in one private network, one
	// deployment per node (grid-client's K8sDeployer). Idempotent by
	// project name like DeployVM: the same spec returns the project as it
	// is; another spec is ECONFLICT (workers change through
	// SetK8sWorkers). Errors as DeployVM.
	DeployKubernetes(ctx context.Context, project string, spec K8sSpec) (Project, error)

	// SetK8sWorkers makes the project's cluster have exactly workers:
	// new names are added (on their nodes, in the cluster's network),
	// missing names are removed (their deployments updated or cancelled),
	// and the master stays untouched. A worker whose name stays must keep
	// its spec (ZOS does not update a running VM: ECONFLICT). Setting the
	// same workers again returns the project as it is. Returns ENOTFOUND
	// if the project holds no cluster, and Failures as DeployVM does.
	SetK8sWorkers(ctx context.Context, project string, workers []K8sNode) (Project, error)

	// Kubeconfig returns the admin kubeconfig of the project's cluster
	// (a secret: never log it). Returns ENOTFOUND if the project holds no
	// cluster and a Failure with ReasonNodeDown when the master cannot be
	// reached.
	Kubeconfig(ctx context.Context, project string) (string, error)

	// Twin returns the id of the twin this Grid acts as.
	Twin(ctx context.Context) (uint32, error)

	// TwinBalance returns the free balance of a twin's account. Returns
	// ENOTFOUND if the twin does not exist.
	TwinBalance(ctx context.Context, twinID uint32) (TFTUnits, error)

	// TwinBalances returns a twin's balances as the chain's billing counts
	// them: free, what billing has locked, and the stash bonded to the twin
	// (pallet-smart-contract billing.rs bill_contract judges the staking
	// discount on usable + stash). Returns ENOTFOUND if the twin does not
	// exist.
	TwinBalances(ctx context.Context, twinID uint32) (Balances, error)

	// TwinKYC reports whether a twin is KYC-verified, which the grid
	// requires before it lets the twin deploy. Returns ENOTFOUND if the
	// twin does not exist.
	TwinKYC(ctx context.Context, twinID uint32) (bool, error)

	// TransferTFT moves amount from this Grid's twin to another twin's
	// account. Returns EINVALID for a non-positive amount, ENOTFOUND if the
	// twin does not exist, and a Failure with ReasonInsufficientFunds
	// (ECONFLICT) when the balance does not cover it.
	TransferTFT(ctx context.Context, toTwin uint32, amount TFTUnits) error

	// BillReports returns the chain's hourly bills matching q, oldest
	// first: what each contract was billed and the node farmer's share.
	// A page of q.Limit bills (default and at most MaxBillPage) after
	// q.After is returned; callers page by passing the last bill's At and
	// contract. Returns EINVALID if q has neither contracts, twin nor
	// nodes, or its window is reversed.
	BillReports(ctx context.Context, q BillQuery) ([]BillReport, error)
}

var projectNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

var encryptKeyPattern = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// ValidateProjectName returns EINVALID unless name can name a grid project:
// 1 to 64 lowercase letters, digits, '-' or '_', starting with a letter or
// digit (the platform derives it from the deployment id).
func ValidateProjectName(name string) error {
	if !projectNamePattern.MatchString(name) {
		return fiatdashboard.Invalid("project", "a project name is 1 to 64 lowercase letters, digits, '-' or '_'")
	}
	return nil
}

// Resources are node capacities or a contract's use: cores and bytes.
type Resources struct {
	CRU uint64 // virtual cores
	MRU uint64 // memory, bytes
	SRU uint64 // SSD, bytes
	HRU uint64 // HDD, bytes
}

// Add returns r + o.
func (r Resources) Add(o Resources) Resources {
	return Resources{r.CRU + o.CRU, r.MRU + o.MRU, r.SRU + o.SRU, r.HRU + o.HRU}
}

// Sub returns r − o, each field floored at zero.
func (r Resources) Sub(o Resources) Resources {
	sub := func(a, b uint64) uint64 {
		if b > a {
			return 0
		}
		return a - b
	}
	return Resources{sub(r.CRU, o.CRU), sub(r.MRU, o.MRU), sub(r.SRU, o.SRU), sub(r.HRU, o.HRU)}
}

// Covers reports whether r is at least o in every field.
func (r Resources) Covers(o Resources) bool {
	return r.CRU >= o.CRU && r.MRU >= o.MRU && r.SRU >= o.SRU && r.HRU >= o.HRU
}

// NodeStatus is a node's power state as the grid reports it.
type NodeStatus string

// Node statuses.
const (
	NodeUp      NodeStatus = "up"
	NodeDown    NodeStatus = "down"
	NodeStandby NodeStatus = "standby" // powered off by the farmerbot; wakes up on demand
)

// GPU is a graphics card on a node.
type GPU struct {
	ID     string
	Vendor string
	Device string
}

// Node is a ZOS node as the platform sees it.
type Node struct {
	ID         uint32
	TwinID     uint32 // the node's own twin
	FarmID     uint32
	FarmName   string
	FarmTwinID uint32 // the farmer's twin: the node operator who earns from it
	Country    string
	City       string
	Region     string // continent-level region ("Europe", "Africa", …)

	Total Resources
	Used  Resources

	PublicIPv4 uint32 // free public IPv4 addresses in the node's farm
	IPv6       bool   // the node has public IPv6
	GPUs       []GPU

	Certified bool
	Dedicated bool // the farm only rents its nodes whole
	Rentable  bool // can be rented now: not rented, and in a dedicated farm or running no one's contracts
	// ExtraFeeMUSDMonth is the farmer's extra fee for renting the node
	// (DedicatedNodesExtraFee, mUSD a month), billed on top of the rent.
	ExtraFeeMUSDMonth uint64
	RentedByTwin      uint32 // the twin renting the node, or 0
	Light             bool   // ZOS 4 light: deploys through the light workload types
	// GatewayDomain is the domain of the node's public config, set on
	// gateway nodes: a name gateway on it answers at <name>.<domain>.
	GatewayDomain string

	Status     NodeStatus
	Uptime     time.Duration // since the last boot
	LastSeenAt time.Time
}

// Free returns the capacity the node still has.
func (n Node) Free() Resources { return n.Total.Sub(n.Used) }

// NodeFilter selects nodes. Zero fields do not filter.
type NodeFilter struct {
	FarmIDs     []uint32 // only these farms
	NodeIDs     []uint32 // only these nodes
	Countries   []string // only these countries (names as the grid spells them)
	Region      string
	Status      []NodeStatus // only these statuses
	MinFree     Resources    // at least this much free capacity
	PublicIPv4  bool         // only farms with a free public IPv4
	IPv6        bool         // only nodes with public IPv6
	GPU         bool         // only nodes with a GPU
	Certified   bool         // only certified nodes
	Rentable    bool         // only nodes that can be rented now
	Dedicated   *bool        // only dedicated (true) or shared (false) nodes
	Light       *bool        // only ZOS 4 light (true) or full (false) nodes
	Gateway     bool         // only gateway nodes (a public config with a domain)
	ExcludeFarm []uint32     // not these farms (a standby VM avoids its primary's)
	ExcludeNode []uint32     // not these nodes

	Page Page
}

// Page selects a page of results: Number from 1, Size up to MaxPageSize.
// The zero Page is the first page of DefaultPageSize.
type Page struct {
	Number int
	Size   int
}

// Page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Normalize fills the defaults of p, or returns EINVALID.
func (p Page) Normalize() (Page, error) {
	if p.Number < 0 || p.Size < 0 || p.Size > MaxPageSize {
		return p, fiatdashboard.Invalid("page", "page number must be ≥ 1 and size between 1 and %d", MaxPageSize)
	}
	if p.Number == 0 {
		p.Number = 1
	}
	if p.Size == 0 {
		p.Size = DefaultPageSize
	}
	return p, nil
}

// Bounds returns the slice bounds of the page in a list of total items.
func (p Page) Bounds(total int) (from, to int) {
	from = min((p.Number-1)*p.Size, total)
	to = min(from+p.Size, total)
	return from, to
}

// NodePage is one page of nodes and the number of all matching nodes.
type NodePage struct {
	Nodes []Node
	Total int
	Page  Page
}

// Match reports whether n passes every condition of f except paging.
func (f NodeFilter) Match(n Node) bool {
	if len(f.FarmIDs) > 0 && !slices.Contains(f.FarmIDs, n.FarmID) {
		return false
	}
	if len(f.NodeIDs) > 0 && !slices.Contains(f.NodeIDs, n.ID) {
		return false
	}
	if len(f.Countries) > 0 && !slices.Contains(f.Countries, n.Country) {
		return false
	}
	if f.Region != "" && f.Region != n.Region {
		return false
	}
	if len(f.Status) > 0 && !slices.Contains(f.Status, n.Status) {
		return false
	}
	if !n.Free().Covers(f.MinFree) {
		return false
	}
	if f.PublicIPv4 && n.PublicIPv4 == 0 ||
		f.IPv6 && !n.IPv6 ||
		f.GPU && len(n.GPUs) == 0 ||
		f.Certified && !n.Certified ||
		f.Rentable && !n.Rentable ||
		f.Gateway && n.GatewayDomain == "" {
		return false
	}
	if f.Dedicated != nil && *f.Dedicated != n.Dedicated {
		return false
	}
	if f.Light != nil && *f.Light != n.Light {
		return false
	}
	if slices.Contains(f.ExcludeFarm, n.FarmID) || slices.Contains(f.ExcludeNode, n.ID) {
		return false
	}
	return true
}

// Disk is an extra SSD disk mounted into a VM.
type Disk struct {
	Name       string
	Size       uint64 // bytes
	MountPoint string
}

// VMSpec describes a VM to deploy.
type VMSpec struct {
	Name       string // unique within the project
	NodeID     uint32
	Flist      string // the image, as a ZOS flist URL
	Entrypoint string
	CPU        uint64 // virtual cores
	Memory     uint64 // bytes
	RootFS     uint64 // bytes of SSD for the root file system
	Disks      []Disk
	Env        map[string]string
	SSHKeys    []string
	PublicIPv4 bool
	PublicIPv6 bool
	Mycelium   bool     // give the VM a Mycelium address (the platform turns it on)
	GPUs       []string // GPU ids on the node; ZOS attaches them only on a node this twin rents (Rent)

	// Rent rents the whole node first (a rent contract in the project),
	// unless this twin rents it already. ZOS attaches a GPU only on a
	// rented node, and a node of a dedicated farm takes only its renter's
	// workloads. The chain bills the rent as Workload{Dedicated: true}.
	Rent bool

	// QSFS are deployed with the VM and mounted into it (see DeployVM);
	// each one's VMName is the VM's Name or empty.
	QSFS []QSFSSpec

	// Setup, when set, is run once over SSH after the VM is up (see
	// Setup): DeployVM returns when it is done. Only on a full VM image
	// with a public IPv4 or Mycelium. A failed setup is a
	// ReasonDeployFailed Failure that comes with the Project of the
	// contracts, as a timeout does; a retry runs it again.
	Setup *Setup `json:",omitempty"`
}

// Resources returns what the VM uses on its node.
func (s VMSpec) Resources() Resources {
	r := Resources{CRU: s.CPU, MRU: s.Memory, SRU: s.RootFS}
	for _, d := range s.Disks {
		r.SRU += d.Size
	}
	return r
}

// Validate returns EINVALID naming the first bad field of s.
func (s VMSpec) Validate() error {
	switch {
	case s.Name == "":
		return fiatdashboard.Invalid("name", "the VM needs a name")
	case s.NodeID == 0:
		return fiatdashboard.Invalid("node_id", "the VM needs a node")
	case s.Flist == "":
		return fiatdashboard.Invalid("flist", "the VM needs an image")
	case s.CPU == 0 || s.CPU > 32:
		return fiatdashboard.Invalid("cpu", "a VM has 1 to 32 virtual cores")
	case s.Memory < 256<<20:
		return fiatdashboard.Invalid("memory", "a VM needs at least 256 MB of memory")
	}
	for _, d := range s.Disks {
		if d.Name == "" || d.Size == 0 || d.MountPoint == "" {
			return fiatdashboard.Invalid("disks", "every disk needs a name, a size and a mount point")
		}
	}
	for _, q := range s.QSFS {
		if q.VMName != "" && q.VMName != s.Name {
			return fiatdashboard.Invalid("qsfs", "a QSFS deployed with VM %q cannot mount into VM %q", s.Name, q.VMName)
		}
		q.VMName = s.Name
		if err := q.Validate(); err != nil {
			return err
		}
	}
	if len(s.GPUs) > 0 && !s.Rent {
		// ZOS attaches a GPU only on a node rented by the deploying twin.
		return fiatdashboard.Invalid("gpus", "a VM with a GPU needs its node rented (rent)")
	}
	return s.validateSetup()
}

// QSFSSpec describes a quantum-safe file system: data is cut into
// Expected shards, any Minimal of which rebuild it, so it survives the loss
// of Expected − Minimal data nodes.
type QSFSSpec struct {
	Name       string
	VMName     string // the VM it is mounted into
	MountPoint string
	Expected   uint32   // data shards, one zdb per data node
	Minimal    uint32   // shards needed to rebuild
	DataNodes  []uint32 // Expected distinct nodes
	MetaNodes  []uint32 // distinct nodes for the metadata zdbs
	ShardSize  uint64   // bytes per data zdb
	MetaSize   uint64   // bytes per metadata zdb
	CacheSize  uint64   // bytes of SSD cache on the VM's node
	// DataDirSize bounds the local zdb data of the QSFS (bytes); it must
	// fit in the cache (grid-client's QSFS example: cache 1024 MB, data
	// dir 512 MB). Zero takes half the cache.
	DataDirSize uint64
	// Password protects the zdb namespaces, which are never public (a
	// public 0-db namespace is readable without it). Random per
	// deployment; never logged nor returned.
	Password string
	// EncryptKey is the AES-256 key of the data, 64 hex characters (ZOS
	// gridtypes/zos EncryptionKey.Valid wants 32 bytes). Random per
	// deployment; never logged nor returned.
	EncryptKey string
}

// DataDir returns the QSFS's local data-dir size: DataDirSize, or half
// the cache.
func (s QSFSSpec) DataDir() uint64 {
	if s.DataDirSize == 0 {
		return s.CacheSize / 2
	}
	return s.DataDirSize
}

// Validate returns EINVALID naming the first bad field of s.
func (s QSFSSpec) Validate() error {
	switch {
	case s.Name == "":
		return fiatdashboard.Invalid("name", "the QSFS needs a name")
	case s.VMName == "":
		return fiatdashboard.Invalid("vm_name", "the QSFS must be mounted into a VM")
	case s.MountPoint == "":
		return fiatdashboard.Invalid("mount_point", "the QSFS needs a mount point")
	case s.Minimal == 0 || s.Expected <= s.Minimal:
		return fiatdashboard.Invalid("expected", "expected shards must exceed minimal shards, which must be at least 1")
	case len(s.DataNodes) != int(s.Expected):
		return fiatdashboard.Invalid("data_nodes", "%d data nodes given for %d expected shards", len(s.DataNodes), s.Expected)
	case len(s.MetaNodes) == 0:
		return fiatdashboard.Invalid("meta_nodes", "the QSFS needs metadata nodes")
	case s.ShardSize == 0 || s.MetaSize == 0:
		return fiatdashboard.Invalid("shard_size", "zdb sizes must be positive")
	case s.CacheSize == 0:
		return fiatdashboard.Invalid("cache_size", "the QSFS needs a cache")
	case s.DataDir() > s.CacheSize:
		return fiatdashboard.Invalid("data_dir_size", "the QSFS data dir must fit in its cache")
	case len(s.Password) < 16:
		return fiatdashboard.Invalid("password", "the zdb password must have at least 16 characters")
	case !encryptKeyPattern.MatchString(s.EncryptKey):
		// ZOS gridtypes/zos/qsfs.go: EncryptionKey.Valid refuses any key
		// that is not 32 bytes (AES-256), given in hex.
		return fiatdashboard.Invalid("encrypt_key", "the QSFS encryption key must be 32 bytes in hex (64 characters)")
	}
	if hasDuplicate(s.DataNodes) {
		return fiatdashboard.Invalid("data_nodes", "data shards must sit on distinct nodes")
	}
	if hasDuplicate(s.MetaNodes) {
		return fiatdashboard.Invalid("meta_nodes", "metadata zdbs must sit on distinct nodes")
	}
	return nil
}

func hasDuplicate(ids []uint32) bool {
	seen := make(map[uint32]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return true
		}
		seen[id] = true
	}
	return false
}

// ContractKind is the kind of a TFChain contract.
type ContractKind string

// Contract kinds.
const (
	NodeContract ContractKind = "node" // a deployment on a node (VM, network, zdbs)
	NameContract ContractKind = "name" // a gateway name
	RentContract ContractKind = "rent" // a whole node rented
)

// ContractState is the chain state of a contract.
type ContractState string

// Contract states.
const (
	ContractCreated     ContractState = "created"
	ContractGracePeriod ContractState = "grace_period" // unpaid: workloads stopped until funded
	ContractDeleted     ContractState = "deleted"
)

// Contract is one TFChain contract.
type Contract struct {
	ID         uint64
	Kind       ContractKind
	TwinID     uint32
	NodeID     uint32 // 0 for name contracts
	Name       string // the gateway name, for name contracts
	Purpose    string // what it holds: "network", "vm:<name>", "zdb:<qsfs>", "rent", "name", "gateway:<fqdn>", "k8s"
	Resources  Resources
	PublicIPs  []string
	State      ContractState
	CreatedAt  time.Time
	HourlyCost TFTUnits // what the chain bills now per hour, at the twin's current discount
	// ListHourlyCost is the hour before the staking discount, as the chain
	// prices this contract (a rent: the node's dedicated share and extra
	// fee; a VM on a rented node: its public IPs only).
	ListHourlyCost TFTUnits
}

// Health of a VM, a QSFS or a project.
type Health string

// Health values.
const (
	Healthy  Health = "healthy"
	Degraded Health = "degraded" // working with lost redundancy (a standby or QSFS shards down)
	Down     Health = "down"
)

// VMRole tells a primary VM from its standby copy.
type VMRole string

// VM roles.
const (
	Primary VMRole = "primary"
	Standby VMRole = "standby"
)

// VM is a deployed VM.
type VM struct {
	Name       string
	Role       VMRole
	NodeID     uint32
	FarmID     uint32
	ContractID uint64
	PublicIPv4 string // "a.b.c.d/24", or ""
	PublicIPv6 string
	MyceliumIP string
	PrivateIP  string
	GPUs       []string // the GPU ids ZOS attached (the node is rented)
	Health     Health
	Setup      *SetupState // the VM's first-boot setup (VMSpec.Setup), nil without one
}

// QSFS is a deployed quantum-safe file system.
type QSFS struct {
	Name        string
	VMName      string
	MountPoint  string
	Expected    uint32
	Minimal     uint32
	DataNodes   []uint32
	MetaNodes   []uint32
	ContractIDs []uint64
	ShardsUp    uint32 // data shards on nodes that are up
	Health      Health
}

// Project is what a twin deployed under one name.
type Project struct {
	Name      string
	TwinID    uint32
	Contracts []Contract // ordered by id
	VMs       []VM       // primary first
	QSFS      []QSFS
	Gateways  []GatewayState // ordered by name (or FQDN)
	K8s       *K8sState      // nil unless the project holds a cluster
	Health    Health
}

// ContractIDs returns the ids of p's contracts in order.
func (p Project) ContractIDs() []uint64 {
	ids := make([]uint64, len(p.Contracts))
	for i, c := range p.Contracts {
		ids[i] = c.ID
	}
	return ids
}

// VM returns the project's VM with the given name.
func (p Project) VM(name string) (VM, bool) {
	for _, vm := range p.VMs {
		if vm.Name == name {
			return vm, true
		}
	}
	return VM{}, false
}

// BillQuery selects bill reports: by contracts, by twin or by nodes (a
// node operator's earnings), within [From, To) when set, one page at a
// time: the bills after (AfterAt, AfterContract) in (At, ContractID)
// order, at most Limit of them (0: MaxBillPage).
type BillQuery struct {
	ContractIDs []uint64
	TwinID      uint32
	NodeIDs     []uint32
	From, To    time.Time

	AfterAt       time.Time
	AfterContract uint64
	Limit         int
}

// MaxBillPage is the most bills one BillReports call returns.
const MaxBillPage = 1000

// PageLimit returns q's page size.
func (q BillQuery) PageLimit() int {
	if q.Limit <= 0 || q.Limit > MaxBillPage {
		return MaxBillPage
	}
	return q.Limit
}

// Past reports whether r comes after q's page cursor.
func (q BillQuery) Past(r BillReport) bool {
	if q.AfterAt.IsZero() && q.AfterContract == 0 {
		return true
	}
	if c := r.At.Compare(q.AfterAt); c != 0 {
		return c > 0
	}
	return r.ContractID > q.AfterContract
}

// Balances are a twin's balances as the chain's billing counts them.
type Balances struct {
	Free   TFTUnits // the account's free balance
	Locked TFTUnits // what contract billing has locked on it, not yet distributed
	Stash  TFTUnits // the usable balance of the stash account bonded to the twin (TwinBoundedAccountID)
}

// Usable is the free balance minus what billing locked (pallet_balances
// usable_balance).
func (b Balances) Usable() TFTUnits { return max(b.Free-b.Locked, 0) }

// ForDiscount is what the staking discount is judged against: usable
// plus stash (pallet-smart-contract billing.rs bill_contract).
func (b Balances) ForDiscount() TFTUnits { return b.Usable() + b.Stash }

// Validate returns EINVALID if q selects nothing in particular.
func (q BillQuery) Validate() error {
	if len(q.ContractIDs) == 0 && q.TwinID == 0 && len(q.NodeIDs) == 0 {
		return fiatdashboard.Invalid("contract_ids", "select bills by contracts, a twin or nodes")
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return fiatdashboard.Invalid("to", "the window ends before it starts")
	}
	return nil
}

// Match reports whether r is selected by q.
func (q BillQuery) Match(r BillReport) bool {
	if len(q.ContractIDs) > 0 && !slices.Contains(q.ContractIDs, r.ContractID) {
		return false
	}
	if q.TwinID != 0 && q.TwinID != r.TwinID {
		return false
	}
	if len(q.NodeIDs) > 0 && !slices.Contains(q.NodeIDs, r.NodeID) {
		return false
	}
	if !q.From.IsZero() && r.At.Before(q.From) {
		return false
	}
	if !q.To.IsZero() && !r.At.Before(q.To) {
		return false
	}
	return true
}

// MinFreeToDeploy is the free balance below which grid-client v0.16 refuses
// to start a client, deploy or cancel through its deployers
// (deployer/validation.go validateAccountBalanceForExtrinsics: 2 TFT). The
// chain has no such floor: a drained wallet still reads its contracts and
// cancels them by extrinsic (tfgrid's read-and-cancel client).
const MinFreeToDeploy TFTUnits = 2 * UnitsPerTFT

// FarmerSharePct is the node farmer's share of each contract bill (the
// chain's current split: 50 % farmer, 40 % foundation, 10 % staking pool).
const FarmerSharePct = 50

// FarmerShare returns the farmer's share of a bill, rounded down to the unit.
func FarmerShare(amount TFTUnits) TFTUnits { return amount * FarmerSharePct / 100 }

// BillReport is one bill the chain charged a contract.
type BillReport struct {
	ContractID  uint64
	TwinID      uint32
	NodeID      uint32 // 0 for name contracts
	FarmID      uint32
	At          time.Time
	Amount      TFTUnits // the whole bill: the contract's cost after the discount, plus ExtraFee
	Discount    DiscountPackage
	FarmerShare TFTUnits // what the node's farmer earned from this bill (FarmerSharePct of the cost, all of ExtraFee)
	// ExtraFee is the dedicated node's extra fee in this bill (rent
	// contracts only): the chain sends all of it to the farmer
	// (billing.rs distribute_extra_cultivation_rewards).
	ExtraFee TFTUnits
}

// Reason says why the grid refused or failed a deployment.
type Reason string

// Reasons.
const (
	ReasonKYCMissing        Reason = "kyc_missing"
	ReasonInsufficientFunds Reason = "insufficient_funds"
	ReasonNodeDown          Reason = "node_down"
	ReasonNodeCapacity      Reason = "node_capacity"
	ReasonTimeout           Reason = "timeout"
	ReasonDeployFailed      Reason = "deploy_failed"
)

// Failure is a refused or failed grid operation: a coded error for the user
// and a Reason for the code that decides what to do next (top up, pick
// another node, retry).
type Failure struct {
	Reason Reason
	Err    *fiatdashboard.Error
	Cause  error // what the grid said, for the log; may be nil
}

func (f *Failure) Error() string {
	if f.Cause != nil {
		return f.Err.Error() + ": " + f.Cause.Error()
	}
	return f.Err.Error()
}

// Unwrap lets fiatdashboard.ErrorCode find the coded error, and errors.Is
// the cause.
func (f *Failure) Unwrap() []error {
	if f.Cause != nil {
		return []error{f.Err, f.Cause}
	}
	return []error{f.Err}
}

// Fail returns a Failure with the code that goes with reason and a plain
// message.
func Fail(reason Reason, format string, args ...any) *Failure {
	code := fiatdashboard.EUNAVAILABLE
	switch reason {
	case ReasonKYCMissing:
		code = fiatdashboard.EFORBIDDEN
	case ReasonInsufficientFunds, ReasonNodeCapacity:
		code = fiatdashboard.ECONFLICT
	}
	return &Failure{Reason: reason, Err: fiatdashboard.Errorf(code, format, args...)}
}

// FailureReason returns the Reason of the first Failure in err's chain, or "".
func FailureReason(err error) Reason {
	var f *Failure
	if errors.As(err, &f) {
		return f.Reason
	}
	return ""
}
