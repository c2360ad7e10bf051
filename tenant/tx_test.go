package tenant_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

func mustTenant(t *testing.T, s *tenant.Store, slug string) *tenant.Tenant {
	t.Helper()
	tn, err := s.Create(context.Background(), tenant.NewTenant{Slug: slug, Name: slug + " cloud", Status: tenant.StatusActive})
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return tn
}

func auditAs(t *testing.T, ctx context.Context, d *dbtest.DB, action string) int64 {
	t.Helper()
	var id int64
	err := tenant.InTx(ctx, d.App, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &id, `INSERT INTO audit_events (tenant_id, actor, action) VALUES ($1, 'test', $2) RETURNING id`, tx.TenantID(), action)
	})
	if err != nil {
		t.Fatalf("insert audit event: %v", err)
	}
	return id
}

// TestInTxIsolatesTenants proves that through InTx, connected as the
// application role, tenant A can neither read, update, delete nor insert
// tenant B's rows.
func TestInTxIsolatesTenants(t *testing.T) {
	d := dbtest.New(t)
	store := tenant.NewStore(d.App)
	a, b := mustTenant(t, store, "alpha"), mustTenant(t, store, "bravo")
	ctxA := tenant.WithID(context.Background(), a.ID)
	ctxB := tenant.WithID(context.Background(), b.ID)
	auditAs(t, ctxA, d, "a.one")
	bRow := auditAs(t, ctxB, d, "b.one")

	err := tenant.InTx(ctxA, d.App, func(tx *tenant.Tx) error {
		var actions []string
		if err := tx.SelectContext(ctxA, &actions, `SELECT action FROM audit_events ORDER BY id`); err != nil {
			return err
		}
		if len(actions) != 1 || actions[0] != "a.one" {
			t.Errorf("tenant A reads %v, want only its own [a.one]", actions)
		}
		var n int
		if err := tx.GetContext(ctxA, &n, `SELECT count(*) FROM audit_events WHERE tenant_id = $1`, b.ID); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("tenant A counts %d of B's rows by tenant_id, want 0", n)
		}
		res, err := tx.ExecContext(ctxA, `UPDATE audit_events SET action = 'hijacked' WHERE id = $1`, bRow)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("tenant A updated %d of B's rows, want 0", n)
		}
		res, err = tx.ExecContext(ctxA, `DELETE FROM audit_events WHERE id = $1`, bRow)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("tenant A deleted %d of B's rows, want 0", n)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("tenant A transaction: %v", err)
	}

	// Inserting a row for B from A's transaction is refused by the policy.
	err = tenant.InTx(ctxA, d.App, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctxA, `INSERT INTO audit_events (tenant_id, actor, action) VALUES ($1, 'test', 'forged')`, b.ID)
		return err
	})
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "42501" {
		t.Fatalf("insert of B's row from A: err = %v, want a row-level security violation (42501)", err)
	}

	// B still sees exactly its own row, unchanged.
	err = tenant.InTx(ctxB, d.App, func(tx *tenant.Tx) error {
		var actions []string
		if err := tx.SelectContext(ctxB, &actions, `SELECT action FROM audit_events`); err != nil {
			return err
		}
		if len(actions) != 1 || actions[0] != "b.one" {
			t.Errorf("tenant B reads %v, want [b.one]", actions)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOutsideInTxSeesNothing proves the policies fail closed: the application
// role outside a tenant transaction reads no tenant row, and InTx refuses a
// context without a tenant.
func TestOutsideInTxSeesNothing(t *testing.T) {
	d := dbtest.New(t)
	a := mustTenant(t, tenant.NewStore(d.App), "alpha")
	auditAs(t, tenant.WithID(context.Background(), a.ID), d, "a.one")

	var n int
	if err := d.App.Get(&n, `SELECT count(*) FROM audit_events`); err == nil && n != 0 {
		t.Errorf("application role outside InTx counts %d audit rows, want 0 or an error", n)
	}
	err := tenant.InTx(context.Background(), d.App, func(*tenant.Tx) error {
		t.Error("fn ran without a tenant in the context")
		return nil
	})
	if fiatdashboard.ErrorCode(err) != fiatdashboard.EINTERNAL {
		t.Errorf("InTx without tenant: err = %v, want EINTERNAL", err)
	}
}

// TestSystemTxSeesEveryTenant proves the named system path crosses tenants,
// and that a rolled-back tenant transaction leaves nothing behind.
func TestSystemTxSeesEveryTenant(t *testing.T) {
	d := dbtest.New(t)
	store := tenant.NewStore(d.App)
	a, b := mustTenant(t, store, "alpha"), mustTenant(t, store, "bravo")
	auditAs(t, tenant.WithID(context.Background(), a.ID), d, "a.one")
	auditAs(t, tenant.WithID(context.Background(), b.ID), d, "b.one")

	ctxA := tenant.WithID(context.Background(), a.ID)
	boom := errors.New("boom")
	err := tenant.InTx(ctxA, d.App, func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctxA, `INSERT INTO audit_events (tenant_id, actor, action) VALUES ($1, 'test', 'rolled.back')`, a.ID); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want fn's error", err)
	}

	ctx := context.Background()
	var tenants []uuid.UUID
	err = tenant.SystemTx(ctx, d.App, "test: count every tenant's events", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &tenants, `SELECT tenant_id FROM audit_events ORDER BY action`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tenants) != 2 || tenants[0] != a.ID || tenants[1] != b.ID {
		t.Errorf("system path sees tenants %v, want [%s %s] (and no rolled-back row)", tenants, a.ID, b.ID)
	}
	if err := tenant.SystemTx(ctx, d.App, "", func(*tenant.Tx) error { return nil }); err == nil {
		t.Error("SystemTx without a reason succeeded, want an error")
	}
}
