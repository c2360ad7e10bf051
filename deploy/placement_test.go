package deploy_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// TestConcurrentPlacementsNeverOverfillANode fills a pool of two nodes with
// orders, forgets every order's node, and provisions them all at once: each
// placement then chooses under its node's lock only (not one lock for every
// placement). Every order must run on a node the grid had room for at the
// first try — a node chosen twice over its capacity would be refused by the
// grid and show a "placement" event (moved to the next node) — and no node
// may hold more than it has.
func TestConcurrentPlacementsNeverOverfillANode(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	page, err := s.sim.ListNodes(ctx, grid.NodeFilter{NodeIDs: nil, Status: []grid.NodeStatus{grid.NodeUp}, MinFree: grid.Resources{CRU: 4, MRU: 8 << 30, SRU: 200 << 30}, Page: grid.Page{Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	// Keep the two nodes with the least room in the pool: the orders
	// contend for them.
	slices.SortFunc(page.Nodes, func(a, b grid.Node) int { return cmp.Compare(a.Free().MRU, b.Free().MRU) })
	for _, n := range page.Nodes[2:] {
		if err := s.svc.RemoveFromPool(s.owner, n.ID); err != nil {
			t.Fatal(err)
		}
	}
	pool := []uint32{page.Nodes[0].ID, page.Nodes[1].ID}
	var created []uuid.UUID
	for i := 0; i < 120; i++ {
		d, err := s.svc.Create(s.customer, deploy.CreateInput{Name: fmt.Sprintf("crowd-%d", i), Image: "ubuntu-24.04", SSHKey: testKey,
			ClientKey: fmt.Sprintf("crowd-key-%d", i), QuoteInput: billing.QuoteInput{Size: "small"}})
		if isSizeRefusal(err) || fiatdashboard.ErrorCode(err) == fiatdashboard.ECONFLICT { // full, or the wallet's limit
			t.Logf("order %d: %v", i, err)
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, d.ID)
	}
	if len(created) < 4 {
		t.Fatalf("only %d orders fit the two nodes; the test needs contention", len(created))
	}
	ids := make([]string, len(created))
	for i, id := range created {
		ids[i] = id.String()
	}
	// Nothing is reserved any more: every provisioning chooses its node.
	if _, err := s.d.Owner(t).Exec(`UPDATE deployments SET node_id = NULL WHERE id::text = ANY(string_to_array($1, ','))`, joinIDs(ids)); err != nil {
		t.Fatal(err)
	}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, id := range created {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			// As the worker does: a transient error is retried (a node
			// that looks full while deployments in flight there are
			// counted twice), a permanent one is the end.
			for try := 0; ; try++ {
				err := s.svc.Provision(s.system(), id)
				if err == nil {
					return
				}
				if errors.Is(err, deploy.ErrPermanent) || try == 50 {
					t.Errorf("provision %s: %v", id, err)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	for _, id := range created {
		d, err := s.svc.Get(s.system(), id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != deploy.Running {
			t.Errorf("deployment %s is %s, want running", id, d.Status)
		}
	}
	var moved int
	if err := s.d.Owner(t).Get(&moved, `SELECT count(*) FROM deployment_events WHERE step = 'placement'`); err != nil {
		t.Fatal(err)
	}
	if moved != 0 {
		t.Errorf("%d VMs were refused by the grid for capacity and moved: their nodes were chosen over capacity", moved)
	}
	for _, id := range pool {
		n, err := s.sim.Node(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !n.Total.Covers(n.Used) {
			t.Errorf("node %d uses %+v of %+v", id, n.Used, n.Total)
		}
	}
	t.Logf("%d small orders on two nodes, placed concurrently", len(created))
}

func joinIDs(ids []string) string {
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ","
		}
		out += id
	}
	return out
}

// TestConcurrentOrdersNeverOverbookANode places orders eight at a time on a
// pool of two nodes: the nodes the orders reserve (their node_id) never
// add up to more than a node has free, however the orders interleave —
// each order's reservation is stored under its node's lock after checking
// the node again (holdNode).
func TestConcurrentOrdersNeverOverbookANode(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	page, err := s.sim.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, MinFree: grid.Resources{CRU: 4, MRU: 8 << 30, SRU: 200 << 30}, Page: grid.Page{Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(page.Nodes, func(a, b grid.Node) int { return cmp.Compare(a.Free().MRU, b.Free().MRU) })
	for _, n := range page.Nodes[2:] {
		if err := s.svc.RemoveFromPool(s.owner, n.ID); err != nil {
			t.Fatal(err)
		}
	}
	const orders = 24
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range orders {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := s.svc.Create(s.customer, deploy.CreateInput{Name: fmt.Sprintf("rush-%d", i), Image: "ubuntu-24.04", SSHKey: testKey,
				ClientKey: fmt.Sprintf("rush-key-%d", i), QuoteInput: billing.QuoteInput{Size: "small"}})
			if err != nil && !isSizeRefusal(err) {
				t.Errorf("order %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	small := grid.Resources{CRU: 1, MRU: 2 << 30, SRU: 25 << 30}
	reserved := 0
	for _, n := range page.Nodes[:2] {
		var k int
		if err := s.d.Owner(t).Get(&k, `SELECT count(*) FROM deployments WHERE node_id = $1`, n.ID); err != nil {
			t.Fatal(err)
		}
		reserved += k
		var sum grid.Resources
		for range k {
			sum = sum.Add(small)
		}
		if !n.Free().Covers(sum) {
			t.Errorf("node %d: %d orders reserve %+v of its free %+v", n.ID, k, sum, n.Free())
		}
	}
	if reserved == 0 {
		t.Fatal("no order reserved a node")
	}
	t.Logf("%d of %d orders reserved the two nodes", reserved, orders)
}

// TestConcurrentOrdersNeverShareAFarmsLastIPv4 orders VMs with a public IPv4
// eight at a time on a node whose farm has few free addresses: no more
// orders reserve an address there than the farm has free (holdNode takes
// the farm's lock).
func TestConcurrentOrdersNeverShareAFarmsLastIPv4(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	page, err := s.sim.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, Page: grid.Page{Size: grid.MaxPageSize}})
	if err != nil {
		t.Fatal(err)
	}
	var few *grid.Node
	for i, n := range page.Nodes {
		if n.PublicIPv4 > 0 && n.Free().Covers(grid.Resources{CRU: 8, MRU: 32 << 30, SRU: 400 << 30}) && (few == nil || n.PublicIPv4 < few.PublicIPv4) {
			few = &page.Nodes[i]
		}
	}
	if few == nil {
		t.Fatal("no node with room and a free IPv4 in the simulated grid")
	}
	pool, _, err := s.svc.Pool(s.owner)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pool {
		if err := s.svc.RemoveFromPool(s.owner, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.svc.AddToPool(s.owner, []uint32{few.ID}); err != nil {
		t.Fatal(err)
	}
	orders := int(few.PublicIPv4) + 6
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range orders {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := s.svc.Create(s.customer, deploy.CreateInput{Name: fmt.Sprintf("addr-%d", i), Image: "ubuntu-24.04", SSHKey: testKey,
				ClientKey: fmt.Sprintf("addr-key-%d", i), QuoteInput: billing.QuoteInput{Size: "small", IPv4: true}})
			if e := (*fiatdashboard.Error)(nil); err != nil && !(errors.As(err, &e) && e.Code == fiatdashboard.EINVALID && e.Field == "ipv4") {
				t.Errorf("order %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	var k uint32
	if err := s.d.Owner(t).Get(&k, `SELECT count(*) FROM deployments WHERE node_id = $1`, few.ID); err != nil {
		t.Fatal(err)
	}
	if k == 0 || k > few.PublicIPv4 {
		t.Errorf("%d orders reserve a public IPv4 at a farm with %d free; want 1 to %d", k, few.PublicIPv4, few.PublicIPv4)
	}
	t.Logf("%d orders; %d reserved the farm's %d free addresses", orders, k, few.PublicIPv4)
}
