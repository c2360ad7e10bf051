package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/fiatdashboard/fiatdashboard/deploy"
)

// adminCustomers lists the storefront's customers: ?q= (an e-mail prefix),
// ?cursor= (next_cursor) and ?limit=.
func (s *Server) adminCustomers(c *fiber.Ctx) error {
	limit, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Deploy.Customers(c.UserContext(), utils.CopyString(c.Query("q")), utils.CopyString(c.Query("cursor")), limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(x deploy.Customer) string { return x.Email }))
}

// adminCustomer is one customer with its latest deployments, payments and cards.
func (s *Server) adminCustomer(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.deps.Deploy.Customer(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}
