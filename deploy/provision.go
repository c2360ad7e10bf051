package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// ErrPermanent marks a provisioning failure that retrying cannot fix; the
// job does not retry it.
var ErrPermanent = errors.New("permanent provisioning failure")

// QSFS defaults: 20 data shards, any 12 rebuild the data, so the swarm
// survives 8 lost storage nodes.
const (
	qsfsExpected = billing.QSFSExpected // the layout billing prices
	qsfsMinimal  = billing.QSFSMinimal
	qsfsMeta     = billing.QSFSMeta
)

// Provision takes a paid deployment to running (the deploy:vm task). It is
// exactly-once in effect: the grid project is named after the deployment,
// every grid call is idempotent by that name, and a node chosen once is
// stored and reused, so a retried, duplicated or crashed-and-restarted task
// finishes what an earlier attempt began instead of deploying again.
// Transient grid errors are returned for a retry with backoff; a permanent
// failure cancels what was created, refunds the order and fails the
// deployment (and returns an error wrapping ErrPermanent).
func (s *Service) Provision(ctx context.Context, id uuid.UUID) error {
	d, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	switch d.Status {
	case Running:
		if d.App == AppKubernetes {
			return s.resizeCluster(ctx, d) // workers added or removed since
		}
		return nil
	case Terminating, Terminated, Failed, Suspended:
		return nil // done, or no longer wanted
	case Paid:
		if _, err := s.transition(ctx, id, Provisioning, "network", "creating the private network", nil); err != nil {
			return err
		}
	case Provisioning:
	default:
		return fmt.Errorf("deployment %s is %s: %w", id, d.Status, ErrPermanent)
	}
	var spec billing.Spec
	json.Unmarshal(d.Spec, &spec)
	need := needOf(spec)
	// The tenant's wallet twin deploys and pays: no wallet, no server.
	g, err := s.gridFor(ctx)
	if err != nil {
		return s.failOrRetry(ctx, nil, d, err)
	}
	if d.App != AppVM && d.App != "" {
		return s.provisionApp(ctx, d, g) // provision_apps.go
	}
	node, err := s.placeVM(ctx, d, need, nil)
	if err != nil {
		return s.failOrRetry(ctx, g, d, err)
	}
	vm := grid.VMSpec{Name: "vm", NodeID: node, Flist: Images[d.Image], CPU: spec.CPU, Memory: spec.RAMGB << 30, RootFS: spec.DiskGB << 30,
		SSHKeys: []string{d.SSHKey}, PublicIPv4: spec.IPv4, Mycelium: true, Env: map[string]string{"SSH_KEY": d.SSHKey}}
	if err := s.rentIfNeeded(ctx, d, &vm); err != nil {
		return s.failOrRetry(ctx, g, d, err)
	}
	if d.Backup == "qsfs" {
		// ZOS never updates a running VM, so the swarm is deployed with
		// the VM: its zdbs, then one deployment with the VM, the qsfs
		// workload and the mount.
		data, meta, err := s.swarmNodes(ctx, d, node)
		if err != nil {
			return s.failOrRetry(ctx, g, d, err)
		}
		password, key, err := s.qsfsSecrets(ctx, d.ID)
		if err != nil {
			return s.failOrRetry(ctx, g, d, err)
		}
		vm.QSFS = []grid.QSFSSpec{{Name: "backup", MountPoint: "/backup", Expected: qsfsExpected, Minimal: qsfsMinimal,
			DataNodes: data, MetaNodes: meta, ShardSize: billing.QSFSShardGB << 30, MetaSize: billing.QSFSMetaGB << 30, CacheSize: billing.QSFSCacheGB << 30,
			DataDirSize: 1 << 30, // within the cache, as grid-client's QSFS example keeps it
			Password:    password, EncryptKey: key}}
	}
	p, err := g.DeployVM(ctx, d.Project, vm)
	// A node that turns out full is not the end: the VM goes to the next
	// best node (a customer's own pick stays theirs), a few times at most,
	// before anything is refunded.
	var tried []uint32
	// A rented node (GPU) is not swapped for another here.
	for n := 0; err != nil && refusedForCapacity(err) && d.Placement != "advanced" && !vm.Rent && len(vm.GPUs) == 0 && n < maxReplacements; n++ {
		tried = append(tried, node)
		if uerr := s.unplace(ctx, d.ID, "node_id", node); uerr != nil {
			return uerr
		}
		d.NodeID = nil
		if node, err = s.placeVM(ctx, d, need, tried); err != nil {
			break
		}
		tid, _ := tenant.IDFromContext(ctx)
		tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			return addEvent(ctx, tx, tid, d.ID, Provisioning, "placement", fmt.Sprintf("node %d is full; placing the server on node %d", tried[len(tried)-1], node))
		})
		vm.NodeID = node
		p, err = g.DeployVM(ctx, d.Project, vm)
	}
	if len(p.Contracts) > 0 {
		// The ids the deployer returned, kept before anything else: a
		// cancel after a failure must reach them before any indexer does.
		s.record(ctx, d, p, "vm", fmt.Sprintf("virtual machine created on node %d", node))
	}
	if err != nil {
		return s.failOrRetry(ctx, g, d, err)
	}
	if len(vm.GPUs) > 0 {
		if err := s.recordGPUs(ctx, d, p); err != nil {
			return err
		}
	}
	if d.Backup == "qsfs" {
		s.record(ctx, d, p, "backup", fmt.Sprintf("QSFS swarm mounted at /backup: %d storage nodes, survives %d lost", qsfsExpected, qsfsExpected-qsfsMinimal))
	}
	if d.Backup == "vm" {
		standby, err := s.placeStandby(ctx, d, need, node)
		if err != nil {
			return s.failOrRetry(ctx, g, d, err)
		}
		sv := vm
		sv.Name, sv.NodeID, sv.PublicIPv4, sv.QSFS, sv.Rent, sv.GPUs = "standby", standby, false, nil, false, nil
		if err := s.rentIfNeeded(ctx, d, &sv); err != nil {
			return s.failOrRetry(ctx, g, d, err)
		}
		p, err = g.DeployStandbyVM(ctx, d.Project, sv)
		if len(p.Contracts) > 0 {
			s.record(ctx, d, p, "backup", fmt.Sprintf("standby VM created on node %d (another farm); it takes over if the primary fails", standby))
		}
		if err != nil {
			return s.failOrRetry(ctx, g, d, err)
		}
	}
	set := map[string]any{}
	for _, v := range p.VMs {
		if v.Role == grid.Primary {
			set["ipv4"], set["ipv6"], set["mycelium"] = strings.Split(v.PublicIPv4, "/")[0], v.PublicIPv6, v.MyceliumIP
		}
	}
	_, err = s.transition(ctx, id, Running, "running", "your server is running", set)
	return err
}

// record stores the project's contracts and an event of progress.
func (s *Service) record(ctx context.Context, d *Deployment, p grid.Project, step, msg string) {
	if err := s.RecordContracts(ctx, d.Project, p.Contracts); err != nil {
		s.log.Error("record contracts", "deployment", d.ID, "err", err)
	}
	tid, _ := tenant.IDFromContext(ctx)
	tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error { return addEvent(ctx, tx, tid, d.ID, Provisioning, step, msg) })
}

// placeVM returns the stored node, or chooses one (not in tried) from fresh
// capacity and reservations and stores it under the placement lock, so
// concurrent attempts agree on one node and never overfill one.
func (s *Service) placeVM(ctx context.Context, d *Deployment, need grid.Resources, tried []uint32) (uint32, error) {
	if d.NodeID != nil {
		return *d.NodeID, nil
	}
	c, err := s.offerCapability(ctx, d.ID) // with its offer's capability
	if err != nil {
		return 0, err
	}
	return s.choose(ctx, d.ID, "node_id", need, c, notIn(tried))
}

func (s *Service) placeStandby(ctx context.Context, d *Deployment, need grid.Resources, primary uint32) (uint32, error) {
	if d.StandbyNodeID != nil {
		return *d.StandbyNodeID, nil
	}
	p, err := s.catalog.Node(ctx, primary)
	if err != nil {
		return 0, err
	}
	return s.choose(ctx, d.ID, "standby_node_id", need, "", func(n grid.Node) bool { return n.ID != primary && n.FarmID != p.FarmID })
}

// placeQSFS picks distinct up nodes with HDD or SSD room for the shards,
// from the pool first and then the catalog.
// placeQSFS picks the swarm's distinct storage nodes: the tenant's eligible
// pool nodes first, then other nodes with the most free HDD, never a node
// the tenant may not use (backendCandidates) nor the VM's own node.
func (s *Service) placeQSFS(ctx context.Context, vmNode uint32) ([]uint32, []uint32, error) {
	nodes, err := s.backendCandidates(ctx, []uint32{vmNode})
	if err != nil {
		return nil, nil, err
	}
	if len(nodes) < qsfsExpected+qsfsMeta {
		return nil, nil, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "not enough storage nodes for a QSFS swarm")
	}
	return nodes[:qsfsExpected], nodes[qsfsExpected : qsfsExpected+qsfsMeta], nil
}

// bestNode scores nodes with room for need by free capacity after placing
// it, uptime, and farm spread: farms already holding this tenant's VMs score
// a little lower — a preference that never makes a node with room
// ineligible, so a tenant has no cap but capacity.
func (s *Service) bestNode(ctx context.Context, nodes []grid.Node, need grid.Resources, keep func(grid.Node) bool) (uint32, bool) {
	perFarm, _ := s.farmLoad(ctx, nodes)
	return rankNodes(nodes, need, keep, perFarm)
}

// farmLoad counts the tenant's VMs (placed or running) per farm of nodes.
func (s *Service) farmLoad(ctx context.Context, nodes []grid.Node) (map[uint32]int, error) {
	perFarm := map[uint32]int{}
	var used []uint32
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &used, `SELECT node_id FROM deployments WHERE node_id IS NOT NULL AND status IN ('paid', 'provisioning', 'running', 'suspended')`)
	})
	byID := map[uint32]grid.Node{}
	for _, n := range nodes {
		byID[n.ID] = n
	}
	for _, id := range used {
		if n, ok := byID[id]; ok {
			perFarm[n.FarmID]++
		}
	}
	return perFarm, err
}

// rankNodes is bestNode's scoring, given the tenant's VMs per farm.
func rankNodes(nodes []grid.Node, need grid.Resources, keep func(grid.Node) bool, perFarm map[uint32]int) (uint32, bool) {
	best, bestScore, found := uint32(0), 0.0, false
	for _, n := range nodes {
		if n.Status != grid.NodeUp || (keep != nil && !keep(n)) {
			continue
		}
		free := n.Free()
		if free.CRU < need.CRU || free.MRU < need.MRU || free.SRU < need.SRU {
			continue
		}
		// Scores are for ranking only; no money is computed here.
		cap := float64(free.MRU-need.MRU)/float64(max(n.Total.MRU, 1)) + float64(free.CRU-need.CRU)/float64(max(n.Total.CRU, 1))
		up := min(n.Uptime.Hours()/720, 1)
		// The spread penalty grows with the farm's VMs but stays below 0.3.
		spread := 0.3 * float64(perFarm[n.FarmID]) / float64(perFarm[n.FarmID]+4)
		score := cap + 0.5*up - spread
		if !found || score > bestScore || (score == bestScore && n.ID < best) {
			best, bestScore, found = n.ID, score, true
		}
	}
	return best, found
}

// failOrRetry returns a transient error for a retry, or fails the
// deployment for good: cancels what exists on g (nil: the tenant has no
// wallet, so nothing can exist), refunds, tells the customer.
func (s *Service) failOrRetry(ctx context.Context, g grid.Grid, d *Deployment, err error) error {
	code := fiatdashboard.ErrorCode(err)
	if code == fiatdashboard.EUNAVAILABLE || code == fiatdashboard.EINTERNAL {
		tid, _ := tenant.IDFromContext(ctx)
		tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			return addEvent(ctx, tx, tid, d.ID, Provisioning, "retry", "the grid did not answer; trying again")
		})
		return fmt.Errorf("provision %s: %w", d.ID, err)
	}
	if g != nil {
		if cerr := s.cancelAll(ctx, g, d.Project); cerr != nil {
			return fmt.Errorf("provision %s: cancel after failure: %w", d.ID, cerr)
		}
	} else if live, lerr := s.liveContracts(ctx, d.Project); lerr != nil || len(live) > 0 {
		// The wallet cannot act now (none, or too drained for the grid
		// client to start) while contracts of an earlier attempt bill:
		// no refund until they are cancelled. Retry later.
		return fmt.Errorf("provision %s: %d contracts still bill and the wallet cannot cancel them yet: %w", d.ID, len(live), err)
	}
	msg := fiatdashboard.ErrorMessage(err)
	// Failing the deployment owes its refund in the same transaction; it is
	// done inline at once, and by the refund task if this process dies first.
	refund := billing.RefundTask{OrderID: d.OrderID, Reason: "provisioning failed: " + msg}
	if terr := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		moved, err := transitionTx(ctx, tx, d.ID, Failed, "failed", "could not start the server: "+msg+"; your payment is refunded in full", map[string]any{"failure": msg})
		if err != nil || !moved {
			return err
		}
		return tenant.Owe(tenant.WithActor(ctx, tenant.System("provisioning failed")), tx,
			tenant.OwedTask{Key: billing.RefundKey(d.OrderID), Type: billing.TaskRefund, Data: refund, Inline: true})
	}); terr != nil {
		return terr
	}
	if rerr := s.billing.SettleRefund(ctx, refund); rerr != nil {
		return fmt.Errorf("provision %s: %w", d.ID, rerr) // retried; the owed refund stays owed meanwhile
	}
	// Refunded and never delivered: nothing renews.
	if serr := s.billing.EndRefunded(ctx, d.OrderID); serr != nil {
		return fmt.Errorf("end subscription of %s: %w", d.OrderID, serr)
	}
	return fmt.Errorf("provision %s: %s: %w", d.ID, msg, ErrPermanent)
}

// cancelAll cancels exactly the contracts on record for the project (the
// ids the deployer returned, which the indexers may not list yet), then
// whatever the indexers list under its name, and checks that none still
// bills before it marks them cancelled. Nothing is refunded before this
// returns nil: no orphan contract, no refund while a contract bills.
func (s *Service) cancelAll(ctx context.Context, g grid.Grid, project string) error {
	known, err := s.liveContracts(ctx, project)
	if err != nil {
		return err
	}
	if len(known) > 0 {
		if err := g.CancelContracts(ctx, known); err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
			return err
		}
	}
	if err := g.CancelProject(ctx, project, known...); err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		return err
	}
	if p, err := g.Project(ctx, project, known...); err == nil {
		return fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "contracts %v of %s still bill after the cancel", p.ContractIDs(), project)
	} else if fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		return err
	}
	s.markCanceled(ctx, project)
	return nil
}

// liveContracts returns the project's contract ids on record and not
// cancelled.
func (s *Service) liveContracts(ctx context.Context, project string) ([]uint64, error) {
	var ids []int64
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &ids, `SELECT contract_id FROM grid_contracts WHERE project = $1 AND canceled_at IS NULL ORDER BY contract_id`, project)
	})
	out := make([]uint64, len(ids))
	for i, id := range ids {
		out[i] = uint64(id)
	}
	return out, err
}

// DeploymentGPU is a GPU attached to a deployment's VM.
type DeploymentGPU struct {
	ID     string `db:"gpu_id" json:"id"`
	NodeID uint32 `db:"node_id" json:"node_id"`
	Vendor string `db:"vendor" json:"vendor"`
	Device string `db:"device" json:"device"`
}

// recordGPUs stores the GPUs the grid reports attached to the primary VM.
func (s *Service) recordGPUs(ctx context.Context, d *Deployment, p grid.Project) error {
	tid, _ := tenant.IDFromContext(ctx)
	for _, v := range p.VMs {
		if v.Role != grid.Primary || len(v.GPUs) == 0 {
			continue
		}
		n, err := s.catalog.Node(ctx, v.NodeID)
		if err != nil {
			return err
		}
		return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			for _, id := range v.GPUs {
				var vendor, device string
				for _, g := range n.GPUs {
					if g.ID == id {
						vendor, device = g.Vendor, g.Device
					}
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO deployment_gpus (tenant_id, deployment_id, gpu_id, node_id, vendor, device)
					VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (deployment_id, gpu_id) DO NOTHING`, tid, d.ID, id, v.NodeID, vendor, device); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return nil
}

// rentIfNeeded rents the VM's node when the grid requires it: a node of a
// dedicated farm takes only its renter's workloads, and ZOS attaches a GPU
// only on a rented node, so a GPU offer rents its node and passes the
// node's GPUs to the VM.
func (s *Service) rentIfNeeded(ctx context.Context, d *Deployment, vm *grid.VMSpec) error {
	n, err := s.catalog.Node(ctx, vm.NodeID)
	if err != nil {
		return err
	}
	var capability string
	if len(n.GPUs) > 0 && vm.Name == "vm" { // only a GPU offer's primary VM on a GPU node needs it
		if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			return tx.GetContext(ctx, &capability, `SELECT coalesce(offer_capability, '') FROM deployments WHERE id = $1`, d.ID)
		}); err != nil && !tenant.IsNoRows(err) {
			return err
		}
	}
	if capability == CapGPU && vm.Name == "vm" {
		for _, g := range n.GPUs {
			vm.GPUs = append(vm.GPUs, g.ID)
		}
	}
	vm.Rent = n.Dedicated || len(vm.GPUs) > 0
	return nil
}

func (s *Service) markCanceled(ctx context.Context, project string) {
	tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE grid_contracts SET canceled_at = now() WHERE project = $1 AND canceled_at IS NULL`, project)
		return err
	})
}

// Cancel ends a deployment at the customer's request: the grid contracts
// are cancelled and the unused part of the period becomes credit.
func (s *Service) Cancel(ctx context.Context, id uuid.UUID) (*Deployment, error) {
	if err := s.authz.Require(ctx, "store/deployments", "write"); err != nil {
		return nil, err
	}
	d, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	moved, err := s.transition(ctx, id, Terminating, "cancel", "cancelling: the server and its data are being deleted", nil)
	if err != nil {
		return nil, err
	}
	if !moved && d.Status != Terminating {
		if d.Status == AwaitingPayment {
			if _, err := s.transition(ctx, id, Terminated, "cancel", "cancelled before payment", nil); err != nil {
				return nil, err
			}
			return s.Get(ctx, id)
		}
		return nil, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "a %s deployment cannot be cancelled", d.Status)
	}
	if err := s.teardown(ctx, d); err != nil {
		return nil, err
	}
	if sub, err := s.subscriptionOf(ctx, d.OrderID); err == nil && sub != uuid.Nil {
		if _, err := s.billing.Cancel(ctx, sub); err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT && fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
			return nil, err
		}
	}
	return s.Get(ctx, id)
}

func (s *Service) teardown(ctx context.Context, d *Deployment) error {
	g, err := s.gridFor(ctx)
	switch {
	case noWallet(err):
		// Without a wallet nothing was deployed, unless contracts are on record.
		var live bool
		if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			return tx.GetContext(ctx, &live, `SELECT EXISTS (SELECT 1 FROM grid_contracts WHERE project = $1 AND canceled_at IS NULL)`, d.Project)
		}); err != nil {
			return err
		}
		if live {
			return err
		}
	case err != nil:
		return err
	default:
		if err := s.cancelAll(ctx, g, d.Project); err != nil {
			return err
		}
	}
	s.markCanceled(ctx, d.Project)
	_, err = s.transition(ctx, d.ID, Terminated, "terminated", "the server is deleted", nil)
	return err
}

func (s *Service) subscriptionOf(ctx context.Context, order uuid.UUID) (uuid.UUID, error) {
	if s.billing == nil {
		return uuid.Nil, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "deployments: payments are not wired")
	}
	return s.billing.SubscriptionOfOrder(ctx, order)
}

func (s *Service) deploymentOfSubscription(ctx context.Context, sub uuid.UUID) (*Deployment, error) {
	if s.billing == nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "deployments: payments are not wired")
	}
	order, err := s.billing.FirstOrderOf(ctx, sub)
	if err != nil || order == uuid.Nil {
		return nil, err
	}
	var d Deployment
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &d, `SELECT `+depColumns+` FROM deployments WHERE order_id = $1`, order)
	})
	if tenant.IsNoRows(err) {
		return nil, nil
	}
	return &d, err
}

// SubscriptionSuspended implements billing.ServiceEvents: the VM keeps its
// contracts through the grace period, marked suspended.
func (s *Service) SubscriptionSuspended(ctx context.Context, sub uuid.UUID) error {
	d, err := s.deploymentOfSubscription(ctx, sub)
	if err != nil || d == nil {
		return err
	}
	_, err = s.transition(ctx, d.ID, Suspended, "suspended", "the renewal payment failed; the server is suspended until it is paid", nil)
	return err
}

// SubscriptionResumed implements billing.ServiceEvents.
func (s *Service) SubscriptionResumed(ctx context.Context, sub uuid.UUID) error {
	d, err := s.deploymentOfSubscription(ctx, sub)
	if err != nil || d == nil || d.Status != Suspended {
		return err
	}
	_, err = s.transition(ctx, d.ID, Running, "running", "payment received; the server is back", nil)
	return err
}

// SubscriptionTerminated implements billing.ServiceEvents: unpaid past the
// grace period, or cancelled.
func (s *Service) SubscriptionTerminated(ctx context.Context, sub uuid.UUID) error {
	d, err := s.deploymentOfSubscription(ctx, sub)
	if err != nil || d == nil || d.Status == Terminated {
		return err
	}
	s.transition(ctx, d.ID, Terminating, "terminating", "the subscription ended; the server is being deleted", nil)
	return s.teardown(ctx, d)
}

var _ billing.ServiceEvents = (*Service)(nil)

func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
