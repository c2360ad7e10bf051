package fiatdashboard_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// tableRef finds the tables a SQL string reads or writes.
var tableRef = regexp.MustCompile(`(?is)\b(?:FROM|JOIN|UPDATE|INSERT\s+INTO|DELETE\s+FROM|TABLE)\s+(?:ONLY\s+)?([a-z_][a-z0-9_]*)`)

// createdTables are the tables and views the migrations create.
func createdTables(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("migrations/sql/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	create := regexp.MustCompile(`(?i)CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW|MATERIALIZED\s+VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z_][a-z0-9_]*)`)
	out := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range create.FindAllStringSubmatch(string(b), -1) {
			out[strings.ToLower(m[1])] = true
		}
	}
	return out
}

// packageTables returns, per package directory, the tables its non-test Go
// files name in string literals, with where.
func packageTables(t *testing.T, tables map[string]bool) map[string]map[string][]string {
	t.Helper()
	out := map[string]map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "node_modules" || n == ".git" || n == ".data" || n == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, m := range tableRef.FindAllStringSubmatch(s, -1) {
				name := strings.ToLower(m[1])
				if !tables[name] {
					continue
				}
				if out[pkg] == nil {
					out[pkg] = map[string][]string{}
				}
				out[pkg][name] = append(out[pkg][name], fset.Position(lit.Pos()).String())
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// owned are the tables (and views) each package owns: only it reads or
// writes them. A table here belongs to exactly one package.
var owned = map[string][]string{
	"rbac": {"accounts", "api_tokens", "casbin_rules", "email_tokens", "outbox_emails", "recovery_codes", "refresh_tokens",
		"sessions", "node_operator_requests",
		// Views rbac owns for every other package: who an account is, who
		// holds which role where (migrations/sql/00070_identity_views.sql).
		"account_directory", "role_grants"},
	"tenant": {"tenants", "tenant_applications", "tenant_domains", "platform_settings", "audit_events",
		"outbox"}, // the outbox: tenant.Owe writes it, the jobs relay hands it over (shared, below)
	"themes": {"tenant_assets"},
	"billing": {"coupons", "discount_tiers", "disputes", "ledger_entries", "ledger_postings", "orders",
		"payment_methods", "price_rules", "refunds", "stripe_customers", "stripe_events", "subscriptions", "tenant_stripe",
		"invoices", "invoice_counters", "tenant_apps", "credit_notes", "credit_note_counters",
		// Views billing owns for the admin's customer pages and deployment
		// list (migrations/sql/00070_owned_views.sql), and for the co-op
		// domain's payments pages (00125_coop_orders_view.sql).
		"order_summaries", "credit_postings", "card_summaries", "coop_orders"},
	// The co-op domain: members, invitations, the members' transfers and
	// reversals, and their payout accounts.
	"billing/coop":     {"coop_members", "coop_invitations", "coop_transfers", "coop_reversals", "member_stripe"},
	"billing/treasury": {"tenant_wallets", "topup_policies", "topups", "topup_quotes", "treasury_alerts", "treasury_snapshots"},
	"deploy": {"deployments", "deployment_events", "deployment_gpus", "deployment_secrets", "grid_bill_sync", "grid_bills",
		"grid_contracts", "operator_nodes", "operator_twins", "pool_nodes", "qsfs_backends", "reconcile_reports", "ssh_keys",
		"tenant_apps_domains",
		"twin_challenges", "coop_offers"},
	"grid/simstore": {"gridsim_journal"},
}

// shared are tables every package may use: the tenancy root every row is
// keyed by, and the views rbac publishes (tenant publishes the function
// outbox_owes, which the scan does not see as a table).
var shared = []string{"tenants", "account_directory", "role_grants", "order_summaries", "credit_postings", "card_summaries", "coop_orders"}

// readsAlso are the packages that may use other packages' tables, and which:
// platform plumbing, and the crossings not yet replaced by a call to the
// owner (each must still occur, so the list only shrinks).
var readsAlso = map[string][]string{
	// The outbox relay and test helpers that run owed work.
	"jobs":                {"outbox"},
	"billing/billingtest": {"outbox"},
	// The operator commands, development seeds and benchmarks write
	// fixtures across every domain.
	"cmd/fiatdashboard": {"*"},
	// Not yet replaced by calls to the owner:
	"billing": {
		"tenant_wallets", // checkout refuses orders the grid wallet cannot pay, in its transaction
	},
	"billing/coop":     {"deployments"},    // co-op payments name the server each paid for
	"billing/treasury": {"grid_contracts"}, // the burn of live projects
	"deploy": {
		"node_operator_requests", // the console's node operators list counts their requests
		"refunds",                // the attention list sums the refunds asked for a failed server
	},
}

// TestEachPackageQueriesItsOwnTables: no package's SQL names a table another
// package owns, except the crossings readsAlso lists; every table the
// migrations create has one owner; and every listed crossing still occurs.
func TestEachPackageQueriesItsOwnTables(t *testing.T) {
	tables := createdTables(t)
	owner := map[string]string{}
	for pkg, ts := range owned {
		for _, tb := range ts {
			if o, dup := owner[tb]; dup {
				t.Errorf("table %s is owned by both %s and %s", tb, o, pkg)
			}
			owner[tb] = pkg
		}
	}
	for tb := range tables {
		if _, ok := owner[tb]; !ok {
			t.Errorf("table %s (migrations/sql) has no owning package in tables_test.go", tb)
		}
	}
	use := packageTables(t, tables)
	for pkg, ts := range use {
		allowed := map[string]bool{}
		for _, tb := range shared {
			allowed[tb] = true
		}
		for _, tb := range owned[pkg] {
			allowed[tb] = true
		}
		for _, tb := range readsAlso[pkg] {
			allowed[tb] = true
		}
		for tb, where := range ts {
			if !allowed[tb] && !allowed["*"] {
				t.Errorf("package %s queries %s, which %s owns (%s): call the owner, or read a view it owns", pkg, tb, owner[tb], strings.Join(where, ", "))
			}
		}
	}
	for pkg, ts := range readsAlso {
		for _, tb := range ts {
			if _, ok := use[pkg][tb]; !ok && tb != "*" {
				t.Errorf("package %s no longer queries %s: remove it from readsAlso", pkg, tb)
			}
		}
	}
}

// TestTheTableCheckFindsACrossing: the scan sees a table named in any
// statement form, so a crossing cannot hide from it.
func TestTheTableCheckFindsACrossing(t *testing.T) {
	for _, sql := range []string{
		`SELECT 1 FROM accounts a`, `SELECT x FROM t JOIN accounts a ON true`, `UPDATE accounts SET x = 1`,
		`INSERT INTO accounts (id) VALUES (1)`, `DELETE FROM accounts WHERE id = 1`, "SELECT 1\n\t\tFROM accounts",
	} {
		m := tableRef.FindAllStringSubmatch(sql, -1)
		found := false
		for _, x := range m {
			found = found || strings.EqualFold(x[1], "accounts")
		}
		if !found {
			t.Errorf("%q: the scan does not see accounts", sql)
		}
	}
}
