package web

import (
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/coop"
	"github.com/fiatdashboard/fiatdashboard/deploy"
)

// Co-ops: members and invitations, the revenue split and its payments
// (tenant admin), a console account's invitations, the members' own payout
// accounts and shares (console), and the storefront's offers.

func (s *Server) adminCoopMembers(c *fiber.Ctx) error {
	out, err := s.deps.Coops.CoopMembers(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, 0, func(coop.CoopMember) string { return "" }))
}

// adminInviteCoopMember invites an e-mail address to the co-op. The answer
// is the same whether or not a console account has the address: 202 with
// what was asked, never an account id.
func (s *Server) adminInviteCoopMember(c *fiber.Ctx) error {
	var in struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Coops.InviteCoopMember(c.UserContext(), in.Email, in.Role, origin(c)); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"email": strings.ToLower(strings.TrimSpace(in.Email)), "role": in.Role, "status": "invited"})
}

func (s *Server) adminCoopInvitations(c *fiber.Ctx) error {
	out, err := s.deps.Coops.CoopInvitations(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, 0, func(coop.CoopInvitation) string { return "" }))
}

func (s *Server) adminRevokeCoopInvitation(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.Coops.RevokeCoopInvitation(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// myCoopInvitations lists the signed-in console account's invitations to co-ops.
func (s *Server) myCoopInvitations(c *fiber.Ctx) error {
	out, err := s.deps.Coops.MyCoopInvitations(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, 0, func(coop.InvitationToMe) string { return "" }))
}

func (s *Server) answerCoopInvitation(accept bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathUUID(c, "id")
		if err != nil {
			return err
		}
		if err := s.deps.Coops.AnswerCoopInvitation(c.UserContext(), id, accept); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

func (s *Server) adminRemoveCoopMember(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.Coops.RemoveCoopMember(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) adminCoopSplit(c *fiber.Ctx) error {
	out, err := s.deps.Coops.RevenueSplit(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) adminSaveCoopSplit(c *fiber.Ctx) error {
	var in struct {
		Shares []coop.Share `json:"shares"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Coops.SetRevenueSplit(c.UserContext(), in.Shares)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) adminCoopPayments(c *fiber.Ctx) error {
	before, limit, err := timePage(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Coops.CoopPayments(c.UserContext(), before, limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(p coop.CoopPayment) string { return p.CreatedAt.Format(time.RFC3339Nano) }))
}

func (s *Server) memberPayoutAccount(c *fiber.Ctx) error {
	out, err := s.deps.Coops.MyPayoutAccount(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) memberPayoutLink(c *fiber.Ctx) error {
	// The member's country (optional; the platform's when absent).
	var in struct {
		Country string `json:"country"`
	}
	if len(c.Body()) > 0 {
		if err := bind(c, &in); err != nil {
			return err
		}
	}
	url, err := s.deps.Coops.PayoutOnboardingLink(c.UserContext(), c.BaseURL(), in.Country)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"url": url})
}

func (s *Server) memberPayments(c *fiber.Ctx) error {
	before, limit, err := timePage(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Coops.MyCoopPayments(c.UserContext(), before, limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(p coop.MemberPayment) string { return p.CreatedAt.Format(time.RFC3339Nano) }))
}

// memberPaymentsCSV exports up to 10,000 of the member's latest shares.
func (s *Server) memberPaymentsCSV(c *fiber.Ctx) error {
	out, err := s.deps.Coops.MyCoopPayments(c.UserContext(), time.Now().Add(time.Hour), 10000)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="coop-shares.csv"`)
	w := csv.NewWriter(c.Response().BodyWriter())
	w.Write([]string{"order_id", "coop", "paid_at", "description", "currency", "charged", "platform_fee", "stripe_fee", "distributable",
		"share_percent", "share", "reversed", "net", "status", "transfer_id", "refunded"})
	for _, p := range out {
		paid, transfer := "", ""
		if p.PaidAt != nil {
			paid = p.PaidAt.Format(time.RFC3339)
		}
		if p.Transfer != nil {
			transfer = *p.Transfer
		}
		w.Write([]string{p.OrderID.String(), p.Coop, paid, p.Description, p.Currency, p.Charged.String(), p.PlatformFee.String(),
			p.StripeFee.String(), p.Distributable.String(), strconv.FormatFloat(float64(p.ShareBPS)/100, 'f', 2, 64), p.Share.String(),
			p.Reversed.String(), p.Net.String(), p.Status, transfer, p.Refunded.String()})
	}
	w.Flush()
	return w.Error()
}

func (s *Server) adminOffers(c *fiber.Ctx) error {
	out, err := s.deps.Deploy.AdminOffers(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": nonNil(out), "capabilities": deploy.Capabilities})
}

func (s *Server) adminSaveOffer(create bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := uuid.Nil
		if !create {
			var err error
			if id, err = pathUUID(c, "id"); err != nil {
				return err
			}
		}
		var in deploy.OfferInput
		if err := bind(c, &in); err != nil {
			return err
		}
		o, err := s.deps.Deploy.SaveOffer(c.UserContext(), id, in)
		if err != nil {
			return err
		}
		if create {
			return c.Status(fiber.StatusCreated).JSON(o)
		}
		return c.JSON(o)
	}
}

func (s *Server) adminDeleteOffer(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.Deploy.DeleteOffer(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// offers are the storefront's published co-op offers; public.
func (s *Server) offers(c *fiber.Ctx) error {
	if siteOf(c).Tenant == nil {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	out, err := s.deps.Deploy.Offers(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": nonNil(out)})
}

func (s *Server) offer(c *fiber.Ctx) error {
	if siteOf(c).Tenant == nil {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	o, err := s.deps.Deploy.Offer(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

// offerCapability reads ?offer= (the deploy form opened from an offer): the
// capability its nodes must have; "" without one.
func (s *Server) offerCapability(c *fiber.Ctx) (string, error) {
	v := c.Query("offer")
	if v == "" {
		return "", nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return "", fiatdashboard.Invalid("offer", "offer must be an offer id")
	}
	o, err := s.deps.Deploy.Offer(c.UserContext(), id)
	if err != nil {
		return "", err
	}
	return o.Capability, nil
}
