package rbac_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/jobs/jobstest"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

func TestKeyringSealsAndRotates(t *testing.T) {
	k := func(id string, b byte) string {
		return id + ":" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(b), 32)))
	}
	old, err := rbac.ParseKeyring(k("k1", 'a'))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.Seal("totp", []byte("JBSWY3DPEHPK3PXP"))
	if err != nil || strings.Contains(sealed, "JBSWY3DPEHPK3PXP") || !strings.HasPrefix(sealed, "k1$") {
		t.Fatalf("sealed = %q, %v; want k1$ and no plaintext", sealed, err)
	}
	rotated, _ := rbac.ParseKeyring(k("k2", 'b') + "," + k("k1", 'a'))
	if got, err := rotated.Open("totp", sealed); err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Errorf("rotated ring opens %q, %v; want the secret", got, err)
	}
	if _, err := rotated.Open("other purpose", sealed); err == nil {
		t.Error("a value sealed for one purpose opened for another")
	}
	dropped, _ := rbac.ParseKeyring(k("k2", 'b'))
	if _, err := dropped.Open("totp", sealed); err == nil {
		t.Error("a ring without k1 opened a k1 value")
	}
	for _, bad := range []string{"", "nokid", "k1:short", "k1:!!!"} {
		if _, err := rbac.ParseKeyring(bad); err == nil {
			t.Errorf("ParseKeyring(%q) accepted", bad)
		}
	}
}

// TestPolicyChangesReachOtherInstances proves a role granted through one
// instance's Authorizer is enforced by another's (PostgreSQL adapter + Redis
// pub/sub watcher), and that policy survives a reload from the database.
func TestPolicyChangesReachOtherInstances(t *testing.T) {
	d := dbtest.New(t)
	r := jobstest.New(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a1, err := rbac.NewAuthorizer(ctx, d.App, r.Client, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a1.Close()
	a2, err := rbac.NewAuthorizer(ctx, d.App, r.Client, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()

	tn, err := tenant.NewStore(d.App).Create(ctx, tenant.NewTenant{Slug: "alpha", Name: "Alpha", Status: tenant.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := rbac.ParseKeyring("t:" + base64.StdEncoding.EncodeToString(make([]byte, 32)))
	svc := rbac.NewService(d.App, r.Client, a1, rbac.NewOutbox(d.App), keys, nil, log)
	owner, err := rbac.NewStore(d.App).EnsureAccount(ctx, tn.ID, "owner@alpha.test", "a long enough passphrase", rbac.RoleOwner)
	if err != nil {
		t.Fatal(err)
	}
	a1.Reload()
	a2.Reload()
	tctx := tenant.WithID(ctx, tn.ID)
	ownerCtx := tenant.WithActor(tctx, tenant.Actor{Kind: tenant.ActorUser, ID: owner, Name: "owner@alpha.test", MFA: true})
	if err := svc.InviteMember(ownerCtx, "staff@alpha.test", rbac.RoleSupport, rbac.ClientMeta{Origin: "http://alpha.localhost"}); err != nil {
		t.Fatal(err)
	}
	var staff uuid.UUID
	if err := tenant.InTx(tctx, d.App, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &staff, `SELECT id FROM accounts WHERE email = 'staff@alpha.test'`)
	}); err != nil {
		t.Fatal(err)
	}
	staffCtx := tenant.WithActor(tctx, tenant.Actor{Kind: tenant.ActorUser, ID: staff})
	if err := a1.Require(staffCtx, "admin/members", "read"); err != nil {
		t.Fatalf("instance 1 (which granted): %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for a2.Require(staffCtx, "admin/members", "read") != nil {
		if time.Now().After(deadline) {
			t.Fatal("instance 2 did not learn the new role within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := a2.Require(staffCtx, "admin/members", "write"); err == nil {
		t.Error("support may write members on instance 2")
	}
	a3, err := rbac.NewAuthorizer(ctx, d.App, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := a3.Require(staffCtx, "admin/members", "read"); err != nil {
		t.Errorf("a fresh instance loading from PostgreSQL: %v", err)
	}
	if err := a3.Require(tenant.WithActor(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: staff}), "admin/members", "read"); err == nil {
		t.Error("tenant support role worked in the platform domain")
	}
	if err := a3.Require(ctx, "admin/members", "read"); err == nil {
		t.Error("Require without an actor succeeded")
	}
}

// TestSealedSecretsAreBoundToTheirTenant proves a value sealed for one
// tenant does not open for another (a blob copied between tenants' rows
// stays shut), and that a value sealed before binding still opens for
// `keys rotate` to re-seal.
func TestSealedSecretsAreBoundToTheirTenant(t *testing.T) {
	kr, err := rbac.ParseKeyring("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	a, b := uuid.New(), uuid.New()
	sealed, err := kr.SealFor("treasury", a, []byte("twelve words"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := kr.OpenFor("treasury", a, sealed); err != nil || string(got) != "twelve words" {
		t.Fatalf("own tenant opens %q, %v", got, err)
	}
	if _, err := kr.OpenFor("treasury", b, sealed); err == nil {
		t.Error("a value sealed for tenant A opened for tenant B")
	}
	if _, err := kr.Open("treasury", sealed); err == nil {
		t.Error("a tenant-bound value opened without its tenant")
	}
	legacy, _ := kr.Seal("treasury", []byte("old"))
	if got, err := kr.OpenFor("treasury", a, legacy); err != nil || string(got) != "old" {
		t.Errorf("a value sealed before binding: %q, %v", got, err)
	}
}
