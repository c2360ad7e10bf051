package migrations_test

import (
	"testing"

	"github.com/fiatdashboard/fiatdashboard/migrations"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
)

// TestEveryTenantTableHasForcedRLS lists every table with a tenant_id column
// from the catalog and fails for any without ENABLE + FORCE row-level
// security and a policy that reads app.tenant_id.
func TestEveryTenantTableHasForcedRLS(t *testing.T) {
	d := dbtest.New(t)
	rows, err := d.App.Queryx(`
		SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
		       coalesce((SELECT bool_or(coalesce(p.qual, '') LIKE '%app.tenant_id%' AND coalesce(p.with_check, '') LIKE '%app.tenant_id%')
		                 FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname), false)
		FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE a.attname = 'tenant_id' AND NOT a.attisdropped
		  AND c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		ORDER BY c.relname`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	count := 0
	for rows.Next() {
		var name string
		var enabled, forced, policy bool
		if err := rows.Scan(&name, &enabled, &forced, &policy); err != nil {
			t.Fatal(err)
		}
		count++
		if !enabled || !forced || !policy {
			t.Errorf("table %s: row level security enabled=%v forced=%v tenant policy=%v; want all true", name, enabled, forced, policy)
		}
	}
	if count == 0 {
		t.Fatal("found no table with a tenant_id column; the catalog query is wrong")
	}
	t.Logf("%d tenant-owned tables checked", count)
}

// TestAppRoleIsPowerless proves the application role cannot bypass row-level
// security and owns nothing in the schema.
func TestAppRoleIsPowerless(t *testing.T) {
	d := dbtest.New(t)
	var user string
	var super, bypass bool
	if err := d.App.QueryRowx(`SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&user, &super, &bypass); err != nil {
		t.Fatal(err)
	}
	if user != migrations.AppRole || super || bypass {
		t.Errorf("connected as %s super=%v bypassrls=%v; want %s with neither", user, super, bypass, migrations.AppRole)
	}
	var owned int
	if err := d.App.Get(&owned, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = current_user`); err != nil {
		t.Fatal(err)
	}
	if owned != 0 {
		t.Errorf("the application role owns %d relations, want 0", owned)
	}
}
