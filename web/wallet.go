package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fiatdashboard/fiatdashboard/billing"
)

func (s *Server) adminWallet(c *fiber.Ctx) error {
	v, err := s.deps.Treasury.Wallet(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) adminSaveWallet(c *fiber.Ctx) error {
	var in billing.WalletInput
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Treasury.SaveWallet(c.UserContext(), in); err != nil {
		return err
	}
	return s.adminWallet(c)
}

func (s *Server) adminSavePolicy(c *fiber.Ctx) error {
	var in billing.Policy
	if err := bind(c, &in); err != nil {
		return err
	}
	p, err := s.deps.Treasury.SavePolicy(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) adminTopUpNow(c *fiber.Ctx) error {
	t, err := s.deps.Treasury.Plan(c.UserContext(), "top up now", true)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(t)
}
