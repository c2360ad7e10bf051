package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TestCustomerSearchIsAnIndexRangeUnderRLS: under row-level security the
// planner uses only leakproof operators as index conditions. The customers
// page's prefix (^@) and cursor (~>~) are, so on a tenant of 3,000 customers
// a search's plan reads accounts_tenant_email_prefix from the cursor within
// the prefix's range (index conditions), in the index's order (no sort),
// rather than every account of the tenant filtered one by one, as LIKE did.
func TestCustomerSearchIsAnIndexRangeUnderRLS(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	tn, err := tenant.NewStore(d.App).Create(ctx, tenant.NewTenant{Slug: "many", Name: "Many", Status: tenant.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	owner := d.Owner(t)
	if _, err := owner.ExecContext(ctx, `
		WITH a AS (
			INSERT INTO accounts (tenant_id, email, password_hash)
			SELECT $1, 'cust' || g || '@many.test', '!' FROM generate_series(1, 3000) g RETURNING id
		)
		INSERT INTO casbin_rules (ptype, v0, v1, v2) SELECT 'g', id::text, 'customer', $1::text FROM a`, tn.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.ExecContext(ctx, `ANALYZE accounts, casbin_rules`); err != nil {
		t.Fatal(err)
	}
	var plan []string
	var rows []Customer
	err = tenant.InTx(tenant.WithID(ctx, tn.ID), d.App, func(tx *tenant.Tx) error {
		if err := tx.SelectContext(ctx, &plan, `EXPLAIN `+customerPage, "cust2000@many.test", "cust2", 20, nil); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &rows, customerPage, "cust2000@many.test", "cust2", 20, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	var cond string
	for i, line := range plan {
		if strings.Contains(line, " on accounts") && i+1 < len(plan) { // read through rbac's account_directory
			cond = plan[i+1]
		}
	}
	if !strings.Contains(text, "accounts_tenant_email_prefix") || !strings.Contains(cond, "Index Cond") ||
		!strings.Contains(cond, "~>~ 'cust2000@many.test'") || !strings.Contains(cond, "~>=~ 'cust2'") || !strings.Contains(cond, "~<~ 'cust3'") {
		t.Errorf("the search's accounts scan is not an index range from the cursor within the prefix:\n%s", text)
	}
	if strings.Contains(text, "Sort Key: a.email") {
		t.Errorf("the page of accounts is sorted after reading, not read in the index's order:\n%s", text)
	}
	if len(rows) != 20 || rows[0].Email != "cust2001@many.test" {
		t.Fatalf("page after cust2000@ within cust2… = %d rows from %v; want 20 from cust2001@", len(rows), rows)
	}
	for i, r := range rows {
		if !strings.HasPrefix(r.Email, "cust2") || (i > 0 && r.Email <= rows[i-1].Email) {
			t.Errorf("row %d = %s after %s; want e-mails starting with cust2 in increasing byte order", i, r.Email, rows[max(i-1, 0)].Email)
		}
	}
}
