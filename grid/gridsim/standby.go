package gridsim

import (
	"context"
	"slices"

	"github.com/fiatdashboard/fiatdashboard/grid"
)

// RemoveStandbyVM implements grid.Grid: the standby VM's contracts (VM,
// network, rent) are cancelled and dropped from the project.
func (s *Sim) RemoveStandbyVM(ctx context.Context, name string) (grid.Project, error) {
	return s.inProject(ctx, name, true, func(w *world, p *project) (grid.Project, error) {
		if sb := p.standby; sb != nil {
			for _, id := range []uint64{sb.vmContract, sb.netContract, sb.rentContract} {
				if c := w.contracts[id]; id != 0 && c != nil {
					w.deleteContract(c)
					p.contracts = slices.DeleteFunc(p.contracts, func(x uint64) bool { return x == id })
				}
			}
			p.standby = nil
		}
		return w.snapshot(p, nil), nil
	})
}
