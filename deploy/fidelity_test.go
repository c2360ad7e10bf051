package deploy_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
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
	s.svc.SetSealer(newer)
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
