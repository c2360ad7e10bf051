package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/deploy"
)

// adminOverview is the tenant admin's business dashboard: this month's
// money from the ledger and the deployments and pool at a glance. The
// wallet's runway and tier come from /api/admin/wallet.
func (s *Server) adminOverview(c *fiber.Ctx) error {
	ctx := c.UserContext()
	money, err := s.deps.Billing.MonthMoney(ctx, time.Now())
	if err != nil {
		return err
	}
	activity, err := s.deps.Deploy.Activity(ctx)
	if err != nil {
		return err
	}
	return c.JSON(struct {
		Money    *billing.Money   `json:"money"`
		Activity *deploy.Activity `json:"activity"`
	}{money, activity})
}
