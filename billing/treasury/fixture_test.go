package treasury_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/stripemock"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
	"github.com/fiatdashboard/fiatdashboard/jobs/jobstest"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// fixture is one tenant with an owner (MFA) on a fresh database, the grid
// simulator, and the billing service whose ledger the treasury posts to.
type fixture struct {
	t        *testing.T
	d        *dbtest.DB
	svc      *billing.Service
	tenantID uuid.UUID
	owner    context.Context
	authz    *rbac.Authorizer
	sim      *gridsim.Sim
}

type noQueue struct{}

func (noQueue) EnqueueStripeEvent(context.Context, string) error { return nil }
func (noQueue) Kick(context.Context, string) error               { return nil }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := dbtest.New(t)
	r := jobstest.New(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	authz, err := rbac.NewAuthorizer(ctx, d.App, r.Client, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(authz.Close)
	tn, err := tenant.NewStore(d.App).Create(ctx, tenant.NewTenant{Slug: "alpha", Name: "Alpha Cloud", Status: tenant.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	owner, err := rbac.NewStore(d.App).EnsureAccount(ctx, tn.ID, "owner@alpha.test", "a long enough passphrase", rbac.RoleOwner)
	if err != nil {
		t.Fatal(err)
	}
	authz.Reload()
	sm := stripemock.ForTest(t)
	f := &fixture{t: t, d: d, tenantID: tn.ID, authz: authz, sim: gridsim.New(gridsim.Config{Seed: 1})}
	f.owner = tenant.WithActor(tenant.WithID(ctx, tn.ID), tenant.Actor{Kind: tenant.ActorUser, ID: owner, Name: "owner@alpha.test", MFA: true})
	f.svc = billing.NewService(d.App, billing.Config{SecretKey: "sk_test_123", WebhookSecret: "whsec_treasury_test", APIURL: sm.URL, Mock: true},
		authz, f.sim, noQueue{}, nil, log)
	return f
}
