package migrations_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/migrations"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// seedTwoTenants arranges, as the owner, two tenants with one account each
// and one platform-realm account (tenant_id NULL).
func seedTwoTenants(t *testing.T, d *dbtest.DB) (a, b uuid.UUID) {
	t.Helper()
	own := d.Owner(t)
	a, b = uuid.New(), uuid.New()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO tenants (id, slug, name, status) VALUES ($1, 'alpha', 'Alpha', 'active'), ($2, 'bravo', 'Bravo', 'active')`, []any{a, b}},
		{`INSERT INTO accounts (tenant_id, email, password_hash) VALUES ($1, 'a@alpha.test', 'x'), ($2, 'b@bravo.test', 'x'), (NULL, 'root@platform.test', 'x')`, []any{a, b}},
	} {
		if _, err := own.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("arrange: %v", err)
		}
	}
	return a, b
}

// TestNoSessionSettingRevealsAnotherTenant proves that bypassing row-level
// security is a role, not a setting: connected as the application role,
// inside tenant A's scope or in no scope, no session setting (the old
// app.system switch, the platform realm's scope, a forged tenant id left
// empty) shows tenant B's rows; and the application role cannot become the
// system role.
func TestNoSessionSettingRevealsAnotherTenant(t *testing.T) {
	d := dbtest.New(t)
	a, b := seedTwoTenants(t, d)
	ctx := context.Background()
	switches := []string{
		`SELECT set_config('app.system', 'on', true)`,
		`SELECT set_config('app.realm', 'platform', true)`,
		`SELECT set_config('app.system', 'on', true), set_config('app.realm', 'platform', true)`,
		`SELECT set_config('app.bypass', 'on', true), set_config('row_security', 'on', true)`,
	}
	for _, sw := range switches {
		// In tenant A's scope: A's account only.
		err := tenant.InTx(tenant.WithID(ctx, a), d.App, func(tx *tenant.Tx) error {
			if _, err := tx.ExecContext(ctx, sw); err != nil {
				return err
			}
			var ids []uuid.UUID
			if err := tx.SelectContext(ctx, &ids, `SELECT DISTINCT coalesce(tenant_id, '00000000-0000-0000-0000-000000000000') FROM accounts`); err != nil {
				return err
			}
			for _, id := range ids {
				if id != a {
					t.Errorf("%s inside tenant A's scope shows rows of %s, want only A's", sw, id)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", sw, err)
		}
		// In no tenant scope at all (the nil tenant, as on a fresh pooled
		// connection): nothing of any tenant.
		conn, err := d.App.Connx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`SELECT set_config('app.tenant_id', '00000000-0000-0000-0000-000000000000', true)`); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(sw); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := tx.Get(&n, `SELECT count(*) FROM accounts WHERE tenant_id IN ($1, $2)`, a, b); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s without a tenant shows %d tenant accounts, want 0", sw, n)
		}
		tx.Rollback()
		conn.Close()
	}

	// The application role cannot switch to the system role.
	if _, err := d.App.Exec(`SET ROLE ` + migrations.SystemRole); err == nil {
		d.App.Exec(`RESET ROLE`)
		t.Errorf("the application role could SET ROLE %s", migrations.SystemRole)
	}
	// And no policy reads any setting but the tenant id and the realm.
	var leaky []string
	if err := d.App.Select(&leaky, `SELECT tablename || ': ' || coalesce(qual, '') FROM pg_policies
		WHERE schemaname = 'public' AND (coalesce(qual, '') || coalesce(with_check, '')) LIKE '%app.system%'`); err != nil {
		t.Fatal(err)
	}
	if len(leaky) > 0 {
		t.Errorf("policies still admit app.system: %v", leaky)
	}
}

// TestPlatformScopeShowsNoTenant proves the platform realm's scope
// (tenant.PlatformTx) sees platform rows and no tenant's, and that the
// system path, on its own pool as the system role, sees every tenant's.
func TestPlatformScopeShowsNoTenant(t *testing.T) {
	d := dbtest.New(t)
	seedTwoTenants(t, d)
	ctx := context.Background()
	var emails []string
	err := tenant.PlatformTx(ctx, d.App, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &emails, `SELECT email FROM accounts ORDER BY email`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(emails) != 1 || emails[0] != "root@platform.test" {
		t.Errorf("the platform scope shows %v, want only [root@platform.test]", emails)
	}
	var who string
	var n int
	err = tenant.SystemTx(ctx, d.App, "test: count every account", func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &who, `SELECT current_user`); err != nil {
			return err
		}
		return tx.GetContext(ctx, &n, `SELECT count(*) FROM accounts`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if who != migrations.SystemRole || n != 3 {
		t.Errorf("the system path runs as %s and sees %d accounts, want %s and 3", who, n, migrations.SystemRole)
	}
}

// TestSystemRoleIsNarrow proves the system role bypasses row-level security
// by its attribute, is no superuser, and owns nothing.
func TestSystemRoleIsNarrow(t *testing.T) {
	d := dbtest.New(t)
	var super, bypass bool
	if err := d.System.QueryRowx(`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&super, &bypass); err != nil {
		t.Fatal(err)
	}
	if super || !bypass {
		t.Errorf("system role super=%v bypassrls=%v; want false, true", super, bypass)
	}
	var owned int
	if err := d.System.Get(&owned, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = current_user`); err != nil {
		t.Fatal(err)
	}
	if owned != 0 {
		t.Errorf("the system role owns %d relations, want 0", owned)
	}
}
