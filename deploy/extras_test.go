package deploy_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

func authorizedKey(t *testing.T, pub any, comment string) string {
	t.Helper()
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + " " + comment
}

func fieldOf(err error) string {
	var e *fiatdashboard.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// TestParseSSHKey accepts ed25519, RSA of 2048 bits or more and ECDSA keys,
// and refuses anything else with an error naming the field.
func TestParseSSHKey(t *testing.T) {
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, c := range []struct {
		name, key, wantType, wantErr string
	}{
		{"ed25519", testKey, "ssh-ed25519", ""},
		{"ed25519 with spaces around", "  " + testKey + "\n", "ssh-ed25519", ""},
		{"rsa 2048", authorizedKey(t, &rsa2048.PublicKey, "me@box"), "ssh-rsa", ""},
		{"ecdsa p256", authorizedKey(t, &ec.PublicKey, "me@box"), "ecdsa-sha2-nistp256", ""},
		{"rsa 1024", authorizedKey(t, &rsa1024.PublicKey, "old@box"), "", "1024 bits"},
		{"empty", "", "", "paste your SSH public key"},
		{"garbage", "ssh-rsa not-a-key", "", "paste one SSH public key"},
		{"two keys", testKey + "\n" + testKey, "", "one line"},
		{"private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", "", "private key"},
		{"options", `command="ls" ` + testKey, "", "paste one SSH public key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k, err := deploy.ParseSSHKey("public_key", c.key)
			if c.wantErr == "" {
				if err != nil || k.Type != c.wantType || !strings.HasPrefix(k.Fingerprint, "SHA256:") || k.Line == "" {
					t.Fatalf("ParseSSHKey = %+v, %v; want a %s key", k, err, c.wantType)
				}
				return
			}
			if fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID || fieldOf(err) != "public_key" || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("ParseSSHKey = %v; want EINVALID on public_key saying %q", err, c.wantErr)
			}
		})
	}
}

// TestSavedSSHKeys: a customer saves keys (unique names and keys per
// account), deploys with a saved key or saves a pasted one from the deploy
// form, and nobody else sees or uses them.
func TestSavedSSHKeys(t *testing.T) {
	s := newShop(t)
	k, err := s.svc.SaveSSHKey(s.customer, deploy.SSHKeyInput{Name: "laptop", PublicKey: testKey})
	if err != nil || k.Fingerprint == "" || k.KeyType != "ssh-ed25519" {
		t.Fatalf("save = %+v, %v", k, err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	other := authorizedKey(t, &ec.PublicKey, "desk@work")
	for _, c := range []struct {
		in    deploy.SSHKeyInput
		field string
	}{
		{deploy.SSHKeyInput{Name: "laptop", PublicKey: other}, "name"},
		{deploy.SSHKeyInput{Name: "again", PublicKey: testKey}, "public_key"},
		{deploy.SSHKeyInput{Name: "", PublicKey: other}, "name"},
		{deploy.SSHKeyInput{Name: "bad", PublicKey: "ssh-ed25519 nope"}, "public_key"},
	} {
		if _, err := s.svc.SaveSSHKey(s.customer, c.in); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID || fieldOf(err) != c.field {
			t.Errorf("save %+v = %v; want EINVALID on %s", c.in, err, c.field)
		}
	}

	// Deploy with the saved key.
	d, err := s.svc.Create(s.customer, deploy.CreateInput{Name: "keyed", Image: "ubuntu-24.04", SSHKeyID: &k.ID,
		ClientKey: "deploy-keyed", QuoteInput: billing.QuoteInput{Size: "small"}})
	if err != nil || d.SSHKey != k.PublicKey {
		t.Fatalf("deploy with the saved key = %+v, %v", d, err)
	}
	// Paste a new one and save it from the form.
	d2, err := s.svc.Create(s.customer, deploy.CreateInput{Name: "pasted", Image: "ubuntu-24.04", SSHKey: other, SaveSSHKey: true, SSHKeyName: "desk",
		ClientKey: "deploy-pasted", QuoteInput: billing.QuoteInput{Size: "small"}})
	if err != nil || !strings.HasPrefix(d2.SSHKey, "ecdsa-sha2-nistp384 ") {
		t.Fatalf("deploy with a new key = %+v, %v", d2, err)
	}
	keys, err := s.svc.SSHKeys(s.customer)
	if err != nil || len(keys) != 2 || keys[0].Name != "desk" || keys[1].Name != "laptop" {
		t.Fatalf("keys = %+v, %v; want desk and laptop", keys, err)
	}
	// The form names the field at fault.
	if _, err := s.svc.Create(s.customer, deploy.CreateInput{Name: "bad-key", Image: "ubuntu-24.04", SSHKey: "ssh-rsa AAAA", ClientKey: "bad-key",
		QuoteInput: billing.QuoteInput{Size: "small"}}); fieldOf(err) != "ssh_key" {
		t.Errorf("deploy with a bad key = %v; want EINVALID on ssh_key", err)
	}

	// Another customer of the storefront sees none of them, and may not use them.
	bob := createCustomer(t, s.world, "bob@demo.test")
	bobCtx := tenant.WithActor(tenant.WithID(context.Background(), s.tenantID), tenant.Actor{Kind: tenant.ActorUser, ID: bob, Name: "bob@demo.test"})
	if mine, err := s.svc.SSHKeys(bobCtx); err != nil || len(mine) != 0 {
		t.Errorf("bob's keys = %+v, %v; want none", mine, err)
	}
	if err := s.svc.DeleteSSHKey(bobCtx, k.ID); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("bob deletes ann's key: %v, want ENOTFOUND", err)
	}
	if _, err := s.svc.Create(bobCtx, deploy.CreateInput{Name: "stolen", Image: "ubuntu-24.04", SSHKeyID: &k.ID, ClientKey: "stolen",
		QuoteInput: billing.QuoteInput{Size: "small"}}); fieldOf(err) != "ssh_key_id" {
		t.Errorf("bob deploys with ann's key id = %v; want EINVALID on ssh_key_id", err)
	}
	if err := s.svc.DeleteSSHKey(s.customer, k.ID); err != nil {
		t.Fatal(err)
	}
	if keys, _ := s.svc.SSHKeys(s.customer); len(keys) != 1 {
		t.Errorf("after deleting one key: %d keys", len(keys))
	}
}

// TestDeploymentsRunOnTheTenantsWalletTwin: the contracts of a deployment
// belong to the tenant's wallet twin, not the platform's; without a wallet
// the deployment fails, saying so, and the payment is refunded.
func TestDeploymentsRunOnTheTenantsWalletTwin(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	d := s.order(t, "twinned", "vm")
	if err := s.svc.Provision(s.system(), d.ID); err != nil {
		t.Fatal(err)
	}
	p, err := s.wallet.Project(ctx, deploy.ProjectName(d.ID))
	if err != nil || p.TwinID != s.twin || len(p.Contracts) < 4 {
		t.Fatalf("the wallet twin's project = %+v, %v", p, err)
	}
	for _, c := range p.Contracts {
		if c.TwinID != s.twin {
			t.Errorf("contract %d belongs to twin %d, want the tenant's twin %d", c.ID, c.TwinID, s.twin)
		}
	}
	platform, _ := s.sim.Twin(ctx)
	if platform == s.twin {
		t.Fatal("the test's wallet twin is the platform's")
	}
	if _, err := s.sim.Project(ctx, deploy.ProjectName(d.ID)); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("the platform twin has the project: %v", err)
	}

	// The wallet is gone by the time the order is provisioned (checkout
	// refuses orders a wallet cannot pay for): the deployment fails
	// plainly and is refunded.
	d2 := s.order(t, "walletless", "none")
	if _, err := s.d.Owner(t).Exec(`DELETE FROM tenant_wallets WHERE tenant_id = $1`, s.tenantID); err != nil {
		t.Fatal(err)
	}
	if err := s.svc.Provision(s.system(), d2.ID); !errors.Is(err, deploy.ErrPermanent) {
		t.Fatalf("provision without a wallet = %v, want a permanent failure", err)
	}
	got, _ := s.svc.Get(s.customer, d2.ID)
	if got.Status != deploy.Failed || !strings.Contains(got.Failure, "no TFChain wallet") || got.Order.Status != billing.OrderRefunded {
		t.Errorf("without a wallet: %s %q, order %s; want failed, saying why, refunded", got.Status, got.Failure, got.Order.Status)
	}
	// A running deployment can still be cancelled when it never reached the grid.
	if _, err := s.svc.Cancel(s.customer, d.ID); !errors.Is(err, treasury.ErrNoWallet) {
		t.Errorf("cancelling a server with live contracts and no wallet = %v, want ErrNoWallet", err)
	}
}

// outbox returns the subjects and texts mailed to an address.
func outbox(t *testing.T, s *shop, to string) []string {
	t.Helper()
	var mails []string
	if err := s.d.Owner(t).Select(&mails, `SELECT subject || E'\n' || body_text FROM outbox_emails WHERE to_addr = $1 ORDER BY id`, to); err != nil {
		t.Fatal(err)
	}
	return mails
}

// TestFailoverMailsTheCustomer: a failover and a re-provisioning each mail
// the customer (the latter with its data-loss warning), and the deployment
// records the incident for its page.
func TestFailoverMailsTheCustomer(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	for _, c := range []struct{ name, backup, subject, says string }{
		{"safe", "vm", "safe switched to its standby", "A new standby is being set up"},
		{"bare", "none", "bare was re-created: data on its disk is lost", "Anything stored on its disk is lost"},
	} {
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
		if n, err := s.svc.CheckHealth(ctx); err != nil || n < 1 {
			t.Fatalf("%s: health moved %d, %v", c.name, n, err)
		}
		// Both servers may have moved (the earlier one can sit on the node
		// that failed), so this server's mail is any of them, in any order.
		mails := outbox(t, s, "ann@demo.test")
		found := false
		for _, m := range mails {
			found = found || (strings.HasPrefix(m, "Your server "+c.subject) && strings.Contains(m, c.says) &&
				strings.Contains(m, "http://demo.localhost/deployments/"+d.ID.String()))
		}
		if !found {
			t.Fatalf("%s: mails = %q", c.name, mails)
		}
		got, _ := s.svc.Get(s.customer, d.ID)
		want := map[string]string{"vm": "failover", "none": "reprovision"}[c.backup]
		if got.Incident != want || got.IncidentAt == nil || got.NotifiedAt == nil || got.IncidentMessage == "" {
			t.Errorf("%s: incident %q at %v notified %v", c.name, got.Incident, got.IncidentAt, got.NotifiedAt)
		}
		if err := s.catalog.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.svc.Provision(s.system(), d.ID); err != nil {
			t.Fatal(err)
		}
		after, _ := s.svc.Get(s.customer, d.ID)
		if c.backup == "vm" && (after.StandbyNodeID == nil || *after.StandbyNodeID == *before.StandbyNodeID || *after.NodeID != *before.StandbyNodeID) {
			t.Errorf("after failover: primary %v, standby %v; want the old standby %d as primary and a new standby", after.NodeID, after.StandbyNodeID, *before.StandbyNodeID)
		}
	}
	h, err := s.svc.HealthReport(s.owner)
	if err != nil || h.Counts.Incidents != 2 || len(h.Incidents) != 2 || h.Incidents[0].CustomerEmail != "ann@demo.test" || h.Counts.Unnotified != 0 {
		t.Errorf("health page = %+v, %v", h, err)
	}
}

// TestQSFSLostBackendIsReplaced: the deployment shows its swarm (20 data
// backends, survives 8 lost); a backend whose node goes offline is
// replaced on another node, recorded and told in an event.
func TestQSFSLostBackendIsReplaced(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	d := s.order(t, "stored", "qsfs")
	if err := s.svc.Provision(s.system(), d.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.svc.Get(s.customer, d.ID)
	if err != nil || got.Swarm == nil {
		t.Fatalf("deployment = %+v, %v; want its swarm", got, err)
	}
	sw := got.Swarm
	count := func(sw *deploy.Swarm, kind, status string) int {
		n := 0
		for _, b := range sw.Backends {
			if b.Kind == kind && b.Status == status {
				n++
			}
		}
		return n
	}
	if sw.Expected != 20 || sw.Minimal != 12 || sw.Tolerates != 8 || sw.Health != "healthy" || count(sw, "data", "ok") != 20 || count(sw, "meta", "ok") != 4 {
		t.Fatalf("swarm = %+v", sw)
	}
	var lost uint32
	for _, b := range sw.Backends {
		if b.Kind == "data" && b.Position == 3 {
			lost = b.NodeID
		}
	}
	if err := s.sim.SetNodeStatus(lost, grid.NodeDown); err != nil {
		t.Fatal(err)
	}
	if n, err := s.svc.CheckHealth(ctx); err != nil || n != 1 {
		t.Fatalf("health repaired %d, %v; want 1", n, err)
	}
	got, _ = s.svc.Get(s.customer, d.ID)
	sw = got.Swarm
	var old, fresh *deploy.Backend
	for i, b := range sw.Backends {
		if b.NodeID == lost {
			old = &sw.Backends[i]
		} else if b.Kind == "data" && b.Position == 3 && b.Status == "ok" {
			fresh = &sw.Backends[i]
		}
	}
	if old == nil || old.Status != "replaced" || fresh == nil || old.ReplacedBy == nil || *old.ReplacedBy != fresh.NodeID || sw.Health != "healthy" || count(sw, "data", "ok") != 20 {
		t.Fatalf("after the node failed: lost %+v, replacement %+v, swarm %+v", old, fresh, sw)
	}
	p, err := s.wallet.Project(ctx, deploy.ProjectName(d.ID))
	if err != nil || len(p.QSFS) != 1 || slices.Contains(p.QSFS[0].DataNodes, lost) || p.QSFS[0].DataNodes[3] != fresh.NodeID {
		t.Fatalf("the grid's swarm = %+v, %v", p.QSFS, err)
	}
	var open, onNew int
	if err := s.d.Owner(t).Get(&open, `SELECT count(*) FROM grid_contracts WHERE project = $1 AND node_id = $2 AND canceled_at IS NULL`, d.Project, lost); err != nil {
		t.Fatal(err)
	}
	if err := s.d.Owner(t).Get(&onNew, `SELECT count(*) FROM grid_contracts WHERE project = $1 AND node_id = $2 AND canceled_at IS NULL`, d.Project, fresh.NodeID); err != nil {
		t.Fatal(err)
	}
	if open != 0 || onNew != 1 {
		t.Errorf("recorded contracts: %d still open on the lost node, %d on the new one; want 0 and 1", open, onNew)
	}
	events, _ := s.svc.Events(s.customer, d.ID, 0)
	if !slices.ContainsFunc(events, func(e deploy.Event) bool { return strings.Contains(e.Message, "rebuilt on node") }) {
		t.Errorf("no event tells of the replacement: %+v", events)
	}
	// A second run finds nothing to do.
	if n, err := s.svc.CheckHealth(ctx); err != nil || n != 0 {
		t.Errorf("a second health run repaired %d, %v", n, err)
	}
}

// TestReconcileStoresDrift: vanished contracts and orphans are stored as a
// report and listed for the admin's health page.
func TestReconcileStoresDrift(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	gone := s.order(t, "gone", "none")
	orphan := s.order(t, "orphaned", "none")
	for _, d := range []*deploy.Deployment{gone, orphan} {
		if err := s.svc.Provision(s.system(), d.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.wallet.CancelProject(ctx, gone.Project); err != nil {
		t.Fatal(err)
	}
	if _, err := s.d.Owner(t).Exec(`UPDATE deployments SET status = 'terminated' WHERE id = $1`, orphan.ID); err != nil {
		t.Fatal(err)
	}
	n, err := s.svc.ReconcileAll(ctx)
	if err != nil || n != 2 {
		t.Fatalf("reconcile all = %d, %v; want 2 drifts", n, err)
	}
	reports, err := s.svc.Reports(s.owner, time.Now().Add(time.Hour), 10)
	if err != nil || len(reports) != 1 || reports[0].Checked != 2 || len(reports[0].Drift) != 2 {
		t.Fatalf("reports = %+v, %v", reports, err)
	}
	problems := map[string]string{}
	for _, d := range reports[0].Drift {
		problems[d.Name] = d.Problem
	}
	if problems["gone"] != deploy.DriftVanished || problems["orphaned"] != deploy.DriftOrphan {
		t.Errorf("drift = %+v", reports[0].Drift)
	}
	h, err := s.svc.HealthReport(s.owner)
	if err != nil || h.LastReconcile == nil || h.LastReconcile.ID != reports[0].ID || !h.Wallet {
		t.Errorf("health = %+v, %v", h, err)
	}
	// Customers have no health page.
	if _, err := s.svc.HealthReport(s.customer); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("a customer reads the health page: %v", err)
	}
	// Run again: the orphan is gone; the vanished server is still drift.
	r, err := s.svc.ReconcileNow(s.owner)
	if err != nil || len(r.Drift) != 1 || r.Drift[0].Problem != deploy.DriftVanished {
		t.Errorf("reconcile now = %+v, %v", r, err)
	}
}

// TestCancelRefundsOrCredits: a tenant that refunds gives the unused time
// back to the card; one that credits gives account credit.
func TestCancelRefundsOrCredits(t *testing.T) {
	s := newShop(t)
	for _, mode := range []string{"refund", "credit"} {
		if _, err := s.d.Owner(t).Exec(`UPDATE tenants SET on_cancel = $2 WHERE id = $1`, s.tenantID, mode); err != nil {
			t.Fatal(err)
		}
		d := s.order(t, "cancel-"+mode, "none")
		if err := s.svc.Provision(s.system(), d.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.svc.Get(s.customer, d.ID); got.OnCancel != mode {
			t.Errorf("the deployment page says cancelling gives %q, want %q", got.OnCancel, mode)
		}
		creditBefore, _ := s.bill.Credit(s.customer)
		if _, err := s.svc.Cancel(s.customer, d.ID); err != nil {
			t.Fatal(err)
		}
		creditAfter, _ := s.bill.Credit(s.customer)
		o, err := s.bill.Order(s.customer, d.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		switch mode {
		case "refund":
			if o.Refunded <= 0 || o.Refunded >= o.Amount || creditAfter != creditBefore {
				t.Errorf("refund: order refunded %d of %d, credit %d → %d; want a prorated refund and no credit", o.Refunded, o.Amount, creditBefore, creditAfter)
			}
		case "credit":
			if o.Refunded != 0 || creditAfter <= creditBefore {
				t.Errorf("credit: order refunded %d, credit %d → %d; want credit and no refund", o.Refunded, creditBefore, creditAfter)
			}
		}
	}
	_ = uuid.Nil
}

// TestQSFSSwarmAvoidsNodesNotExposedToTheTenant: the storage nodes with the
// most free HDD belong to a node operator who has not exposed them to this
// tenant (one sits in its pool unexposed); the swarm goes around them.
func TestQSFSSwarmAvoidsNodesNotExposedToTheTenant(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	page, err := s.sim.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, MinFree: grid.Resources{HRU: 20 << 30}, Page: grid.Page{Size: grid.MaxPageSize}})
	if err != nil {
		t.Fatal(err)
	}
	nodes := page.Nodes
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Free().HRU > nodes[j].Free().HRU })
	barred := []uint32{nodes[0].ID, nodes[1].ID, nodes[2].ID}
	owner := s.d.Owner(t)
	operator := mustActor(s.customer).ID // any account: the rows only need an owner
	for i, id := range barred {
		if _, err := owner.Exec(`INSERT INTO operator_nodes (node_id, account_id, farm_id) VALUES ($1, $2, $3)`, id, operator, nodes[i].FarmID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := owner.Exec(`INSERT INTO pool_nodes (tenant_id, node_id, source, contributed_by, exposed) VALUES ($1, $2, 'operator', $3, false)
		ON CONFLICT (tenant_id, node_id) DO UPDATE SET exposed = false, source = 'operator', contributed_by = $3`, s.tenantID, barred[0], operator); err != nil {
		t.Fatal(err)
	}
	d := s.order(t, "careful", "qsfs")
	if err := s.svc.Provision(s.system(), d.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.svc.Get(s.customer, d.ID)
	if err != nil || got.Swarm == nil || len(got.Swarm.Backends) != 24 {
		t.Fatalf("deployment = %+v, %v; want its 20 + 4 backends", got, err)
	}
	for _, b := range got.Swarm.Backends {
		if slices.Contains(barred, b.NodeID) {
			t.Errorf("a %s backend landed on node %d, which is not exposed to this tenant", b.Kind, b.NodeID)
		}
	}
}
