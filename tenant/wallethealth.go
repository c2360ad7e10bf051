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

// SetWalletHealth sets who reports the wallets' health in the tenant list.
func (s *Service) SetWalletHealth(r WalletHealthReader) { s.wallets = r }

// fillWalletHealth fills the page's wallet column with one read.
func (s *Service) fillWalletHealth(ctx context.Context, page []ConsoleTenant) error {
	if s.wallets == nil || len(page) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(page))
	for i, t := range page {
		ids[i] = t.ID
	}
	health, err := s.wallets.WalletHealth(ctx, ids)
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

// SetRevenue sets who reports the revenue column of the tenant list.
func (s *Service) SetRevenue(r RevenueReader) { s.revenue = r }

// fillRevenue fills the page's revenue columns with one read.
func (s *Service) fillRevenue(ctx context.Context, page []ConsoleTenant) error {
	if s.revenue == nil || len(page) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(page))
	for i, t := range page {
		ids[i] = t.ID
	}
	rev, err := s.revenue.MonthRevenue(ctx, ids, time.Now())
	if err != nil {
		return err
	}
	for i := range page {
		r := rev[page[i].ID]
		page[i].RevenueMonth, page[i].NetMonth, page[i].PlatformFeesMonth = r.Gross, r.Net, r.PlatformFees
	}
	return nil
}
