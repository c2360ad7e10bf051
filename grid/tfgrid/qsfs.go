package tfgrid

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/graphql"
	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/workloads"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// zdbBackend reads the zdb zdbName that the project's QSFS keeps on node and
// returns it as a QSFS backend, with its size. The address is the zdb's
// Mycelium one (400::/7), which the VM reaches over its own Mycelium
// interface (zos pkg/primitives/zdb waitZDBIPs lists the container's
// public, Yggdrasil and Mycelium addresses); a public IPv6 is the fallback
// for a node without Mycelium.
// c.mu must be held.
func (c *Client) zdbBackend(ctx context.Context, project, qsfs string, node uint32, zdbName string) (workloads.Backend, uint64, error) {
	z, err := c.tf.State.LoadZdbFromGrid(ctx, node, zdbName, zdbDl(project, qsfs, node))
	if err != nil {
		return workloads.Backend{}, 0, err
	}
	addr, public := "", ""
	_, mycelium, _ := net.ParseCIDR("400::/7")
	for _, ip := range z.IPs {
		p := net.ParseIP(ip)
		switch {
		case p == nil || p.To4() != nil || p.IsLinkLocalUnicast():
		case mycelium.Contains(p):
			addr = ip
		default:
			public = ip
		}
	}
	if addr == "" {
		addr = public
	}
	if addr == "" {
		return workloads.Backend{}, 0, fmt.Errorf("zdb on node %d has no reachable address", node)
	}
	return workloads.Backend{Address: "[" + addr + "]:" + strconv.FormatUint(uint64(z.Port), 10), Namespace: z.Namespace, Password: z.Password}, z.SizeGB, nil
}

// ReplaceQSFSBackend implements grid.Grid: a zdb deployment on the
// replacement node with the lost node's zdbs, the QSFS workload updated to
// use it (the swarm rebuilds the shard), then the lost node's zdb contract
// cancelled.
func (c *Client) ReplaceQSFSBackend(ctx context.Context, project, qsfs string, lost, replacement uint32) (grid.Project, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.loadProject(project)
	if err != nil {
		return grid.Project{}, err
	}
	if st.empty() {
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q does not exist", project)
	}
	// The VM deployment that mounts the QSFS, and the QSFS's record.
	var dl workloads.Deployment
	var vmContract graphql.Contract
	var rec qsfsRecord
	at := -1
	for _, name := range []string{primaryDl(project), standbyDl(project)} {
		ct, ok := st.byName[name]
		if !ok || at >= 0 {
			continue
		}
		d, err := c.tf.State.LoadDeploymentFromGrid(ctx, ct.NodeID, name)
		if err != nil {
			return grid.Project{}, translate(err, "read the project's VM")
		}
		for i, q := range d.QSFS {
			var r qsfsRecord
			if json.Unmarshal([]byte(q.Description), &r) == nil && r.Name == qsfs {
				dl, vmContract, rec, at = d, ct, r, i
			}
		}
	}
	if at < 0 {
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "project %q has no QSFS %q", project, qsfs)
	}
	data, meta := slices.Index(rec.Data, lost), slices.Index(rec.Meta, lost)
	holds := slices.Contains(rec.Data, replacement) || slices.Contains(rec.Meta, replacement)
	if data < 0 && meta < 0 {
		if holds {
			return c.snapshot(ctx, project, st) // replaced already: a retry
		}
		return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "node %d holds no backend of QSFS %q", lost, qsfs)
	}
	if holds || replacement == lost {
		return grid.Project{}, fiatdashboard.Invalid("node_id", "node %d already holds a backend of QSFS %q; backends sit on distinct nodes", replacement, qsfs)
	}

	// Sizes and the zdb password, from backends that still answer.
	dataName, metaName := "d"+workloadName(qsfs), "m"+workloadName(qsfs)
	dataName, metaName = dataName[:min(len(dataName), 36)], metaName[:min(len(metaName), 36)]
	q := dl.QSFS[at]
	sizeOf := func(nodes []uint32, zdbName string) (uint64, string, error) {
		var last error
		for _, id := range nodes {
			if id == lost {
				continue
			}
			z, err := c.tf.State.LoadZdbFromGrid(ctx, id, zdbName, zdbDl(project, qsfs, id))
			if err == nil {
				return z.SizeGB, z.Password, nil
			}
			last = err
		}
		return 0, "", fmt.Errorf("no backend of the QSFS answers: %w", last)
	}
	var zdbs []workloads.ZDB
	var need uint64
	if data >= 0 {
		size, password, err := sizeOf(rec.Data, dataName)
		if err != nil {
			return grid.Project{}, translate(err, "read the QSFS backends")
		}
		zdbs = append(zdbs, workloads.ZDB{Name: dataName, Password: password, Public: false, SizeGB: size, Mode: workloads.ZDBModeSeq})
		need += size * grid.GB
	}
	if meta >= 0 {
		size, password, err := sizeOf(rec.Meta, metaName)
		if err != nil {
			return grid.Project{}, translate(err, "read the QSFS backends")
		}
		zdbs = append(zdbs, workloads.ZDB{Name: metaName, Password: password, Public: false, SizeGB: size, Mode: workloads.ZDBModeUser})
		need += size * grid.GB
	}
	name := zdbDl(project, qsfs, replacement)
	var created []uint64
	if _, done := st.byName[name]; !done {
		n, err := c.checkNode(ctx, replacement, grid.Resources{}, false)
		if err != nil {
			return grid.Project{}, err
		}
		if f := n.Free(); f.HRU < need && f.SRU < need {
			return grid.Project{}, grid.Fail(grid.ReasonNodeCapacity, "node %d lacks disk for the zdbs", replacement)
		}
		if err := c.checkFunds(ctx, grid.Workload{HRU: need, Certified: n.Certified}); err != nil {
			return grid.Project{}, err
		}
		zdl := workloads.NewDeployment(name, replacement, project, nil, "", nil, zdbs, nil, nil, nil, nil)
		err = c.tf.DeploymentDeployer.Deploy(ctx, &zdl)
		if zdl.ContractID != 0 {
			created = append(created, zdl.ContractID)
		}
		if err != nil {
			return grid.Project{}, translate(err, "deploy the replacement QSFS backend")
		}
	}

	// The QSFS uses the new backend in the lost one's place.
	if data >= 0 {
		b, _, err := c.zdbBackend(ctx, project, qsfs, replacement, dataName)
		if err != nil {
			return grid.Project{}, translate(err, "read the replacement backend")
		}
		for g := range q.Groups {
			if data < len(q.Groups[g].Backends) {
				q.Groups[g].Backends[data] = b
				break
			}
			data -= len(q.Groups[g].Backends)
		}
		rec.Data = slices.Clone(rec.Data)
		rec.Data[slices.Index(rec.Data, lost)] = replacement
	}
	if meta >= 0 {
		b, _, err := c.zdbBackend(ctx, project, qsfs, replacement, metaName)
		if err != nil {
			return grid.Project{}, translate(err, "read the replacement backend")
		}
		if meta < len(q.Metadata.Backends) {
			q.Metadata.Backends[meta] = b
		}
		rec.Meta = slices.Clone(rec.Meta)
		rec.Meta[slices.Index(rec.Meta, lost)] = replacement
	}
	desc, _ := json.Marshal(rec)
	q.Description = string(desc)
	dl.QSFS[at] = q
	dl.SolutionType = project
	dl.ContractID = contractID(vmContract)
	dl.NodeDeploymentID = map[uint32]uint64{vmContract.NodeID: dl.ContractID}
	if err := c.refuseDrained("point the QSFS at the replacement backend"); err != nil {
		return grid.Project{}, err
	}
	if err := c.tf.DeploymentDeployer.Deploy(ctx, &dl); err != nil {
		return grid.Project{}, translate(err, "point the QSFS at the replacement backend")
	}
	if old, ok := st.byName[zdbDl(project, qsfs, lost)]; ok {
		if err := c.tf.BatchCancelContract([]uint64{contractID(old)}); err != nil {
			return grid.Project{}, translate(err, "cancel the lost backend's contract")
		}
		c.tf.State.RemoveContractIDs(old.NodeID, contractID(old))
	}
	if st, err = c.loadProject(project, append(st.ids(), created...)...); err != nil {
		return grid.Project{}, err
	}
	return c.snapshot(ctx, project, st)
}
