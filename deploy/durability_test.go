package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// redisDown is a queue that cannot be reached.
type redisDown struct{}

func (redisDown) EnqueueDeploy(context.Context, uuid.UUID) error {
	return errors.New("dial tcp 127.0.0.1:6379: connection refused")
}

// TestPaymentOwesProvisioningInItsTransaction: the payment's webhook marks
// the order paid, the deployment paid, and owes its provisioning in one
// transaction; with Redis unreachable the order still succeeds and the work
// waits in the outbox (nothing lives only in Redis).
func TestPaymentOwesProvisioningInItsTransaction(t *testing.T) {
	s := newShop(t)
	s.rebuild(func(o *deploy.Options) { o.Enqueuer = redisDown{} })
	d, err := s.svc.Create(s.customer, deploy.CreateInput{Name: "durable", Image: "ubuntu-24.04", SSHKey: testKey,
		ClientKey: "deploy-durable", QuoteInput: billing.QuoteInput{Size: "small"}})
	if err != nil {
		t.Fatalf("create with Redis down: %v", err)
	}
	owner := s.d.Owner(t)
	var order, dep string
	var owed, done int
	if err := owner.QueryRowx(`SELECT o.status, d.status FROM deployments d JOIN orders o ON o.id = d.order_id WHERE d.id = $1`, d.ID).Scan(&order, &dep); err != nil {
		t.Fatal(err)
	}
	if err := owner.QueryRowx(`SELECT count(*), count(done_at) FROM outbox WHERE key = $1 AND type = 'deploy:vm'`, deploy.DeployKey(d.ID)).Scan(&owed, &done); err != nil {
		t.Fatal(err)
	}
	if order != billing.OrderPaid || dep != deploy.Paid || owed != 1 || done != 0 {
		t.Fatalf("order %s, deployment %s, deploy owed %d (done %d); want paid, paid, owed once and not done", order, dep, owed, done)
	}
	// The stored event was owed as well, and is done once processed.
	var events, eventsDone int
	if err := owner.QueryRowx(`SELECT count(*), count(o.done_at) FROM outbox o WHERE o.type = 'billing:stripe-event'`).Scan(&events, &eventsDone); err != nil {
		t.Fatal(err)
	}
	if events == 0 {
		t.Fatal("no Stripe event was owed in the outbox")
	}
	// The health sweep leaves a deployment whose provisioning is owed alone.
	if n, err := s.svc.ResumeStranded(s.system()); err != nil || n != 0 {
		t.Fatalf("stranded sweep over an owed deployment: %d, %v; want 0", n, err)
	}
	// One whose debt vanished (marked done by mistake, or from before the
	// outbox) is owed again once it has waited two minutes.
	if _, err := owner.Exec(`UPDATE outbox SET done_at = now() WHERE key = $1`, deploy.DeployKey(d.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(`UPDATE deployments SET updated_at = now() - interval '3 minutes' WHERE id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := s.svc.ResumeStranded(s.system()); err != nil || n != 1 {
		t.Fatalf("stranded sweep: %d, %v; want 1", n, err)
	}
	if err := owner.QueryRowx(`SELECT count(*) FILTER (WHERE done_at IS NULL) FROM outbox WHERE key = $1`, deploy.DeployKey(d.ID)).Scan(&owed); err != nil || owed != 1 {
		t.Fatalf("after the sweep the deploy is owed %d times (%v); want 1", owed, err)
	}
}

// TestBurstOnSmallPoolAllRun places 150 orders at once on the shop's pool
// of up to 12 nodes (the demo pool's size) and provisions them all
// concurrently: each order either runs, or was refused before any charge
// (EINVALID size) because the pool was really full — none is charged and
// then refunded for want of room, and no tenant cap stops placement early.
func TestBurstOnSmallPoolAllRun(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	page, err := s.sim.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, MinFree: grid.Resources{CRU: 4, MRU: 8 << 30, SRU: 200 << 30}, Page: grid.Page{Size: 12}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint32
	for _, n := range page.Nodes {
		ids = append(ids, n.ID)
	}
	if err := s.svc.AddToPool(s.owner, ids); err != nil {
		t.Fatal(err)
	}
	const orders = 150
	var mu sync.Mutex
	var created []uuid.UUID
	refused := 0
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range orders {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d, err := s.svc.Create(s.customer, deploy.CreateInput{Name: fmt.Sprintf("burst-%d", i), Image: "ubuntu-24.04", SSHKey: testKey,
				ClientKey: fmt.Sprintf("burst-key-%d", i), QuoteInput: billing.QuoteInput{Size: "small"}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created = append(created, d.ID)
			case isSizeRefusal(err):
				refused++
			default:
				t.Errorf("order %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	for _, id := range created {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s.svc.Provision(s.system(), id)
		}()
	}
	wg.Wait()
	states := map[string]int{}
	for _, id := range created {
		d, err := s.svc.Get(s.system(), id)
		if err != nil {
			t.Fatal(err)
		}
		states[d.Status]++
	}
	t.Logf("%d orders: %d placed (%v), %d refused before charging", orders, len(created), states, refused)
	if states[deploy.Running] != len(created) {
		t.Fatalf("of %d charged orders %d run (%v); want every charged order running", len(created), states[deploy.Running], states)
	}
	if len(created)+refused != orders {
		t.Fatalf("%d placed + %d refused ≠ %d orders", len(created), refused, orders)
	}
	// No node holds more than it has.
	for _, id := range ids {
		n, err := s.sim.Node(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !n.Total.Covers(n.Used) {
			t.Errorf("node %d uses %+v of %+v", id, n.Used, n.Total)
		}
	}
}

func isSizeRefusal(err error) bool {
	var e *fiatdashboard.Error
	return errors.As(err, &e) && e.Code == fiatdashboard.EINVALID && e.Field == "size"
}

// TestCapacityRefusalPlacesOnNextNode: the node chosen for a paid order
// fills up (another twin takes it) before the VM is deployed; the grid
// refuses for capacity, and the VM goes to the next best node instead of
// the order being refunded.
func TestCapacityRefusalPlacesOnNextNode(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	d := s.order(t, "squeezed", "none")
	pool, err := s.svc.EligibleNodes(s.owner, grid.Resources{CRU: 1}, false)
	if err != nil || len(pool) < 2 {
		t.Fatalf("pool: %d nodes, %v", len(pool), err)
	}
	full := pool[0]
	if _, err := s.d.Owner(t).Exec(`UPDATE deployments SET node_id = $2 WHERE id = $1`, d.ID, full.ID); err != nil {
		t.Fatal(err)
	}
	// Someone else takes every free core and byte of memory on it.
	other := s.sim.CreateTwin(10_000*grid.UnitsPerTFT, true)
	n, _ := s.sim.Node(ctx, full.ID)
	free := n.Free()
	if _, err := s.sim.AsTwin(other).DeployVM(ctx, "squatter", grid.VMSpec{Name: "vm", NodeID: full.ID, Flist: deploy.Images["ubuntu-24.04"],
		CPU: min(free.CRU, 32), Memory: free.MRU, RootFS: 10 << 30}); err != nil {
		t.Fatalf("fill node %d: %v", full.ID, err)
	}
	if err := s.svc.Provision(s.system(), d.ID); err != nil {
		t.Fatalf("provision after the node filled up: %v", err)
	}
	got, err := s.svc.Get(s.system(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != deploy.Running || got.NodeID == nil || *got.NodeID == full.ID {
		t.Fatalf("deployment is %s on node %v; want running on another node than the full %d", got.Status, got.NodeID, full.ID)
	}
}
