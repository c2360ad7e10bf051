package tenant

import (
	"context"

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
