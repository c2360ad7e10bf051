// Package gridsim is a stateful ThreeFold Grid simulator, deterministic from a
// seed, that development and tests use in place of the real grid.
package gridsim

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"math/big"
	"math/rand/v2"
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
	// IndexerLag is how long after its creation a contract appears in
	// listings by project name (grid proxy, GraphQL); default none.
	IndexerLag time.Duration
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
	w     *world
	twin  uint32
	noKey bool // the adapter holds no SSH key (WithoutSSHKey)
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
	indexerLag  time.Duration

	farms     []*farm // farm id i at index i-1
	nodes     []*node // node id i at index i-1
	twins     map[uint32]*twin
	nextTwin  uint32
	contracts map[uint64]*contract
	nextID    uint64
	projects  map[projectKey]*project
	names     map[string]uint64 // gateway name → its name contract
	dns       map[string]uint32 // FQDN → the gateway node it points at (PointDNS)
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
	ipv4, ipv6   string
	private, myc string
	setup        grid.SetupStatus // of spec.Setup: pending, done or failed
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
	gateways  []*gatewayState
	k8s       *k8sState
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
	assignGateways(farms, nodes)
	w := &world{
		seed:        cfg.Seed,
		now:         cfg.Start.UTC(),
		policy:      cfg.Policy,
		tftPrice:    price,
		gracePeriod: cfg.GracePeriod,
		indexerLag:  max(cfg.IndexerLag, 0),
		farms:       farms,
		nodes:       nodes,
		twins:       make(map[uint32]*twin),
		nextTwin:    walletTwinID + 1,
		contracts:   make(map[uint64]*contract),
		nextID:      1000,
		projects:    make(map[projectKey]*project),
		names:       make(map[string]uint64),
		dns:         make(map[string]uint32),
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
	return &Sim{w: s.w, twin: twinID, noKey: s.noKey}
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
	v.Rentable = w.rentable(n, 0)
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
	t := s.w.twins[s.twin]
	return grid.QuoteWorkload(wl, s.w.policy, s.w.tftPrice, t.Balance+t.Stash)
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
	// Bills are recorded in (At, ContractID) order.
	var out []grid.BillReport
	for _, b := range s.w.bills {
		if q.Match(b) && q.Past(b) {
			out = append(out, b)
			if len(out) == q.PageLimit() {
				break
			}
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

// TwinAccountKey returns the twin's 32-byte public key (simulated twins
// hold ed25519 keys); ENOTFOUND for an unknown twin.
func (s *Sim) TwinAccountKey(_ context.Context, twinID uint32) ([32]byte, error) {
	k, err := s.TwinPublicKey(twinID)
	if err != nil {
		return [32]byte{}, err
	}
	return [32]byte(k), nil
}
