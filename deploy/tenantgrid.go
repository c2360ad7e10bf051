package deploy

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TenantGrids gives the grid as a tenant's wallet twin, which signs and pays
// for the tenant's deployments (billing's Treasury implements it).
type TenantGrids interface {
	// TenantGrid returns treasury.ErrNoWallet (ECONFLICT) when the tenant
	// has no wallet.
	TenantGrid(ctx context.Context, tenantID uuid.UUID) (grid.Grid, error)
	// HasWallet reports whether the tenant has a wallet (the health page).
	HasWallet(ctx context.Context, tenantID uuid.UUID) (bool, error)
}

// gridFor returns the grid acting as the wallet twin of ctx's tenant.
func (s *Service) gridFor(ctx context.Context) (grid.Grid, error) {
	if s.wallets == nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "deployments: the tenants' wallet grids are not wired")
	}
	tid, ok := tenant.IDFromContext(ctx)
	if !ok {
		return nil, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "deployments: no tenant in context")
	}
	return s.wallets.TenantGrid(ctx, tid)
}

// noWallet reports whether err says the tenant has no wallet.
func noWallet(err error) bool { return errors.Is(err, treasury.ErrNoWallet) }
