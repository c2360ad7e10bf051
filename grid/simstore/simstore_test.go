package simstore_test

import (
	"context"
	"encoding/base64"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
	"github.com/fiatdashboard/fiatdashboard/grid/gridtest"
	"github.com/fiatdashboard/fiatdashboard/grid/simstore"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/rbac"
)

var ctx = context.Background()

func keys(t *testing.T) *rbac.Keyring {
	k, err := rbac.ParseKeyring("m1:" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestContract runs the grid contract suite against the shared simulator:
// journaling and replaying calls changes none of the simulator's answers.
func TestContract(t *testing.T) {
	d := dbtest.New(t)
	var seed atomic.Uint64
	gridtest.Run(t, func(t *testing.T) (grid.Grid, gridtest.Fixture) {
		// One database; each test its own world (seed).
		s, err := simstore.Open(ctx, d.App, keys(t), gridsim.Config{Seed: 42 + seed.Add(1)})
		if err != nil {
			t.Fatal(err)
		}
		poor, err := s.CreateTwin(1, true)
		if err != nil {
			t.Fatal(err)
		}
		unverified, err := s.CreateTwin(1_000*grid.UnitsPerTFT, false)
		if err != nil {
			t.Fatal(err)
		}
		return s, gridtest.Fixture{Unverified: s.AsTwin(unverified), Poor: s.AsTwin(poor), NoSSHKey: s.WithoutSSHKey()}
	})
}

// TestProcessesShareOneGrid opens the simulator twice on one database, as
// serve and worker do, and a third time as a restarted process: a twin
// created by one, contracts deployed by another, capacity they take, and a
// cancellation are seen by all.
func TestProcessesShareOneGrid(t *testing.T) {
	d := dbtest.New(t)
	cfg := gridsim.Config{Seed: 7}
	serve, err := simstore.Open(ctx, d.App, keys(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	worker, err := simstore.Open(ctx, d.App, keys(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	const mnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	twin, err := serve.CreateTwinForMnemonic(mnemonic, 500*grid.UnitsPerTFT, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := worker.TwinOfMnemonic(ctx, mnemonic); err != nil || got != twin {
		t.Fatalf("worker sees twin %d (%v) for the phrase; serve created %d", got, err, twin)
	}
	// The twin exists once: the chain allows one twin per account.
	if _, err := worker.CreateTwinForMnemonic(mnemonic, 1, true); fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		t.Fatalf("second twin for one phrase through another process: %v; want ECONFLICT", err)
	}
	page, err := serve.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, Dedicated: new(bool),
		MinFree: grid.Resources{CRU: 2, MRU: 4 << 30, SRU: 50 << 30}, Page: grid.Page{Size: 1}})
	if err != nil || len(page.Nodes) == 0 {
		t.Fatalf("no node: %v", err)
	}
	node := page.Nodes[0]
	spec := grid.VMSpec{Name: "vm", NodeID: node.ID, Flist: "https://hub.grid.tf/tf-official-vms/ubuntu-24.04-full.flist", CPU: 2,
		Memory: 4 << 30, RootFS: 50 << 30, SSHKeys: []string{"ssh-ed25519 AAAA test"}}
	p, err := worker.AsTwin(twin).DeployVM(ctx, "fd-shared", spec)
	if err != nil {
		t.Fatal(err)
	}
	seen, err := serve.AsTwin(twin).Project(ctx, "fd-shared")
	if err != nil {
		t.Fatalf("serve does not see the project the worker deployed: %v", err)
	}
	if len(seen.Contracts) != len(p.Contracts) || len(p.Contracts) == 0 {
		t.Fatalf("serve sees %d contracts, the worker created %d", len(seen.Contracts), len(p.Contracts))
	}
	after, err := serve.Node(ctx, node.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Used.CRU != node.Used.CRU+2 {
		t.Fatalf("serve sees node %d using %d CRU after the worker's deploy; it used %d before", node.ID, after.Used.CRU, node.Used.CRU)
	}
	// Deploying again through serve is the same project (idempotent by name).
	again, err := serve.AsTwin(twin).DeployVM(ctx, "fd-shared", spec)
	if err != nil || len(again.Contracts) != len(p.Contracts) {
		t.Fatalf("redeploy through the other process: %v, %d contracts; want the same %d", err, len(again.Contracts), len(p.Contracts))
	}

	restarted, err := simstore.Open(ctx, d.App, keys(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := restarted.AsTwin(twin).Project(ctx, "fd-shared"); err != nil || len(got.Contracts) != len(p.Contracts) {
		t.Fatalf("a restarted process sees %v (%v); want the project's %d contracts", got.Contracts, err, len(p.Contracts))
	}
	if err := restarted.AsTwin(twin).CancelProject(ctx, "fd-shared"); err != nil {
		t.Fatal(err)
	}
	if _, err := worker.AsTwin(twin).Project(ctx, "fd-shared"); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Fatalf("the worker still sees the project the restarted process cancelled: %v", err)
	}
	// A view as a twin that does not exist answers ENOTFOUND, not a panic.
	if _, err := serve.AsTwin(99_999).Project(ctx, "x"); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Fatalf("unknown twin: %v; want ENOTFOUND", err)
	}
}

// TestJournalIsSealed: the journal holds recovery phrases; none is stored
// in the clear.
func TestJournalIsSealed(t *testing.T) {
	d := dbtest.New(t)
	s, err := simstore.Open(ctx, d.App, keys(t), gridsim.Config{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	const mnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	if _, err := s.CreateTwinForMnemonic(mnemonic, 1, true); err != nil {
		t.Fatal(err)
	}
	var n, clear int
	if err := d.App.QueryRowx(`SELECT count(*), count(*) FILTER (WHERE op LIKE '%abandon%') FROM gridsim_journal`).Scan(&n, &clear); err != nil {
		t.Fatal(err)
	}
	if n != 1 || clear != 0 {
		t.Fatalf("journal: %d entries, %d with the phrase in the clear; want 1 and 0", n, clear)
	}
}

// TestAppsPersist: a cluster, its workers, a name gateway and an FQDN
// gateway made through one process are seen, and their names and
// domains held, by another and by a restarted one.
func TestAppsPersist(t *testing.T) {
	d := dbtest.New(t)
	cfg := gridsim.Config{Seed: 11}
	serve, err := simstore.Open(ctx, d.App, keys(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	worker, err := simstore.Open(ctx, d.App, keys(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	page, err := serve.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, Dedicated: new(bool),
		MinFree: grid.Resources{CRU: 4, MRU: 8 << 30, SRU: 50 << 30}, Page: grid.Page{Size: 2}})
	if err != nil || len(page.Nodes) < 2 {
		t.Fatalf("no nodes: %v", err)
	}
	gws, err := serve.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, Gateway: true})
	if err != nil || len(gws.Nodes) == 0 {
		t.Fatalf("no gateway node: %v", err)
	}
	gw := gws.Nodes[0]
	k := func(name string, node uint32) grid.K8sNode {
		return grid.K8sNode{Name: name, NodeID: node, CPU: 1, Memory: 2 << 30, DiskSize: 10 << 30}
	}
	spec := grid.K8sSpec{Master: k("master", page.Nodes[0].ID), Token: "persist12345"}
	if _, err := worker.DeployKubernetes(ctx, "fd-k8s", spec); err != nil {
		t.Fatal(err)
	}
	if _, err := serve.SetK8sWorkers(ctx, "fd-k8s", []grid.K8sNode{k("w1", page.Nodes[1].ID)}); err != nil {
		t.Fatal(err)
	}
	p, err := worker.DeployGateway(ctx, "fd-k8s", grid.GatewaySpec{NodeID: gw.ID, Name: "persisted", Backends: []string{"http://185.69.166.10:80"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.PointDNS("shop.example.com", gw.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := worker.DeployGateway(ctx, "fd-k8s", grid.GatewaySpec{NodeID: gw.ID, FQDN: "shop.example.com", Backends: []string{"http://185.69.166.10:80"}}); err != nil {
		t.Fatalf("an FQDN whose DNS another process set: %v", err)
	}
	restarted, err := simstore.Open(ctx, d.App, keys(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := restarted.Project(ctx, "fd-k8s")
	if err != nil || got.K8s == nil || len(got.K8s.Workers) != 1 || len(got.Gateways) != 2 || len(got.Contracts) != len(p.Contracts)+1 {
		t.Fatalf("a restarted process sees %+v (%v)", got, err)
	}
	kc, err := serve.Kubeconfig(ctx, "fd-k8s")
	if again, _ := restarted.Kubeconfig(ctx, "fd-k8s"); err != nil || kc == "" || kc != again {
		t.Fatalf("kubeconfigs differ between processes (%v)", err)
	}
	if _, err := restarted.DeployGateway(ctx, "fd-other", grid.GatewaySpec{NodeID: gw.ID, Name: "persisted", Backends: []string{"http://185.69.166.10:80"}}); fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
		t.Fatalf("the name a worker holds, through a restarted process: %v; want ECONFLICT", err)
	}
	if err := restarted.CancelProject(ctx, "fd-k8s"); err != nil {
		t.Fatal(err)
	}
	if _, err := worker.Project(ctx, "fd-k8s"); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Fatalf("the worker still sees the cancelled cluster: %v", err)
	}
}

// TestSetupsPersist: a LiveKit VM's setup, a failed one and its retry,
// and an adapter without an SSH key, through one process, are seen by a
// restarted one; the setup's script (its secret) is journaled sealed, and
// replayed whole (a retry with the same spec is the same VM).
func TestSetupsPersist(t *testing.T) {
	d := dbtest.New(t)
	cfg := gridsim.Config{Seed: 13}
	worker, err := simstore.Open(ctx, d.App, keys(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	page, err := worker.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, Dedicated: new(bool), PublicIPv4: true,
		MinFree: grid.Resources{CRU: 4, MRU: 8 << 30, SRU: 50 << 30}, Page: grid.Page{Size: 2}})
	if err != nil || len(page.Nodes) < 2 {
		t.Fatalf("no nodes: %v", err)
	}
	const secret = "PersistSecret0123456789abcdefghijkl"
	spec := func(node uint32) grid.VMSpec {
		return grid.VMSpec{Name: "lk", NodeID: node, Flist: grid.LiveKitFlist, CPU: 2, Memory: 4 << 30, RootFS: 20 << 30,
			PublicIPv4: true, Mycelium: true, SSHKeys: []string{"ssh-ed25519 AAAA test"},
			Setup: grid.LiveKitSetup("APIpersist", secret, "lk.example.com")}
	}
	if _, err := worker.WithoutSSHKey().DeployVM(ctx, "fd-keyless", spec(page.Nodes[0].ID)); fiatdashboard.ErrorCode(err) != fiatdashboard.EUNAVAILABLE {
		t.Fatalf("a setup through an adapter without a key: %v; want EUNAVAILABLE", err)
	}
	if _, err := worker.DeployVM(ctx, "fd-lk", spec(page.Nodes[0].ID)); err != nil {
		t.Fatal(err)
	}
	worker.FailSetups(1)
	failed, err := worker.DeployVM(ctx, "fd-lk-fails", spec(page.Nodes[1].ID))
	if grid.FailureReason(err) != grid.ReasonDeployFailed || len(failed.Contracts) == 0 {
		t.Fatalf("a failed setup: %v with %d contracts; want deploy_failed with the contracts", err, len(failed.Contracts))
	}

	restarted, err := simstore.Open(ctx, d.App, keys(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]grid.SetupStatus{"fd-lk": grid.SetupDone, "fd-lk-fails": grid.SetupFailed} {
		p, err := restarted.Project(ctx, name)
		if err != nil || len(p.VMs) != 1 || p.VMs[0].Setup == nil || p.VMs[0].Setup.Status != want || p.VMs[0].Setup.Service != grid.LiveKitService {
			t.Fatalf("a restarted process sees %s as %+v (%v); want its setup %s", name, p.VMs, err, want)
		}
	}
	if _, err := restarted.Project(ctx, "fd-keyless"); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Fatalf("the keyless refusal left a project: %v", err)
	}
	// The retry through the restarted process is the same VM (its spec,
	// script included, was replayed) and runs the failed setup again.
	again, err := restarted.DeployVM(ctx, "fd-lk-fails", spec(page.Nodes[1].ID))
	if err != nil || again.VMs[0].Setup.Status != grid.SetupDone || len(again.Contracts) != len(failed.Contracts) {
		t.Fatalf("retry through a restarted process: %v, %+v", err, again.VMs)
	}
	var clear int
	if err := d.App.QueryRowx(`SELECT count(*) FILTER (WHERE op LIKE '%' || $1 || '%') FROM gridsim_journal`, secret).Scan(&clear); err != nil {
		t.Fatal(err)
	}
	if clear != 0 {
		t.Fatalf("%d journal entries hold the setup's secret in the clear", clear)
	}
}
