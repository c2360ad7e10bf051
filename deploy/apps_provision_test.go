package deploy_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// runApp orders an app and runs its provisioning as the worker would.
func (s *shop) runApp(t *testing.T, name, app, config string) *deploy.Deployment {
	t.Helper()
	d, err := s.svc.Create(s.customer, appOrder(name, app, config))
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if err := s.svc.Provision(s.system(), d.ID); err != nil {
		t.Fatalf("provision %s: %v", name, err)
	}
	got, err := s.svc.Get(s.customer, d.ID)
	if err != nil || got.Status != deploy.Running {
		t.Fatalf("%s after provisioning = %+v, %v; want running", name, got, err)
	}
	return got
}

// withGPUPool adds the simulator's up GPU nodes to the shop's pool.
func (s *shop) withGPUPool(t *testing.T) []uint32 {
	t.Helper()
	gpu, err := s.sim.ListNodes(context.Background(), grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, GPU: true, Rentable: true,
		MinFree: grid.Resources{CRU: 4, MRU: 16 << 30, SRU: 100 << 30}, Page: grid.Page{Size: 2}})
	if err != nil || len(gpu.Nodes) == 0 {
		t.Fatalf("the simulator has no free GPU node: %v", err)
	}
	var ids []uint32
	for _, n := range gpu.Nodes {
		ids = append(ids, n.ID)
	}
	if err := s.svc.AddToPool(s.owner, ids); err != nil {
		t.Fatal(err)
	}
	return ids
}

func urlOf(d *deploy.Deployment, label string) string {
	for _, u := range d.Access.URLs {
		if u.Label == label {
			return u.URL
		}
	}
	return ""
}

// TestEachAppProvisionsToRunningWithItsAccessPanel runs each of the four
// apps on the simulator: Nextcloud, Open WebUI and LiveKit get their VM
// with the app's image and a gateway name whose HTTPS URL the access
// panel links; LiveKit documents its ports and public IPv4; a Kubernetes
// cluster runs its workers and offers its kubeconfig. A repeated task
// changes nothing.
func TestEachAppProvisionsToRunningWithItsAccessPanel(t *testing.T) {
	s := appShop(t)
	gpus := s.withGPUPool(t)
	ctx := context.Background()

	nc := s.runApp(t, "files", deploy.AppNextcloud, `{"storage_gb": 200}`)
	p, err := s.wallet.Project(ctx, deploy.ProjectName(nc.ID))
	if err != nil {
		t.Fatal(err)
	}
	vm, _ := p.VM("vm")
	if len(p.Gateways) != 1 || p.Gateways[0].URL == "" || !strings.HasPrefix(p.Gateways[0].URL, "https://files") {
		t.Fatalf("nextcloud gateways = %+v", p.Gateways)
	}
	if got := urlOf(nc, "Nextcloud"); got != p.Gateways[0].URL {
		t.Errorf("access panel links %q, the gateway is %q", got, p.Gateways[0].URL)
	}
	if !strings.Contains(p.Gateways[0].Backends[0], vm.MyceliumIP) {
		t.Errorf("the gateway sends to %v, the VM is at %s", p.Gateways[0].Backends, vm.MyceliumIP)
	}
	var kinds []string
	for _, c := range p.Contracts {
		kinds = append(kinds, string(c.Kind))
	}
	if !strings.Contains(strings.Join(kinds, ","), "name") {
		t.Errorf("nextcloud contracts %v have no name contract", kinds)
	}
	// Nextcloud's admin account is made on its own setup page (AIO).
	if nc.Access.Credentials != "none" || nc.Access.Kubeconfig || urlOf(nc, "Nextcloud setup") != p.Gateways[0].URL+"/aio" {
		t.Errorf("nextcloud access = %+v", nc.Access)
	}
	contracts := len(p.Contracts)
	if err := s.svc.Provision(s.system(), nc.ID); err != nil {
		t.Fatal(err)
	}
	if p2, _ := s.wallet.Project(ctx, deploy.ProjectName(nc.ID)); len(p2.Contracts) != contracts {
		t.Errorf("a repeated task changed the contracts %d → %d", contracts, len(p2.Contracts))
	}

	lk := s.runApp(t, "meet", deploy.AppLiveKit, `{"size": "small"}`)
	ports := map[string]bool{}
	for _, p := range lk.Access.Ports {
		ports[p.Value] = true
	}
	if lk.IPv4 == "" || !ports[lk.IPv4] || !ports["7880/tcp"] || !ports["7881/tcp"] || !ports["50000-60000/udp"] {
		t.Errorf("livekit ipv4 %q, ports %+v", lk.IPv4, lk.Access.Ports)
	}
	if u := urlOf(lk, "LiveKit signalling"); !strings.HasPrefix(u, "wss://meet") {
		t.Errorf("livekit signalling URL = %q", u)
	}
	// LiveKit is installed on the VM at first boot (the hub has no image).
	lp, err := s.wallet.Project(ctx, deploy.ProjectName(lk.ID))
	if err != nil {
		t.Fatal(err)
	}
	if lvm, _ := lp.VM("vm"); lvm.Setup == nil || lvm.Setup.Name != "livekit" || lvm.Setup.Status != grid.SetupDone {
		t.Errorf("livekit VM setup = %+v; want the livekit setup done", lvm.Setup)
	}
	if n, _ := s.sim.Node(ctx, *lk.NodeID); n.PublicIPv4 == 0 && lk.IPv4 == "" {
		t.Errorf("livekit on node %d without public IPv4", n.ID)
	}

	ow := s.runApp(t, "chat", deploy.AppOpenWebUI, `{}`)
	if ow.NodeID == nil || !contains(gpus, *ow.NodeID) || len(ow.GPUs) == 0 || ow.RentContractID == nil {
		t.Errorf("open webui on node %v with GPUs %v, rent %v; want a rented GPU node of %v", ow.NodeID, ow.GPUs, ow.RentContractID, gpus)
	}
	if u := urlOf(ow, "Open WebUI"); !strings.HasPrefix(u, "https://chat") {
		t.Errorf("open webui URL = %q", u)
	}

	k := s.runApp(t, "cluster", deploy.AppKubernetes, `{"workers": 2, "worker_size": "small", "master_size": "small"}`)
	if !k.Access.Kubeconfig || k.Access.Credentials != "none" || len(k.Workers) != 2 || k.Workers[0].Status != deploy.Running {
		t.Errorf("kubernetes access %+v, workers %+v", k.Access, k.Workers)
	}
	kp, err := s.wallet.Project(ctx, deploy.ProjectName(k.ID))
	if err != nil || kp.K8s == nil || len(kp.K8s.Workers) != 2 {
		t.Fatalf("cluster project = %+v, %v", kp, err)
	}
	name, cfg, err := s.svc.Kubeconfig(s.customer, k.ID)
	if err != nil || name != "cluster" || !strings.Contains(cfg, "clusters") {
		t.Errorf("kubeconfig = %q, %.40q, %v", name, cfg, err)
	}
	if _, _, err := s.svc.Kubeconfig(s.customer, nc.ID); fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		t.Errorf("kubeconfig of nextcloud = %v, want ECONFLICT", err)
	}
	other := tenant.WithActor(tenant.WithID(ctx, s.tenantID), tenant.Actor{Kind: tenant.ActorUser, ID: createCustomer(t, s.world, "bob@demo.test")})
	if _, _, err := s.svc.Kubeconfig(other, k.ID); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("another customer's kubeconfig = %v, want ENOTFOUND", err)
	}
	if _, _, err := s.svc.Kubeconfig(s.owner, k.ID); err != nil {
		t.Errorf("tenant staff's kubeconfig: %v", err)
	}
}

// TestCredentialsAreShownOnce: LiveKit's API key and secret are sealed at
// rest, installed on the VM, and shown to its customer the first time
// only; then the answer is a conflict on field credentials, and the panel
// says shown. Nobody else sees them; a key rotation keeps them; apps
// without credentials of ours have none to show.
func TestCredentialsAreShownOnce(t *testing.T) {
	s := appShop(t)
	d, err := s.svc.Create(s.customer, appOrder("meet", deploy.AppLiveKit, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	conflict := func(err error) bool {
		var e *fiatdashboard.Error
		return asError(err, &e) && e.Code == fiatdashboard.ECONFLICT && e.Field == "credentials"
	}
	if _, err := s.svc.Credentials(s.customer, d.ID); !conflict(err) {
		t.Errorf("credentials before it runs = %v, want ECONFLICT on credentials", err)
	}
	if err := s.svc.Provision(s.system(), d.ID); err != nil {
		t.Fatal(err)
	}
	other := tenant.WithActor(tenant.WithID(context.Background(), s.tenantID), tenant.Actor{Kind: tenant.ActorUser, ID: createCustomer(t, s.world, "bob@demo.test")})
	if _, err := s.svc.Credentials(other, d.ID); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("another customer's view = %v, want ENOTFOUND", err)
	}
	// A key rotation re-seals them: only the newest key opens them after.
	newer, err := rbac.ParseKeyring("n2:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{6}, 32)) +
		",dt:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	s.rebuild(func(o *deploy.Options) { o.Sealer = newer })
	if n, err := s.svc.RotateSecrets(context.Background()); err != nil || n != 1 {
		t.Fatalf("rotate = %d, %v; want the app's secrets", n, err)
	}
	onlyNew, _ := rbac.ParseKeyring("n2:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{6}, 32)))
	s.rebuild(func(o *deploy.Options) { o.Sealer = onlyNew })
	creds, err := s.svc.Credentials(s.customer, d.ID)
	if err != nil || len(creds) != 2 || creds[0].Label != "API key" || !strings.HasPrefix(creds[0].Value, "API") || len(creds[1].Value) != 40 {
		t.Fatalf("first view = %+v, %v", creds, err)
	}
	var sealed string
	if err := s.d.Owner(t).Get(&sealed, `SELECT app_secret_enc FROM deployments WHERE id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, creds[1].Value) {
		t.Error("the API secret is stored in plain text")
	}
	if _, err := s.svc.Credentials(s.customer, d.ID); !conflict(err) {
		t.Errorf("second view = %v, want ECONFLICT on credentials", err)
	}
	got, _ := s.svc.Get(s.customer, d.ID)
	if got.Access.Credentials != "shown" {
		t.Errorf("panel after showing = %q, want shown", got.Access.Credentials)
	}
	// The secret the customer saw is the one LiveKit was set up with, and
	// it is not in the VM's environment.
	p, _ := s.wallet.Project(context.Background(), deploy.ProjectName(d.ID))
	vm, ok := p.VM("vm")
	if !ok || vm.Setup == nil || vm.Setup.Status != grid.SetupDone {
		t.Fatalf("livekit VM = %+v", vm)
	}
	for _, app := range []string{deploy.AppKubernetes, deploy.AppNextcloud} {
		x := s.runApp(t, "no-creds-"+app, app, `{}`)
		if _, err := s.svc.Credentials(s.customer, x.ID); !conflict(err) || x.Access.Credentials != "none" {
			t.Errorf("credentials of %s = %v (panel %q), want none and ECONFLICT", app, err, x.Access.Credentials)
		}
	}
}

// TestCancellingAnAppCancelsAllItsContracts: cancelling a Nextcloud
// cancels its VM, network, gateway and gateway name contracts; none bills
// after, and the name is free again.
func TestCancellingAnAppCancelsAllItsContracts(t *testing.T) {
	s := appShop(t)
	d := s.runApp(t, "files", deploy.AppNextcloud, `{}`)
	ctx := context.Background()
	p, err := s.wallet.Project(ctx, deploy.ProjectName(d.ID))
	if err != nil {
		t.Fatal(err)
	}
	ids := p.ContractIDs()
	var names int
	for _, c := range p.Contracts {
		if c.Kind == grid.NameContract {
			names++
		}
	}
	if names != 1 || len(ids) < 3 {
		t.Fatalf("contracts %+v; want the VM's, the gateway's and one name contract", p.Contracts)
	}
	got, err := s.svc.Cancel(s.customer, d.ID)
	if err != nil || got.Status != deploy.Terminated {
		t.Fatalf("cancel = %+v, %v", got, err)
	}
	if _, err := s.wallet.Project(ctx, deploy.ProjectName(d.ID), ids...); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("after the cancel the project = %v; want no contract left", err)
	}
	var live int
	if err := s.d.Owner(t).Get(&live, `SELECT count(*) FROM grid_contracts WHERE project = $1 AND canceled_at IS NULL`, deploy.ProjectName(d.ID)); err != nil {
		t.Fatal(err)
	}
	if live != 0 {
		t.Errorf("%d contracts still on record as live", live)
	}
	// A cluster: master, workers and network, all cancelled.
	k := s.runApp(t, "cluster", deploy.AppKubernetes, `{"workers": 2}`)
	kp, _ := s.wallet.Project(ctx, deploy.ProjectName(k.ID))
	if _, err := s.svc.Cancel(s.customer, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.wallet.Project(ctx, deploy.ProjectName(k.ID), kp.ContractIDs()...); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("after cancelling the cluster = %v; want no contract left", err)
	}
}

// TestKubernetesWorkersChangeWithHonestMoney: adding workers charges the
// rest of the paid period for them (prorated: half the period left, half
// the difference) and raises the renewal to the bigger cluster's price;
// the workers are deployed once that is paid. Removing workers charges
// nothing, lowers the renewal, and cancels the removed workers' contracts.
func TestKubernetesWorkersChangeWithHonestMoney(t *testing.T) {
	s := appShop(t)
	ctx := context.Background()
	k := s.runApp(t, "cluster", deploy.AppKubernetes, `{"workers": 1, "worker_size": "small", "master_size": "small"}`)
	sub := func() billing.Subscription {
		subs, err := s.bill.Subscriptions(s.customer)
		if err != nil || len(subs) != 1 {
			t.Fatalf("subscriptions = %+v, %v", subs, err)
		}
		return subs[0]
	}
	quote := func(n int) billing.Cents {
		q, err := s.svc.Quote(s.customer, deploy.QuoteInput{App: deploy.AppKubernetes,
			AppConfig: json.RawMessage(`{"workers": ` + string(rune('0'+n)) + `, "worker_size": "small", "master_size": "small"}`)}, false)
		if err != nil {
			t.Fatal(err)
		}
		return q.Total
	}
	before := sub()
	if before.RenewalCents != quote(1) {
		t.Fatalf("renewal %d, one-worker price %d", before.RenewalCents, quote(1))
	}
	// Half the period is left.
	start := before.PaidThrough.AddDate(0, -before.Months, 0)
	half := start.Add(before.PaidThrough.Sub(start) / 2)
	s.bill.SetClock(func() time.Time { return half })
	defer s.bill.SetClock(time.Now)

	if _, err := s.svc.SetWorkers(s.customer, k.ID, deploy.WorkersInput{Count: 6, ClientKey: "workers-6"}); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("6 workers = %v, want EINVALID", err)
	}
	d, err := s.svc.SetWorkers(s.customer, k.ID, deploy.WorkersInput{Count: 3, ClientKey: "workers-3"})
	if err != nil {
		t.Fatal(err)
	}
	var o billing.Order
	if err := s.d.Owner(t).Get(&o.Amount, `SELECT amount_cents FROM orders WHERE client_key = 'workers-3'`); err != nil {
		t.Fatal(err)
	}
	diff := quote(3) - quote(1)
	if want := diff / 2; o.Amount != want {
		t.Errorf("prorated charge %d, want half of %d = %d", o.Amount, diff, want)
	}
	if err := s.svc.Provision(s.system(), k.ID); err != nil { // the owed task
		t.Fatal(err)
	}
	d, _ = s.svc.Get(s.customer, k.ID)
	p, _ := s.wallet.Project(ctx, deploy.ProjectName(k.ID))
	if len(d.Workers) != 3 || p.K8s == nil || len(p.K8s.Workers) != 3 {
		t.Fatalf("after adding: workers %+v, grid %+v", d.Workers, p.K8s)
	}
	if got := sub().RenewalCents; got != quote(3) {
		t.Errorf("renewal after adding = %d, want the three-worker price %d", got, quote(3))
	}
	// Down to one: no charge, lower renewal, two workers' contracts gone.
	orders := s.orders(t)
	if _, err := s.svc.SetWorkers(s.customer, k.ID, deploy.WorkersInput{Count: 1, ClientKey: "workers-1"}); err != nil {
		t.Fatal(err)
	}
	if s.orders(t) != orders {
		t.Error("removing workers placed an order")
	}
	if got := sub().RenewalCents; got != quote(1) {
		t.Errorf("renewal after removing = %d, want the one-worker price %d", got, quote(1))
	}
	if err := s.svc.Provision(s.system(), k.ID); err != nil {
		t.Fatal(err)
	}
	d, _ = s.svc.Get(s.customer, k.ID)
	p, _ = s.wallet.Project(ctx, deploy.ProjectName(k.ID))
	if len(d.Workers) != 1 || len(p.K8s.Workers) != 1 {
		t.Fatalf("after removing: workers %+v, grid %+v", d.Workers, p.K8s.Workers)
	}
	var live int
	if err := s.d.Owner(t).Get(&live, `SELECT count(*) FROM grid_contracts WHERE project = $1 AND canceled_at IS NULL`, deploy.ProjectName(k.ID)); err != nil {
		t.Fatal(err)
	}
	if live != len(p.Contracts) {
		t.Errorf("%d contracts live on record, the grid has %d", live, len(p.Contracts))
	}
	// A declined card adds nothing, and does not block the next try.
	si, err := s.bill.NewSetupIntent(s.customer)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.bill.MockConfirmSetup(s.customer, si.ID, "pm_card_chargeDeclined"); err != nil {
		t.Fatal(err)
	}
	_, err = s.svc.SetWorkers(s.customer, k.ID, deploy.WorkersInput{Count: 2, PaymentMethod: "pm_card_chargeDeclined", ClientKey: "workers-2-declined"})
	if e := (*fiatdashboard.Error)(nil); !asError(err, &e) || e.Code != fiatdashboard.EINVALID || e.Field != "payment_method" {
		t.Fatalf("workers paid with a declined card = %v; want EINVALID on payment_method", err)
	}
	if d, _ = s.svc.Get(s.customer, k.ID); d.WorkersPending != nil {
		t.Errorf("a declined change is pending: %+v", d.WorkersPending)
	}
	if err := s.svc.Provision(s.system(), k.ID); err != nil {
		t.Fatal(err)
	}
	if d, _ = s.svc.Get(s.customer, k.ID); len(d.Workers) != 1 || sub().RenewalCents != quote(1) {
		t.Fatalf("after a declined card: %d workers, renewal %d; want 1 and %d", len(d.Workers), sub().RenewalCents, quote(1))
	}
	if _, err := s.svc.SetWorkers(s.customer, k.ID, deploy.WorkersInput{Count: 2, PaymentMethod: "pm_card_visa", ClientKey: "workers-2-visa"}); err != nil {
		t.Fatalf("a new try after the declined card: %v", err)
	}
	if err := s.svc.Provision(s.system(), k.ID); err != nil {
		t.Fatal(err)
	}
	if d, _ = s.svc.Get(s.customer, k.ID); len(d.Workers) != 2 || sub().RenewalCents != quote(2) {
		t.Errorf("after paying: %d workers, renewal %d; want 2 and %d", len(d.Workers), sub().RenewalCents, quote(2))
	}

	// A card that needs the customer's authentication: the change waits,
	// shown on the deployment with its order; another change is refused
	// meanwhile; once authenticated and paid, the workers come.
	si, err = s.bill.NewSetupIntent(s.customer)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.bill.MockConfirmSetup(s.customer, si.ID, "pm_card_authenticationRequired"); err != nil {
		t.Fatal(err)
	}
	d, err = s.svc.SetWorkers(s.customer, k.ID, deploy.WorkersInput{Count: 3, PaymentMethod: "pm_card_authenticationRequired", ClientKey: "workers-3-sca"})
	if err != nil || d.WorkersPending == nil || d.WorkersPending.Count != 3 || len(d.Workers) != 2 {
		t.Fatalf("a change waiting for authentication = %+v, %v", d, err)
	}
	if _, err := s.svc.SetWorkers(s.customer, k.ID, deploy.WorkersInput{Count: 4, ClientKey: "workers-4-meanwhile"}); fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		t.Errorf("a change while one waits = %v, want ECONFLICT", err)
	}
	if _, err := s.bill.MockAuthenticate(s.customer, uuid.MustParse(d.WorkersPending.OrderID)); err != nil {
		t.Fatal(err)
	}
	if err := s.svc.Provision(s.system(), k.ID); err != nil {
		t.Fatal(err)
	}
	if d, _ = s.svc.Get(s.customer, k.ID); len(d.Workers) != 3 || d.WorkersPending != nil || sub().RenewalCents != quote(3) {
		t.Errorf("after authenticating: %d workers, pending %+v, renewal %d; want 3, none, %d", len(d.Workers), d.WorkersPending, sub().RenewalCents, quote(3))
	}

	// Only the customer's own cluster.
	other := tenant.WithActor(tenant.WithID(ctx, s.tenantID), tenant.Actor{Kind: tenant.ActorUser, ID: createCustomer(t, s.world, "bob@demo.test")})
	if _, err := s.svc.SetWorkers(other, k.ID, deploy.WorkersInput{Count: 2, ClientKey: "workers-bob"}); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("another customer's change = %v, want ENOTFOUND", err)
	}
}

var _ = uuid.Nil

// TestAppsSurviveNodeFailures: when a cluster worker's node goes offline
// the health job replaces that worker with a new one on a node that is up
// (the control plane untouched); when a Nextcloud's node goes offline it
// is re-created elsewhere behind the same gateway address.
func TestAppsSurviveNodeFailures(t *testing.T) {
	s := appShop(t)
	ctx := context.Background()
	k := s.runApp(t, "cluster", deploy.AppKubernetes, `{"workers": 2, "worker_size": "small", "master_size": "small"}`)
	lost := k.Workers[0]
	if lost.NodeID == *k.NodeID {
		t.Fatalf("worker %s shares the control plane's node %d", lost.Name, lost.NodeID)
	}
	if err := s.sim.SetNodeStatus(lost.NodeID, grid.NodeDown); err != nil {
		t.Fatal(err)
	}
	if n, err := s.svc.CheckHealth(ctx); err != nil || n < 1 {
		t.Fatalf("health = %d, %v; want the cluster repaired", n, err)
	}
	got, _ := s.svc.Get(s.customer, k.ID)
	if got.Status != deploy.Running || len(got.Workers) != 2 || *got.NodeID != *k.NodeID {
		t.Fatalf("after the worker's node failed: %s, workers %+v, control plane on %d (was %d)", got.Status, got.Workers, *got.NodeID, *k.NodeID)
	}
	for _, w := range got.Workers {
		if w.NodeID == lost.NodeID || w.Name == lost.Name {
			t.Errorf("worker %s on node %d: the lost worker %s (node %d) is still in the cluster", w.Name, w.NodeID, lost.Name, lost.NodeID)
		}
	}
	p, err := s.wallet.Project(ctx, deploy.ProjectName(k.ID))
	if err != nil || p.K8s == nil || len(p.K8s.Workers) != 2 {
		t.Fatalf("grid cluster = %+v, %v", p.K8s, err)
	}
	for _, w := range p.K8s.Workers {
		if w.NodeID == lost.NodeID {
			t.Errorf("the grid still runs a worker on the failed node %d", lost.NodeID)
		}
	}

	nc := s.runApp(t, "files", deploy.AppNextcloud, `{}`)
	url := urlOf(nc, "Nextcloud")
	if err := s.sim.SetNodeStatus(*nc.NodeID, grid.NodeDown); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.CheckHealth(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.catalog.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.svc.Provision(s.system(), nc.ID); err != nil {
		t.Fatalf("re-provision: %v", err)
	}
	after, _ := s.svc.Get(s.customer, nc.ID)
	if after.Status != deploy.Running || *after.NodeID == *nc.NodeID || urlOf(after, "Nextcloud") != url {
		t.Errorf("nextcloud after its node failed: %s on node %d (was %d), URL %q (was %q)", after.Status, *after.NodeID, *nc.NodeID, urlOf(after, "Nextcloud"), url)
	}
}
