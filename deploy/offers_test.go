package deploy_test

import (
	"context"
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
		rented = rented || c.Kind == grid.RentContract && c.NodeID == *got.NodeID
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
