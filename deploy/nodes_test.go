package deploy_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
	"github.com/fiatdashboard/fiatdashboard/jobs/jobstest"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

type world struct {
	catalog  *grid.Catalog
	svc      *deploy.Service
	sim      *gridsim.Sim
	authz    *rbac.Authorizer
	d        *dbtest.DB
	operator context.Context
	owner    context.Context
	tenantID uuid.UUID
	farm     gridsim.Farm
	farmKey  ed25519.PrivateKey
}

func newWorld(t *testing.T) *world {
	t.Helper()
	d := dbtest.New(t)
	r := jobstest.New(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	authz, err := rbac.NewAuthorizer(ctx, d.App, r.Client, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(authz.Close)
	tn, err := tenant.NewStore(d.App).Create(ctx, tenant.NewTenant{Slug: "demo", Name: "Demo", Status: tenant.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	rs := rbac.NewStore(d.App)
	op, err := rs.EnsureAccount(ctx, uuid.Nil, "farmer@console.test", "a long enough passphrase", rbac.RoleNodeOperator)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := rs.EnsureAccount(ctx, tn.ID, "owner@demo.test", "a long enough passphrase", rbac.RoleOwner)
	if err != nil {
		t.Fatal(err)
	}
	authz.Reload()
	sim := gridsim.New(gridsim.Config{Seed: 1})
	cat := grid.NewCatalog(sim, time.Hour)
	if err := cat.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	w := &world{svc: deploy.NewService(d.App, authz, sim, cat, sim, log, deploy.Options{}), sim: sim, authz: authz, d: d, tenantID: tn.ID, catalog: cat}
	w.operator = tenant.WithActor(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: op, Name: "farmer@console.test"})
	w.owner = tenant.WithActor(tenant.WithID(ctx, tn.ID), tenant.Actor{Kind: tenant.ActorUser, ID: owner, Name: "owner@demo.test", MFA: true})
	w.farm = sim.Farms()[0]
	w.farmKey, _ = sim.TwinKey(w.farm.TwinID)
	return w
}

func (w *world) link(t *testing.T, key ed25519.PrivateKey) error {
	t.Helper()
	c, err := w.svc.NewChallenge(w.operator, w.farm.TwinID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Message, "link twin") {
		t.Errorf("challenge = %q", c.Message)
	}
	_, err = w.svc.LinkTwin(w.operator, "ed25519", hex.EncodeToString(ed25519.Sign(key, []byte(c.Message))))
	return err
}

func (w *world) farmNodes(t *testing.T, farm uint32) []grid.Node {
	t.Helper()
	page, err := w.sim.ListNodes(context.Background(), grid.NodeFilter{FarmIDs: []uint32{farm}, Status: []grid.NodeStatus{grid.NodeUp}})
	if err != nil || len(page.Nodes) < 2 {
		t.Fatalf("farm %d nodes: %v (%d)", farm, err, len(page.Nodes))
	}
	return page.Nodes
}

// TestOnlyTheTwinsKeyLinksAndOnlyItsFarmsNodesRegister.
func TestOnlyTheTwinsKeyLinksAndOnlyItsFarmsNodesRegister(t *testing.T) {
	w := newWorld(t)
	nodes := w.farmNodes(t, w.farm.ID)
	if _, err := w.svc.RegisterNode(w.operator, nodes[0].ID); err == nil {
		t.Error("a node registered without a linked twin")
	}
	_, stranger, _ := ed25519.GenerateKey(nil)
	if err := w.link(t, stranger); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Fatalf("link signed by another key = %v, want EINVALID", err)
	}
	if _, err := w.svc.RegisterNode(w.operator, nodes[0].ID); err == nil {
		t.Error("a node registered after a failed link")
	}
	// Signed the way polkadot{.js}'s "Sign raw" does: wrapped in <Bytes>.
	c, err := w.svc.NewChallenge(w.operator, w.farm.TwinID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.LinkTwin(w.operator, "ed25519", hex.EncodeToString(ed25519.Sign(w.farmKey, []byte("<Bytes>"+c.Message+"</Bytes>")))); err != nil {
		t.Fatalf("link with the twin's key (Bytes-wrapped): %v", err)
	}
	if _, err := w.svc.RegisterNode(w.operator, nodes[0].ID); err != nil {
		t.Fatalf("register own node: %v", err)
	}
	other := w.farmNodes(t, w.sim.Farms()[1].ID)[0]
	if _, err := w.svc.RegisterNode(w.operator, other.ID); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID || !strings.Contains(err.Error(), "does not own") {
		t.Errorf("register another farm's node = %v, want EINVALID", err)
	}
	if _, err := w.svc.RegisterNode(w.operator, 999999); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("register unknown node = %v", err)
	}
	mine, err := w.svc.MyNodes(w.operator)
	if err != nil || len(mine) != 1 || mine[0].ID != nodes[0].ID || mine[0].Total.CRU == 0 {
		t.Errorf("my nodes = %+v, %v", mine, err)
	}
}

// TestExposureDecidesEligibility: an operator's node is eligible for a
// tenant's deployments only while exposed there, and only once the tenant
// approved the operator.
func TestExposureDecidesEligibility(t *testing.T) {
	w := newWorld(t)
	if err := w.link(t, w.farmKey); err != nil {
		t.Fatal(err)
	}
	nodes := w.farmNodes(t, w.farm.ID)
	for _, n := range nodes[:2] {
		if _, err := w.svc.RegisterNode(w.operator, n.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.svc.SetExposure(w.operator, nodes[0].ID, "demo", true); fiatdashboard.ErrorCode(err) != fiatdashboard.EFORBIDDEN {
		t.Fatalf("exposing before approval = %v, want EFORBIDDEN", err)
	}
	// The tenant approves the operator: node_operator in its domain.
	if _, err := w.d.Owner(t).Exec(`INSERT INTO casbin_rules (ptype, v0, v1, v2) VALUES ('g', $1, 'node_operator', $2)`,
		mustActor(w.operator).ID.String(), w.tenantID.String()); err != nil {
		t.Fatal(err)
	}
	w.authz.Reload()
	if _, err := w.svc.SetExposure(w.operator, nodes[0].ID, "demo", true); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SetExposure(w.operator, nodes[1].ID, "demo", false); err != nil {
		t.Fatal(err)
	}
	tctx := tenant.WithID(context.Background(), w.tenantID)
	eligible, err := w.svc.EligibleNodes(tctx, grid.Resources{CRU: 1}, true)
	if err != nil || len(eligible) != 1 || eligible[0].ID != nodes[0].ID {
		t.Fatalf("eligible = %+v, %v; want only the exposed node", eligible, err)
	}
	// Revoking the approval withdraws the operator's nodes at once.
	if _, err := w.d.Owner(t).Exec(`DELETE FROM casbin_rules WHERE ptype = 'g' AND v0 = $1 AND v1 = 'node_operator' AND v2 = $2`, mustActor(w.operator).ID.String(), w.tenantID.String()); err != nil {
		t.Fatal(err)
	}
	if e, _ := w.svc.EligibleNodes(tctx, grid.Resources{CRU: 1}, true); len(e) != 0 {
		t.Errorf("after the approval was revoked, eligible = %+v; want none", e)
	}
	if _, err := w.d.Owner(t).Exec(`INSERT INTO casbin_rules (ptype, v0, v1, v2) VALUES ('g', $1, 'node_operator', $2)`, mustActor(w.operator).ID.String(), w.tenantID.String()); err != nil {
		t.Fatal(err)
	}
	w.authz.Reload()
	if _, err := w.svc.SetExposure(w.operator, nodes[0].ID, "demo", false); err != nil {
		t.Fatal(err)
	}
	if eligible, _ := w.svc.EligibleNodes(tctx, grid.Resources{CRU: 1}, false); len(eligible) != 0 {
		t.Errorf("after withdrawing, eligible = %+v; want none", eligible)
	}
	pool, sum, err := w.svc.Pool(w.owner)
	if err != nil || len(pool) != 2 || sum.Eligible != 0 || pool[0].ContributedBy != "farmer@console.test" {
		t.Errorf("pool = %+v %+v %v", pool, sum, err)
	}
	// The tenant's own nodes, and the customer-pick toggle.
	own := w.farmNodes(t, w.sim.Farms()[2].ID)[0]
	if err := w.svc.AddToPool(w.owner, []uint32{own.ID}); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.SetPickable(w.owner, own.ID, false); err != nil {
		t.Fatal(err)
	}
	if e, _ := w.svc.EligibleNodes(tctx, grid.Resources{CRU: 1}, false); len(e) != 1 || e[0].ID != own.ID {
		t.Errorf("platform pick = %+v, want the tenant's node", e)
	}
	if e, _ := w.svc.EligibleNodes(tctx, grid.Resources{CRU: 1}, true); len(e) != 0 {
		t.Errorf("customer pick = %+v, want none (not pickable)", e)
	}
}

func mustActor(ctx context.Context) tenant.Actor {
	a, _ := tenant.ActorFromContext(ctx)
	return a
}

// TestEarningsAreHalfTheBills deploys on an operator's node in the
// simulator, bills a month, and checks the reported earnings are the
// chain's 50 % farmer share of exactly those bills, to the 1e-7 TFT.
func TestEarningsAreHalfTheBills(t *testing.T) {
	w := newWorld(t)
	if err := w.link(t, w.farmKey); err != nil {
		t.Fatal(err)
	}
	node := w.farmNodes(t, w.farm.ID)[0]
	if _, err := w.svc.RegisterNode(w.operator, node.ID); err != nil {
		t.Fatal(err)
	}
	start := w.sim.Now()
	ctx := tenant.WithID(context.Background(), w.tenantID)
	p, err := w.sim.DeployVM(ctx, "dep-earnings", grid.VMSpec{Name: "vm", Flist: "https://hub.grid.tf/tf-official-vms/ubuntu-24.04-full.flist", NodeID: node.ID, CPU: 2, Memory: 4 << 30, RootFS: 50 << 30, Mycelium: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.RecordContracts(ctx, "dep-earnings", p.Contracts); err != nil {
		t.Fatal(err)
	}
	// A contract on the same node that this platform did not create earns nothing here.
	if _, err := w.sim.DeployVM(ctx, "someone-else", grid.VMSpec{Name: "vm", Flist: "https://hub.grid.tf/tf-official-vms/ubuntu-24.04-full.flist", NodeID: node.ID, CPU: 1, Memory: 2 << 30, RootFS: 25 << 30}); err != nil {
		t.Fatal(err)
	}
	w.sim.Advance(30 * 24 * time.Hour)
	var ids []uint64
	for _, c := range p.Contracts {
		ids = append(ids, c.ID)
	}
	bills, err := w.sim.BillReports(ctx, grid.BillQuery{ContractIDs: ids, From: start, To: w.sim.Now().Add(time.Hour)})
	if err != nil || len(bills) < 700 {
		t.Fatalf("bills = %d, %v", len(bills), err)
	}
	var billed, half grid.TFTUnits
	for _, b := range bills {
		billed += b.Amount
		half += b.Amount * 50 / 100 // the chain's 50 % farmer share, per bill
	}
	// Before the grid:bills job ran, nothing is stored: the page asks no grid.
	if lines, err := w.svc.Earnings(w.operator, start, w.sim.Now().Add(time.Hour), big.NewRat(1, 100)); err != nil || len(lines) != 0 {
		t.Fatalf("earnings before the bills were stored: %+v, %v; want none", lines, err)
	}
	if n, err := w.svc.SyncBills(ctx); err != nil || n < 700 {
		t.Fatalf("stored %d bills, %v", n, err)
	}
	if n, err := w.svc.SyncBills(ctx); err != nil || n != 0 {
		t.Errorf("a second run stored %d bills, %v; want none", n, err)
	}
	lines, err := w.svc.Earnings(w.operator, start, w.sim.Now().Add(time.Hour), big.NewRat(1, 100))
	if err != nil {
		t.Fatal(err)
	}
	var earned, reported grid.TFTUnits
	for _, l := range lines {
		if l.NodeID != node.ID && l.NodeID != 0 || l.Tenant != "Demo" {
			t.Errorf("line %+v", l)
		}
		earned += l.Earned
		reported += l.Billed
	}
	if reported != billed || earned != half || earned == 0 {
		t.Errorf("earnings: billed %s earned %s; want billed %s earned %s", reported, earned, billed, half)
	}
}
