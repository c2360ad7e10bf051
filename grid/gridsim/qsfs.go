package gridsim

import (
	"context"
	"slices"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// ReplaceQSFSBackend implements grid.Grid: the zdbs on lost move to a new
// contract on replacement, and lost's contract is cancelled. On ZOS this
// changes only what may change: a new zdb deployment, and an update of
// the qsfs workload's backends in the VM's deployment (the qsfs manager
// implements provision.Updater; the zmachine workload stays as it is).
func (s *Sim) ReplaceQSFSBackend(ctx context.Context, name, qsfs string, lost, replacement uint32) (grid.Project, error) {
	return s.inProject(ctx, name, true, func(w *world, p *project) (grid.Project, error) {
		return w.replaceBackend(name, p, qsfs, lost, replacement)
	})
}

func (w *world) replaceBackend(name string, p *project, qsfs string, lost, replacement uint32) (grid.Project, error) {
	var q *qsfsState
	for _, x := range p.qsfs {
		if x.spec.Name == qsfs {
			q = x
		}
	}
	if q == nil {
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q has no QSFS %q", name, qsfs)
	}
	data, meta := slices.Index(q.spec.DataNodes, lost), slices.Index(q.spec.MetaNodes, lost)
	holds := slices.Contains(q.spec.DataNodes, replacement) || slices.Contains(q.spec.MetaNodes, replacement)
	if data < 0 && meta < 0 {
		if holds {
			return w.snapshot(p, nil), nil // replaced already: a retry
		}
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "node %d holds no backend of QSFS %q", lost, qsfs)
	}
	if holds || replacement == lost {
		return grid.Project{}, fiatdashboard.Invalid("node_id", "node %d already holds a backend of QSFS %q; backends sit on distinct nodes", replacement, qsfs)
	}
	n, err := w.node(replacement)
	if err != nil {
		return grid.Project{}, err
	}
	t := w.twins[p.key.twin]
	if err := w.admit(t, n); err != nil {
		return grid.Project{}, err
	}
	var size uint64
	if data >= 0 {
		size += q.spec.ShardSize
	}
	if meta >= 0 {
		size += q.spec.MetaSize
	}
	var need grid.Resources
	switch free := n.Total.Sub(n.used); {
	case free.HRU >= size:
		need.HRU = size
	case free.SRU >= size:
		need.SRU = size
	default:
		return grid.Project{}, grid.Fail(grid.ReasonNodeCapacity, "node %d lacks disk for a %d GB zdb", replacement, size/grid.GB)
	}
	if err := w.checkFunds(t, w.firstHour(n, grid.Workload{SRU: need.SRU, HRU: need.HRU})); err != nil {
		return grid.Project{}, err
	}
	if n.status == grid.NodeStandby {
		w.setStatus(n, grid.NodeUp)
	}
	c := w.newContract(p, grid.NodeContract, n, "zdb:"+qsfs, need)
	for i, id := range q.contracts {
		if old := w.contracts[id]; old.NodeID == lost {
			w.deleteContract(old)
			q.contracts = slices.Delete(q.contracts, i, i+1)
			break
		}
	}
	q.contracts = append(q.contracts, c.ID)
	q.spec.DataNodes, q.spec.MetaNodes = slices.Clone(q.spec.DataNodes), slices.Clone(q.spec.MetaNodes)
	if data >= 0 {
		q.spec.DataNodes[data] = replacement
	}
	if meta >= 0 {
		q.spec.MetaNodes[meta] = replacement
	}
	return w.snapshot(p, nil), nil
}
