package deploy

import (
	"context"

	"github.com/google/uuid"
)

// AdminCancel cancels one of the tenant's deployments on behalf of its staff
// (admin/deployments write, on top of what Cancel checks): the admin route
// must need an admin role, even though a customer may cancel their own
// deployments through the storefront's route. EFORBIDDEN for anyone else;
// ENOTFOUND as Cancel.
func (s *Service) AdminCancel(ctx context.Context, id uuid.UUID) (*Deployment, error) {
	if err := s.authz.Require(ctx, "admin/deployments", "write"); err != nil {
		return nil, err
	}
	return s.Cancel(ctx, id)
}
