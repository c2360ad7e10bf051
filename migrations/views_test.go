package migrations_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TestIdentityViewsKeepRowLevelSecurity: the views rbac publishes to other
// packages (account_directory, role_grants) show a tenant only its own
// accounts, as the table does, and the application cannot write through
// them.
func TestIdentityViewsKeepRowLevelSecurity(t *testing.T) {
	d := dbtest.New(t)
	owner := d.Owner(t)
	var a, b uuid.UUID
	for i, id := range []*uuid.UUID{&a, &b} {
		slug := []string{"view-a", "view-b"}[i]
		if err := owner.QueryRowx(`INSERT INTO tenants (slug, name) VALUES ($1, $1) RETURNING id`, slug).Scan(id); err != nil {
			t.Fatal(err)
		}
		if _, err := owner.Exec(`INSERT INTO accounts (tenant_id, email, password_hash) VALUES ($1, $2, 'x')`, *id, "someone@"+slug+".test"); err != nil {
			t.Fatal(err)
		}
	}
	ctx := tenant.WithID(context.Background(), a)
	var emails []string
	if err := tenant.InTx(ctx, d.App, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &emails, `SELECT email FROM account_directory ORDER BY email`)
	}); err != nil {
		t.Fatal(err)
	}
	if len(emails) != 1 || emails[0] != "someone@view-a.test" {
		t.Fatalf("tenant a sees %v in account_directory; want only its own account", emails)
	}
	err := tenant.InTx(ctx, d.App, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE account_directory SET email = 'changed@view-a.test'`)
		return err
	})
	if err == nil {
		t.Fatal("the application wrote through account_directory")
	}
	err = tenant.InTx(ctx, d.App, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO role_grants (account_id, role, domain) VALUES ('x', 'owner', 'platform')`)
		return err
	})
	if err == nil {
		t.Fatal("the application wrote through role_grants")
	}
}

// TestEveryViewIsSecurityInvokerAndReadOnly: a view another package reads
// applies the reader's row-level security (security_invoker) and the
// application cannot write through it.
func TestEveryViewIsSecurityInvokerAndReadOnly(t *testing.T) {
	d := dbtest.New(t)
	var views []struct {
		Name     string `db:"relname"`
		Invoker  bool   `db:"invoker"`
		Writable bool   `db:"writable"`
	}
	if err := d.App.Select(&views, `SELECT c.relname,
			coalesce('security_invoker=true' = ANY(c.reloptions), false) AS invoker,
			has_table_privilege(current_user, c.oid, 'INSERT') OR has_table_privilege(current_user, c.oid, 'UPDATE')
				OR has_table_privilege(current_user, c.oid, 'DELETE') AS writable
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'v' AND n.nspname = 'public' ORDER BY c.relname`); err != nil {
		t.Fatal(err)
	}
	if len(views) < 5 {
		t.Fatalf("found %d views; want the five of 00070_owned_views.sql at least", len(views))
	}
	for _, v := range views {
		if !v.Invoker {
			t.Errorf("view %s runs as its owner: create it WITH (security_invoker = true)", v.Name)
		}
		if v.Writable {
			t.Errorf("the application may write through view %s", v.Name)
		}
	}
}
