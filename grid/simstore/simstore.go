// Package simstore shares one grid simulator between processes through
// PostgreSQL: serve, every worker and their restarts see one grid.
//
// The simulator (package gridsim) is deterministic from its seed, so its
// state is the seed plus the ordered list of calls that changed it. Shared
// keeps that list in the gridsim_journal table: before every call a process
// replays the entries it has not applied yet; a call that changes the world
// runs under a transaction-scoped advisory lock, after catching up, and is
// appended in the same transaction. Reads catch up without the lock (entries
// commit in sequence order under it). Only gridsim's public methods are used,
// so the simulator's rules change freely underneath.
package simstore

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/big"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
	"github.com/fiatdashboard/fiatdashboard/rbac"
)

var _ grid.Grid = (*Shared)(nil)

// sealPurpose seals journal entries: they carry recovery phrases and QSFS
// keys, which never sit in a plain column.
const sealPurpose = "gridsim journal"

// Shared is the simulated grid seen as one twin, its state in PostgreSQL.
// AsTwin gives a view as another twin over the same state. Safe for
// concurrent use, in one process and across processes.
type Shared struct {
	st    *state
	twin  uint32 // 0: the simulator's own wallet twin
	noKey bool   // seen through an adapter without an SSH key (WithoutSSHKey)
}

type state struct {
	db    *sqlx.DB
	keys  *rbac.Keyring
	cfg   gridsim.Config
	world string
	lock  int64 // the advisory lock key of the world

	mu      sync.Mutex
	sim     *gridsim.Sim
	seq     int64 // the last journal entry applied to sim
	broken  bool  // sim ran a call whose entry did not commit: rebuild
	latency gridsim.Latency
}

// Open returns the shared simulator of cfg on db (the application role),
// caught up with the journal. keys seal the journal's entries.
func Open(ctx context.Context, db *sqlx.DB, keys *rbac.Keyring, cfg gridsim.Config) (*Shared, error) {
	world := fmt.Sprintf("seed=%d nodes=%d farms=%d start=%s price=%s balance=%d", cfg.Seed, cfg.Nodes, cfg.Farms,
		cfg.Start.UTC().Format(time.RFC3339), cfg.TFTPrice, cfg.WalletBalance)
	h := fnv.New64a()
	h.Write([]byte("gridsim " + world))
	st := &state{db: db, keys: keys, cfg: cfg, world: world, lock: int64(h.Sum64())}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.rebuild(ctx); err != nil {
		return nil, err
	}
	return &Shared{st: st}, nil
}

// rebuild starts from the seed and replays the whole journal.
func (st *state) rebuild(ctx context.Context) error {
	st.sim, st.seq, st.broken = gridsim.New(st.cfg), 0, false
	return st.catchUp(ctx, st.db)
}

// catchUp applies the journal entries after st.seq, in order.
func (st *state) catchUp(ctx context.Context, q sqlx.QueryerContext) error {
	if st.broken {
		st.sim, st.seq, st.broken = gridsim.New(st.cfg), 0, false
	}
	rows, err := q.QueryxContext(ctx, `SELECT seq, op FROM gridsim_journal WHERE world = $1 AND seq > $2 ORDER BY seq`, st.world, st.seq)
	if err != nil {
		return fmt.Errorf("grid simulator journal: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var sealed string
		if err := rows.Scan(&seq, &sealed); err != nil {
			return err
		}
		raw, err := st.keys.Open(sealPurpose, sealed)
		if err != nil {
			return fmt.Errorf("grid simulator journal entry %d: %w", seq, err)
		}
		var o op
		if err := json.Unmarshal(raw, &o); err != nil {
			return fmt.Errorf("grid simulator journal entry %d: %w", seq, err)
		}
		o.apply(st.sim) // the outcome was the writer's; replay reproduces it
		st.seq = seq
	}
	return rows.Err()
}

// read runs fn on the simulator caught up with the journal.
func (s *Shared) read(ctx context.Context, fn func(*gridsim.Sim) error) error {
	st := s.st
	if err := st.wait(ctx, st.latency.Read); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.catchUp(ctx, st.db); err != nil {
		return err
	}
	return fn(st.sim)
}

// change applies o under the world's lock, after catching up, and journals
// it in the same transaction. It returns o's result.
func (s *Shared) change(ctx context.Context, o op, latency time.Duration) (result, error) {
	st := s.st
	o.Twin, o.NoKey = s.twin, s.noKey
	if err := st.wait(ctx, latency); err != nil {
		return result{}, err
	}
	raw, err := json.Marshal(o)
	if err != nil {
		return result{}, err
	}
	sealed, err := st.keys.Seal(sealPurpose, raw)
	if err != nil {
		return result{}, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	tx, err := st.db.BeginTxx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return result{}, grid.Fail(grid.ReasonTimeout, "the grid simulator's store does not answer: %v", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, st.lock); err != nil {
		return result{}, grid.Fail(grid.ReasonTimeout, "the grid simulator's store does not answer: %v", err)
	}
	if err := st.catchUp(ctx, tx); err != nil {
		return result{}, err
	}
	// From here the call runs on the simulator: its entry must commit, or
	// the simulator is rebuilt from the journal before the next call.
	st.broken = true
	res := o.apply(st.sim)
	ctx = context.WithoutCancel(ctx) // the call ran: record it whatever the caller does now
	if _, err := tx.ExecContext(ctx, `INSERT INTO gridsim_journal (world, seq, op) VALUES ($1, $2, $3)`, st.world, st.seq+1, sealed); err != nil {
		return result{}, grid.Fail(grid.ReasonTimeout, "the grid simulator's store does not answer: %v", err)
	}
	if err := tx.Commit(); err != nil {
		return result{}, grid.Fail(grid.ReasonTimeout, "the grid simulator's store does not answer: %v", err)
	}
	st.seq++
	st.broken = false
	return res, res.err()
}

// wait sleeps the simulated latency outside every lock, or fails when ctx
// ends first (before anything changed).
func (st *state) wait(ctx context.Context, d time.Duration) error {
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

// AsTwin returns the same shared grid seen as another twin. Calls fail with
// ENOTFOUND while that twin does not exist.
func (s *Shared) AsTwin(twinID uint32) *Shared {
	return &Shared{st: s.st, twin: twinID, noKey: s.noKey}
}

// WithoutSSHKey returns the same shared grid seen through an adapter
// holding no SSH key (gridsim.Sim.WithoutSSHKey).
func (s *Shared) WithoutSSHKey() *Shared { return &Shared{st: s.st, twin: s.twin, noKey: true} }

// view is the simulator as s's twin; nil when that twin does not exist.
func (s *Shared) view(sim *gridsim.Sim) (g *gridsim.Sim, err error) {
	if s.noKey {
		sim = sim.WithoutSSHKey()
	}
	if s.twin == 0 {
		return sim, nil
	}
	defer func() {
		if recover() != nil {
			g, err = nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "no twin %d on the grid", s.twin)
		}
	}()
	return sim.AsTwin(s.twin), nil
}

// SetLatency sets this process's simulated latency (slept outside the
// locks; not part of the shared state).
func (s *Shared) SetLatency(l gridsim.Latency) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	s.st.latency = l
}

// Sim runs fn with the simulator caught up (read-only use: summaries in
// development and tests).
func (s *Shared) Sim(ctx context.Context, fn func(*gridsim.Sim)) error {
	return s.read(ctx, func(sim *gridsim.Sim) error { fn(sim); return nil })
}

func readAs[T any](s *Shared, ctx context.Context, fn func(*gridsim.Sim) (T, error)) (T, error) {
	var out T
	err := s.read(ctx, func(sim *gridsim.Sim) error {
		v, err := s.view(sim)
		if err != nil {
			return err
		}
		out, err = fn(v)
		return err
	})
	return out, err
}

var bg = context.Background()

// ListNodes implements grid.Grid.
func (s *Shared) ListNodes(ctx context.Context, f grid.NodeFilter) (grid.NodePage, error) {
	return readAs(s, ctx, func(g *gridsim.Sim) (grid.NodePage, error) { return g.ListNodes(bg, f) })
}

// Node implements grid.Grid.
func (s *Shared) Node(ctx context.Context, id uint32) (grid.Node, error) {
	return readAs(s, ctx, func(g *gridsim.Sim) (grid.Node, error) { return g.Node(bg, id) })
}

// Quote implements grid.Grid.
func (s *Shared) Quote(ctx context.Context, w grid.Workload) (grid.Quote, error) {
	return readAs(s, ctx, func(g *gridsim.Sim) (grid.Quote, error) { return g.Quote(bg, w) })
}

// Project implements grid.Grid.
func (s *Shared) Project(ctx context.Context, name string, known ...uint64) (grid.Project, error) {
	return readAs(s, ctx, func(g *gridsim.Sim) (grid.Project, error) { return g.Project(bg, name, known...) })
}

// TwinBalances implements grid.Grid.
func (s *Shared) TwinBalances(ctx context.Context, twinID uint32) (grid.Balances, error) {
	return readAs(s, ctx, func(g *gridsim.Sim) (grid.Balances, error) { return g.TwinBalances(bg, twinID) })
}

// Twin implements grid.Grid.
func (s *Shared) Twin(ctx context.Context) (uint32, error) {
	return readAs(s, ctx, func(g *gridsim.Sim) (uint32, error) { return g.Twin(bg) })
}

// TwinBalance implements grid.Grid.
func (s *Shared) TwinBalance(ctx context.Context, twinID uint32) (grid.TFTUnits, error) {
	return readAs(s, ctx, func(g *gridsim.Sim) (grid.TFTUnits, error) { return g.TwinBalance(bg, twinID) })
}

// TwinKYC implements grid.Grid.
func (s *Shared) TwinKYC(ctx context.Context, twinID uint32) (bool, error) {
	return readAs(s, ctx, func(g *gridsim.Sim) (bool, error) { return g.TwinKYC(bg, twinID) })
}

// BillReports implements grid.Grid.
func (s *Shared) BillReports(ctx context.Context, q grid.BillQuery) ([]grid.BillReport, error) {
	return readAs(s, ctx, func(g *gridsim.Sim) ([]grid.BillReport, error) { return g.BillReports(bg, q) })
}

// TwinOfMnemonic implements grid.MnemonicTwins.
func (s *Shared) TwinOfMnemonic(ctx context.Context, mnemonic string) (uint32, error) {
	return readAs(s, ctx, func(g *gridsim.Sim) (uint32, error) { return g.TwinOfMnemonic(bg, mnemonic) })
}

// TwinAccountKey implements deploy.TwinKeys.
func (s *Shared) TwinAccountKey(ctx context.Context, twinID uint32) ([32]byte, error) {
	return readAs(s, ctx, func(g *gridsim.Sim) ([32]byte, error) { return g.TwinAccountKey(bg, twinID) })
}

// TwinKey returns a twin's signing key (development seeds sign with it).
func (s *Shared) TwinKey(twinID uint32) (ed25519.PrivateKey, error) {
	return readAs(s, bg, func(g *gridsim.Sim) (ed25519.PrivateKey, error) { return g.TwinKey(twinID) })
}

// Now is the simulated clock.
func (s *Shared) Now() time.Time {
	t, _ := readAs(s, bg, func(g *gridsim.Sim) (time.Time, error) { return g.Now(), nil })
	return t
}

// Farms lists the simulated farms.
func (s *Shared) Farms() []gridsim.Farm {
	f, _ := readAs(s, bg, func(g *gridsim.Sim) ([]gridsim.Farm, error) { return g.Farms(), nil })
	return f
}

// Summary describes the simulated grid.
func (s *Shared) Summary() gridsim.Summary {
	f, _ := readAs(s, bg, func(g *gridsim.Sim) (gridsim.Summary, error) { return g.Summary(), nil })
	return f
}

// DeployVM implements grid.Grid.
func (s *Shared) DeployVM(ctx context.Context, project string, spec grid.VMSpec) (grid.Project, error) {
	r, err := s.change(ctx, op{M: "DeployVM", Name: project, VM: &spec, Script: setupScript(spec)}, s.st.latency.Deploy)
	return r.Project, err
}

// DeployStandbyVM implements grid.Grid.
func (s *Shared) DeployStandbyVM(ctx context.Context, project string, spec grid.VMSpec) (grid.Project, error) {
	r, err := s.change(ctx, op{M: "DeployStandbyVM", Name: project, VM: &spec, Script: setupScript(spec)}, s.st.latency.Deploy)
	return r.Project, err
}

// ReplaceQSFSBackend implements grid.Grid.
func (s *Shared) ReplaceQSFSBackend(ctx context.Context, project, qsfs string, lost, replacement uint32) (grid.Project, error) {
	r, err := s.change(ctx, op{M: "ReplaceQSFSBackend", Name: project, QSFSName: qsfs, Node: lost, Node2: replacement}, s.st.latency.Deploy)
	return r.Project, err
}

// RemoveStandbyVM implements grid.Grid.
func (s *Shared) RemoveStandbyVM(ctx context.Context, project string) (grid.Project, error) {
	r, err := s.change(ctx, op{M: "RemoveStandbyVM", Name: project}, s.st.latency.Deploy)
	return r.Project, err
}

// CancelProject implements grid.Grid.
func (s *Shared) CancelProject(ctx context.Context, name string, known ...uint64) error {
	_, err := s.change(ctx, op{M: "CancelProject", Name: name, IDs: known}, s.st.latency.Deploy)
	return err
}

// CancelContracts implements grid.Grid.
func (s *Shared) CancelContracts(ctx context.Context, ids []uint64) error {
	_, err := s.change(ctx, op{M: "CancelContracts", IDs: ids}, s.st.latency.Deploy)
	return err
}

// DeployGateway implements grid.Grid.
func (s *Shared) DeployGateway(ctx context.Context, project string, spec grid.GatewaySpec) (grid.Project, error) {
	r, err := s.change(ctx, op{M: "DeployGateway", Name: project, Gateway: &spec}, s.st.latency.Deploy)
	return r.Project, err
}

// DeployKubernetes implements grid.Grid.
func (s *Shared) DeployKubernetes(ctx context.Context, project string, spec grid.K8sSpec) (grid.Project, error) {
	r, err := s.change(ctx, op{M: "DeployKubernetes", Name: project, K8s: &spec}, s.st.latency.Deploy)
	return r.Project, err
}

// SetK8sWorkers implements grid.Grid.
func (s *Shared) SetK8sWorkers(ctx context.Context, project string, workers []grid.K8sNode) (grid.Project, error) {
	r, err := s.change(ctx, op{M: "SetK8sWorkers", Name: project, Workers: workers}, s.st.latency.Deploy)
	return r.Project, err
}

// Kubeconfig implements grid.Grid.
func (s *Shared) Kubeconfig(ctx context.Context, project string) (string, error) {
	return readAs(s, ctx, func(g *gridsim.Sim) (string, error) { return g.Kubeconfig(bg, project) })
}

// PointDNS points a domain at a gateway node in the simulated DNS.
func (s *Shared) PointDNS(fqdn string, nodeID uint32) error {
	_, err := s.change(bg, op{M: "PointDNS", FQDN: fqdn, Node: nodeID}, 0)
	return err
}

// CheckDNS implements grid.DNSChecker.
func (s *Shared) CheckDNS(ctx context.Context, fqdn string, nodeID uint32) error {
	_, err := readAs(s, ctx, func(g *gridsim.Sim) (struct{}, error) { return struct{}{}, g.CheckDNS(bg, fqdn, nodeID) })
	return err
}

// SetStash sets the stash balance bonded to a twin.
func (s *Shared) SetStash(twinID uint32, amount grid.TFTUnits) error {
	_, err := s.change(bg, op{M: "SetStash", To: twinID, Amount: amount}, 0)
	return err
}

// SetIndexerLag sets how long after its creation a contract appears in the
// simulated indexers' listings.
func (s *Shared) SetIndexerLag(d time.Duration) {
	s.change(bg, op{M: "SetIndexerLag", D: d}, 0)
}

// TransferTFT implements grid.Grid.
func (s *Shared) TransferTFT(ctx context.Context, toTwin uint32, amount grid.TFTUnits) error {
	_, err := s.change(ctx, op{M: "TransferTFT", To: toTwin, Amount: amount}, s.st.latency.Deploy)
	return err
}

// CreateTwin registers a twin and returns its id.
func (s *Shared) CreateTwin(balance grid.TFTUnits, kycVerified bool) (uint32, error) {
	r, err := s.change(bg, op{M: "CreateTwin", Amount: balance, Flag: kycVerified}, 0)
	return r.ID, err
}

// CreateTwinForMnemonic registers a twin for a recovery phrase's account
// (ECONFLICT when it has one).
func (s *Shared) CreateTwinForMnemonic(mnemonic string, balance grid.TFTUnits, kycVerified bool) (uint32, error) {
	r, err := s.change(bg, op{M: "CreateTwinForMnemonic", Mnemonic: mnemonic, Amount: balance, Flag: kycVerified}, 0)
	return r.ID, err
}

// SetKYC sets whether a twin is KYC-verified.
func (s *Shared) SetKYC(twinID uint32, verified bool) error {
	_, err := s.change(bg, op{M: "SetKYC", To: twinID, Flag: verified}, 0)
	return err
}

// Fund credits a twin (the simulated bridge's mint).
func (s *Shared) Fund(twinID uint32, amount grid.TFTUnits) error {
	_, err := s.change(bg, op{M: "Fund", To: twinID, Amount: amount}, 0)
	return err
}

// SetTFTPrice sets the simulated TFT price in USD.
func (s *Shared) SetTFTPrice(usd *big.Rat) error {
	_, err := s.change(bg, op{M: "SetTFTPrice", Price: usd.RatString()}, 0)
	return err
}

// SetNodeStatus sets a node up, down or standby.
func (s *Shared) SetNodeStatus(nodeID uint32, status grid.NodeStatus) error {
	_, err := s.change(bg, op{M: "SetNodeStatus", Node: nodeID, Status: status}, 0)
	return err
}

// Advance moves the simulated clock (billing, grace periods, scheduled
// node failures).
func (s *Shared) Advance(d time.Duration) {
	s.change(bg, op{M: "Advance", D: d}, 0)
}

// InjectFault makes every node produce f.
func (s *Shared) InjectFault(f gridsim.Fault) {
	s.change(bg, op{M: "InjectFault", Fault: &f}, 0)
}

// InjectNodeFault makes one node produce f.
func (s *Shared) InjectNodeFault(nodeID uint32, f gridsim.Fault) error {
	_, err := s.change(bg, op{M: "InjectNodeFault", Node: nodeID, Fault: &f}, 0)
	return err
}

// FailSetups makes the next times setups fail (gridsim FaultSetupFails).
func (s *Shared) FailSetups(times int) {
	s.InjectFault(gridsim.Fault{Kind: gridsim.FaultSetupFails, Times: max(times, 1)})
}

// ClearFaults removes every injected fault.
func (s *Shared) ClearFaults() {
	s.change(bg, op{M: "ClearFaults"}, 0)
}

// setupScript is the script of spec's setup, journaled beside the spec.
func setupScript(spec grid.VMSpec) string {
	if spec.Setup == nil {
		return ""
	}
	return spec.Setup.Script
}

// vmSpec is o's VM spec with its setup's script back in place.
func (o op) vmSpec() grid.VMSpec {
	spec := *o.VM
	if spec.Setup != nil {
		setup := *spec.Setup
		setup.Script = o.Script
		spec.Setup = &setup
	}
	return spec
}

// op is one journaled call: the method, the twin it ran as, its arguments.
type op struct {
	M        string            `json:"m"`
	Twin     uint32            `json:"twin,omitempty"`
	NoKey    bool              `json:"no_key,omitempty"` // through an adapter without an SSH key
	Name     string            `json:"name,omitempty"`
	VM       *grid.VMSpec      `json:"vm,omitempty"`
	Script   string            `json:"script,omitempty"` // VM.Setup.Script, which grid.Setup leaves out of JSON
	QSFSName string            `json:"qsfs_name,omitempty"`
	Node     uint32            `json:"node,omitempty"`
	Node2    uint32            `json:"node2,omitempty"`
	To       uint32            `json:"to,omitempty"`
	Amount   grid.TFTUnits     `json:"amount,omitempty"`
	Flag     bool              `json:"flag,omitempty"`
	Mnemonic string            `json:"mnemonic,omitempty"`
	Price    string            `json:"price,omitempty"`
	Status   grid.NodeStatus   `json:"status,omitempty"`
	D        time.Duration     `json:"d,omitempty"`
	Fault    *gridsim.Fault    `json:"fault,omitempty"`
	IDs      []uint64          `json:"ids,omitempty"`
	Gateway  *grid.GatewaySpec `json:"gateway,omitempty"`
	K8s      *grid.K8sSpec     `json:"k8s,omitempty"`
	Workers  []grid.K8sNode    `json:"workers,omitempty"`
	FQDN     string            `json:"fqdn,omitempty"`
}

// result is what a call returned; Err is kept as the error itself.
type result struct {
	Project grid.Project
	ID      uint32
	Err     error
}

func (r result) err() error { return r.Err }

// apply runs o on sim (as o's twin). A journaled call whose twin vanished
// cannot happen: entries replay in the order they ran.
func (o op) apply(sim *gridsim.Sim) (r result) {
	g := sim
	if o.Twin != 0 || o.NoKey {
		v, err := (&Shared{twin: o.Twin, noKey: o.NoKey}).view(sim)
		if err != nil {
			return result{Err: err}
		}
		g = v
	}
	switch o.M {
	case "DeployVM":
		r.Project, r.Err = g.DeployVM(bg, o.Name, o.vmSpec())
	case "DeployStandbyVM":
		r.Project, r.Err = g.DeployStandbyVM(bg, o.Name, o.vmSpec())
	case "ReplaceQSFSBackend":
		r.Project, r.Err = g.ReplaceQSFSBackend(bg, o.Name, o.QSFSName, o.Node, o.Node2)
	case "RemoveStandbyVM":
		r.Project, r.Err = g.RemoveStandbyVM(bg, o.Name)
	case "DeployGateway":
		r.Project, r.Err = g.DeployGateway(bg, o.Name, *o.Gateway)
	case "DeployKubernetes":
		r.Project, r.Err = g.DeployKubernetes(bg, o.Name, *o.K8s)
	case "SetK8sWorkers":
		r.Project, r.Err = g.SetK8sWorkers(bg, o.Name, o.Workers)
	case "PointDNS":
		r.Err = g.PointDNS(o.FQDN, o.Node)
	case "CancelProject":
		r.Err = g.CancelProject(bg, o.Name, o.IDs...)
	case "CancelContracts":
		r.Err = g.CancelContracts(bg, o.IDs)
	case "SetStash":
		r.Err = g.SetStash(o.To, o.Amount)
	case "SetIndexerLag":
		g.SetIndexerLag(o.D)
	case "TransferTFT":
		r.Err = g.TransferTFT(bg, o.To, o.Amount)
	case "CreateTwin":
		r.ID = g.CreateTwin(o.Amount, o.Flag)
	case "CreateTwinForMnemonic":
		r.ID, r.Err = g.CreateTwinForMnemonic(o.Mnemonic, o.Amount, o.Flag)
	case "SetKYC":
		r.Err = g.SetKYC(o.To, o.Flag)
	case "Fund":
		r.Err = g.Fund(o.To, o.Amount)
	case "SetTFTPrice":
		p, ok := new(big.Rat).SetString(o.Price)
		if !ok {
			r.Err = fiatdashboard.Invalid("price", "not a price: %q", o.Price)
			break
		}
		r.Err = g.SetTFTPrice(p)
	case "SetNodeStatus":
		r.Err = g.SetNodeStatus(o.Node, o.Status)
	case "Advance":
		g.Advance(o.D)
	case "InjectFault":
		g.InjectFault(*o.Fault)
	case "InjectNodeFault":
		r.Err = g.InjectNodeFault(o.Node, *o.Fault)
	case "ClearFaults":
		g.ClearFaults()
	default:
		r.Err = errors.New("grid simulator journal: unknown call " + o.M)
	}
	return r
}
