package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// sampleDeployments are what the demo customer runs after the first
// `make run`: one VM with a standby on another farm, one with a QSFS backup
// swarm, one plain. They go through the whole product — card, checkout,
// Stripe's (mock) webhook, the deploy task on the grid simulator — so the
// storefront, the admin pages and the wallet's burn show real data at once.
var sampleDeployments = []struct {
	name, size, backup, image string
	months                    int
}{
	{"web-1", "small", "vm", "ubuntu-24.04", 1},
	{"db-1", "medium", "qsfs", "debian-12", 3},
	{"dev-box", "small", "none", "ubuntu-22.04", 1},
}

// sampleApps are the demo customer's apps (issue 19): a Kubernetes
// cluster, a Nextcloud and a LiveKit server, each running on the grid
// simulator with its gateway and access panel. The co-op's Open WebUI is
// seedGPUSample's.
var sampleApps = []struct{ name, app, config string }{
	{"k8s-1", deploy.AppKubernetes, `{"master_size": "small", "workers": 2, "worker_size": "small"}`},
	{"cloud-1", deploy.AppNextcloud, `{"storage_gb": 100}`},
	{"meet-1", deploy.AppLiveKit, `{"size": "small"}`},
}

// seedSamples orders the sample deployments as the demo customer, once
// (when that customer has none), after the server answers (the mock Stripe
// events are delivered to it). Failures are logged: the demo runs anyway.
func seedSamples(ctx context.Context, p *platform, log *slog.Logger, readyURL, customerEmail string) {
	if err := waitReady(ctx, readyURL); err != nil {
		log.Warn("sample deployments: server not ready", "err", err)
		return
	}
	demo, err := tenant.NewStore(p.db).BySlug(ctx, "demo")
	if err != nil {
		log.Warn("sample deployments: no demo tenant", "err", err)
		return
	}
	var customer uuid.UUID
	if err := tenant.InTx(tenant.WithID(ctx, demo.ID), p.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &customer, `SELECT id FROM accounts WHERE email = $1`, customerEmail)
	}); err != nil {
		log.Warn("sample deployments: no demo customer", "err", err)
		return
	}
	cctx := tenant.WithActor(tenant.WithID(ctx, demo.ID), tenant.Actor{Kind: tenant.ActorUser, ID: customer, Name: customerEmail})
	if have, err := p.deploy.List(cctx, false, time.Now().Add(time.Hour), 1); err != nil || len(have) > 0 {
		return
	}
	// A fresh demo's Stripe onboarding, and the saved card, complete through
	// (mock) webhooks.
	sys := tenant.WithActor(tenant.WithID(ctx, demo.ID), tenant.System("dev seed"))
	if err := until(ctx, func() bool { st, err := p.billing.Connect(sys); return err == nil && st.ChargesEnabled }); err != nil {
		log.Warn("sample deployments: the demo storefront cannot take cards", "err", err)
		return
	}
	if err := sampleCard(cctx, p.billing); err != nil {
		log.Warn("sample deployments: card", "err", err)
		return
	}
	if err := until(ctx, func() bool { cards, err := p.billing.Cards(cctx); return err == nil && len(cards) > 0 }); err != nil {
		log.Warn("sample deployments: the test card was not saved", "err", err)
		return
	}
	key, err := sampleSSHKey()
	if err != nil {
		log.Warn("sample deployments: ssh key", "err", err)
		return
	}
	if err := sampleDeclined(cctx, p, demo.ID, customer, key); err != nil {
		log.Warn("sample declined order", "err", err)
	}
	for _, s := range sampleDeployments {
		in := deploy.CreateInput{Name: s.name, Image: s.image, SSHKey: key, Placement: "default", Backup: s.backup,
			ClientKey: "dev-sample-" + s.name, QuoteInput: billing.QuoteInput{Size: s.size, Months: s.months}}
		if d, err := p.deploy.Create(cctx, in); err != nil {
			log.Warn("sample deployment", "name", s.name, "err", err)
		} else {
			log.Info("sample deployment ordered", "name", s.name, "id", d.ID, "backup", s.backup)
			if s.name == "dev-box" {
				sampleRefund(sys, p, log, d.OrderID)
			}
		}
	}
	for _, a := range sampleApps {
		in := deploy.CreateInput{Name: a.name, App: a.app, AppConfig: json.RawMessage(a.config), SSHKey: key, Placement: "default",
			ClientKey: "dev-sample-" + a.name}
		if d, err := p.deploy.Create(cctx, in); err != nil {
			log.Warn("sample app", "name", a.name, "app", a.app, "err", err)
		} else {
			log.Info("sample app ordered", "name", a.name, "id", d.ID, "app", a.app)
		}
	}
}

// sampleRefund gives back part of a paid sample order, as the tenant's staff
// would from Billing: Stripe's (mock) charge.refunded records it and issues
// its credit note, which the customer's Billing page and the admin payments
// list offer beside the invoice. Failures are logged.
func sampleRefund(sys context.Context, p *platform, log *slog.Logger, order uuid.UUID) {
	if err := until(sys, func() bool { o, err := p.billing.Order(sys, order); return err == nil && o.Status == billing.OrderPaid }); err != nil {
		log.Warn("sample refund: the order was not paid", "order", order, "err", err)
		return
	}
	if err := p.billing.Refund(sys, order, 200, "demo: goodwill for a slow first boot"); err != nil {
		log.Warn("sample refund", "order", order, "err", err)
		return
	}
	log.Info("sample refund requested (its credit note follows Stripe's webhook)", "order", order)
}

// seedGPUSample orders a server from the Grid Commons co-op's GPU offer as
// its demo customer, once (when that customer has none), after the demo
// samples: the worker rents a GPU node (a rent contract) and attaches its
// GPUs, so the deployment page shows them. Failures are logged.
func seedGPUSample(ctx context.Context, p *platform, log *slog.Logger, customerEmail string) {
	commons, err := tenant.NewStore(p.db).BySlug(ctx, "commons")
	if err != nil {
		log.Warn("GPU sample: no co-op", "err", err)
		return
	}
	var customer uuid.UUID
	if err := tenant.InTx(tenant.WithID(ctx, commons.ID), p.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &customer, `SELECT id FROM accounts WHERE email = $1`, customerEmail)
	}); err != nil {
		log.Warn("GPU sample: no co-op customer", "err", err)
		return
	}
	cctx := tenant.WithActor(tenant.WithID(ctx, commons.ID), tenant.Actor{Kind: tenant.ActorUser, ID: customer, Name: customerEmail})
	if have, err := p.deploy.List(cctx, false, time.Now().Add(time.Hour), 1); err != nil || len(have) > 0 {
		return
	}
	offers, err := p.deploy.Offers(tenant.WithID(ctx, commons.ID))
	if err != nil {
		log.Warn("GPU sample: offers", "err", err)
		return
	}
	var offer, chat *deploy.Offer
	for i := range offers {
		switch {
		case offers[i].Capability == deploy.CapGPU && offers[i].App == "":
			offer = &offers[i]
		case offers[i].App == deploy.AppOpenWebUI:
			chat = &offers[i]
		}
	}
	if offer == nil {
		log.Warn("GPU sample: the co-op has no GPU offer")
		return
	}
	if err := sampleCard(cctx, p.billing); err != nil {
		log.Warn("GPU sample: card", "err", err)
		return
	}
	if err := until(ctx, func() bool { cards, err := p.billing.Cards(cctx); return err == nil && len(cards) > 0 }); err != nil {
		log.Warn("GPU sample: the test card was not saved", "err", err)
		return
	}
	key, err := sampleSSHKey()
	if err != nil {
		log.Warn("GPU sample: ssh key", "err", err)
		return
	}
	size := "medium"
	if len(offer.Sizes) > 0 {
		size = offer.Sizes[0]
	}
	in := deploy.CreateInput{Name: "render-1", Image: "ubuntu-24.04", SSHKey: key, Placement: "default", OfferID: &offer.ID,
		ClientKey: "dev-sample-gpu-render-1", QuoteInput: billing.QuoteInput{Size: size, Months: 1}}
	if d, err := p.deploy.Create(cctx, in); err != nil {
		log.Warn("GPU sample deployment", "err", err)
	} else {
		log.Info("GPU sample deployment ordered", "name", d.Name, "id", d.ID, "offer", offer.Name)
	}
	// Open WebUI from the co-op's app offer: another GPU node rented whole,
	// its payment split among the members like any co-op payment.
	if chat == nil {
		log.Warn("GPU sample: the co-op has no Open WebUI offer")
		return
	}
	in = deploy.CreateInput{Name: "chat-1", App: deploy.AppOpenWebUI, AppConfig: json.RawMessage(`{"model": "llama3.2:3b"}`), SSHKey: key,
		Placement: "default", OfferID: &chat.ID, ClientKey: "dev-sample-openwebui-chat-1"}
	if d, err := p.deploy.Create(cctx, in); err != nil {
		log.Warn("Open WebUI sample", "err", err)
	} else {
		log.Info("Open WebUI sample ordered", "name", d.Name, "id", d.ID, "offer", chat.Name)
	}
}

// sampleDeclined records a server whose card was declined (issue 15 item
// 3): the customer's page says "Payment failed" with a retry, and the
// admin's "Needs attention" lists it with Dismiss. No money moved, so the
// ledger has nothing of it.
func sampleDeclined(ctx context.Context, p *platform, tid, customer uuid.UUID, key string) error {
	return tenant.InTx(ctx, p.db, func(tx *tenant.Tx) error {
		var order uuid.UUID
		if err := tx.GetContext(ctx, &order, `INSERT INTO orders (tenant_id, account_id, status, description, currency, subtotal_cents, amount_cents, failure_message)
			VALUES ($1, $2, 'failed', 'VM shop-1: 1 vCPU, 2 GB RAM, 25 GB disk', 'usd', 608, 608, 'Your card was declined.') RETURNING id`, tid, customer); err != nil {
			return err
		}
		id := uuid.New()
		_, err := tx.ExecContext(ctx, `INSERT INTO deployments (id, tenant_id, account_id, order_id, name, image, spec, ssh_key, placement, status, project)
			VALUES ($1, $2, $3, $4, 'shop-1', 'ubuntu-24.04', '{"size":"small","cpu":1,"ram_gb":2,"disk_gb":25}', $5, 'default', 'awaiting_payment', $6)`,
			id, tid, customer, order, key, deploy.ProjectName(id))
		return err
	})
}

// sampleCard saves Stripe's Visa test card for the customer of ctx.
func sampleCard(ctx context.Context, b *billing.Service) error {
	if cards, err := b.Cards(ctx); err == nil && len(cards) > 0 {
		return nil
	}
	si, err := b.NewSetupIntent(ctx)
	if err != nil {
		return err
	}
	return b.MockConfirmSetup(ctx, si.ID, "pm_card_visa")
}

// sampleSSHKey is a fresh public key (the demo never logs in with it).
func sampleSSHKey() (string, error) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + " demo@fiatdashboard", nil
}

// until polls ok every half second for up to 30 seconds.
func until(ctx context.Context, ok func() bool) error {
	for i := 0; i < 60; i++ {
		if ok() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Errorf("not done after 30 s")
}

func waitReady(ctx context.Context, url string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for i := 0; i < 60; i++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer 200 within 30 s", url)
}
