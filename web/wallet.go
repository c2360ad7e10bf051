package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/fiatdashboard/fiatdashboard"

	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
)

func (s *Server) adminWallet(c *fiber.Ctx) error {
	v, err := s.deps.Treasury.Wallet(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) adminSaveWallet(c *fiber.Ctx) error {
	var in treasury.WalletInput
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Treasury.SaveWallet(c.UserContext(), in); err != nil {
		return err
	}
	return s.adminWallet(c)
}

func (s *Server) adminSavePolicy(c *fiber.Ctx) error {
	var in treasury.Policy
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

// adminWalletHistory is the wallet's balance and burn, one point a day
// (?days=1-90, default 90).
func (s *Server) adminWalletHistory(c *fiber.Ctx) error {
	days := treasury.HistoryDays
	if v := c.Query("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fiatdashboard.Invalid("days", "days must be a number from 1 to %d", treasury.HistoryDays)
		}
		days = n
	}
	out, err := s.deps.Treasury.History(c.UserContext(), days)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"days": days, "items": out})
}
