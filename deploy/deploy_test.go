package deploy_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/billingtest"
	"github.com/fiatdashboard/fiatdashboard/billing/coop"
	"github.com/fiatdashboard/fiatdashboard/billing/stripemock"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/exchangesim"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ann@laptop"

// queued records what would go to the deploy:vm queue.
type queued struct {
	mu  sync.Mutex
	ids []uuid.UUID
}

func (q *queued) EnqueueDeploy(_ context.Context, id uuid.UUID) error {
	q.mu.Lock()
	q.ids = append(q.ids, id)
	q.mu.Unlock()
	return nil
}

// syncEvents processes Stripe events at once, and hands billing's service
// events to the deployments service at once, as the worker would.
type syncEvents struct {
	b   **billing.Service
	svc **deploy.Service
	db  *sqlx.DB
}

func (e syncEvents) EnqueueStripeEvent(ctx context.Context, id string) error {
	return (*e.b).ProcessEvent(ctx, id)
}

func (e syncEvents) Kick(ctx context.Context, key string) error {
	return billingtest.RunOwed(ctx, e.db, key, *e.svc)
}

type shop struct {
	*world
	bill     *billing.Service
	q        *queued
	customer context.Context
	// The tenant's wallet: its twin deploys and pays, so the grid as that
	// twin (wallet) holds the tenant's projects.
	treasury *treasury.Treasury
	twin     uint32
	wallet   *gridsim.Sim
	// opts built svc; rebuild changes them.
	opts deploy.Options
}

// rebuild builds the shop's deployments service anew with changed options
// (a queue that is down, a rotated keyring).
func (s *shop) rebuild(change func(*deploy.Options)) {
	change(&s.opts)
	s.svc = deploy.NewService(s.d.App, s.authz, s.sim, s.catalog, s.sim, slog.New(slog.NewTextHandler(io.Discard, nil)), s.opts)
}

func newShop(t *testing.T) *shop {
	t.Helper()
	w := newWorld(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &shop{world: w, q: &queued{}}
	emitter := billing.NewEmitter("whsec_t", 0, func(ctx context.Context, p []byte, sig string) error { return s.bill.ReceiveWebhook(ctx, p, sig) }, log).
		Connect("whsec_tc", func(ctx context.Context, p []byte, sig string) error {
			return s.bill.ReceiveConnectWebhook(ctx, p, sig)
		})
	bcfg := billing.Config{SecretKey: "sk_test_1", WebhookSecret: "whsec_t", ConnectWebhookSecret: "whsec_tc", APIURL: stripemock.ForTest(t).URL, Mock: true}
	bcfg.Coops = coop.New(w.d.App, w.authz, log, coop.Options{Stripe: bcfg, Emitter: emitter})
	s.bill = billing.NewService(w.d.App, bcfg, w.authz, w.sim, syncEvents{b: &s.bill, svc: &w.svc, db: w.d.App}, emitter, log)
	var ex *exchangesim.Sim
	s.treasury, ex = billingtest.Treasury(t, w.d.App, w.authz, w.sim, treasury.Options{Grids: billingtest.SimWalletGrids(w.sim)})
	s.twin, _ = billingtest.FundWallet(t, s.treasury, w.sim, ex, w.tenantID, 1000*grid.UnitsPerTFT)
	s.wallet = w.sim.AsTwin(s.twin)
	s.rebuild(func(o *deploy.Options) {
		*o = deploy.Options{Payments: s.bill, Enqueuer: s.q, Wallets: s.treasury, Sealer: testKeyring(t),
			Mailer: rbac.NewOutbox(w.d.App), StorefrontURL: func(slug string) string { return "http://" + slug + ".localhost" }}
	})
	if _, err := s.bill.OnboardingLink(w.owner, "http://demo.localhost"); err != nil {
		t.Fatal(err)
	}
	// A pool of up nodes with room, across farms.
	page, err := w.sim.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, MinFree: grid.Resources{CRU: 4, MRU: 8 << 30, SRU: 200 << 30}, Page: grid.Page{Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint32
	for _, n := range page.Nodes {
		ids = append(ids, n.ID)
	}
	if err := w.svc.AddToPool(w.owner, ids); err != nil {
		t.Fatal(err)
	}
	rsCtx := tenant.WithID(ctx, w.tenantID)
	cust := createCustomer(t, w, "ann@demo.test")
	s.customer = tenant.WithActor(rsCtx, tenant.Actor{Kind: tenant.ActorUser, ID: cust, Name: "ann@demo.test"})
	si, err := s.bill.NewSetupIntent(s.customer)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.bill.MockConfirmSetup(s.customer, si.ID, "pm_card_visa"); err != nil {
		t.Fatal(err)
	}
	return s
}

func createCustomer(t *testing.T, w *world, email string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := w.d.Owner(t).Get(&id, `INSERT INTO accounts (tenant_id, email, password_hash, email_verified_at) VALUES ($1, $2, 'x', now()) RETURNING id`, w.tenantID, email); err != nil {
		t.Fatal(err)
	}
	if _, err := w.d.Owner(t).Exec(`INSERT INTO casbin_rules (ptype, v0, v1, v2) VALUES ('g', $1, 'customer', $2)`, id.String(), w.tenantID.String()); err != nil {
		t.Fatal(err)
	}
	w.authz.Reload()
	return id
}

func (s *shop) order(t *testing.T, name, backup string) *deploy.Deployment {
	t.Helper()
	d, err := s.svc.Create(s.customer, deploy.CreateInput{Name: name, Image: "ubuntu-24.04", SSHKey: testKey, Backup: backup,
		ClientKey: "deploy-" + name, QuoteInput: billing.QuoteInput{Size: "small"}})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if d.Status != deploy.Paid {
		t.Fatalf("%s is %s after a good card, want paid", name, d.Status)
	}
	return d
}

func (s *shop) system() context.Context {
	return tenant.WithActor(tenant.WithID(context.Background(), s.tenantID), tenant.System("deploy:vm"))
}

// TestProvisioningIsExactlyOnce runs the deploy task twice at once, and
// again after a simulated crash mid-way, and finds one set of contracts.
func TestProvisioningIsExactlyOnce(t *testing.T) {
	s := newShop(t)
	d := s.order(t, "web-1", "vm")
	if len(s.q.ids) != 1 || s.q.ids[0] != d.ID {
		t.Fatalf("queued %v, want the deployment once", s.q.ids)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.svc.Provision(s.system(), d.ID) }()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("concurrent provisioning: %v / %v", errs[0], errs[1])
	}
	got, err := s.svc.Get(s.customer, d.ID)
	if err != nil || got.Status != deploy.Running || got.Mycelium == "" || got.NodeID == nil || got.StandbyNodeID == nil {
		t.Fatalf("after provisioning = %+v, %v", got, err)
	}
	p, err := s.wallet.Project(context.Background(), deploy.ProjectName(d.ID))
	if err != nil {
		t.Fatal(err)
	}
	vms := len(p.VMs)
	contracts := len(p.Contracts)
	if vms != 2 {
		t.Errorf("project has %d VMs, want primary + standby", vms)
	}
	primary, _ := s.sim.Node(context.Background(), *got.NodeID)
	standby, _ := s.sim.Node(context.Background(), *got.StandbyNodeID)
	if primary.FarmID == standby.FarmID {
		t.Errorf("standby on the primary's farm %d", primary.FarmID)
	}
	// Run it again (a duplicated task): nothing new.
	if err := s.svc.Provision(s.system(), d.ID); err != nil {
		t.Fatal(err)
	}
	if p2, _ := s.wallet.Project(context.Background(), deploy.ProjectName(d.ID)); len(p2.Contracts) != contracts {
		t.Errorf("a repeated task changed contracts %d → %d", contracts, len(p2.Contracts))
	}

	// A crash mid-way: the first attempt created the VM and died before the backup.
	d2 := s.order(t, "web-2", "vm")
	if err := s.svc.Provision(s.system(), uuid.Nil); err == nil {
		t.Error("provisioning an unknown deployment succeeded")
	}
	s.sim.InjectFault(gridsim.Fault{Kind: gridsim.FaultDeployTimesOut, Times: 1})
	if err := s.svc.Provision(s.system(), d2.ID); err == nil {
		t.Fatal("a timed-out deploy reported success")
	}
	mid, _ := s.wallet.Project(context.Background(), deploy.ProjectName(d2.ID))
	if st, _ := s.svc.Get(s.customer, d2.ID); st.Status != deploy.Provisioning || len(mid.Contracts) == 0 {
		t.Fatalf("after the crash: %s with %d contracts; want provisioning with the VM's contracts", st.Status, len(mid.Contracts))
	}
	if err := s.svc.Provision(s.system(), d2.ID); err != nil {
		t.Fatalf("the retry: %v", err)
	}
	final, _ := s.wallet.Project(context.Background(), deploy.ProjectName(d2.ID))
	if len(final.VMs) != 2 || len(final.Contracts) != contracts {
		t.Errorf("after the retry: %d VMs, %d contracts; want 2 and %d (one set)", len(final.VMs), len(final.Contracts), contracts)
	}
	var recorded int
	if err := s.d.Owner(t).Get(&recorded, `SELECT count(*) FROM grid_contracts WHERE project = $1`, deploy.ProjectName(d2.ID)); err != nil {
		t.Fatal(err)
	}
	if recorded != len(final.Contracts) {
		t.Errorf("recorded %d contracts, grid has %d", recorded, len(final.Contracts))
	}
	events, _ := s.svc.Events(s.customer, d2.ID, 0)
	var steps []string
	for _, e := range events {
		steps = append(steps, e.Step)
	}
	if !strings.Contains(strings.Join(steps, ","), "order,payment,network") || steps[len(steps)-1] != "running" {
		t.Errorf("event steps = %v", steps)
	}
}

// TestPermanentFailureRefundsAndCancel: a refused deploy cancels what it
// made, fails the deployment and refunds; a running one cancels cleanly.
func TestPermanentFailureRefundsAndCancel(t *testing.T) {
	s := newShop(t)
	d := s.order(t, "doomed", "none")
	s.sim.InjectFault(gridsim.Fault{Kind: gridsim.FaultInsufficientFunds, Times: 1})
	err := s.svc.Provision(s.system(), d.ID)
	if err == nil || !strings.Contains(err.Error(), deploy.ErrPermanent.Error()) {
		t.Fatalf("refused deploy = %v, want a permanent failure", err)
	}
	got, _ := s.svc.Get(s.customer, d.ID)
	if got.Status != deploy.Failed || got.Order == nil || got.Order.Status != billing.OrderRefunded {
		t.Errorf("after failure: %s, order %+v; want failed and refunded", got.Status, got.Order)
	}
	if _, err := s.wallet.Project(context.Background(), deploy.ProjectName(d.ID)); err == nil {
		t.Error("a failed deployment left a project on the grid")
	}

	ok := s.order(t, "keeper", "none")
	if err := s.svc.Provision(s.system(), ok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Create(s.customer, deploy.CreateInput{Name: "keeper", Image: "ubuntu-24.04", SSHKey: testKey, ClientKey: "another-key", QuoteInput: billing.QuoteInput{Size: "small"}}); err == nil {
		t.Error("a second live deployment with the same name was accepted")
	}
	for _, bad := range []deploy.CreateInput{
		{Name: "Bad_Name", Image: "ubuntu-24.04", SSHKey: testKey},
		{Name: "x1", Image: "windows", SSHKey: testKey},
		{Name: "x2", Image: "ubuntu-24.04", SSHKey: "ssh-rsa not-a-key"},
		{Name: "x3", Image: "ubuntu-24.04", SSHKey: testKey, Placement: "advanced", NodeID: 1},
	} {
		bad.ClientKey, bad.QuoteInput = "bad-"+bad.Name, billing.QuoteInput{Size: "small"}
		if _, err := s.svc.Create(s.customer, bad); err == nil {
			t.Errorf("create %+v accepted", bad)
		}
	}
	c, err := s.svc.Cancel(s.customer, ok.ID)
	if err != nil || c.Status != deploy.Terminated {
		t.Fatalf("cancel = %+v, %v", c, err)
	}
	if _, err := s.wallet.Project(context.Background(), deploy.ProjectName(ok.ID)); err == nil {
		t.Error("cancelled deployment still has contracts")
	}
	if credit, _ := s.bill.Credit(s.customer); credit <= 0 {
		t.Errorf("credit after cancelling = %d, want the unused period", credit)
	}
	_ = time.Second
}

// TestNodeFailure takes a running deployment's node offline and checks the
// health job fails over to the standby (backup) or re-provisions elsewhere
// (no backup), and reconcile cancels orphans.
func TestNodeFailure(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	for _, c := range []struct{ name, backup string }{{"with-backup", "vm"}, {"no-backup", "none"}} {
		d := s.order(t, c.name, c.backup)
		if err := s.svc.Provision(s.system(), d.ID); err != nil {
			t.Fatal(err)
		}
		before, _ := s.svc.Get(s.customer, d.ID)
		if err := s.sim.SetNodeStatus(*before.NodeID, grid.NodeDown); err != nil {
			t.Fatal(err)
		}
		// At least this deployment moves (the earlier one's new standby may
		// sit on the same node, and is then replaced too).
		n, err := s.svc.CheckHealth(ctx)
		if err != nil || n < 1 {
			t.Fatalf("%s: health moved %d, %v; want this deployment moved", c.name, n, err)
		}
		mid, _ := s.svc.Get(s.customer, d.ID)
		if mid.Status != deploy.Provisioning {
			t.Fatalf("%s: after the node failed = %s, want provisioning", c.name, mid.Status)
		}
		if c.backup == "vm" && (mid.NodeID == nil || *mid.NodeID != *before.StandbyNodeID) {
			t.Errorf("failover put the primary on %v, want the standby's node %d", mid.NodeID, *before.StandbyNodeID)
		}
		if err := s.catalog.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.svc.Provision(s.system(), d.ID); err != nil {
			t.Fatalf("%s: re-provision: %v", c.name, err)
		}
		after, _ := s.svc.Get(s.customer, d.ID)
		if after.Status != deploy.Running || *after.NodeID == *before.NodeID {
			t.Errorf("%s: after recovery = %s on node %d (failed node %d)", c.name, after.Status, *after.NodeID, *before.NodeID)
		}
		events, _ := s.svc.Events(s.customer, d.ID, 0)
		want := map[string]string{"vm": "failover", "none": "reprovision"}[c.backup]
		found := false
		for _, e := range events {
			found = found || e.Step == want
		}
		if !found {
			t.Errorf("%s: no %s event", c.name, want)
		}
	}
	// An orphan: a failed deployment whose contracts are still on the grid.
	d := s.order(t, "orphan", "none")
	if err := s.svc.Provision(s.system(), d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.d.Owner(t).Exec(`UPDATE deployments SET status = 'failed' WHERE id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	drift, err := s.svc.Reconcile(s.system())
	if err != nil || len(drift) != 1 || drift[0].Problem != "orphan contracts cancelled" {
		t.Fatalf("reconcile = %+v, %v", drift, err)
	}
	if _, err := s.wallet.Project(ctx, deploy.ProjectName(d.ID)); err == nil {
		t.Error("orphan contracts survived reconcile")
	}
}

// A standby whose node fails while the primary is fine is replaced: the
// primary keeps running on its node, the old standby's contracts end, and a
// new standby is placed on another node.
func TestStandbyNodeFailureReplacesTheStandby(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	d := s.order(t, "guarded", "vm")
	if err := s.svc.Provision(s.system(), d.ID); err != nil {
		t.Fatal(err)
	}
	before, _ := s.svc.Get(s.customer, d.ID)
	project := deploy.ProjectName(d.ID)
	old, err := s.wallet.Project(ctx, project)
	if err != nil || len(old.VMs) != 2 {
		t.Fatalf("before: %+v, %v; want a primary and a standby", old.VMs, err)
	}
	if err := s.sim.SetNodeStatus(*before.StandbyNodeID, grid.NodeDown); err != nil {
		t.Fatal(err)
	}
	if n, err := s.svc.CheckHealth(ctx); err != nil || n != 1 {
		t.Fatalf("health repaired %d, %v; want 1", n, err)
	}
	mid, _ := s.svc.Get(s.customer, d.ID)
	if mid.Status != deploy.Provisioning || mid.StandbyNodeID != nil || *mid.NodeID != *before.NodeID {
		t.Fatalf("after the standby's node failed: %s on %v, standby %v; want provisioning on %d without a standby", mid.Status, *mid.NodeID, mid.StandbyNodeID, *before.NodeID)
	}
	if p, err := s.wallet.Project(ctx, project); err != nil || len(p.VMs) != 1 || p.VMs[0].Role != grid.Primary {
		t.Fatalf("the grid after the standby went: %+v, %v; want the primary alone", p.VMs, err)
	}
	if err := s.catalog.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.svc.Provision(s.system(), d.ID); err != nil {
		t.Fatalf("placing the new standby: %v", err)
	}
	after, _ := s.svc.Get(s.customer, d.ID)
	if after.Status != deploy.Running || *after.NodeID != *before.NodeID || after.StandbyNodeID == nil || *after.StandbyNodeID == *before.StandbyNodeID {
		t.Fatalf("after = %s on %d, standby %v; want running on %d with a standby off node %d", after.Status, *after.NodeID, after.StandbyNodeID, *before.NodeID, *before.StandbyNodeID)
	}
	now, err := s.wallet.Project(ctx, project)
	if err != nil || len(now.VMs) != 2 {
		t.Fatalf("the grid after: %+v, %v; want a primary and a new standby", now.VMs, err)
	}
	primaryKept := false
	for _, v := range now.VMs {
		for _, o := range old.VMs {
			primaryKept = primaryKept || (v.Role == grid.Primary && o.Role == grid.Primary && v.ContractID == o.ContractID)
		}
	}
	if !primaryKept {
		t.Error("the primary VM was re-created; it should have kept running")
	}
	var canceled int
	if err := s.d.Owner(t).Get(&canceled, `SELECT count(*) FROM grid_contracts WHERE project = $1 AND canceled_at IS NOT NULL`, project); err != nil || canceled == 0 {
		t.Errorf("the old standby's contracts are not marked cancelled (%d, %v)", canceled, err)
	}
}

// testKeyring is a master keyring for sealing QSFS secrets in tests.
func testKeyring(t *testing.T) *rbac.Keyring {
	t.Helper()
	k, err := rbac.ParseKeyring("dt:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
