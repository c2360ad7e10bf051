package tenant

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/fiatdashboard/fiatdashboard"
)

// Tx is a transaction scoped by row-level security, either to one tenant
// (InTx) or to the named system path (SystemTx). It offers the query methods
// of sqlx and nothing that could end or escape the transaction.
type Tx struct {
	conn     *sqlx.Conn
	driver   string
	tenantID uuid.UUID
	system   string
}

var _ sqlx.ExtContext = (*Tx)(nil)

// TenantID is the tenant this transaction is scoped to; uuid.Nil on the system path.
func (tx *Tx) TenantID() uuid.UUID { return tx.tenantID }

func (tx *Tx) DriverName() string     { return tx.driver }
func (tx *Tx) Rebind(q string) string { return tx.conn.Rebind(q) }
func (tx *Tx) BindNamed(q string, arg any) (string, []any, error) {
	return sqlx.BindNamed(sqlx.BindType(tx.driver), q, arg)
}

func (tx *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return tx.conn.QueryContext(ctx, q, args...)
}

func (tx *Tx) QueryxContext(ctx context.Context, q string, args ...any) (*sqlx.Rows, error) {
	return tx.conn.QueryxContext(ctx, q, args...)
}

func (tx *Tx) QueryRowxContext(ctx context.Context, q string, args ...any) *sqlx.Row {
	return tx.conn.QueryRowxContext(ctx, q, args...)
}

func (tx *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return tx.conn.ExecContext(ctx, q, args...)
}

// GetContext scans one row into dest; sql.ErrNoRows when there is none.
func (tx *Tx) GetContext(ctx context.Context, dest any, q string, args ...any) error {
	return sqlx.GetContext(ctx, tx.conn, dest, q, args...)
}

// SelectContext scans all rows into the slice dest.
func (tx *Tx) SelectContext(ctx context.Context, dest any, q string, args ...any) error {
	return sqlx.SelectContext(ctx, tx.conn, dest, q, args...)
}

// ErrNoTenant is InTx's EINTERNAL when the context carries no tenant. The
// web layer answers it with 404 on the console host, where a storefront
// route has nothing to show.
var ErrNoTenant = fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "tenant transaction without a tenant in the context")

// InTx runs fn in a transaction scoped to the tenant in ctx: PostgreSQL's
// row-level security then shows and accepts only that tenant's rows. It is the
// only way a store reaches tenant data. It returns EINTERNAL, without touching
// the database, when ctx carries no tenant. fn's error rolls the transaction back.
func InTx(ctx context.Context, db *sqlx.DB, fn func(*Tx) error) error {
	id, ok := IDFromContext(ctx)
	if !ok {
		return ErrNoTenant
	}
	// The uuid is printed by uuid.UUID itself (hex and hyphens only), so the
	// literal cannot carry SQL. A literal lets BEGIN and the setting travel in
	// one simple-protocol round trip instead of two.
	begin := fmt.Sprintf("BEGIN; SELECT set_config('app.tenant_id', '%s', true)", id)
	return run(ctx, db, begin, &Tx{tenantID: id}, fn)
}

// systemPools pairs an application pool with the pool that connects as the
// system role (BYPASSRLS, owning nothing). See UseSystemPool.
var systemPools sync.Map // *sqlx.DB (application) -> *sqlx.DB (system)

// UseSystemPool names system as the pool SystemTx uses whenever it is handed
// app: a small pool connected as the system role (migrations.SystemRole),
// which bypasses row-level security by its role attribute, not by any
// setting the application role could flip. Only cmd (and the test harness)
// call it, once per pool.
func UseSystemPool(app, system *sqlx.DB) {
	systemPools.Store(app, system)
	systemPools.Store(system, system)
}

// SystemPool returns the system pool paired with db (db itself when it is
// one), or nil when none was named.
func SystemPool(db *sqlx.DB) *sqlx.DB {
	if v, ok := systemPools.Load(db); ok {
		return v.(*sqlx.DB)
	}
	return nil
}

// SystemTx runs fn in a transaction that sees every tenant's rows: on the
// system pool paired with db (UseSystemPool), connected as the system role.
// It is the named path for cross-tenant system work (renewal sweeps,
// reconcile, host resolution, the super-admin console); reason names the
// work, for the log and for the reader of the call site. Callers authorize
// before calling it, and request-driven code does only the one cross-tenant
// lookup here. It returns EINTERNAL, without touching the database, when no
// system pool is paired with db: the application role has no way to see
// across tenants.
func SystemTx(ctx context.Context, db *sqlx.DB, reason string, fn func(*Tx) error) error {
	if reason == "" {
		return fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "system transaction without a reason")
	}
	sys := SystemPool(db)
	if sys == nil {
		return fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "system transaction %q without a system pool (tenant.UseSystemPool)", reason)
	}
	return run(ctx, sys, "BEGIN", &Tx{system: reason}, fn)
}

// SystemExec runs one statement across tenants (SystemTx's system pool and
// reason) as its own implicit transaction: one round trip where SystemTx
// costs three (BEGIN, the statement, COMMIT). For single-statement system
// work on hot paths (the outbox's relay and done marks).
func SystemExec(ctx context.Context, db *sqlx.DB, reason, query string, args ...any) (sql.Result, error) {
	sys, err := systemPool(db, reason)
	if err != nil {
		return nil, err
	}
	return sys.ExecContext(ctx, query, args...)
}

// SystemGet is SystemExec for a statement returning one row (scanned into
// dest; sql.ErrNoRows when there is none).
func SystemGet(ctx context.Context, db *sqlx.DB, reason string, dest any, query string, args ...any) error {
	sys, err := systemPool(db, reason)
	if err != nil {
		return err
	}
	return sys.GetContext(ctx, dest, query, args...)
}

func systemPool(db *sqlx.DB, reason string) (*sqlx.DB, error) {
	if reason == "" {
		return nil, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "system statement without a reason")
	}
	sys := SystemPool(db)
	if sys == nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "system statement %q without a system pool (tenant.UseSystemPool)", reason)
	}
	return sys, nil
}

// PlatformTx runs fn in a transaction scoped to the platform realm: rows
// without a tenant (console accounts, their sessions and tokens, platform
// audit events and mail) are visible, no tenant's row is. It runs as the
// application role; console sign-ins and other platform-realm work use it
// instead of the system path.
func PlatformTx(ctx context.Context, db *sqlx.DB, fn func(*Tx) error) error {
	// app.tenant_id is set to the nil uuid so that a policy never casts an
	// empty setting left by an earlier transaction on the same connection.
	begin := "BEGIN; SELECT set_config('app.tenant_id', '00000000-0000-0000-0000-000000000000', true), set_config('app.realm', 'platform', true)"
	return run(ctx, db, begin, &Tx{system: "platform realm"}, fn)
}

func run(ctx context.Context, db *sqlx.DB, begin string, tx *Tx, fn func(*Tx) error) error {
	conn, err := db.Connx(ctx)
	if err != nil {
		return fmt.Errorf("tenant tx: connect: %w", err)
	}
	tx.conn, tx.driver = conn, db.DriverName()
	committed := false
	defer func() { // also on a panic in fn, which then goes on up
		if !committed {
			// Roll back even when ctx is cancelled; a connection whose
			// transaction cannot be ended is discarded, never pooled.
			if _, rbErr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil {
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}
		conn.Close()
	}()
	if _, err = conn.ExecContext(ctx, begin); err != nil {
		return fmt.Errorf("tenant tx: begin: %w", err)
	}
	if err = fn(tx); err != nil {
		return err
	}
	if _, err = conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("tenant tx: commit: %w", err)
	}
	committed = true
	return nil
}

// IsNoRows reports whether err says a query found no row.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
