package billingtest

import (
	"context"

	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
)

// SimWalletGrids is the grid factory tests give a Treasury
// (treasury.Options.Grids): a tenant's wallet acts as its twin on the simulator,
// so its deployments are that twin's contracts.
func SimWalletGrids(sim *gridsim.Sim) treasury.GridFactory {
	return func(ctx context.Context, twinID uint32, _ string) (grid.Grid, error) {
		if _, err := sim.TwinKYC(ctx, twinID); err != nil {
			return nil, err
		}
		return sim.AsTwin(twinID), nil
	}
}
