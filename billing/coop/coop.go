// Package coop is the co-op domain: a co-op storefront's members, who join
// by accepting an invitation (invitations.go, members.go), its revenue
// split (split.go), and its money — the split snapshotted on each order,
// the members' transfers, their reversals on refunds and lost disputes,
// and the members' own Stripe payout accounts (money.go).
//
// Checkout, webhooks, refunds and disputes are billing's; billing asks the
// co-op domain through billing.Coops, which Service implements (wired in
// cmd/fiatdashboard). What co-ops sell, their offers, is deploy's
// (deploy/offers.go).
package coop

import (
	"context"
	"log/slog"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Cents is an amount in the minor unit of a currency (billing's).
type Cents = billing.Cents

// Inviter mails an address the co-op's invitation to join it;
// consoleOrigin is where the invitee answers (rbac.Service implements it).
type Inviter interface {
	CoopInvitation(ctx context.Context, tenantID uuid.UUID, email, coop, role, consoleOrigin string) error
}

// Options is what the co-op domain needs besides the database.
type Options struct {
	// Stripe is the platform's Stripe set-up (billing's Config): co-ops
	// charge, transfer and reverse on the platform's own account.
	Stripe billing.Config
	// Emitter sends, in mock mode, the events Stripe would (a member's
	// onboarding).
	Emitter *billing.Emitter
	// Mailer mails members (a failed payout); nil sends none.
	Mailer billing.Mailer
	// Invitations mails invitations to join a co-op.
	Invitations Inviter
	// ConsoleHost is the console's host, for links in invitations.
	ConsoleHost string
}

// Service is the co-op domain.
type Service struct {
	db          *sqlx.DB
	sc          *client.API
	cfg         billing.Config
	authz       tenant.Authorizer
	emitter     *billing.Emitter
	mailer      billing.Mailer
	invite      Inviter
	consoleHost string
	log         *slog.Logger
}

// New wires the co-op domain.
func New(db *sqlx.DB, authz tenant.Authorizer, log *slog.Logger, o Options) *Service {
	return &Service{db: db, sc: billing.NewStripeClient(o.Stripe), cfg: o.Stripe, authz: authz, emitter: o.Emitter, mailer: o.Mailer,
		invite: o.Invitations, consoleHost: o.ConsoleHost, log: log}
}

var _ billing.Coops = (*Service)(nil)

func (s *Service) platformCountry() string {
	if c := strings.ToUpper(strings.TrimSpace(s.cfg.PlatformCountry)); c != "" {
		return c
	}
	return "US"
}

// mode is "mock" or "live", as billing's Mode.
func (s *Service) mode() string {
	if s.cfg.Mock {
		return "mock"
	}
	return "live"
}
