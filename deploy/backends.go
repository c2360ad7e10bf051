package deploy

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Backend is one zdb backend of a deployment's QSFS backup swarm.
type Backend struct {
	NodeID     uint32     `db:"node_id" json:"node_id"`
	Kind       string     `db:"kind" json:"kind"` // data (a shard) or meta (metadata)
	Position   int        `db:"position" json:"position"`
	Status     string     `db:"status" json:"status"` // ok, lost (its node is offline) or replaced
	ReplacedBy *uint32    `db:"replaced_by" json:"replaced_by"`
	LostAt     *time.Time `db:"lost_at" json:"lost_at"`
	UpdatedAt  time.Time  `db:"updated_at" json:"updated_at"`
}

// Backend states.
const (
	BackendOK       = "ok"
	BackendLost     = "lost"
	BackendReplaced = "replaced"
)

// Swarm is a QSFS backup swarm as the deployment page shows it.
type Swarm struct {
	Expected  int    `json:"expected"`  // data shards
	Minimal   int    `json:"minimal"`   // shards that rebuild the data
	Tolerates int    `json:"tolerates"` // data backends it survives losing
	Lost      int    `json:"lost"`      // data backends offline now
	Health    string `json:"health"`    // healthy, degraded or down
	// Backends are the live backends (data, then metadata, by position),
	// then those replaced, newest first.
	Backends []Backend `json:"backends"`
}

const backendColumns = `node_id, kind, position, status, replaced_by, lost_at, updated_at`

func swarmOf(bs []Backend) *Swarm {
	sw := &Swarm{Expected: qsfsExpected, Minimal: qsfsMinimal, Tolerates: qsfsExpected - qsfsMinimal, Health: string(grid.Healthy), Backends: bs}
	for _, b := range bs {
		if b.Kind == "data" && b.Status == BackendLost {
			sw.Lost++
		}
	}
	switch {
	case sw.Lost > sw.Tolerates:
		sw.Health = string(grid.Down)
	case sw.Lost > 0:
		sw.Health = string(grid.Degraded)
	}
	return sw
}

// detail adds what the deployment page shows beyond the row, in the
// caller's transaction: what a cancel gives back, and the backup swarm's backends.
func (s *Service) detail(ctx context.Context, tx *tenant.Tx, d *Deployment) error {
	tid, _ := tenant.IDFromContext(ctx)
	if err := tx.GetContext(ctx, &d.OnCancel, `SELECT on_cancel FROM tenants WHERE id = $1`, tid); err != nil {
		return err
	}
	if err := tx.SelectContext(ctx, &d.GPUs, `SELECT gpu_id, node_id, vendor, device FROM deployment_gpus WHERE deployment_id = $1 ORDER BY gpu_id`, d.ID); err != nil {
		return err
	}
	if d.NodeID != nil && d.Project != "" {
		var rent []uint64
		if err := tx.SelectContext(ctx, &rent, `SELECT contract_id FROM grid_contracts
			WHERE project = $1 AND kind = 'rent' AND node_id = $2 AND canceled_at IS NULL ORDER BY contract_id DESC LIMIT 1`, d.Project, *d.NodeID); err != nil {
			return err
		}
		if len(rent) == 1 {
			d.RentContractID = &rent[0]
		}
	}
	if d.Backup != "qsfs" {
		return nil
	}
	bs := []Backend{}
	if err := tx.SelectContext(ctx, &bs, `SELECT `+backendColumns+` FROM qsfs_backends WHERE deployment_id = $1
		ORDER BY status = 'replaced', CASE WHEN status = 'replaced' THEN updated_at END DESC, kind, position LIMIT 200`, d.ID); err != nil {
		return err
	}
	if len(bs) > 0 {
		d.Swarm = swarmOf(bs)
	}
	return nil
}

// swarmNodes returns the swarm's data and metadata nodes: as stored, or
// chosen now and stored, so every attempt to provision (a retry, a
// duplicate, a restart after a crash) deploys the same swarm.
func (s *Service) swarmNodes(ctx context.Context, d *Deployment, vmNode uint32) ([]uint32, []uint32, error) {
	load := func() ([]uint32, []uint32, error) {
		var bs []Backend
		err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			return tx.SelectContext(ctx, &bs, `SELECT `+backendColumns+` FROM qsfs_backends WHERE deployment_id = $1 AND status <> 'replaced'
				ORDER BY kind, position`, d.ID)
		})
		var data, meta []uint32
		for _, b := range bs {
			if b.Kind == "data" {
				data = append(data, b.NodeID)
			} else {
				meta = append(meta, b.NodeID)
			}
		}
		return data, meta, err
	}
	data, meta, err := load()
	if err != nil || (len(data) == qsfsExpected && len(meta) == qsfsMeta) {
		return data, meta, err
	}
	data, meta, err = s.placeQSFS(ctx, vmNode)
	if err != nil {
		return nil, nil, err
	}
	tid, _ := tenant.IDFromContext(ctx)
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		for kind, nodes := range map[string][]uint32{"data": data, "meta": meta} {
			for i, n := range nodes {
				// A concurrent attempt that stored its choice first wins.
				if _, err := tx.ExecContext(ctx, `INSERT INTO qsfs_backends (tenant_id, deployment_id, node_id, kind, position)
					VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, tid, d.ID, n, kind, i); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return load()
}

// checkBackends finds QSFS backends of running deployments whose node went
// offline, marks them lost and replaces them; a lost backend whose node is
// back before it was replaced is ok again. It returns how many
// deployments had a backend replaced.
func (s *Service) checkBackends(ctx context.Context, h *nodeHealth) (int, error) {
	var rows []struct {
		TenantID     uuid.UUID `db:"tenant_id"`
		DeploymentID uuid.UUID `db:"deployment_id"`
		NodeID       uint32    `db:"node_id"`
		Status       string    `db:"status"`
	}
	err := tenant.SystemTx(ctx, s.db, "job: backup swarm health", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT DISTINCT b.tenant_id, b.deployment_id, b.node_id, b.status FROM qsfs_backends b
			JOIN deployments d ON d.id = b.deployment_id WHERE d.status = 'running' AND b.status IN ('ok', 'lost')
			ORDER BY b.deployment_id, b.node_id LIMIT 50000`)
	})
	if err != nil {
		return 0, err
	}
	type work struct {
		tenant     uuid.UUID
		lost, back []uint32
	}
	byDep := map[uuid.UUID]*work{}
	var order []uuid.UUID
	for _, r := range rows {
		down := h.isDown(ctx, r.NodeID)
		if !down && r.Status == BackendOK {
			continue
		}
		w := byDep[r.DeploymentID]
		if w == nil {
			w = &work{tenant: r.TenantID}
			byDep[r.DeploymentID] = w
			order = append(order, r.DeploymentID)
		}
		if down {
			w.lost = append(w.lost, r.NodeID)
		} else {
			w.back = append(w.back, r.NodeID)
		}
	}
	repaired := 0
	for _, id := range order {
		w := byDep[id]
		tctx := tenant.WithID(tenant.WithActor(ctx, tenant.System("health")), w.tenant)
		if len(w.back) > 0 {
			s.backendsBack(tctx, id, w.back)
		}
		if len(w.lost) == 0 {
			continue
		}
		n, err := s.replaceBackends(tctx, id, w.lost)
		if err != nil {
			s.log.Error("replace backup swarm backends", "deployment", id, "err", err)
		}
		if n > 0 {
			repaired++
		}
	}
	return repaired, nil
}

func (s *Service) backendsBack(ctx context.Context, id uuid.UUID, nodes []uint32) {
	tid, _ := tenant.IDFromContext(ctx)
	tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE qsfs_backends SET status = 'ok', lost_at = NULL, updated_at = now()
			WHERE deployment_id = $1 AND node_id = ANY($2) AND status = 'lost'`, id, pq.Array(nodes)); err != nil {
			return err
		}
		return addEvent(ctx, tx, tid, id, Running, "backup", fmt.Sprintf("backup storage node %s is back online", nodeList(nodes)))
	})
}

// replaceBackends marks the backends on lost nodes lost and moves each to
// another node: the tenant's pool first, then any node with room, never
// one the swarm uses or used. It returns how many it replaced.
func (s *Service) replaceBackends(ctx context.Context, id uuid.UUID, lost []uint32) (int, error) {
	d, err := s.Get(ctx, id)
	if err != nil {
		return 0, err
	}
	tid, _ := tenant.IDFromContext(ctx)
	var newly, used []uint32
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.SelectContext(ctx, &newly, `UPDATE qsfs_backends SET status = 'lost', lost_at = now(), updated_at = now()
			WHERE deployment_id = $1 AND node_id = ANY($2) AND status = 'ok' RETURNING node_id`, id, pq.Array(lost)); err != nil {
			return err
		}
		slices.Sort(newly)
		newly = slices.Compact(newly)
		if len(newly) > 0 {
			if err := addEvent(ctx, tx, tid, id, Running, "backup", fmt.Sprintf("backup storage node %s went offline; the swarm survives %d lost storage nodes and is being repaired",
				nodeList(newly), qsfsExpected-qsfsMinimal)); err != nil {
				return err
			}
		}
		return tx.SelectContext(ctx, &used, `SELECT DISTINCT node_id FROM qsfs_backends WHERE deployment_id = $1`, id)
	})
	if err != nil {
		return 0, err
	}
	g, err := s.gridFor(ctx)
	if err != nil {
		return 0, err
	}
	if d.NodeID != nil {
		used = append(used, *d.NodeID)
	}
	candidates, err := s.backendCandidates(ctx, used)
	if err != nil {
		return 0, err
	}
	replaced := 0
	lost = slices.Compact(slices.Sorted(slices.Values(lost)))
	for _, node := range lost {
		var p grid.Project
		var pick uint32
		for len(candidates) > 0 && pick == 0 {
			c := candidates[0]
			candidates = candidates[1:]
			p, err = g.ReplaceQSFSBackend(ctx, d.Project, "backup", node, c)
			switch grid.FailureReason(err) {
			case "":
				if err != nil {
					return replaced, err
				}
				pick = c
			case grid.ReasonNodeDown, grid.ReasonNodeCapacity:
				// Try the next node.
			default:
				return replaced, err
			}
		}
		if pick == 0 {
			tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
				return addEvent(ctx, tx, tid, id, Running, "backup", fmt.Sprintf("no node has room to replace backup storage node %d yet; trying again", node))
			})
			return replaced, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "no node can take the backend of node %d", node)
		}
		if err := s.backendReplaced(ctx, d, node, pick, p); err != nil {
			return replaced, err
		}
		replaced++
	}
	return replaced, nil
}

// backendReplaced records a replacement: the old rows replaced, new rows in
// their places, the contracts, and an event.
func (s *Service) backendReplaced(ctx context.Context, d *Deployment, lost, pick uint32, p grid.Project) error {
	tid, _ := tenant.IDFromContext(ctx)
	if err := s.RecordContracts(ctx, d.Project, p.Contracts); err != nil {
		return err
	}
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var old []Backend
		if err := tx.SelectContext(ctx, &old, `UPDATE qsfs_backends SET status = 'replaced', replaced_by = $3, updated_at = now()
			WHERE deployment_id = $1 AND node_id = $2 AND status <> 'replaced' RETURNING `+backendColumns, d.ID, lost, pick); err != nil {
			return err
		}
		for _, b := range old {
			if _, err := tx.ExecContext(ctx, `INSERT INTO qsfs_backends (tenant_id, deployment_id, node_id, kind, position) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT DO NOTHING`, tid, d.ID, pick, b.Kind, b.Position); err != nil {
				return err
			}
		}
		ids := make([]int64, 0, len(p.Contracts))
		for _, c := range p.Contracts {
			ids = append(ids, int64(c.ID))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE grid_contracts SET canceled_at = now() WHERE project = $1 AND node_id = $2 AND canceled_at IS NULL
			AND NOT (contract_id = ANY($3))`, d.Project, lost, pq.Array(ids)); err != nil {
			return err
		}
		return addEvent(ctx, tx, tid, d.ID, Running, "backup", fmt.Sprintf("backup storage node %d is offline: its shard is rebuilt on node %d; the swarm again survives %d lost storage nodes",
			lost, pick, qsfsExpected-qsfsMinimal))
	})
}

// backendCandidates lists up nodes with disk for a backend, not in
// exclude: the tenant's pool first, then the catalog by free HDD.
func (s *Service) backendCandidates(ctx context.Context, exclude []uint32) ([]uint32, error) {
	need := grid.Resources{HRU: 20 << 30}
	var out []uint32
	pool, err := s.EligibleNodes(ctx, grid.Resources{}, false)
	if err != nil {
		return nil, err
	}
	eligible := map[uint32]bool{}
	for _, n := range pool {
		eligible[n.ID] = true
		if !slices.Contains(exclude, n.ID) && n.Free().HRU >= need.HRU {
			out = append(out, n.ID)
		}
	}
	// Beyond the pool any node with room will do, except the nodes the
	// tenant may not use: its pool's withdrawn or unexposed nodes, and node
	// operators' registered nodes not exposed to it (exposure off means no
	// new deployment of this tenant, backends included).
	var managed []uint32
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &managed, `SELECT node_id FROM pool_nodes UNION SELECT node_id FROM operator_nodes`)
	}); err != nil {
		return nil, err
	}
	barred := slices.Clone(exclude)
	for _, id := range managed {
		if !eligible[id] {
			barred = append(barred, id)
		}
	}
	page, err := s.catalog.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, MinFree: need, ExcludeNode: barred,
		Page: grid.Page{Size: grid.MaxPageSize}})
	if err != nil {
		return nil, err
	}
	nodes := page.Nodes
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].Free().HRU > nodes[j].Free().HRU })
	for _, n := range nodes {
		if !slices.Contains(out, n.ID) {
			out = append(out, n.ID)
		}
	}
	return out, nil
}

func nodeList(nodes []uint32) string {
	s := ""
	for i, n := range nodes {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(n)
	}
	return s
}
