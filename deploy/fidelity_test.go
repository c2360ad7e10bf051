package deploy_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TestFailureCancelsTheReturnedContractsBeforeTheRefund: the indexers
// list nothing new (an hour of lag), the first attempt times out after the
// VM's contracts exist, and the standby is then refused for good. The
// contracts the deployer returned are cancelled, by id, before the refund:
// none is left billing.
func TestFailureCancelsTheReturnedContractsBeforeTheRefund(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	s.sim.SetIndexerLag(time.Hour)
	d := s.order(t, "lagging", "vm")
	name := deploy.ProjectName(d.ID)
	s.sim.InjectFault(gridsim.Fault{Kind: gridsim.FaultDeployTimesOut, Times: 1})
	if err := s.svc.Provision(s.system(), d.ID); err == nil {
		t.Fatal("a timed-out deploy reported success")
	}
	var ids []int64
	if err := s.d.Owner(t).Select(&ids, `SELECT contract_id FROM grid_contracts WHERE project = $1 ORDER BY contract_id`, name); err != nil {
		t.Fatal(err)
	}
	if len(ids) == 0 {
		t.Fatal("the contracts DeployVM returned with its timeout were not recorded")
	}
	known := make([]uint64, len(ids))
	for i, id := range ids {
		known[i] = uint64(id)
	}
	if _, err := s.wallet.Project(ctx, name); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Fatalf("the indexers list the project inside the lag: %v", err)
	}
	got, _ := s.svc.Get(s.customer, d.ID)
	// Every other node now refuses the twin: the standby fails for good.
	for id := uint32(1); id <= gridsim.DefaultNodes; id++ {
		if id != *got.NodeID {
			if err := s.sim.InjectNodeFault(id, gridsim.Fault{Kind: gridsim.FaultKYCMissing}); err != nil {
				t.Fatal(err)
			}
		}
	}
	err := s.svc.Provision(s.system(), d.ID)
	if err == nil || !strings.Contains(err.Error(), deploy.ErrPermanent.Error()) {
		t.Fatalf("the refused standby = %v, want a permanent failure", err)
	}
	if p, err := s.wallet.Project(ctx, name, known...); fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		t.Errorf("after the failure contracts %v still bill (%v); want every returned contract cancelled", p.ContractIDs(), err)
	}
	after, _ := s.svc.Get(s.customer, d.ID)
	if after.Status != deploy.Failed || after.Order == nil || after.Order.Status != billing.OrderRefunded {
		t.Errorf("after the failure: %s, order %+v; want failed and refunded", after.Status, after.Order)
	}
	var open int
	if err := s.d.Owner(t).Get(&open, `SELECT count(*) FROM grid_contracts WHERE project = $1 AND canceled_at IS NULL`, name); err != nil || open != 0 {
		t.Errorf("%d contracts still on record as live (%v)", open, err)
	}
}

// TestQSFSSecretsAreRandomSealedAndRotated: a QSFS deployment's zdb
// password and key are drawn at random, stored only sealed, reused by a
// retry, differ between deployments, and `keys rotate` re-seals them with
// the newest key.
func TestQSFSSecretsAreRandomSealedAndRotated(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	a, b := s.order(t, "vault-a", "qsfs"), s.order(t, "vault-b", "qsfs")
	for _, d := range []*deploy.Deployment{a, b} {
		if err := s.svc.Provision(s.system(), d.ID); err != nil {
			t.Fatalf("provision %s: %v", d.Name, err)
		}
		p, err := s.wallet.Project(ctx, deploy.ProjectName(d.ID))
		if err != nil || len(p.QSFS) != 1 || p.QSFS[0].Health != grid.Healthy {
			t.Fatalf("%s: QSFS %+v, %v; want one healthy swarm deployed with the VM", d.Name, p.QSFS, err)
		}
	}
	type row struct {
		ID string `db:"deployment_id"`
		P  string `db:"zdb_password_enc"`
		K  string `db:"encrypt_key_enc"`
	}
	var rows []row
	if err := s.d.Owner(t).Select(&rows, `SELECT deployment_id::text, zdb_password_enc, encrypt_key_enc FROM deployment_secrets ORDER BY deployment_id`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d sealed secret rows, want one per QSFS deployment", len(rows))
	}
	keys := testKeyring(t)
	open := func(k *rbac.Keyring, sealed string) string {
		t.Helper()
		v, err := k.Open("qsfs", sealed)
		if err != nil {
			t.Fatalf("open a sealed secret: %v", err)
		}
		return string(v)
	}
	var plain []string
	for _, r := range rows {
		pw, key := open(keys, r.P), open(keys, r.K)
		if _, err := hex.DecodeString(key); err != nil || len(key) != 64 || len(pw) < 16 {
			t.Errorf("secrets of %s: a %d-character password and a %d-character key", r.ID, len(pw), len(key))
		}
		id := strings.ReplaceAll(r.ID, "-", "")
		if strings.Contains(pw, id) || strings.Contains(key, id) || strings.Contains(r.P, pw) || strings.Contains(r.K, key) {
			t.Errorf("secrets of %s derive from its id or sit unsealed", r.ID)
		}
		plain = append(plain, pw, key)
	}
	if plain[0] == plain[2] || plain[1] == plain[3] {
		t.Error("two deployments share QSFS secrets")
	}
	// A retry opens the same secrets: the grid is asked for the same QSFS.
	if err := s.svc.Provision(s.system(), a.ID); err != nil {
		t.Fatal(err)
	}

	// Rotation: a new key in front; every row is re-sealed under it.
	newer, err := rbac.ParseKeyring("n2:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{6}, 32)) +
		",dt:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	s.rebuild(func(o *deploy.Options) { o.Sealer = newer })
	n, err := s.svc.RotateSecrets(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("rotate = %d, %v; want 2", n, err)
	}
	onlyNew, _ := rbac.ParseKeyring("n2:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{6}, 32)))
	var after []row
	if err := s.d.Owner(t).Select(&after, `SELECT deployment_id::text, zdb_password_enc, encrypt_key_enc FROM deployment_secrets ORDER BY deployment_id`); err != nil {
		t.Fatal(err)
	}
	for i, r := range after {
		if got := []string{open(onlyNew, r.P), open(onlyNew, r.K)}; !slices.Equal(got, plain[2*i:2*i+2]) {
			t.Errorf("rotated secrets of %s changed their values", r.ID)
		}
	}
}

// TestEarningsShowTheExtraFeeOnItsOwnLine: a rent of a node whose farmer
// asks an extra fee bills the rent and the fee; the operator's earnings show
// the usage (half of it the farmer's) and the extra fee (all of it the
// farmer's) on separate lines, from the stored bills.
func TestEarningsShowTheExtraFeeOnItsOwnLine(t *testing.T) {
	w := newWorld(t)
	ctx := tenant.WithID(context.Background(), w.tenantID)
	var node grid.Node
	for _, n := range allNodes(t, w.sim, grid.NodeFilter{GPU: true, Rentable: true, Status: []grid.NodeStatus{grid.NodeUp}}) {
		if n.ExtraFeeMUSDMonth > 0 {
			node = n
			break
		}
	}
	if node.ID == 0 {
		t.Fatal("no rentable node with an extra fee in the simulator")
	}
	if _, err := w.d.Owner(t).Exec(`INSERT INTO operator_nodes (node_id, account_id, farm_id) VALUES ($1, $2, $3)`,
		node.ID, mustActor(w.operator).ID, node.FarmID); err != nil {
		t.Fatal(err)
	}
	spec := grid.VMSpec{Name: "vm", Flist: "https://hub.grid.tf/tf-official-vms/ubuntu-24.04-full.flist", NodeID: node.ID,
		CPU: 2, Memory: 4 << 30, RootFS: 50 << 30, Mycelium: true, Rent: true, GPUs: []string{node.GPUs[0].ID}}
	p, err := w.sim.DeployVM(ctx, "dep-rent", spec)
	if err != nil {
		t.Fatal(err)
	}
	if vm, _ := p.VM("vm"); !slices.Equal(vm.GPUs, spec.GPUs) {
		t.Errorf("the VM lists GPUs %v, want %v", vm.GPUs, spec.GPUs)
	}
	if err := w.svc.RecordContracts(ctx, "dep-rent", p.Contracts); err != nil {
		t.Fatal(err)
	}
	start := w.sim.Now()
	w.sim.Advance(3 * time.Hour)
	if _, err := w.svc.SyncBills(ctx); err != nil {
		t.Fatal(err)
	}
	lines, err := w.svc.Earnings(w.operator, start, w.sim.Now().Add(time.Hour), big.NewRat(1, 100))
	if err != nil {
		t.Fatal(err)
	}
	var usage, extra *deploy.EarningLine
	for i := range lines {
		switch lines[i].Kind {
		case "usage":
			usage = &lines[i]
		case "extra_fee":
			extra = &lines[i]
		}
	}
	if usage == nil || extra == nil {
		t.Fatalf("earnings %+v; want a usage line and an extra fee line", lines)
	}
	q, _ := w.sim.Quote(ctx, grid.Workload{ExtraFeeMUSDMonth: node.ExtraFeeMUSDMonth, Dedicated: true})
	if extra.Billed != 3*q.ExtraFeeTFTHour || extra.Earned != extra.Billed {
		t.Errorf("extra fee line billed %s earned %s; want 3 hours of %s, all the farmer's", extra.Billed, extra.Earned, q.ExtraFeeTFTHour)
	}
	// Half of each bill, each rounded down: at most a unit per bill below half the sum.
	if usage.Billed == 0 || usage.Earned > usage.Billed/2 || usage.Earned < usage.Billed/2-3 {
		t.Errorf("usage line billed %s earned %s; want half", usage.Billed, usage.Earned)
	}
}

func allNodes(t *testing.T, g grid.Grid, f grid.NodeFilter) []grid.Node {
	t.Helper()
	f.Page = grid.Page{Size: grid.MaxPageSize}
	var out []grid.Node
	for n := 1; ; n++ {
		f.Page.Number = n
		page, err := g.ListNodes(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Nodes...)
		if len(out) >= page.Total || len(page.Nodes) == 0 {
			return out
		}
	}
}
