package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/billing/stripemock"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// scaleOp is one measured operation: a service call as the API or a job
// makes it.
type scaleOp struct {
	name string
	run  func(ctx context.Context, p *platform, pr *scaleProbe) error
}

// scaleProbe is the tenant, customer and deployment the operations act on:
// the same shape (one tenant of ten customers and its deployments) in both
// databases, so only the size of the tables around it differs.
type scaleProbe struct {
	tenant, customer, deployment uuid.UUID
	email                        string
}

func (pr *scaleProbe) customerCtx(ctx context.Context) context.Context {
	return tenant.WithActor(tenant.WithID(ctx, pr.tenant), tenant.Actor{Kind: tenant.ActorUser, ID: pr.customer, Name: pr.email})
}

func (pr *scaleProbe) staffCtx(ctx context.Context) context.Context {
	return tenant.WithActor(tenant.WithID(ctx, pr.tenant), tenant.System("bench"))
}

var scaleOps = []scaleOp{
	{"deployments list, customer's page of 20", func(ctx context.Context, p *platform, pr *scaleProbe) error {
		_, err := p.deploy.List(pr.customerCtx(ctx), false, time.Now().Add(time.Hour), 20)
		return err
	}},
	{"deployments list, admin's page of 20", func(ctx context.Context, p *platform, pr *scaleProbe) error {
		_, err := p.deploy.List(pr.staffCtx(ctx), true, time.Now().Add(time.Hour), 20)
		return err
	}},
	{"deployment detail", func(ctx context.Context, p *platform, pr *scaleProbe) error {
		_, err := p.deploy.Get(pr.customerCtx(ctx), pr.deployment)
		return err
	}},
	{"admin overview (deployment counts, nodes)", func(ctx context.Context, p *platform, pr *scaleProbe) error {
		_, err := p.deploy.Activity(pr.staffCtx(ctx))
		return err
	}},
	{"customers search (e-mail prefix), page of 20", func(ctx context.Context, p *platform, pr *scaleProbe) error {
		_, err := p.deploy.Customers(pr.staffCtx(ctx), "customer1", "", 20)
		return err
	}},
	{"reconcile job, one tenant", func(ctx context.Context, p *platform, pr *scaleProbe) error {
		_, err := p.deploy.Reconcile(pr.staffCtx(ctx))
		return err
	}},
	{"renewals job, due sweep", func(ctx context.Context, p *platform, pr *scaleProbe) error {
		_, err := p.billing.RenewDue(tenant.WithActor(ctx, tenant.System("bench renewals")))
		return err
	}},
}

func runBenchScale(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench", "bench scale [--iterations 100]",
		`Seeds (when missing) two bench databases, a small one (100 tenants, 10,000
deployments) and a large one (10,000 tenants, 1,000,000 deployments), with
the same per-tenant shape (ten customers, a hundred deployments), then times
the deployments list, detail, admin overview, customer search, and the
reconcile and renewal jobs against each and prints the large figure as a
multiple of the small one. Seeding the large one takes minutes once; later
runs reuse it.`, stderr)
	iterations := fs.Int("iterations", 100, "timed calls per operation (after 5 warm-up calls)")
	smallT := fs.Int("small-tenants", 100, "tenants in the small database")
	smallD := fs.Int64("small-deployments", 10_000, "deployments in the small database")
	largeT := fs.Int("large-tenants", 10_000, "tenants in the large database")
	largeD := fs.Int64("large-deployments", 1_000_000, "deployments in the large database")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	sm, err := stripemock.Start(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard bench scale: %v\n", err)
		return 1
	}
	defer sm.Stop()
	type size struct {
		suffix      string
		tenants     int
		deployments int64
	}
	sizes := []size{{"_bench_10k", *smallT, *smallD}, {"_bench_1m", *largeT, *largeD}}
	var sides []*scaleSide
	for _, sz := range sizes {
		cfg, ok := benchConfig(sz.suffix, stderr)
		if !ok {
			return 2
		}
		cfg.StripeAPIURL = sm.URL
		fmt.Fprintf(stdout, "seeding %s (%d tenants, %d deployments) when missing…\n", dbName(cfg.DatabaseURL), sz.tenants, sz.deployments)
		if err := benchSeed(ctx, cfg, sz.tenants, sz.deployments, io.Discard); err != nil {
			fmt.Fprintf(stderr, "fiatdashboard bench scale: seed: %v\n", err)
			return 1
		}
		release, err := leaseRedis(ctx, cfg)
		if err != nil {
			fmt.Fprintf(stderr, "fiatdashboard bench scale: redis: %v\n", err)
			return 1
		}
		defer release()
		side, err := openScaleSide(ctx, cfg)
		if err != nil {
			fmt.Fprintf(stderr, "fiatdashboard bench scale: %v\n", err)
			return 1
		}
		defer side.p.Close()
		sides = append(sides, side)
	}
	// The two databases are measured call by call in turn, so a change in
	// the machine's load (it is shared) weighs on both alike.
	errs := map[string]string{}
	results := []map[string]time.Duration{{}, {}}
	for _, op := range scaleOps {
		times := [][]time.Duration{nil, nil}
		for i := 0; i < 10+*iterations; i++ {
			for j, side := range sides {
				t0 := time.Now()
				err := op.run(ctx, side.p, side.probe)
				if i >= 10 {
					times[j] = append(times[j], time.Since(t0))
				}
				if err != nil {
					errs[op.name] = err.Error()
				}
			}
		}
		for j := range sides {
			slices.Sort(times[j])
			results[j][op.name] = times[j][len(times[j])/2]
		}
	}
	fmt.Fprintf(stdout, "\nScale: the same tenant (10 customers, 100 deployments) in a database of %s and of %s deployments; median of %d calls, alternating between the two; load average %s\n\n",
		thousands(*smallD), thousands(*largeD), *iterations, loadAverage())
	fmt.Fprintf(stdout, "| operation | %s deployments | %s deployments | large ÷ small |\n|---|---:|---:|---:|\n", thousands(*smallD), thousands(*largeD))
	for _, op := range scaleOps {
		a, b := results[0][op.name], results[1][op.name]
		fmt.Fprintf(stdout, "| %s | %s | %s | %.2f× |\n", op.name, ms(a), ms(b), b.Seconds()/a.Seconds())
	}
	for name, e := range errs {
		fmt.Fprintf(stdout, "%s answered: %s (timed anyway)\n", name, e)
	}
	fmt.Fprintln(stdout, "\ntarget: every large ÷ small ≤ 1.5×")
	return 0
}

// scaleSide is one bench database, opened, with its probe tenant.
type scaleSide struct {
	p     *platform
	probe *scaleProbe
}

func openScaleSide(ctx context.Context, cfg *Config) (*scaleSide, error) {
	p, err := openPlatform(ctx, cfg, newLogger(cfg, io.Discard))
	if err != nil {
		return nil, err
	}
	pr := &scaleProbe{email: "customer1@bench-1.bench"}
	if err := tenant.SystemTx(ctx, p.db, "bench: probe", func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &pr.tenant, `SELECT id FROM tenants WHERE slug = 'bench-1'`); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &pr.customer, `SELECT id FROM accounts WHERE tenant_id = $1 AND email = $2`, pr.tenant, pr.email); err != nil {
			return err
		}
		return tx.GetContext(ctx, &pr.deployment, `SELECT id FROM deployments WHERE account_id = $1 ORDER BY created_at DESC LIMIT 1`, pr.customer)
	}); err != nil {
		p.Close()
		return nil, fmt.Errorf("probe tenant: %w", err)
	}
	return &scaleSide{p: p, probe: pr}, nil
}
