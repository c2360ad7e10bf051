package tenant

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// WalletHealth is how a tenant's grid wallet stands, for the console.
type WalletHealth struct {
	Status string // "not set up", "healthy", "low runway" or "failing"
	Note   string // why, in a sentence; may be empty
}

// WalletHealthReader reports the wallet health of tenants (the treasury
// implements it). It reads every tenant of ids in one go; a tenant without a
// wallet is missing from the map.
type WalletHealthReader interface {
	WalletHealth(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]WalletHealth, error)
}

// Readers are the console tenant list's columns that other domains own,
// each read for a whole page in one go; a nil reader leaves its column at
// its default.
type Readers struct {
	Wallets     WalletHealthReader // the treasury
	Revenue     RevenueReader      // billing
	Stripe      StripeHealthReader // billing
	Deployments DeploymentCounter  // deploy
}

// StripeHealthReader reports tenants' Connect accounts as Stripe last
// reported them: "healthy", "payouts pending" or "onboarding" (billing
// implements it). A tenant without an account is missing from the map.
type StripeHealthReader interface {
	StripeHealth(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error)
}

// DeploymentCounter counts tenants' live deployments (provisioning,
// running, suspended; deploy implements it). A tenant without one is
// missing from the map.
type DeploymentCounter interface {
	LiveDeployments(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]int, error)
}

// fillStripeAndDeployments fills the page's Stripe health and deployment
// count columns, one read each.
func (s *Service) fillStripeAndDeployments(ctx context.Context, page []ConsoleTenant) error {
	for i := range page {
		page[i].StripeHealth = "not connected"
		if page[i].Kind == KindCoop {
			page[i].StripeHealth = "platform account" // a co-op charges on the platform's account
		}
	}
	if len(page) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(page))
	for i, t := range page {
		ids[i] = t.ID
	}
	if s.readers.Stripe != nil {
		health, err := s.readers.Stripe.StripeHealth(ctx, ids)
		if err != nil {
			return err
		}
		for i := range page {
			if h, ok := health[page[i].ID]; ok && page[i].Kind != KindCoop {
				page[i].StripeHealth = h
			}
		}
	}
	if s.readers.Deployments != nil {
		live, err := s.readers.Deployments.LiveDeployments(ctx, ids)
		if err != nil {
			return err
		}
		for i := range page {
			page[i].Deployments = live[page[i].ID]
		}
	}
	return nil
}

// fillWalletHealth fills the page's wallet column with one read.
func (s *Service) fillWalletHealth(ctx context.Context, page []ConsoleTenant) error {
	if s.readers.Wallets == nil || len(page) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(page))
	for i, t := range page {
		ids[i] = t.ID
	}
	health, err := s.readers.Wallets.WalletHealth(ctx, ids)
	if err != nil {
		return err
	}
	for i := range page {
		if h, ok := health[page[i].ID]; ok {
			page[i].WalletHealth, page[i].WalletNote = h.Status, h.Note
		}
	}
	return nil
}

// MonthRevenue is a tenant's money this calendar month as billing defines
// it (billing.Revenue): gross, net, and the platform's fees.
type MonthRevenue struct {
	Gross        int64
	Net          int64
	PlatformFees int64
}

// RevenueReader reports tenants' revenue of the month holding now (billing
// implements it; one definition of revenue for every page).
type RevenueReader interface {
	MonthRevenue(ctx context.Context, ids []uuid.UUID, now time.Time) (map[uuid.UUID]MonthRevenue, error)
}

// fillRevenue fills the page's revenue columns with one read.
func (s *Service) fillRevenue(ctx context.Context, page []ConsoleTenant) error {
	if s.readers.Revenue == nil || len(page) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(page))
	for i, t := range page {
		ids[i] = t.ID
	}
	rev, err := s.readers.Revenue.MonthRevenue(ctx, ids, time.Now())
	if err != nil {
		return err
	}
	for i := range page {
		r := rev[page[i].ID]
		page[i].RevenueMonth, page[i].NetMonth, page[i].PlatformFeesMonth = r.Gross, r.Net, r.PlatformFees
	}
	return nil
}
