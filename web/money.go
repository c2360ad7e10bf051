package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
)

// Money you can trust (issue 15): the one definition of revenue, invoices.

// adminRevenue reports the month's figures as billing.Revenue defines them
// (?month=YYYY-MM, default this month), with their definitions.
func (s *Server) adminRevenue(c *fiber.Ctx) error {
	at := time.Now()
	if m := c.Query("month"); m != "" {
		t, err := time.Parse("2006-01", m)
		if err != nil {
			return fiatdashboard.Invalid("month", "month is YYYY-MM")
		}
		at = t
	}
	from, to := billing.MonthOf(at)
	r, err := s.deps.Billing.Revenue(c.UserContext(), from, to)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"figures": r, "definitions": billing.RevenueDefinitions})
}
