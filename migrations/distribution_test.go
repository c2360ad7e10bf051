package migrations_test

import (
	"slices"
	"testing"

	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
)

// keyedWithoutTenant are the tenant-owned tables whose primary key does not
// start with tenant_id, as they were when the rule below was made
// (docs/scaling.md, "Distributing by tenant"). Distributing PostgreSQL by
// tenant_id (Citus) needs tenant_id in every primary and unique key of a
// distributed table; these will need (tenant_id, id) keys first. The list
// may only shrink.
var keyedWithoutTenant = []string{
	"accounts", "api_tokens", "audit_events", "coop_offers", "coop_reversals", "coop_transfers",
	"coupons", "deployment_events", "deployment_secrets", "deployments", "discount_tiers",
	"email_tokens", "grid_contracts", "ledger_entries", "ledger_postings", "node_operator_requests",
	"orders", "outbox", "outbox_emails", "payment_methods", "qsfs_backends", "reconcile_reports",
	"recovery_codes", "refresh_tokens", "sessions", "ssh_keys", "stripe_events", "subscriptions",
	"tenant_domains", "topups",
}

// TestNewTenantTablesAreKeyedByTenant fails for a table with a tenant_id
// column whose primary key does not begin with tenant_id, unless it is one
// of the tables listed above: new tables follow the rule.
func TestNewTenantTablesAreKeyedByTenant(t *testing.T) {
	d := dbtest.New(t)
	var tables []string
	if err := d.App.Select(&tables, `
		SELECT c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
		WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public'
		  AND (k.oid IS NULL OR k.conkey[1] <> a.attnum)
		ORDER BY c.relname`); err != nil {
		t.Fatal(err)
	}
	for _, name := range tables {
		if !slices.Contains(keyedWithoutTenant, name) {
			t.Errorf("table %s has tenant_id but its primary key does not begin with it: key it (tenant_id, …) so it can be distributed by tenant (docs/scaling.md)", name)
		}
	}
	if len(tables) == 0 {
		t.Fatal("no table found: the catalog query is wrong (today several tables are keyed without tenant_id)")
	}
}
