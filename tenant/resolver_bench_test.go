package tenant_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// BenchmarkResolveWarm10kTenants resolves storefront hosts of 10,000
// tenants from a warm cache. The database is closed before timing starts, so
// a query per request would fail the benchmark rather than slow it.
func BenchmarkResolveWarm10kTenants(b *testing.B) {
	d := dbtest.New(b)
	if _, err := d.App.Exec(`INSERT INTO tenants (slug, name, status) SELECT 't' || i, 'Tenant ' || i, 'active' FROM generate_series(1, 10000) i`); err != nil {
		b.Fatal(err)
	}
	r := tenant.NewResolver(d.App, "console.localhost", "localhost")
	ctx := context.Background()
	hosts := make([]string, 10000)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("t%d.localhost:8080", i+1)
		if _, err := r.Resolve(ctx, hosts[i]); err != nil {
			b.Fatalf("warm %s: %v", hosts[i], err)
		}
	}
	d.App.Close() // from here on, any query fails
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		site, err := r.Resolve(ctx, hosts[i%len(hosts)])
		if err != nil || site.Tenant == nil {
			b.Fatalf("resolve %s: %v (a database query when warm?)", hosts[i%len(hosts)], err)
		}
	}
}

// BenchmarkTenantTx is one tenant-scoped request's database work: a
// transaction under row-level security (BEGIN and the tenant setting in one
// round trip) reading one row, then COMMIT. Compare BenchmarkPlainQuery for
// what the isolation costs; both run in parallel like requests do.
func BenchmarkTenantTx(b *testing.B) {
	d := dbtest.New(b)
	d.App.SetMaxOpenConns(20) // as serve configures its pool
	d.App.SetMaxIdleConns(20)
	t, err := tenant.NewStore(d.App).Create(context.Background(), tenant.NewTenant{Slug: "bench", Name: "Bench", Status: tenant.StatusActive})
	if err != nil {
		b.Fatal(err)
	}
	ctx := tenant.WithID(context.Background(), t.ID)
	b.SetParallelism(8) // requests arrive concurrently; the database, not the CPU, sets the pace
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var n int
			if err := tenant.InTx(ctx, d.App, func(tx *tenant.Tx) error {
				return tx.GetContext(ctx, &n, `SELECT count(*) FROM audit_events`)
			}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPlainQuery is one query outside any transaction, the floor for
// BenchmarkTenantTx.
func BenchmarkPlainQuery(b *testing.B) {
	d := dbtest.New(b)
	d.App.SetMaxOpenConns(20)
	d.App.SetMaxIdleConns(20)
	b.SetParallelism(8) // requests arrive concurrently; the database, not the CPU, sets the pace
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var n int
			if err := d.App.Get(&n, `SELECT 1`); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
