package gridsim

import (
	"context"
	"slices"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// The grid proxy and GraphQL are indexers of the chain (processor over
// tfchain events): a contract appears in their listings some seconds after
// the block that created it. The simulator models that lag on its clock:
// a contract created at T is listed by project name from T + IndexerLag
// on. Reads by contract id (the chain itself) see it at once.

// SetIndexerLag sets how long after its creation a contract appears in
// listings by project name (the simulated clock's time; Advance moves
// it).
func (s *Sim) SetIndexerLag(d time.Duration) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	s.w.indexerLag = max(d, 0)
}

// indexed reports whether the indexers list c by now.
func (w *world) indexed(c *contract) bool {
	return !w.now.Before(c.CreatedAt.Add(w.indexerLag))
}

// seenWith returns what a read sees: contracts the indexers list, and
// the known ids (read from the chain by id).
func (w *world) seenWith(known []uint64) func(*contract) bool {
	return func(c *contract) bool { return w.indexed(c) || slices.Contains(known, c.ID) }
}

// Project implements grid.Grid: the indexers' listing of the project's
// contracts plus the known ones.
func (s *Sim) Project(ctx context.Context, name string, known ...uint64) (grid.Project, error) {
	if err := s.wait(ctx, false); err != nil {
		return grid.Project{}, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	p := s.w.liveProject(projectKey{s.twin, name})
	if p == nil {
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q does not exist", name)
	}
	out := s.w.snapshot(p, s.w.seenWith(known))
	if len(out.Contracts) == 0 {
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q has no listed contract", name)
	}
	return out, nil
}

// CancelProject implements grid.Grid: it cancels what the indexers list
// under the name and the known contracts; a contract neither listed yet
// nor known stays (and bills), as on the real grid.
func (s *Sim) CancelProject(ctx context.Context, name string, known ...uint64) error {
	if err := s.wait(ctx, true); err != nil {
		return err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	key := projectKey{s.twin, name}
	p := s.w.liveProject(key)
	if p == nil {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q does not exist", name)
	}
	seen := s.w.seenWith(known)
	var ids []uint64
	for _, id := range p.contracts {
		if c := s.w.contracts[id]; c.State != grid.ContractDeleted && seen(c) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q has no listed contract", name)
	}
	s.w.cancel(ids)
	return nil
}

// CancelContracts implements grid.Grid.
func (s *Sim) CancelContracts(ctx context.Context, ids []uint64) error {
	if err := s.wait(ctx, true); err != nil {
		return err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	for _, id := range ids {
		c := s.w.contracts[id]
		if c == nil || c.TwinID != s.twin {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "contract %d does not exist", id)
		}
	}
	s.w.cancel(ids)
	return nil
}

// cancel deletes the contracts, node and name contracts before rent
// contracts (TFChain refuses to cancel a rent contract while node
// contracts run on its node), and drops emptied projects and their VMs.
func (w *world) cancel(ids []uint64) {
	ids = slices.Clone(ids)
	slices.SortStableFunc(ids, func(a, b uint64) int {
		ra, rb := w.contracts[a].Kind == grid.RentContract, w.contracts[b].Kind == grid.RentContract
		switch {
		case ra == rb:
			return 0
		case rb:
			return -1
		default:
			return 1
		}
	})
	touched := map[projectKey]bool{}
	for _, id := range ids {
		c := w.contracts[id]
		w.deleteContract(c)
		touched[c.project] = true
	}
	for key := range touched {
		p := w.projects[key]
		if p == nil {
			continue
		}
		if p.standby != nil && w.contracts[p.standby.vmContract].State == grid.ContractDeleted {
			p.standby = nil
		}
		w.liveProject(key)
	}
}

// SetStash sets the usable balance of the stash account bonded to a twin
// (TwinBoundedAccountID), which the chain adds to the twin's usable
// balance when it judges the staking discount. ENOTFOUND for an unknown
// twin.
func (s *Sim) SetStash(twinID uint32, amount grid.TFTUnits) error {
	if amount < 0 {
		return fiatdashboard.Invalid("amount", "a stash cannot be negative")
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	t, err := s.w.twin(twinID)
	if err != nil {
		return err
	}
	t.Stash = amount
	return nil
}

// TwinBalances implements grid.Grid. The simulator bills each hour in
// full, so nothing stays locked.
func (s *Sim) TwinBalances(ctx context.Context, twinID uint32) (grid.Balances, error) {
	if err := s.wait(ctx, false); err != nil {
		return grid.Balances{}, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	t, err := s.w.twin(twinID)
	if err != nil {
		return grid.Balances{}, err
	}
	return grid.Balances{Free: t.Balance, Stash: t.Stash}, nil
}
