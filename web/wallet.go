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

// adminWalletContracts pages the wallet's running contracts with their
// staking tier (?limit=1-100, default 25; ?cursor= from next_cursor).
func (s *Server) adminWalletContracts(c *fiber.Ctx) error {
	limit := 25
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return fiatdashboard.Invalid("limit", "limit must be a number from 1 to 100")
		}
		limit = n
	}
	var after uint64
	if v := c.Query("cursor"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fiatdashboard.Invalid("cursor", "cursor must come from next_cursor")
		}
		after = n
	}
	r, err := s.deps.Treasury.WalletContracts(c.UserContext())
	if err != nil {
		return err
	}
	page, next := r.ContractPage(after, limit)
	out := fiber.Map{"items": page, "total": len(r.Contracts), "by_tier": r.ByTier, "next_cursor": ""}
	if next != 0 {
		out["next_cursor"] = strconv.FormatUint(next, 10)
	}
	return c.JSON(out)
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
