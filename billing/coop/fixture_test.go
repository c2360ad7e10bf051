package coop_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/billingtest"
	"github.com/fiatdashboard/fiatdashboard/billing/coop"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
	"github.com/fiatdashboard/fiatdashboard/jobs/jobstest"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// The two webhook endpoints' signing secrets: the platform account's own
// events and connected accounts' events.
const (
	secret        = "whsec_test_secret"
	connectSecret = "whsec_test_connect_secret"
)

// syncQueue processes events at once, as the worker would; billing's
// service events stay owed.
type syncQueue struct{ c *coopFixture }

func (q syncQueue) EnqueueStripeEvent(ctx context.Context, id string) error {
	return q.c.svc.ProcessEvent(ctx, id)
}

func (syncQueue) Kick(context.Context, string) error { return nil }

type coopFixture struct {
	t            *testing.T
	d            *dbtest.DB
	svc          *billing.Service // checkout, webhooks, refunds
	coops        *coop.Service
	rec          *billingtest.Recorder
	log          *slog.Logger
	tenantID     uuid.UUID
	owner        context.Context // the co-op's owner (MFA)
	customer     context.Context
	alice, bob   uuid.UUID // members: 70 % and 30 %
	aliceCtx     context.Context
	bobCtx       context.Context
	aliceAccount string
}

// newCoopFixture is a co-op storefront on stripe-mock (through a recorder)
// with two members, Alice (70 %) and Bob (30 %), console accounts; Alice
// has onboarded Stripe Connect for her shares, Bob not yet. Billing is
// wired with the co-op domain, as cmd/fiatdashboard wires them.
func newCoopFixture(t *testing.T) *coopFixture {
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
	co, err := tenant.NewStore(d.App).Create(ctx, tenant.NewTenant{Slug: "commons", Name: "Commons Co-op", Kind: tenant.KindCoop, Status: tenant.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	rs := rbac.NewStore(d.App)
	owner, err := rs.EnsureAccount(ctx, co.ID, "owner@commons.test", "a long enough passphrase", rbac.RoleOwner)
	if err != nil {
		t.Fatal(err)
	}
	cust, err := rs.EnsureAccount(ctx, co.ID, "cat@commons.test", "a long enough passphrase", rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	c := &coopFixture{t: t, d: d, rec: &billingtest.Recorder{}, log: log, tenantID: co.ID}
	for _, m := range []struct {
		id    *uuid.UUID
		email string
		bps   int
		role  string
	}{{&c.alice, "alice@console.test", 7000, "node_operator"}, {&c.bob, "bob@console.test", 3000, "dashboard_operator"}} {
		if *m.id, err = rs.EnsureAccount(ctx, uuid.Nil, m.email, "a long enough passphrase", rbac.RoleNodeOperator); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Owner(t).Exec(`INSERT INTO coop_members (tenant_id, account_id, email, role, share_bps) VALUES ($1, $2, $3, $4, $5)`,
			co.ID, *m.id, m.email, m.role, m.bps); err != nil {
			t.Fatal(err)
		}
	}
	authz.Reload()
	emitter := billing.NewEmitter(secret, 0, func(ctx context.Context, payload []byte, sig string) error {
		return c.svc.ReceiveWebhook(ctx, payload, sig)
	}, log).Connect(connectSecret, func(ctx context.Context, payload []byte, sig string) error {
		return c.svc.ReceiveConnectWebhook(ctx, payload, sig)
	})
	bcfg := billing.Config{SecretKey: "sk_test_123", WebhookSecret: secret, ConnectWebhookSecret: connectSecret, APIURL: c.rec.Start(t), Mock: true,
		Mailer: rbac.NewOutbox(d.App)}
	c.coops = coop.New(d.App, authz, log, coop.Options{Stripe: bcfg, Emitter: emitter, Mailer: bcfg.Mailer})
	bcfg.Coops = c.coops
	sim := gridsim.New(gridsim.Config{Seed: 1})
	c.svc = billing.NewService(d.App, bcfg, authz, sim, syncQueue{c}, emitter, log)
	tctx := tenant.WithID(ctx, co.ID)
	c.owner = tenant.WithActor(tctx, tenant.Actor{Kind: tenant.ActorUser, ID: owner, Name: "owner@commons.test", MFA: true})
	c.customer = tenant.WithActor(tctx, tenant.Actor{Kind: tenant.ActorUser, ID: cust, Name: "cat@commons.test"})
	// The co-op's grid wallet pays for its machines.
	tr, ex := billingtest.Treasury(t, d.App, authz, sim, treasury.Options{})
	billingtest.FundWallet(t, tr, sim, ex, co.ID, 10_000*grid.UnitsPerTFT)
	c.aliceCtx = tenant.WithActor(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: c.alice, Name: "alice@console.test"})
	c.bobCtx = tenant.WithActor(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: c.bob, Name: "bob@console.test"})
	c.aliceAccount = c.onboard(c.aliceCtx)
	return c
}

// onboard runs a member through Stripe Connect (stripe-mock and the
// emitted account.updated) and returns its connected account.
func (c *coopFixture) onboard(member context.Context) string {
	c.t.Helper()
	link, err := c.coops.PayoutOnboardingLink(member, "http://console.localhost", "")
	if err != nil || link != "http://console.localhost/coop?connect=return" {
		c.t.Fatalf("member onboarding = %q, %v", link, err)
	}
	acct, err := c.coops.MyPayoutAccount(member)
	if err != nil || !acct.Ready || !strings.HasPrefix(acct.AccountID, "acct_") {
		c.t.Fatalf("payout account after onboarding = %+v, %v", acct, err)
	}
	return acct.AccountID
}

// addCard saves a test card for the co-op's customer.
func (c *coopFixture) addCard(pm string) {
	c.t.Helper()
	si, err := c.svc.NewSetupIntent(c.customer)
	if err != nil {
		c.t.Fatalf("setup intent: %v", err)
	}
	if !strings.HasPrefix(si.ID, "seti_") || si.ClientSecret == "" {
		c.t.Errorf("setup intent = %+v", si)
	}
	if err := c.svc.MockConfirmSetup(c.customer, si.ID, pm); err != nil {
		c.t.Fatalf("confirm setup: %v", err)
	}
}
