package deploy

import (
	"context"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// ReadScope checks, as List (one false) or Get (one true) would, that the
// caller in ctx may read deployments, and returns what else their answer
// depends on besides the tenant and the caller's account: the outcome of
// each permission check List or Get makes (web's page cache keys cached
// answers on it, so a caller whose role changed never gets an answer built
// for the old role). It reads nothing from the database. Keep it in step
// with List, Get and detail when they learn a new permission check.
func (s *Service) ReadScope(ctx context.Context, all, one bool) (string, error) {
	if !one {
		if all {
			return "list:all", s.authz.Require(ctx, "admin/deployments", "read")
		}
		return "list:own", s.authz.Require(ctx, "store/deployments", "read")
	}
	if err := s.authz.Require(ctx, "store/deployments", "read"); err != nil {
		return "", err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	scope := []byte("get:")
	for _, ok := range []bool{
		actor.Kind == tenant.ActorSystem,
		s.authz.Require(ctx, "admin/deployments", "read") == nil, // staff: any of the tenant's
		s.authz.Require(ctx, "store/orders", "read") == nil,      // billing.Order: the order
		s.authz.Require(ctx, "admin/billing", "read") == nil,     // billing.Order: anyone's order
	} {
		if ok {
			scope = append(scope, '1')
		} else {
			scope = append(scope, '0')
		}
	}
	return string(scope), nil
}
