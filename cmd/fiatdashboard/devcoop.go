package main

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/coop"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/exchangesim"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/simstore"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// commonsMnemonic is the co-op's demo wallet phrase (BIP-39 test vector).
const commonsMnemonic = "legal winner thank year wave sausage worth useful legal winner thank yellow"

// joinCoop makes the console account a member of the co-op the way a
// person does: the co-op invites its address and the account accepts.
func joinCoop(ctx context.Context, p *platform, coop context.Context, account uuid.UUID, email, role string) error {
	if err := p.coops.InviteCoopMember(coop, email, role, tenant.Origin{Scheme: "http"}); err != nil {
		return fmt.Errorf("invite %s: %w", email, err)
	}
	as := tenant.WithActor(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: account, Name: email})
	invitations, err := p.coops.MyCoopInvitations(as)
	if err != nil {
		return err
	}
	tid, _ := tenant.IDFromContext(coop)
	for _, inv := range invitations {
		var from uuid.UUID
		if err := tenant.SystemTx(ctx, p.db, "dev seed: invitation's co-op", func(tx *tenant.Tx) error {
			return tx.GetContext(ctx, &from, `SELECT tenant_id FROM coop_invitations WHERE id = $1`, inv.ID)
		}); err != nil {
			return err
		}
		if from == tid {
			return p.coops.AnswerCoopInvitation(as, inv.ID, true)
		}
	}
	return fmt.Errorf("%s has no invitation from the co-op", email)
}

// seedCoop makes the Grid Commons co-op show what co-ops do, once: two
// members sharing the revenue 60/40 (the demo farmer with a connected
// Stripe account, the second member without one, so its share is held), a
// pool with GPU and HDD nodes, a GPU offer and an HDD/QSFS offer, a grid
// wallet, and a sample payment by a customer, which the worker divides into
// one transfer and one held share as soon as stripe-mock's event arrives.
func seedCoop(ctx context.Context, p *platform, commons context.Context, console string) error {
	offers, err := p.deploy.AdminOffers(commons)
	if err != nil || len(offers) > 0 {
		return err // seeded before
	}
	tid, _ := tenant.IDFromContext(commons)
	accountOf := func(email string) (uuid.UUID, error) {
		var id uuid.UUID
		err := tenant.SystemTx(ctx, p.db, "dev seed: co-op member", func(tx *tenant.Tx) error {
			return tx.GetContext(ctx, &id, `SELECT id FROM accounts WHERE email = $1 AND tenant_id IS NULL`, email)
		})
		return id, err
	}
	farmer, err := accountOf("farmer@" + console)
	if err != nil {
		return err
	}
	member, err := accountOf("member@" + console)
	if err != nil {
		return err
	}
	if err := joinCoop(ctx, p, commons, farmer, "farmer@"+console, "node_operator"); err != nil {
		return err
	}
	if err := joinCoop(ctx, p, commons, member, "member@"+console, "dashboard_operator"); err != nil {
		return err
	}
	if _, err := p.coops.SetRevenueSplit(commons, []coop.Share{{Member: farmer, BPS: 6000}, {Member: member, BPS: 4000}}); err != nil {
		return fmt.Errorf("split: %w", err)
	}
	// The farmer finished Stripe onboarding for its shares (as the
	// account.updated of its connected account would record).
	if err := tenant.SystemTx(ctx, p.db, "dev seed: member payout account", func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO member_stripe (account_id, stripe_account, payouts_enabled, details_submitted)
			VALUES ($1, 'acct_dev_commons_farmer', true, true) ON CONFLICT (account_id) DO NOTHING`, farmer)
		return err
	}); err != nil {
		return err
	}

	// The pool: GPU nodes, HDD nodes and a few plain ones, all pickable.
	var ids []uint32
	for _, f := range []grid.NodeFilter{
		{GPU: true, Rentable: true, Page: grid.Page{Size: 3}}, // GPU nodes no one rents: a GPU order rents one
		{MinFree: grid.Resources{CRU: 2, MRU: 4 << 30, SRU: 50 << 30, HRU: 1 << 40}, Page: grid.Page{Size: 4}},
		{Page: grid.Page{Size: 3}},
	} {
		f.Status = []grid.NodeStatus{grid.NodeUp}
		if f.MinFree == (grid.Resources{}) {
			f.MinFree = grid.Resources{CRU: 2, MRU: 4 << 30, SRU: 50 << 30}
		}
		page, err := p.catalog.ListNodes(ctx, f)
		if err != nil {
			return err
		}
		for _, n := range page.Nodes {
			ids = append(ids, n.ID)
		}
	}
	if len(ids) > 0 {
		if err := p.deploy.AddToPool(commons, ids); err != nil {
			return err
		}
	}
	for _, o := range []deploy.OfferInput{
		{Name: "GPU machines", Description: "VMs on our members' GPU nodes: AI inference, rendering and video transcoding, paid by the month.",
			Capability: deploy.CapGPU, Sizes: []string{"medium", "large"}, Published: true},
		{Name: "QSFS storage servers", Description: "Servers whose QSFS swarm lives on our HDD storage nodes: archives and backups that survive 8 of 20 nodes failing.",
			Capability: deploy.CapHDD, Published: true},
		{Name: "Private AI chat", Description: "Open WebUI with a local model server on a GPU node rented whole for you: your prompts never leave it.",
			Capability: deploy.CapGPU, App: deploy.AppOpenWebUI, Published: true},
	} {
		if _, err := p.deploy.SaveOffer(commons, uuid.Nil, o); err != nil {
			return fmt.Errorf("offer %s: %w", o.Name, err)
		}
	}

	// The co-op's grid wallet, so it can take orders.
	if sim, ok := p.grid.(*simstore.Shared); ok && p.exsim != nil {
		if _, err := sim.CreateTwinForMnemonic(commonsMnemonic, 50_000*grid.UnitsPerTFT, true); err != nil && fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT {
			return err
		}
		seed := exchangesim.NewSeed()
		account, err := p.exsim.Account(seed)
		if err != nil {
			return err
		}
		if err := p.exsim.Fund(account, 100*exchange.One); err != nil {
			return err
		}
		if err := p.treasury.SaveWallet(commons, treasury.WalletInput{Mnemonic: commonsMnemonic, StellarSecret: seed}); err != nil {
			return fmt.Errorf("wallet: %w", err)
		}
	} else {
		return nil // a sample payment needs the simulated wallet
	}

	// A sample payment: a customer with a saved card (on the platform's
	// account: a co-op's customers are the platform's) buys a month.
	var customer uuid.UUID
	err = tenant.SystemTx(ctx, p.db, "dev seed: co-op customer", func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &customer, `INSERT INTO accounts (tenant_id, email, password_hash, email_verified_at)
			VALUES ($1, 'first-customer@commons.test', 'x', now()) RETURNING id`, tid); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO casbin_rules (ptype, v0, v1, v2) VALUES ('g', $1, 'customer', $2) ON CONFLICT DO NOTHING`,
			customer.String(), tid.String()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO stripe_customers (tenant_id, account_id, customer_id) VALUES ($1, $2, 'cus_dev_commons')`, tid, customer); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO payment_methods (id, tenant_id, account_id, brand, last4, exp_month, exp_year, is_default)
			VALUES ('pm_card_visa', $1, $2, 'visa', '4242', 12, 2034, true)`, tid, customer)
		return err
	})
	if err != nil {
		return err
	}
	if err := p.authz.Reload(); err != nil {
		return err
	}
	cctx := tenant.WithActor(commons, tenant.Actor{Kind: tenant.ActorUser, ID: customer, Name: "first-customer@commons.test"})
	if _, err := p.billing.Checkout(cctx, billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "medium", Months: 3},
		Description: "VM render-farm-1: 3 months", ClientKey: "dev-commons-sample"}); err != nil {
		return fmt.Errorf("sample payment: %w", err)
	}
	return nil
}
