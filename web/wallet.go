package web

import (
	"strconv"
	"strings"

	"github.com/google/uuid"

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

// adminTopUpQuote prices "Top up now" before anything is spent: the TFT
// it buys and the most USDC it may spend, valid for treasury.QuoteTTL.
func (s *Server) adminTopUpQuote(c *fiber.Ctx) error {
	q, err := s.deps.Treasury.QuoteTopUp(c.UserContext())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(q)
}

// adminTopUpNow starts the top-up of a quote the tenant admin confirmed
// ({"quote_id"}); it spends at most what the quote showed.
func (s *Server) adminTopUpNow(c *fiber.Ctx) error {
	var in struct {
		QuoteID string `json:"quote_id"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	// A missing or malformed id is uuid.Nil: StartQuoted authorizes first,
	// then answers EINVALID on quote_id.
	id, _ := uuid.Parse(strings.TrimSpace(in.QuoteID))
	t, err := s.deps.Treasury.StartQuoted(c.UserContext(), id)
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
