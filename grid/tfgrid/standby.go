package tfgrid

import (
	"context"

	"github.com/fiatdashboard/fiatdashboard/grid"
)

// RemoveStandbyVM implements grid.Grid: the standby's VM deployment and its
// own network are node contracts on the standby's node; both are cancelled.
func (c *Client) RemoveStandbyVM(ctx context.Context, project string) (grid.Project, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.loadProject(project)
	if err != nil {
		return grid.Project{}, err
	}
	if st.empty() {
		return c.snapshot(ctx, project, st) // ENOTFOUND
	}
	var ids []uint64
	for _, name := range []string{standbyDl(project), standbyNet(project)} {
		if ct, ok := st.byName[name]; ok {
			ids = append(ids, contractID(ct))
		}
	}
	if len(ids) > 0 {
		if err := c.tf.BatchCancelContract(ids); err != nil {
			return grid.Project{}, translate(err, "cancel the standby VM's contracts")
		}
		for _, name := range []string{standbyDl(project), standbyNet(project)} {
			if ct, ok := st.byName[name]; ok {
				c.tf.State.RemoveContractIDs(ct.NodeID, contractID(ct))
			}
		}
		if st, err = c.loadProject(project, st.ids()...); err != nil {
			return grid.Project{}, err
		}
	}
	return c.snapshot(ctx, project, st)
}
