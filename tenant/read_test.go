package tenant_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TestReadIsolatesTenantsInOneRoundTrip proves the one-round-trip read sees
// only its tenant's rows (as InTx does), fills slices, structs and scalars,
// refuses arguments that could carry SQL, cannot write, and leaves its
// pooled connection clean after a failed statement.
func TestReadIsolatesTenantsInOneRoundTrip(t *testing.T) {
	d := dbtest.New(t)
	d.App.SetMaxOpenConns(1) // every call below reuses the one connection
	store := tenant.NewStore(d.App)
	a, b := mustTenant(t, store, "alpha"), mustTenant(t, store, "bravo")
	ctxA := tenant.WithID(context.Background(), a.ID)
	ctxB := tenant.WithID(context.Background(), b.ID)
	auditAs(t, ctxA, d, "a.one")
	auditAs(t, ctxA, d, "a.two")
	bRow := auditAs(t, ctxB, d, "b.one")

	var actions []string
	if err := tenant.Read(ctxA, d.App, &actions, `SELECT action FROM audit_events WHERE created_at < $1 ORDER BY id`, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if len(actions) != 2 || actions[0] != "a.one" {
		t.Errorf("tenant A reads %v, want only its own [a.one a.two]", actions)
	}
	var n int
	if err := tenant.Read(ctxA, d.App, &n, `SELECT count(*) FROM audit_events WHERE tenant_id = $1`, b.ID); err != nil || n != 0 {
		t.Errorf("tenant A counts %d of B's rows by tenant_id (%v), want 0", n, err)
	}
	var row struct {
		ID     int64  `db:"id"`
		Action string `db:"action"`
	}
	if err := tenant.Read(ctxA, d.App, &row, `SELECT id, action FROM audit_events WHERE id = $1`, bRow); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("tenant A reading B's row by id: %v %+v, want sql.ErrNoRows", err, row)
	}
	if err := tenant.Read(ctxB, d.App, &row, `SELECT id, action FROM audit_events WHERE id = $1`, bRow); err != nil || row.Action != "b.one" {
		t.Errorf("tenant B reads its row = %+v, %v", row, err)
	}
	// Text could carry SQL: refused before the database is touched.
	if err := tenant.Read(ctxA, d.App, &n, `SELECT count(*) FROM audit_events WHERE action = $1`, "x' OR true --"); fiatdashboard.ErrorCode(err) != fiatdashboard.EINTERNAL {
		t.Errorf("a text argument: %v, want EINTERNAL", err)
	}
	if err := tenant.Read(ctxA, d.App, &n, `SELECT 1; DELETE FROM audit_events`); fiatdashboard.ErrorCode(err) != fiatdashboard.EINTERNAL {
		t.Errorf("two statements: %v, want EINTERNAL", err)
	}
	// Read only: a write fails, and the connection is clean afterwards.
	if err := tenant.Read(ctxA, d.App, &n, `WITH x AS (DELETE FROM audit_events RETURNING 1) SELECT count(*) FROM x`); err == nil {
		t.Error("a write inside Read succeeded")
	}
	if err := tenant.Read(ctxA, d.App, &n, `SELECT nonexistent FROM audit_events`); err == nil {
		t.Error("a failing query returned no error")
	}
	if err := tenant.Read(ctxB, d.App, &actions, `SELECT action FROM audit_events ORDER BY id`); err != nil || len(actions) != 1 || actions[0] != "b.one" {
		t.Errorf("after failures, tenant B reads %v (%v), want [b.one]", actions, err)
	}
	var setting sql.NullString
	if err := d.App.QueryRow(`SELECT current_setting('app.tenant_id', true)`).Scan(&setting); err != nil {
		t.Fatal(err)
	}
	if setting.String != "" {
		t.Errorf("the pooled connection keeps app.tenant_id = %q after Read, want it unset", setting.String)
	}
	// The read-only mode ends with the read: the same connection writes.
	var readOnly string
	if err := d.App.QueryRow(`SHOW transaction_read_only`).Scan(&readOnly); err != nil || readOnly != "off" {
		t.Errorf("the pooled connection is left with transaction_read_only = %q (%v), want off", readOnly, err)
	}
	auditAs(t, ctxA, d, "a.after")
	// A read after another tenant's read on the same connection still sees only its own rows.
	if err := tenant.Read(ctxA, d.App, &actions, `SELECT action FROM audit_events ORDER BY id`); err != nil || len(actions) != 3 {
		t.Errorf("tenant A reads %v (%v), want its three rows", actions, err)
	}
	// One prepared statement serves every tenant, also once PostgreSQL
	// runs it with a generic plan (after five executions).
	for i := range 12 {
		ctx, want := ctxA, 3
		if i%2 == 1 {
			ctx, want = ctxB, 1
		}
		if err := tenant.Read(ctx, d.App, &n, `SELECT count(*) FROM audit_events WHERE id > $1`, int64(0)); err != nil || n != want {
			t.Fatalf("read %d: %d rows (%v), want the tenant's own %d", i, n, err, want)
		}
	}
	var prepared int
	if err := d.App.QueryRow(`SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%FROM audit_events WHERE id > $1%'`).Scan(&prepared); err != nil || prepared != 1 {
		t.Errorf("the read is prepared %d times on its connection (%v), want once", prepared, err)
	}
	// A query PostgreSQL cannot prepare (a parameter of no inferable type)
	// runs with its literals.
	if err := tenant.Read(ctxA, d.App, &n, `SELECT count(*) FROM audit_events WHERE $1 IS NOT NULL`, int64(1)); err != nil || n != 3 {
		t.Errorf("an unpreparable read: %d (%v), want 3", n, err)
	}
	if err := tenant.Read(context.Background(), d.App, &n, `SELECT 1`); fiatdashboard.ErrorCode(err) != fiatdashboard.EINTERNAL {
		t.Errorf("Read without a tenant: %v, want EINTERNAL", err)
	}
}
