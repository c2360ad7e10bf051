// Package gridsim is a stateful ThreeFold Grid simulator, deterministic from a
// seed, that development and tests use in place of the real grid.
package gridsim

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"math/big"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

var _ grid.Grid = (*Sim)(nil)

// Config sets up a simulated grid. Zero fields take the defaults.
type Config struct {
	Seed          uint64
	Nodes         int                // default 600
	Farms         int                // default 60
	Start         time.Time          // the simulated clock's start; default 2025-01-01 00:00 UTC
	TFTPrice      string             // USD per TFT; default grid.ReferenceTFTPrice
	Policy        grid.PricingPolicy // default grid.MainnetPricingPolicy
	WalletBalance grid.TFTUnits      // the wallet twin's starting balance; default 10 000 TFT
	GracePeriod   time.Duration      // how long an unpaid contract survives; default 14 days
}

// Default sizes.
const (
	DefaultNodes = 600
	DefaultFarms = 60
)

// Sim is a simulated grid seen as one twin. Every Sim from the same New
// shares one world; AsTwin gives a view as another twin. It is safe for
// concurrent use.
type Sim struct {
	w    *world
	twin uint32
}

type projectKey struct {
	twin uint32
	name string
}

type world struct {
	mu sync.Mutex

	seed        uint64
	now         time.Time
	policy      grid.PricingPolicy
	tftPrice    *big.Rat
	gracePeriod time.Duration
	latency     Latency

	farms     []*farm // farm id i at index i-1
	nodes     []*node // node id i at index i-1
	twins     map[uint32]*twin
	nextTwin  uint32
	contracts map[uint64]*contract
	nextID    uint64
	projects  map[projectKey]*project
	names     map[string]uint64 // gateway name → its name contract
	bills     []grid.BillReport

	globalFaults []*fault
	nodeFaults   map[uint32][]*fault
	offlineAt    map[uint32]time.Time // node id → when it goes down
}

type contract struct {
	grid.Contract
	project    projectKey
	lastBilled time.Time
	graceSince time.Time
}

type vmState struct {
	spec         grid.VMSpec
	role         grid.VMRole
	vmContract   uint64
	netContract  uint64
	rentContract uint64
	nameContract uint64
	ipv4, ipv6   string
	private, myc string
}

type qsfsState struct {
	spec      grid.QSFSSpec
	contracts []uint64
	vm        *vmState
}

type project struct {
	key       projectKey
	contracts []uint64
	primary   *vmState
	standby   *vmState
	qsfs      []*qsfsState
}

// New builds a simulated grid from cfg and returns it as seen by the
// wallet twin: KYC-verified, holding cfg.WalletBalance.
func New(cfg Config) *Sim {
	if cfg.Nodes <= 0 {
		cfg.Nodes = DefaultNodes
	}
	if cfg.Farms <= 0 {
		cfg.Farms = DefaultFarms
	}
	cfg.Farms = min(cfg.Farms, cfg.Nodes)
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if cfg.TFTPrice == "" {
		cfg.TFTPrice = grid.ReferenceTFTPrice
	}
	price, err := grid.ParseDecimal(cfg.TFTPrice)
	if err != nil || price.Sign() <= 0 {
		panic(fmt.Sprintf("gridsim: bad TFT price %q", cfg.TFTPrice))
	}
	if cfg.Policy == (grid.PricingPolicy{}) {
		cfg.Policy = grid.MainnetPricingPolicy
	}
	if cfg.WalletBalance == 0 {
		cfg.WalletBalance = 10_000 * grid.UnitsPerTFT
	}
	if cfg.GracePeriod == 0 {
		cfg.GracePeriod = 14 * 24 * time.Hour
	}

	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	farms, nodes := generate(cfg, rng)
	w := &world{
		seed:        cfg.Seed,
		now:         cfg.Start.UTC(),
		policy:      cfg.Policy,
		tftPrice:    price,
		gracePeriod: cfg.GracePeriod,
		farms:       farms,
		nodes:       nodes,
		twins:       make(map[uint32]*twin),
		nextTwin:    walletTwinID + 1,
		contracts:   make(map[uint64]*contract),
		nextID:      1000,
		projects:    make(map[projectKey]*project),
		names:       make(map[string]uint64),
		nodeFaults:  make(map[uint32][]*fault),
		offlineAt:   make(map[uint32]time.Time),
	}
	w.addTwin(walletTwinID, cfg.WalletBalance, true)
	w.addTwin(outsideTwinID, 0, true)
	for _, f := range farms {
		w.addTwin(f.TwinID, 0, true)
	}
	for _, n := range nodes {
		w.addTwin(n.TwinID, 0, false)
	}
	return &Sim{w: w, twin: walletTwinID}
}

func (w *world) addTwin(id uint32, balance grid.TFTUnits, kyc bool) *twin {
	t := &twin{ID: id, Balance: balance, KYC: kyc, Key: twinKey(w.seed, id)}
	w.twins[id] = t
	return t
}

// AsTwin returns the same simulated grid seen as another twin. It panics if
// the twin does not exist, which is a bug in the caller.
func (s *Sim) AsTwin(twinID uint32) *Sim {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	if s.w.twins[twinID] == nil {
		panic(fmt.Sprintf("gridsim: no twin %d", twinID))
	}
	return &Sim{w: s.w, twin: twinID}
}

// CreateTwin registers a new twin with a balance and a KYC status, and
// returns its id.
func (s *Sim) CreateTwin(balance grid.TFTUnits, kycVerified bool) uint32 {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	id := s.w.nextTwin
	s.w.nextTwin++
	s.w.addTwin(id, balance, kycVerified)
	return id
}

// SetKYC sets whether a twin is KYC-verified. Returns ENOTFOUND for an
// unknown twin.
func (s *Sim) SetKYC(twinID uint32, verified bool) error {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	t, err := s.w.twin(twinID)
	if err != nil {
		return err
	}
	t.KYC = verified
	return nil
}

// Fund mints amount into a twin's account, as a bridge deposit does.
// Returns ENOTFOUND for an unknown twin and EINVALID for a negative amount.
func (s *Sim) Fund(twinID uint32, amount grid.TFTUnits) error {
	if amount < 0 {
		return fiatdashboard.Invalid("amount", "cannot fund a negative amount")
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	t, err := s.w.twin(twinID)
	if err != nil {
		return err
	}
	t.Balance += amount
	return nil
}

// TwinKey returns a twin's ed25519 private key, derived from the seed, so
// tests can sign as a farmer. Returns ENOTFOUND for an unknown twin.
func (s *Sim) TwinKey(twinID uint32) (ed25519.PrivateKey, error) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	t, err := s.w.twin(twinID)
	if err != nil {
		return nil, err
	}
	return slices.Clone(t.Key), nil
}

// TwinPublicKey returns a twin's ed25519 public key, as the chain records
// it. Returns ENOTFOUND for an unknown twin.
func (s *Sim) TwinPublicKey(twinID uint32) (ed25519.PublicKey, error) {
	k, err := s.TwinKey(twinID)
	if err != nil {
		return nil, err
	}
	return k.Public().(ed25519.PublicKey), nil
}

// Now returns the simulated time.
func (s *Sim) Now() time.Time {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	return s.w.now
}

// SetTFTPrice changes the TFT price (USD per TFT) used for new quotes and
// bills. Returns EINVALID unless it is positive.
func (s *Sim) SetTFTPrice(usd *big.Rat) error {
	if usd == nil || usd.Sign() <= 0 {
		return fiatdashboard.Invalid("tft_price", "the TFT price must be positive")
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	s.w.tftPrice = new(big.Rat).Set(usd)
	return nil
}

// SetNodeStatus powers a node up, down or to standby. Returns ENOTFOUND
// for an unknown node.
func (s *Sim) SetNodeStatus(nodeID uint32, status grid.NodeStatus) error {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	n, err := s.w.node(nodeID)
	if err != nil {
		return err
	}
	s.w.setStatus(n, status)
	return nil
}

func (w *world) setStatus(n *node, status grid.NodeStatus) {
	if status == grid.NodeUp && n.status != grid.NodeUp {
		n.bootedAt = w.now
	}
	if n.status == grid.NodeUp && status != grid.NodeUp {
		n.lastSeen = w.now
	}
	n.status = status
}

func (w *world) twin(id uint32) (*twin, error) {
	t := w.twins[id]
	if t == nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "twin %d does not exist", id)
	}
	return t, nil
}

func (w *world) node(id uint32) (*node, error) {
	if id == 0 || int(id) > len(w.nodes) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "node %d does not exist", id)
	}
	return w.nodes[id-1], nil
}

func (w *world) farmOf(n *node) *farm { return w.farms[n.FarmID-1] }

// view returns the node as the grid reports it now.
func (w *world) view(n *node) grid.Node {
	v := n.Node
	v.GPUs = slices.Clone(n.GPUs)
	v.Used = n.used
	v.PublicIPv4 = w.farmOf(n).freeIPs()
	v.RentedByTwin = n.rentedBy
	v.Rentable = n.Dedicated && n.rentedBy == 0
	v.Status = n.status
	v.LastSeenAt = n.lastSeen
	if n.status == grid.NodeUp {
		v.Uptime = w.now.Sub(n.bootedAt)
		v.LastSeenAt = w.now
	}
	return v
}

// Latency makes calls take real time: Read for queries, Deploy for
// deployments and cancels. A call whose context ends first fails with
// ReasonTimeout.
type Latency struct {
	Read   time.Duration
	Deploy time.Duration
}

// SetLatency sets the latency knobs.
func (s *Sim) SetLatency(l Latency) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	s.w.latency = l
}

// wait sleeps the read or deploy latency, or fails when ctx ends first.
func (s *Sim) wait(ctx context.Context, deploy bool) error {
	s.w.mu.Lock()
	d := s.w.latency.Read
	if deploy {
		d = s.w.latency.Deploy
	}
	s.w.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return grid.Fail(grid.ReasonTimeout, "the grid call was abandoned: %v", err)
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return grid.Fail(grid.ReasonTimeout, "the grid did not answer in time: %v", ctx.Err())
	case <-t.C:
		return nil
	}
}

// ListNodes implements grid.Grid.
func (s *Sim) ListNodes(ctx context.Context, f grid.NodeFilter) (grid.NodePage, error) {
	page, err := f.Page.Normalize()
	if err != nil {
		return grid.NodePage{}, err
	}
	if err := s.wait(ctx, false); err != nil {
		return grid.NodePage{}, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	var matched []grid.Node
	for _, n := range s.w.nodes {
		if v := s.w.view(n); f.Match(v) {
			matched = append(matched, v)
		}
	}
	from, to := page.Bounds(len(matched))
	return grid.NodePage{Nodes: matched[from:to:to], Total: len(matched), Page: page}, nil
}

// Node implements grid.Grid.
func (s *Sim) Node(ctx context.Context, id uint32) (grid.Node, error) {
	if err := s.wait(ctx, false); err != nil {
		return grid.Node{}, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	n, err := s.w.node(id)
	if err != nil {
		return grid.Node{}, err
	}
	return s.w.view(n), nil
}

// Quote implements grid.Grid.
func (s *Sim) Quote(ctx context.Context, wl grid.Workload) (grid.Quote, error) {
	if err := s.wait(ctx, false); err != nil {
		return grid.Quote{}, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	return grid.QuoteWorkload(wl, s.w.policy, s.w.tftPrice, s.w.twins[s.twin].Balance)
}

// Twin implements grid.Grid.
func (s *Sim) Twin(ctx context.Context) (uint32, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return s.twin, nil
}

// TwinBalance implements grid.Grid.
func (s *Sim) TwinBalance(ctx context.Context, twinID uint32) (grid.TFTUnits, error) {
	if err := s.wait(ctx, false); err != nil {
		return 0, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	t, err := s.w.twin(twinID)
	if err != nil {
		return 0, err
	}
	return t.Balance, nil
}

// TwinKYC implements grid.Grid.
func (s *Sim) TwinKYC(ctx context.Context, twinID uint32) (bool, error) {
	if err := s.wait(ctx, false); err != nil {
		return false, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	t, err := s.w.twin(twinID)
	if err != nil {
		return false, err
	}
	return t.KYC, nil
}

// TransferTFT implements grid.Grid.
func (s *Sim) TransferTFT(ctx context.Context, toTwin uint32, amount grid.TFTUnits) error {
	if amount <= 0 {
		return fiatdashboard.Invalid("amount", "a transfer must move a positive amount")
	}
	if err := s.wait(ctx, true); err != nil {
		return err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	to, err := s.w.twin(toTwin)
	if err != nil {
		return err
	}
	from := s.w.twins[s.twin]
	if from.Balance < amount {
		return grid.Fail(grid.ReasonInsufficientFunds, "twin %d holds %s TFT, less than the %s TFT to transfer", from.ID, from.Balance, amount)
	}
	from.Balance -= amount
	to.Balance += amount
	return nil
}

// BillReports implements grid.Grid.
func (s *Sim) BillReports(ctx context.Context, q grid.BillQuery) ([]grid.BillReport, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if err := s.wait(ctx, false); err != nil {
		return nil, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	var out []grid.BillReport
	for _, b := range s.w.bills {
		if q.Match(b) {
			out = append(out, b)
		}
	}
	return out, nil
}

// inProject runs fn on the twin's live project name under the world's
// lock, after the latency of a deploy call (or a read); ENOTFOUND when the
// twin has no active contract under that name.
func (s *Sim) inProject(ctx context.Context, name string, deploy bool, fn func(w *world, p *project) (grid.Project, error)) (grid.Project, error) {
	if err := s.wait(ctx, deploy); err != nil {
		return grid.Project{}, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	p := s.w.liveProject(projectKey{s.twin, name})
	if p == nil {
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q does not exist", name)
	}
	return fn(s.w, p)
}

// Project implements grid.Grid.
func (s *Sim) Project(ctx context.Context, name string) (grid.Project, error) {
	return s.inProject(ctx, name, false, func(w *world, p *project) (grid.Project, error) { return w.snapshot(p), nil })
}

// CancelProject implements grid.Grid.
func (s *Sim) CancelProject(ctx context.Context, name string) error {
	if err := s.wait(ctx, true); err != nil {
		return err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	key := projectKey{s.twin, name}
	p := s.w.liveProject(key)
	if p == nil {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q does not exist", name)
	}
	for _, id := range p.contracts {
		s.w.deleteContract(s.w.contracts[id])
	}
	delete(s.w.projects, key)
	return nil
}

// liveProject returns the project if it still holds an active contract,
// forgetting it otherwise (every contract cancelled or expired).
func (w *world) liveProject(key projectKey) *project {
	p := w.projects[key]
	if p == nil {
		return nil
	}
	for _, id := range p.contracts {
		if w.contracts[id].State != grid.ContractDeleted {
			return p
		}
	}
	delete(w.projects, key)
	return nil
}

// DeployVM implements grid.Grid.
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
	if p := s.w.liveProject(key); p != nil {
		if p.primary != nil && reflect.DeepEqual(p.primary.spec, spec) {
			return s.w.snapshot(p), nil
		}
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "project %q already holds a different VM", name)
	}
	p := &project{key: key}
	vm, err := s.w.deployVM(p, spec, grid.Primary)
	if vm != nil {
		p.primary = vm
		s.w.projects[key] = p
	}
	if err != nil {
		return grid.Project{}, err
	}
	return s.w.snapshot(p), nil
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
	if p.standby != nil {
		if reflect.DeepEqual(p.standby.spec, spec) {
			return s.w.snapshot(p), nil
		}
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "project %q already has a different standby VM", name)
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
	}
	if err != nil {
		return grid.Project{}, err
	}
	return s.w.snapshot(p), nil
}

// admit checks what the grid checks before it takes a deployment on n:
// the twin's KYC, injected faults, and that the node answers.
func (w *world) admit(t *twin, n *node) error {
	if !t.KYC || w.takeFault(FaultKYCMissing, n.ID) {
		return grid.Fail(grid.ReasonKYCMissing, "twin %d is not KYC-verified; the grid only lets verified twins deploy", t.ID)
	}
	if w.takeFault(FaultInsufficientFunds, n.ID) {
		return grid.Fail(grid.ReasonInsufficientFunds, "twin %d does not hold enough TFT to deploy", t.ID)
	}
	if n.status == grid.NodeDown {
		return grid.Fail(grid.ReasonNodeDown, "node %d is down", n.ID)
	}
	if n.Dedicated && n.rentedBy != 0 && n.rentedBy != t.ID {
		return grid.Fail(grid.ReasonNodeCapacity, "node %d is rented by another twin", n.ID)
	}
	if w.takeFault(FaultDeployFails, n.ID) {
		return grid.Fail(grid.ReasonDeployFailed, "node %d failed to deploy the workload", n.ID)
	}
	return nil
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

// deployVM creates the contracts of one VM. It returns the VM even with a
// timeout error, since the grid created its contracts before giving up.
func (w *world) deployVM(p *project, spec grid.VMSpec, role grid.VMRole) (*vmState, error) {
	t := w.twins[p.key.twin]
	n, err := w.node(spec.NodeID)
	if err != nil {
		return nil, err
	}
	if err := w.admit(t, n); err != nil {
		return nil, err
	}
	need := spec.Resources()
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
	}
	if spec.Gateway != "" {
		if _, taken := w.names[spec.Gateway]; taken {
			return nil, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "the gateway name %q is taken", spec.Gateway)
		}
	}

	renting := n.Dedicated && n.rentedBy == 0
	var ips uint32
	if spec.PublicIPv4 {
		ips = 1
	}
	var cost grid.TFTUnits
	if renting || n.rentedBy == t.ID {
		cost = w.firstHour(n, grid.Workload{PublicIPv4: ips})
		if renting {
			cost += w.firstHour(n, rentWorkload(n))
		}
	} else {
		cost = w.firstHour(n, grid.Workload{CRU: need.CRU, MRU: need.MRU, SRU: need.SRU, HRU: need.HRU, PublicIPv4: ips})
	}
	if err := w.checkFunds(t, cost); err != nil {
		return nil, err
	}

	if n.status == grid.NodeStandby { // the farmerbot wakes it for the deployment
		w.setStatus(n, grid.NodeUp)
	}
	vm := &vmState{spec: cloneSpec(spec), role: role}
	if renting {
		c := w.newContract(p, grid.RentContract, n, "rent", grid.Resources{})
		n.rentedBy, n.rentContract = t.ID, c.ID
		vm.rentContract = c.ID
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
	if spec.Gateway != "" {
		nc := w.newContract(p, grid.NameContract, nil, "name", grid.Resources{})
		nc.Name = spec.Gateway
		w.names[spec.Gateway] = nc.ID
		vm.nameContract = nc.ID
	}
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
		return vm, grid.Fail(grid.ReasonTimeout, "the deployment on node %d timed out; its contracts may exist", n.ID)
	}
	return vm, nil
}

func cloneSpec(s grid.VMSpec) grid.VMSpec {
	s.Disks = slices.Clone(s.Disks)
	s.SSHKeys = slices.Clone(s.SSHKeys)
	s.GPUs = slices.Clone(s.GPUs)
	if s.Env != nil {
		env := make(map[string]string, len(s.Env))
		for k, v := range s.Env {
			env[k] = v
		}
		s.Env = env
	}
	return s
}

func rentWorkload(n *node) grid.Workload {
	return grid.Workload{CRU: n.Total.CRU, MRU: n.Total.MRU, SRU: n.Total.SRU, HRU: n.Total.HRU, Dedicated: true}
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

// DeployQSFS implements grid.Grid.
func (s *Sim) DeployQSFS(ctx context.Context, name string, spec grid.QSFSSpec) (grid.Project, error) {
	if err := spec.Validate(); err != nil {
		return grid.Project{}, err
	}
	return s.inProject(ctx, name, true, func(w *world, p *project) (grid.Project, error) { return w.deployQSFS(name, p, spec) })
}

func (w *world) deployQSFS(name string, p *project, spec grid.QSFSSpec) (grid.Project, error) {
	var vm *vmState
	for _, v := range []*vmState{p.primary, p.standby} {
		if v != nil && v.spec.Name == spec.VMName {
			vm = v
		}
	}
	if vm == nil {
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q has no VM %q", name, spec.VMName)
	}
	for _, q := range p.qsfs {
		if q.spec.Name == spec.Name {
			if reflect.DeepEqual(q.spec, spec) {
				return w.snapshot(p), nil
			}
			return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "project %q already has a different QSFS %q", name, spec.Name)
		}
	}

	// What each backend node must hold: zdbs go on HDD when it has room.
	t := w.twins[p.key.twin]
	needs := map[uint32]grid.Resources{}
	var order []uint32
	place := func(id uint32, size uint64) error {
		n, err := w.node(id)
		if err != nil {
			return err
		}
		if _, seen := needs[id]; !seen {
			if err := w.admit(t, n); err != nil {
				return err
			}
			order = append(order, id)
		}
		r := needs[id]
		free := n.Total.Sub(n.used).Sub(r)
		switch {
		case free.HRU >= size:
			r.HRU += size
		case free.SRU >= size:
			r.SRU += size
		default:
			return grid.Fail(grid.ReasonNodeCapacity, "node %d lacks disk for a %d GB zdb", id, size/grid.GB)
		}
		needs[id] = r
		return nil
	}
	for _, id := range spec.DataNodes {
		if err := place(id, spec.ShardSize); err != nil {
			return grid.Project{}, err
		}
	}
	for _, id := range spec.MetaNodes {
		if err := place(id, spec.MetaSize); err != nil {
			return grid.Project{}, err
		}
	}
	vmNode := w.nodes[vm.spec.NodeID-1]
	if vmNode.Total.Sub(vmNode.used).SRU < spec.CacheSize {
		return grid.Project{}, grid.Fail(grid.ReasonNodeCapacity, "node %d lacks SSD for the QSFS cache", vmNode.ID)
	}
	var cost grid.TFTUnits
	for _, id := range order {
		r := needs[id]
		cost += w.firstHour(w.nodes[id-1], grid.Workload{SRU: r.SRU, HRU: r.HRU})
	}
	if err := w.checkFunds(t, cost); err != nil {
		return grid.Project{}, err
	}

	q := &qsfsState{spec: spec, vm: vm}
	q.spec.DataNodes = slices.Clone(spec.DataNodes)
	q.spec.MetaNodes = slices.Clone(spec.MetaNodes)
	for _, id := range order {
		n := w.nodes[id-1]
		if n.status == grid.NodeStandby {
			w.setStatus(n, grid.NodeUp)
		}
		q.contracts = append(q.contracts, w.newContract(p, grid.NodeContract, n, "zdb:"+spec.Name, needs[id]).ID)
	}
	// The QSFS itself runs beside the VM: its cache grows the VM deployment.
	vc := w.contracts[vm.vmContract]
	vc.Resources.SRU += spec.CacheSize
	vmNode.used.SRU += spec.CacheSize
	p.qsfs = append(p.qsfs, q)
	if w.takeFault(FaultDeployTimesOut, vmNode.ID) {
		return grid.Project{}, grid.Fail(grid.ReasonTimeout, "the QSFS deployment timed out; its contracts may exist")
	}
	return w.snapshot(p), nil
}

// hourlyCost returns what the chain bills c for an hour now.
func (w *world) hourlyCost(c *contract) (grid.TFTUnits, grid.DiscountPackage) {
	balance := w.twins[c.TwinID].Balance
	if c.Kind == grid.NameContract {
		hour, pkg, _ := grid.NameContractQuote(w.policy, w.tftPrice, balance)
		return hour, pkg
	}
	n := w.nodes[c.NodeID-1]
	var wl grid.Workload
	switch {
	case c.Kind == grid.RentContract:
		wl = rentWorkload(n)
	case n.rentedBy == c.TwinID && n.rentContract != 0:
		// The rent pays for the resources; only public IPs are billed.
		wl = grid.Workload{PublicIPv4: uint32(len(c.PublicIPs))}
	default:
		r := c.Resources
		wl = grid.Workload{CRU: r.CRU, MRU: r.MRU, SRU: r.SRU, HRU: r.HRU, PublicIPv4: uint32(len(c.PublicIPs))}
	}
	wl.Certified = n.Certified
	q, _ := grid.QuoteWorkload(wl, w.policy, w.tftPrice, balance)
	return q.TFTHour, q.Discount
}

// snapshot returns the project as Project reports it.
func (w *world) snapshot(p *project) grid.Project {
	out := grid.Project{Name: p.key.name, TwinID: p.key.twin}
	ids := slices.Clone(p.contracts)
	slices.Sort(ids)
	for _, id := range ids {
		c := w.contracts[id]
		if c.State == grid.ContractDeleted {
			continue
		}
		gc := c.Contract
		gc.PublicIPs = slices.Clone(c.PublicIPs)
		gc.HourlyCost, _ = w.hourlyCost(c)
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
		if v == nil {
			continue
		}
		n := w.nodes[v.spec.NodeID-1]
		out.VMs = append(out.VMs, grid.VM{
			Name: v.spec.Name, Role: v.role, NodeID: n.ID, FarmID: n.FarmID, ContractID: v.vmContract,
			PublicIPv4: v.ipv4, PublicIPv6: v.ipv6, MyceliumIP: v.myc, PrivateIP: v.private,
			Health: vmHealth(v),
		})
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
		out.QSFS = append(out.QSFS, grid.QSFS{
			Name: q.spec.Name, VMName: q.spec.VMName, MountPoint: q.spec.MountPoint,
			Expected: q.spec.Expected, Minimal: q.spec.Minimal,
			DataNodes: slices.Clone(q.spec.DataNodes), MetaNodes: slices.Clone(q.spec.MetaNodes),
			ContractIDs: slices.Clone(q.contracts), ShardsUp: up, Health: qh,
		})
		if qh == grid.Down && q.vm == p.primary {
			health = grid.Down
		} else if qh != grid.Healthy && health == grid.Healthy {
			health = grid.Degraded
		}
	}
	out.Health = health
	return out
}

// TwinAccountKey returns the twin's 32-byte public key (simulated twins
// hold ed25519 keys); ENOTFOUND for an unknown twin.
func (s *Sim) TwinAccountKey(_ context.Context, twinID uint32) ([32]byte, error) {
	k, err := s.TwinPublicKey(twinID)
	if err != nil {
		return [32]byte{}, err
	}
	return [32]byte(k), nil
}
