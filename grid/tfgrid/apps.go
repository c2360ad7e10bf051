package tfgrid

import (
	"context"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// DeployGateway implements grid.Grid.
func (c *Client) DeployGateway(ctx context.Context, project string, spec grid.GatewaySpec) (grid.Project, error) {
	return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "gateways are not implemented by the tfgrid adapter yet")
}

// DeployKubernetes implements grid.Grid.
func (c *Client) DeployKubernetes(ctx context.Context, project string, spec grid.K8sSpec) (grid.Project, error) {
	return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "clusters are not implemented by the tfgrid adapter yet")
}

// SetK8sWorkers implements grid.Grid.
func (c *Client) SetK8sWorkers(ctx context.Context, project string, workers []grid.K8sNode) (grid.Project, error) {
	return grid.Project{}, fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "clusters are not implemented by the tfgrid adapter yet")
}

// Kubeconfig implements grid.Grid.
func (c *Client) Kubeconfig(ctx context.Context, project string) (string, error) {
	return "", fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "clusters are not implemented by the tfgrid adapter yet")
}
