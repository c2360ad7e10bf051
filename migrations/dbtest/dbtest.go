// Package dbtest gives each test its own PostgreSQL database, cloned from a
// template that is migrated once per migrations hash, and connects to it as
// the application role, so row-level security is really in force.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard/migrations"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Default DSNs; FD_DATABASE_OWNER_URL, FD_DATABASE_URL and
// FD_DATABASE_SYSTEM_URL override them (the database name in them is
// ignored: every test gets its own). The system URL defaults to the app URL
// with the system role's user.
const (
	defaultOwnerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	defaultAppURL   = "postgres://fd_app@127.0.0.1:5432/postgres?sslmode=disable&binary_parameters=yes"
)

// DB is one test's database.
type DB struct {
	Name string
	// App is connected as the application role (NOSUPERUSER NOBYPASSRLS).
	App *sqlx.DB
	// AppURL is App's DSN, for code under test that opens its own pool.
	AppURL string
	// System is connected as the system role (BYPASSRLS, owning nothing) and
	// paired with App by tenant.UseSystemPool, so tenant.SystemTx(ctx, App, …)
	// runs on it.
	System *sqlx.DB
	// SystemURL is System's DSN.
	SystemURL string
	// OwnerURL is the owner's DSN for this database; use it only to arrange
	// what the application role may not do itself, never to assert isolation.
	OwnerURL string
}

var seq atomic.Int64

// New creates a fresh, migrated database for t and drops it when t ends.
func New(t testing.TB) *DB {
	t.Helper()
	ownerBase := envOr("FD_DATABASE_OWNER_URL", defaultOwnerURL)
	appBase := envOr("FD_DATABASE_URL", defaultAppURL)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	admin, err := sql.Open("postgres", withDB(t, ownerBase, "postgres"))
	if err != nil {
		t.Fatalf("dbtest: open owner connection: %v", err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("dbtest: PostgreSQL does not answer at FD_DATABASE_OWNER_URL (run the tests with `make test`, which starts it): %v", err)
	}
	tpl, err := ensureTemplate(ctx, admin, ownerBase, t)
	if err != nil {
		t.Fatalf("dbtest: template: %v", err)
	}
	name := fmt.Sprintf("fdtest_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, seq.Add(1))
	if _, err := admin.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tpl)); err != nil {
		t.Fatalf("dbtest: create %s: %v", name, err)
	}
	d := &DB{Name: name, AppURL: withDB(t, appBase, name), OwnerURL: withDB(t, ownerBase, name)}
	d.App, err = sqlx.Open("postgres", d.AppURL)
	if err != nil {
		t.Fatalf("dbtest: open app connection: %v", err)
	}
	d.SystemURL = withDB(t, systemBase(t, appBase), name)
	d.System, err = sqlx.Open("postgres", d.SystemURL)
	if err != nil {
		t.Fatalf("dbtest: open system connection: %v", err)
	}
	d.System.SetMaxOpenConns(4)
	tenant.UseSystemPool(d.App, d.System)
	t.Cleanup(func() {
		d.App.Close()
		d.System.Close()
		a, err := sql.Open("postgres", withDB(t, ownerBase, "postgres"))
		if err != nil {
			return
		}
		defer a.Close()
		if _, err := a.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Logf("dbtest: drop %s: %v", name, err)
		}
	})
	return d
}

// Owner opens a connection as the owner to this test's database. Use it to
// arrange state, never to prove isolation.
func (d *DB) Owner(t testing.TB) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", d.OwnerURL)
	if err != nil {
		t.Fatalf("dbtest: open owner: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// ensureTemplate builds fdtpl_<hash> once; concurrent test binaries wait on
// an advisory lock for whichever builds it first.
func ensureTemplate(ctx context.Context, admin *sql.DB, ownerBase string, t testing.TB) (string, error) {
	name := "fdtpl_" + migrations.Hash()[:16]
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7315001)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(7315001)`)
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	// Templates of other migration sets are dropped once nobody has built one
	// for six hours: several work trees (or a CI run beside a developer's
	// run) may be testing different migration sets on one server at once.
	rows, err := conn.QueryContext(ctx, `SELECT datname FROM pg_database d
		WHERE datname LIKE 'fdtpl\_%' AND datname NOT LIKE '%\_build' AND datname <> $1
		  AND coalesce(shobj_description(d.oid, 'pg_database'), '') < $2`,
		name, "built "+time.Now().UTC().Add(-6*time.Hour).Format(time.RFC3339))
	if err != nil {
		return "", err
	}
	var stale []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		stale = append(stale, s)
	}
	rows.Close()
	for _, s := range stale {
		conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, s))
	}
	building := name + "_build"
	conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building))
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", err
	}
	db, err := sql.Open("postgres", withDB(t, ownerBase, building))
	if err != nil {
		return "", err
	}
	_, err = migrations.Up(ctx, db)
	db.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	// Renamed only once complete, so a half-built template is never cloned.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
		return "", err
	}
	conn.ExecContext(ctx, fmt.Sprintf(`COMMENT ON DATABASE %s IS 'built %s'`, name, time.Now().UTC().Format(time.RFC3339)))
	return name, nil
}

func withDB(t testing.TB, dsn, db string) string {
	u, err := url.Parse(dsn)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		t.Fatalf("dbtest: not a PostgreSQL URL: %q", redact(dsn))
	}
	u.Path = "/" + db
	return u.String()
}

// systemBase is FD_DATABASE_SYSTEM_URL, or the app URL with the system
// role's user (and the app URL's password, if any).
func systemBase(t testing.TB, appBase string) string {
	if v := os.Getenv("FD_DATABASE_SYSTEM_URL"); v != "" {
		return v
	}
	u, err := url.Parse(appBase)
	if err != nil {
		t.Fatalf("dbtest: not a PostgreSQL URL: %q", redact(appBase))
	}
	if p, ok := u.User.Password(); ok {
		u.User = url.UserPassword(migrations.SystemRole, p)
	} else {
		u.User = url.User(migrations.SystemRole)
	}
	return u.String()
}

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return "(unparseable)"
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
