package web

import (
	"context"
	"encoding/csv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// stripeWebhook receives the platform account's own Stripe events (the
// account endpoint). A bad signature is a 400 that changes nothing; a
// duplicate is a 200.
func (s *Server) stripeWebhook(c *fiber.Ctx) error {
	if err := s.deps.Billing.ReceiveWebhook(c.UserContext(), append([]byte(nil), c.Body()...), c.Get("Stripe-Signature")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"received": true})
}

// stripeConnectWebhook receives connected accounts' Stripe events (the
// Connect endpoint), checked with the Connect endpoint's own secret.
func (s *Server) stripeConnectWebhook(c *fiber.Ctx) error {
	if err := s.deps.Billing.ReceiveConnectWebhook(c.UserContext(), append([]byte(nil), c.Body()...), c.Get("Stripe-Signature")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"received": true})
}

func (s *Server) catalog(c *fiber.Ctx) error {
	if siteOf(c).Tenant == nil {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	body, err := s.catalogs.get(c.UserContext(), siteOf(c).Tenant.ID, func(ctx context.Context) (any, error) {
		return s.deps.Billing.Catalog(ctx)
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}

func (s *Server) quote(c *fiber.Ctx) error {
	if siteOf(c).Tenant == nil {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	var in deploy.QuoteInput
	if err := bind(c, &in); err != nil {
		return err
	}
	_, signedIn := actorOf(c)
	q, err := s.deps.Deploy.Quote(c.UserContext(), in, !signedIn)
	if err != nil {
		return err
	}
	return c.JSON(q)
}

func (s *Server) cards(c *fiber.Ctx) error {
	out, err := s.deps.Billing.Cards(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": nonNil(out), "mode": s.deps.Billing.Mode(), "test_cards": mockCards(s.deps.Billing.Mode())})
}

func mockCards(mode string) []fiber.Map {
	if mode != "mock" {
		return []fiber.Map{}
	}
	out := []fiber.Map{}
	for _, id := range []string{"pm_card_visa", "pm_card_chargeDeclined", "pm_card_authenticationRequired"} {
		out = append(out, fiber.Map{"id": id, "label": billing.MockPaymentMethods[id]})
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) setupIntent(c *fiber.Ctx) error {
	si, err := s.deps.Billing.NewSetupIntent(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(si)
}

func (s *Server) mockConfirmSetup(c *fiber.Ctx) error {
	var in struct {
		SetupIntent   string `json:"setup_intent"`
		PaymentMethod string `json:"payment_method"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Billing.MockConfirmSetup(c.UserContext(), in.SetupIntent, in.PaymentMethod); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"confirmed": true})
}

func (s *Server) defaultCard(c *fiber.Ctx) error {
	if err := s.deps.Billing.SetDefaultCard(c.UserContext(), utilsCopy(c.Params("id"))); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) removeCard(c *fiber.Ctx) error {
	if err := s.deps.Billing.RemoveCard(c.UserContext(), utilsCopy(c.Params("id"))); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// timePage reads ?limit= and a creation-time ?cursor= (from next_cursor) of
// lists ordered newest first.
func timePage(c *fiber.Ctx) (before time.Time, limit int, err error) {
	if limit, err = page(c); err != nil {
		return
	}
	v := c.Query("cursor")
	if v == "" {
		return time.Now().Add(time.Hour), limit, nil
	}
	if before, err = time.Parse(time.RFC3339Nano, v); err != nil {
		return time.Time{}, 0, fiatdashboard.Invalid("cursor", "cursor must come from next_cursor")
	}
	return before, limit, nil
}

func (s *Server) orders(c *fiber.Ctx) error {
	before, limit, err := timePage(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Billing.Orders(c.UserContext(), before, limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(o billing.Order) string { return o.CreatedAt.Format(time.RFC3339Nano) }))
}

func (s *Server) order(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	o, err := s.deps.Billing.Order(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

func (s *Server) mockAuthenticate(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	o, err := s.deps.Billing.MockAuthenticate(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

func (s *Server) adminConnect(c *fiber.Ctx) error {
	st, err := s.deps.Billing.Connect(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (s *Server) adminConnectLink(c *fiber.Ctx) error {
	url, err := s.deps.Billing.OnboardingLink(c.UserContext(), c.BaseURL())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"url": url})
}

func (s *Server) adminPayments(c *fiber.Ctx) error {
	before, limit, err := timePage(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Billing.Payments(c.UserContext(), before, limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(o billing.Order) string { return o.CreatedAt.Format(time.RFC3339Nano) }))
}

// adminPaymentsCSV exports up to 10,000 of the latest payments.
func (s *Server) adminPaymentsCSV(c *fiber.Ctx) error {
	out, err := s.deps.Billing.Payments(c.UserContext(), time.Now().Add(time.Hour), 10000)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="payments.csv"`)
	w := csv.NewWriter(c.Response().BodyWriter())
	// The documents of each payment: its invoice, and the credit notes of
	// what was given back (refunds, lost disputes), "; "-separated.
	w.Write([]string{"order_id", "created_at", "status", "description", "currency", "subtotal", "discount", "amount", "platform_fee", "refunded", "paid_at",
		"invoice_number", "credit_note_numbers"})
	for _, o := range out {
		paid := ""
		if o.PaidAt != nil {
			paid = o.PaidAt.Format(time.RFC3339)
		}
		invoice := ""
		if o.InvoiceNumber != nil {
			invoice = billing.InvoiceLabel(*o.InvoiceNumber)
		}
		notes := make([]string, len(o.CreditNotes))
		for i, cn := range o.CreditNotes {
			notes[i] = cn.Label
		}
		w.Write([]string{o.ID.String(), o.CreatedAt.Format(time.RFC3339), o.Status, o.Description, o.Currency,
			o.Subtotal.String(), o.Discount.String(), o.Amount.String(), o.ApplicationFee.String(), o.Refunded.String(), paid,
			invoice, strings.Join(notes, "; ")})
	}
	w.Flush()
	return w.Error()
}

func (s *Server) adminBalances(c *fiber.Ctx) error {
	out, err := s.deps.Billing.Balances(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": nonNil(out)})
}

func (s *Server) adminRefund(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Amount billing.Cents `json:"amount_cents"`
		Reason string        `json:"reason"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Billing.Refund(c.UserContext(), id, in.Amount, in.Reason); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"refund_requested": true})
}

// adminRefunds lists refund requests (of one order with ?order=), failed
// ones with Stripe's reason.
func (s *Server) adminRefunds(c *fiber.Ctx) error {
	var order uuid.UUID
	if q := c.Query("order"); q != "" {
		id, err := uuid.Parse(q)
		if err != nil {
			return fiatdashboard.Invalid("order", "not an order id")
		}
		order = id
	}
	out, err := s.deps.Billing.Refunds(c.UserContext(), order)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": out})
}

// adminDisputes lists the tenant's disputes.
func (s *Server) adminDisputes(c *fiber.Ctx) error {
	out, err := s.deps.Billing.Disputes(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": out})
}

// adminDisputeEvidence answers a dispute with the tenant's evidence.
func (s *Server) adminDisputeEvidence(c *fiber.Ctx) error {
	id := utils.CopyString(c.Params("id"))
	var in struct {
		Evidence string `json:"evidence"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	d, err := s.deps.Billing.RespondDispute(c.UserContext(), id, in.Evidence)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) adminPricing(c *fiber.Ctx) error {
	p, err := s.deps.Billing.Pricing(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) adminSavePricing(c *fiber.Ctx) error {
	var in billing.Pricing
	if err := bind(c, &in); err != nil {
		return err
	}
	p, err := s.deps.Billing.SavePricing(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) adminCreateCoupon(c *fiber.Ctx) error {
	var in billing.Coupon
	if err := bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Billing.CreateCoupon(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) adminDeleteCoupon(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.Billing.DeleteCoupon(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func actorOf(c *fiber.Ctx) (tenant.Actor, bool) { return tenant.ActorFromContext(c.UserContext()) }

func utilsCopy(s string) string { return utils.CopyString(s) }

func (s *Server) subscriptions(c *fiber.Ctx) error {
	out, err := s.deps.Billing.Subscriptions(c.UserContext())
	if err != nil {
		return err
	}
	credit, err := s.deps.Billing.Credit(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": nonNil(out), "credit_cents": credit})
}

func (s *Server) payNow(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	o, err := s.deps.Billing.PayNow(c.UserContext(), id)
	if err != nil {
		return err
	}
	// requires_action: the storefront's payment page (/pay/<order>) has the
	// customer authenticate it.
	return c.JSON(fiber.Map{"payment_started": true, "order": o})
}

// confirmPayment confirms on-session a payment that waits for the
// customer's authentication; the answer carries the client secret for
// Stripe.js (or, in mock mode, the mock-authenticate step).
func (s *Server) confirmPayment(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	o, err := s.deps.Billing.ConfirmPayment(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

func (s *Server) cancelSubscription(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	credit, err := s.deps.Billing.Cancel(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"canceled": true, "credit_cents": credit})
}
