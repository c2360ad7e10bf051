package deploy_test

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/billingtest"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// coopShop is the shop's storefront turned into a co-op (one member with
// the whole split) whose grid wallet can pay, with GPU and non-GPU nodes in
// its pool, all pickable by customers.
func coopShop(t *testing.T) (*shop, []uint32, []uint32) {
	t.Helper()
	s := newShop(t)
	ctx := context.Background()
	member, err := rbac.NewStore(s.d.App).EnsureAccount(ctx, uuid.Nil, "member@console.test", "a long enough passphrase", rbac.RoleNodeOperator)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.d.Owner(t).Exec(`UPDATE tenants SET kind = 'coop' WHERE id = $1`, s.tenantID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.d.Owner(t).Exec(`INSERT INTO coop_members (tenant_id, account_id, email, role, share_bps) VALUES ($1, $2, 'member@console.test', 'node_operator', 10000)`,
		s.tenantID, member); err != nil {
		t.Fatal(err)
	}
	s.rebuild(func(o *deploy.Options) { o.Wallets = offerTestGrids{s.sim} }) // the simulator deploys as every tenant's twin
	tr, ex := billingtest.Treasury(t, s.d.App, s.authz, s.sim, treasury.Options{})
	billingtest.FundWallet(t, tr, s.sim, ex, s.tenantID, 100_000*grid.UnitsPerTFT)
	gpu, err := s.sim.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, GPU: true, MinFree: grid.Resources{CRU: 2, MRU: 4 << 30, SRU: 50 << 30},
		Page: grid.Page{Size: 2}})
	if err != nil || len(gpu.Nodes) == 0 {
		t.Fatalf("the simulator has no up GPU node with room: %v", err)
	}
	var gpuIDs []uint32
	for _, n := range gpu.Nodes {
		gpuIDs = append(gpuIDs, n.ID)
	}
	if err := s.svc.AddToPool(s.owner, gpuIDs); err != nil {
		t.Fatal(err)
	}
	pool, _, err := s.svc.Pool(s.owner)
	if err != nil {
		t.Fatal(err)
	}
	var plain []uint32
	for _, p := range pool {
		if len(p.GPUs) == 0 && p.Status == grid.NodeUp {
			plain = append(plain, p.ID)
		}
	}
	if len(plain) == 0 {
		t.Fatal("the pool has no node without a GPU")
	}
	return s, gpuIDs, plain
}

// offerTestGrids gives every tenant the shared simulator as its wallet grid.
type offerTestGrids struct{ g grid.Grid }

func (o offerTestGrids) TenantGrid(context.Context, uuid.UUID) (grid.Grid, error) { return o.g, nil }
func (o offerTestGrids) HasWallet(context.Context, uuid.UUID) (bool, error)       { return true, nil }

// TestOfferRestrictsNodeSelection publishes a GPU offer and checks that an
// order from it may pick only GPU nodes in advanced mode (a node without a
// GPU is refused with EINVALID on node_id), is placed on a GPU node in
// default mode, and must use the offer's sizes; an operator storefront
// cannot publish offers.
func TestOfferRestrictsNodeSelection(t *testing.T) {
	s, gpuIDs, plain := coopShop(t)
	offer, err := s.svc.SaveOffer(s.owner, uuid.Nil, deploy.OfferInput{Name: "GPU boxes", Description: "Machines with a GPU", Capability: deploy.CapGPU,
		Sizes: []string{"small", "medium"}, Published: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.SaveOffer(s.owner, uuid.Nil, deploy.OfferInput{Name: "Bad", Capability: "quantum"}); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("an unknown capability = %v, want EINVALID", err)
	}
	if _, err := s.svc.SaveOffer(s.owner, uuid.Nil, deploy.OfferInput{Name: "Bad", Capability: deploy.CapHDD, Sizes: []string{"giant"}}); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("an unknown size preset = %v, want EINVALID", err)
	}
	if _, err := s.svc.SaveOffer(s.customer, uuid.Nil, deploy.OfferInput{Name: "Mine", Capability: deploy.CapGPU}); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("a customer publishing an offer = %v, want ENOTFOUND", err)
	}
	public := tenant.WithID(context.Background(), s.tenantID)
	offers, err := s.svc.Offers(public)
	if err != nil || len(offers) != 1 || offers[0].ID != offer.ID || offers[0].AvailableNodes != len(gpuIDs) {
		t.Fatalf("storefront offers = %+v, %v; want the GPU offer on %d nodes", offers, err, len(gpuIDs))
	}
	// What the deploy form's node table shows for the offer: GPU nodes only.
	pick, err := s.svc.EligibleForCapability(public, grid.Resources{}, true, offer.Capability)
	if err != nil || len(pick) != len(gpuIDs) {
		t.Fatalf("pickable for the offer = %+v, %v; want the %d GPU nodes", pick, err, len(gpuIDs))
	}
	for _, n := range pick {
		if len(n.GPUs) == 0 {
			t.Errorf("node %d without a GPU offered for the GPU offer", n.ID)
		}
	}

	in := func(name, placement string, node uint32, size string) deploy.CreateInput {
		return deploy.CreateInput{Name: name, Image: "ubuntu-24.04", SSHKey: testKey, Placement: placement, NodeID: node, OfferID: &offer.ID,
			ClientKey: "offer-" + name, QuoteInput: billing.QuoteInput{Size: size}}
	}
	// Advanced: a node without a GPU is refused, naming the field.
	_, err = s.svc.Create(s.customer, in("cpu-only", "advanced", plain[0], "small"))
	if fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Fatalf("advanced pick of node %d without a GPU = %v, want EINVALID", plain[0], err)
	}
	if e, ok := err.(*fiatdashboard.Error); !ok || e.Field != "node_id" {
		t.Errorf("refusal = %#v, want field node_id", err)
	}
	// A size the offer does not come in.
	if _, err := s.svc.Create(s.customer, in("too-big", "default", 0, "large")); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("a size outside the offer = %v, want EINVALID", err)
	} else if e := err.(*fiatdashboard.Error); e.Field != "size" {
		t.Errorf("refusal field = %q, want size", e.Field)
	}
	// Advanced on a GPU node goes through.
	d, err := s.svc.Create(s.customer, in("gpu-pick", "advanced", gpuIDs[0], "small"))
	if err != nil || d.NodeID == nil || *d.NodeID != gpuIDs[0] {
		t.Fatalf("advanced GPU pick = %+v, %v", d, err)
	}
	// Default: provisioning places it on a GPU node of the pool.
	d, err = s.svc.Create(s.customer, in("gpu-auto", "default", 0, "small"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.svc.Provision(s.system(), d.ID); err != nil {
		t.Fatalf("provision: %v", err)
	}
	got, err := s.svc.Get(s.customer, d.ID)
	if err != nil || got.NodeID == nil {
		t.Fatalf("default placement = %+v, %v", got, err)
	}
	n, err := s.catalog.Node(context.Background(), *got.NodeID)
	if err != nil || len(n.GPUs) == 0 {
		t.Errorf("default placement chose node %d without a GPU (%v)", *got.NodeID, err)
	}
	// ZOS attaches a GPU only on a rented node: the offer rented it, and
	// the VM and the deployment page list its GPUs.
	p, err := s.sim.Project(context.Background(), deploy.ProjectName(d.ID))
	if err != nil {
		t.Fatal(err)
	}
	rented := false
	for _, c := range p.Contracts {
		if c.Kind == grid.RentContract && c.NodeID == *got.NodeID {
			rented = true
			if got.RentContractID == nil || *got.RentContractID != c.ID {
				t.Errorf("the deployment names rent contract %v, want %d", got.RentContractID, c.ID)
			}
		}
	}
	if vm, _ := p.VM("vm"); !rented || len(vm.GPUs) != len(n.GPUs) {
		t.Errorf("GPU deployment: rent contract %v, VM GPUs %v; want the node rented and its %d GPUs attached", rented, vm.GPUs, len(n.GPUs))
	}
	if len(got.GPUs) != len(n.GPUs) || got.GPUs[0].ID != n.GPUs[0].ID || got.GPUs[0].Device == "" {
		t.Errorf("the deployment lists GPUs %+v, want the node's %+v", got.GPUs, n.GPUs)
	}
	// An unpublished or deleted offer cannot be ordered from.
	if err := s.svc.DeleteOffer(s.owner, offer.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Create(s.customer, in("gone", "default", 0, "small")); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("ordering from a deleted offer = %v, want ENOTFOUND", err)
	}
	// Operators' storefronts do not publish offers.
	if _, err := s.d.Owner(t).Exec(`UPDATE tenants SET kind = 'operator' WHERE id = $1`, s.tenantID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.SaveOffer(s.owner, uuid.Nil, deploy.OfferInput{Name: "GPU", Capability: deploy.CapGPU}); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("an operator publishing an offer = %v, want EINVALID", err)
	}
}

// TestPoolEligibleCountRespectsRevokedApproval: the pool page's summary
// counts an operator's exposed node as eligible only while the operator's
// approval stands, as EligibleNodes does.
func TestPoolEligibleCountRespectsRevokedApproval(t *testing.T) {
	w := newWorld(t)
	if err := w.link(t, w.farmKey); err != nil {
		t.Fatal(err)
	}
	var node uint32
	for _, n := range w.farmNodes(t, w.farm.ID) {
		if n.Status == grid.NodeUp {
			node = n.ID
			break
		}
	}
	if node == 0 {
		t.Fatal("the operator's farm has no up node")
	}
	if _, err := w.svc.RegisterNode(w.operator, node); err != nil {
		t.Fatal(err)
	}
	approve := `INSERT INTO casbin_rules (ptype, v0, v1, v2) VALUES ('g', $1, 'node_operator', $2)`
	if _, err := w.d.Owner(t).Exec(approve, mustActor(w.operator).ID.String(), w.tenantID.String()); err != nil {
		t.Fatal(err)
	}
	w.authz.Reload()
	if _, err := w.svc.SetExposure(w.operator, node, "demo", true); err != nil {
		t.Fatal(err)
	}
	pool, sum, err := w.svc.Pool(w.owner)
	if err != nil || sum.Eligible != 1 || len(pool) != 1 || !pool[0].Approved {
		t.Fatalf("approved and exposed: summary %+v, pool %+v, %v; want 1 eligible", sum, pool, err)
	}
	if _, err := w.d.Owner(t).Exec(`DELETE FROM casbin_rules WHERE ptype = 'g' AND v0 = $1 AND v1 = 'node_operator' AND v2 = $2`,
		mustActor(w.operator).ID.String(), w.tenantID.String()); err != nil {
		t.Fatal(err)
	}
	w.authz.Reload()
	pool, sum, err = w.svc.Pool(w.owner)
	if err != nil || sum.Eligible != 0 || sum.Up != 1 || len(pool) != 1 || pool[0].Approved || !pool[0].Exposed {
		t.Errorf("after the approval was revoked: summary %+v, pool %+v, %v; want 0 eligible (still exposed, 1 up)", sum, pool, err)
	}
}

// TestGPUOrdersRentNodesWhole: a GPU order rents its node whole (ZOS
// attaches a GPU only on a rented node, and to one VM), so orders from a
// GPU offer land on distinct nodes nobody rented before, each under its own
// rent contract; a GPU node another twin rents is never chosen; and once
// every rentable GPU node of the pool is taken, the next order is refused
// before it is charged.
func TestGPUOrdersRentNodesWhole(t *testing.T) {
	s, gpuIDs, _ := coopShop(t)
	ctx := context.Background()
	// A GPU node someone else rents, in the pool too.
	rentedElsewhere := uint32(0)
	all, err := s.sim.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, GPU: true, Page: grid.Page{Size: grid.MaxPageSize}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range all.Nodes {
		if n.Rentable && !slices.Contains(gpuIDs, n.ID) && n.Free().Covers(grid.Resources{CRU: 1, MRU: 2 << 30, SRU: 25 << 30}) {
			rentedElsewhere = n.ID
			break
		}
	}
	if rentedElsewhere == 0 {
		t.Fatal("the simulator has no other rentable GPU node")
	}
	other := s.sim.CreateTwin(1000*grid.UnitsPerTFT, true)
	if _, err := s.sim.AsTwin(other).DeployVM(ctx, "theirs", grid.VMSpec{Name: "vm", NodeID: rentedElsewhere, Flist: deploy.Images["ubuntu-24.04"],
		CPU: 1, Memory: 2 << 30, RootFS: 25 << 30, Mycelium: true, Rent: true}); err != nil {
		t.Fatalf("another twin rents node %d: %v", rentedElsewhere, err)
	}
	if err := s.svc.AddToPool(s.owner, []uint32{rentedElsewhere}); err != nil {
		t.Fatal(err)
	}
	rentable := 0
	for _, id := range gpuIDs {
		if n, _ := s.sim.Node(ctx, id); n.Rentable {
			rentable++
		}
	}
	if rentable == 0 {
		t.Fatal("no rentable GPU node in the pool")
	}
	offer, err := s.svc.SaveOffer(s.owner, uuid.Nil, deploy.OfferInput{Name: "GPU boxes", Description: "Machines with a GPU", Capability: deploy.CapGPU, Published: true})
	if err != nil {
		t.Fatal(err)
	}
	used := map[uint32]bool{}
	for i := range rentable {
		name := fmt.Sprintf("gpu-%d", i)
		d, err := s.svc.Create(s.customer, deploy.CreateInput{Name: name, Image: "ubuntu-24.04", SSHKey: testKey, Placement: "default", OfferID: &offer.ID,
			ClientKey: "gpu-order-" + name, QuoteInput: billing.QuoteInput{Size: "small"}})
		if err != nil {
			t.Fatalf("order %s: %v", name, err)
		}
		if err := s.svc.Provision(s.system(), d.ID); err != nil {
			t.Fatalf("provision %s: %v", name, err)
		}
		got, err := s.svc.Get(s.customer, d.ID)
		if err != nil || got.NodeID == nil || got.RentContractID == nil || len(got.GPUs) == 0 {
			t.Fatalf("%s: %+v, %v; want it on a node, with a rent contract and GPUs", name, got, err)
		}
		if *got.NodeID == rentedElsewhere || used[*got.NodeID] {
			t.Errorf("%s placed on node %d, rented by another twin or by an earlier order", name, *got.NodeID)
		}
		used[*got.NodeID] = true
	}
	_, err = s.svc.Create(s.customer, deploy.CreateInput{Name: "gpu-more", Image: "ubuntu-24.04", SSHKey: testKey, Placement: "default", OfferID: &offer.ID,
		ClientKey: "gpu-order-more", QuoteInput: billing.QuoteInput{Size: "small"}})
	if fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("an order with every rentable GPU node taken = %v, want refused before payment (EINVALID)", err)
	}
}

// TestPlainOrdersKeepOffWholeNodes: an order outside a GPU offer is placed
// on a node without GPUs outside dedicated farms while one has room, so it
// never rents a whole node for a small VM nor takes a GPU node a GPU
// order needs.
func TestPlainOrdersKeepOffWholeNodes(t *testing.T) {
	s, _, _ := coopShop(t)
	for i := range 3 {
		d := s.order(t, fmt.Sprintf("plain-%d", i), "none")
		if err := s.svc.Provision(s.system(), d.ID); err != nil {
			t.Fatalf("provision: %v", err)
		}
		got, err := s.svc.Get(s.customer, d.ID)
		if err != nil || got.NodeID == nil {
			t.Fatalf("%+v, %v", got, err)
		}
		n, err := s.catalog.Node(context.Background(), *got.NodeID)
		if err != nil {
			t.Fatal(err)
		}
		if len(n.GPUs) > 0 || n.Dedicated || got.RentContractID != nil {
			t.Errorf("plain order %d placed on node %d (GPUs %d, dedicated %v, rent %v)", i, n.ID, len(n.GPUs), n.Dedicated, got.RentContractID)
		}
	}
}

// TestGPUOrderPaysTheRentOfItsNode: an order from a GPU offer rents its
// node whole, and the tenant's wallet pays the chain the node's dedicated
// price plus the farmer's extra fee (cost.rs, RentContract), while the VM's
// own contract on the rented node bills no capacity. So the price the
// customer sees before paying carries the rent as its own line, at least
// the rent's grid cost; the charge is that price; and the margin the
// operator sees is positive.
func TestGPUOrderPaysTheRentOfItsNode(t *testing.T) {
	s, _, _ := coopShop(t)
	offer, err := s.svc.SaveOffer(s.owner, uuid.Nil, deploy.OfferInput{Name: "GPU boxes", Description: "Machines with a GPU", Capability: deploy.CapGPU, Published: true})
	if err != nil {
		t.Fatal(err)
	}
	in := deploy.QuoteInput{QuoteInput: billing.QuoteInput{Size: "small"}, OfferID: &offer.ID, Placement: "default"}
	plain, err := s.svc.Quote(s.customer, deploy.QuoteInput{QuoteInput: billing.QuoteInput{Size: "small"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range plain.Lines {
		if l.Kind == billing.LineRent {
			t.Errorf("a plain order's quote has a rent line: %+v", plain.Lines)
		}
	}
	q, err := s.svc.Quote(s.customer, in, false)
	if err != nil {
		t.Fatal(err)
	}
	var rent *billing.Line
	for i, l := range q.Lines {
		if l.Kind == billing.LineRent {
			rent = &q.Lines[i]
		}
	}
	if rent == nil {
		t.Fatalf("the GPU offer's quote has no rent line: %+v", q.Lines)
	}
	// The node the order would take, and its rent on the chain.
	d, err := s.svc.Create(s.customer, deploy.CreateInput{Name: "gpu-rent", Image: "ubuntu-24.04", SSHKey: testKey, Placement: "default", OfferID: &offer.ID,
		ClientKey: "gpu-rent", QuoteInput: billing.QuoteInput{Size: "small"}})
	if err != nil {
		t.Fatal(err)
	}
	if d.NodeID == nil {
		t.Fatalf("the GPU order holds no node: %+v", d)
	}
	n, err := s.catalog.Node(context.Background(), *d.NodeID)
	if err != nil {
		t.Fatal(err)
	}
	price, _ := grid.ParseDecimal(grid.ReferenceTFTPrice)
	chain, err := grid.QuoteWorkload(grid.Workload{CRU: n.Total.CRU, MRU: n.Total.MRU, SRU: n.Total.SRU, HRU: n.Total.HRU, Dedicated: true,
		ExtraFeeMUSDMonth: n.ExtraFeeMUSDMonth}, grid.MainnetPricingPolicy, price, 0)
	if err != nil {
		t.Fatal(err)
	}
	cost := new(big.Rat).Mul(chain.ListUSDMonth, big.NewRat(100, 1))
	if new(big.Rat).SetInt64(int64(rent.Cents)).Cmp(cost) < 0 {
		t.Errorf("rent line %d ¢ a month is below the node's rent on the chain, %s ¢", rent.Cents, cost.FloatString(2))
	}
	if !strings.Contains(rent.Label, fmt.Sprint(n.ID)) {
		t.Errorf("rent line %q does not name node %d", rent.Label, n.ID)
	}
	got, err := s.svc.Get(s.customer, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	order, err := s.bill.Order(s.customer, got.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	if order.Amount != q.Total {
		t.Errorf("charged %d ¢, but the quote shown before paying said %d ¢", order.Amount, q.Total)
	}
	// Its renewals pay the same rent.
	subs, err := s.bill.Subscriptions(s.customer)
	if err != nil {
		t.Fatal(err)
	}
	renews := false
	for _, sub := range subs {
		if sub.FirstOrderID == order.ID {
			renews = true
			if sub.RenewalCents != order.Amount || !strings.Contains(string(sub.Lines), `"rent"`) {
				t.Errorf("the subscription renews at %d ¢ with lines %s; want %d ¢ with the rent line", sub.RenewalCents, sub.Lines, order.Amount)
			}
		}
	}
	if !renews {
		t.Errorf("no subscription for the paid GPU order (status %s)", order.Status)
	}
	staff, err := s.svc.Quote(s.owner, deploy.QuoteInput{QuoteInput: billing.QuoteInput{Size: "small"}, OfferID: &offer.ID, Placement: "advanced", NodeID: n.ID}, false)
	if fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		// The node is held by the order above: a second order may not rent it.
		t.Errorf("quote on a node another order holds = %+v, %v; want EINVALID", staff, err)
	}
	staff, err = s.svc.Quote(s.owner, in, false)
	if err != nil {
		t.Fatal(err)
	}
	if staff.Breakdown == nil || staff.Breakdown.MarginCents <= 0 {
		t.Errorf("the operator's margin on a GPU order = %+v, want positive", staff.Breakdown)
	}
}
