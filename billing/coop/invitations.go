package coop

import (
	"context"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Joining a co-op takes the member's consent: the co-op's owner invites an
// e-mail address, and the console account with that verified address
// accepts or declines. The invitation is stored for the address whether or
// not an account has it, and the owner's answer never depends on it, so
// inviting cannot be used to learn who has a console account.

// CoopInvitationTTL is how long an invitation waits for an answer.
const CoopInvitationTTL = 14 * 24 * time.Hour

// CoopInvitation is an address invited to join the co-op, as its admins see it.
type CoopInvitation struct {
	ID        uuid.UUID `db:"id" json:"id"`
	Email     string    `db:"email" json:"email"`
	Role      string    `db:"role" json:"role"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	ExpiresAt time.Time `db:"expires_at" json:"expires_at"`
}

// InvitationToMe is an invitation as its invitee sees it on the console.
type InvitationToMe struct {
	ID        uuid.UUID `db:"id" json:"id"`
	Coop      string    `db:"coop" json:"coop"`
	Slug      string    `db:"slug" json:"slug"`
	Role      string    `db:"role" json:"role"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	ExpiresAt time.Time `db:"expires_at" json:"expires_at"`
}

// InviteCoopMember invites the e-mail address to join the co-op with role
// (admin/coop write) and mails the address. Inviting an address again
// renews its invitation with the new role. The result is the same whether
// or not a console account has the address: EINVALID names a malformed
// e-mail or role, or says the tenant is not a co-op.
func (s *Service) InviteCoopMember(ctx context.Context, email, role string, o tenant.Origin) error {
	if err := s.authz.Require(ctx, "admin/coop", "write"); err != nil {
		return err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || len(email) > 254 {
		return fiatdashboard.Invalid("email", "enter an e-mail address, e.g. ada@example.com")
	}
	if role != "node_operator" && role != "dashboard_operator" {
		return fiatdashboard.Invalid("role", "role must be node_operator or dashboard_operator")
	}
	tid, _ := tenant.IDFromContext(ctx)
	actor, _ := tenant.ActorFromContext(ctx)
	var invitedBy *uuid.UUID
	if actor.ID != uuid.Nil {
		invitedBy = &actor.ID
	}
	var name string
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var t struct {
			Kind tenant.Kind `db:"kind"`
			Name string      `db:"name"`
		}
		if err := tx.GetContext(ctx, &t, `SELECT kind, name FROM tenants WHERE id = $1`, tid); err != nil {
			return err
		}
		if t.Kind != tenant.KindCoop {
			return fiatdashboard.Invalid("role", "only co-op tenants have members")
		}
		name = t.Name
		if _, err := tx.ExecContext(ctx, `DELETE FROM coop_invitations WHERE expires_at <= now()`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO coop_invitations (tenant_id, email, role, invited_by, expires_at)
			VALUES ($1, $2, $3, $4, now() + $5 * interval '1 second')
			ON CONFLICT (tenant_id, email) DO UPDATE SET role = EXCLUDED.role, invited_by = EXCLUDED.invited_by,
				created_at = now(), expires_at = EXCLUDED.expires_at`,
			tid, email, role, invitedBy, int64(CoopInvitationTTL/time.Second)); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "coop.member_invited", email, map[string]any{"role": role})
	})
	if err != nil {
		return err
	}
	return s.invite.CoopInvitation(ctx, tid, email, name, role, s.consoleOrigin(o))
}

// consoleOrigin is the console's address for links in mail: the port the
// caller used is kept only on development hosts (*.localhost).
func (s *Service) consoleOrigin(o tenant.Origin) string {
	host := s.consoleHost
	if o.Port != "" && o.Port != "80" && o.Port != "443" && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
		host += ":" + o.Port
	}
	scheme := o.Scheme
	if scheme == "" {
		scheme = "https"
	}
	return scheme + "://" + host
}

// CoopInvitations lists the co-op's unanswered invitations that have not
// expired (admin/coop read).
func (s *Service) CoopInvitations(ctx context.Context) ([]CoopInvitation, error) {
	if err := s.authz.Require(ctx, "admin/coop", "read"); err != nil {
		return nil, err
	}
	out := []CoopInvitation{}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT id, email, role, created_at, expires_at FROM coop_invitations
			WHERE expires_at > now() ORDER BY created_at DESC LIMIT 500`)
	})
	return out, err
}

// RevokeCoopInvitation withdraws an invitation (admin/coop write); ENOTFOUND
// when the co-op has no such invitation.
func (s *Service) RevokeCoopInvitation(ctx context.Context, id uuid.UUID) error {
	if err := s.authz.Require(ctx, "admin/coop", "write"); err != nil {
		return err
	}
	tid, _ := tenant.IDFromContext(ctx)
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var email string
		err := tx.GetContext(ctx, &email, `DELETE FROM coop_invitations WHERE id = $1 RETURNING email`, id)
		if tenant.IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "invitation not found")
		}
		if err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "coop.invitation_revoked", email, nil)
	})
}

// invitee returns the verified e-mail address of the console account
// acting in ctx; "" when the address is not verified. EUNAUTHORIZED
// without a signed-in console account, ENOTFOUND on a storefront's host.
func (s *Service) invitee(ctx context.Context) (string, error) {
	actor, ok := tenant.ActorFromContext(ctx)
	if !ok || actor.ID == uuid.Nil || (actor.Kind != tenant.ActorUser && actor.Kind != tenant.ActorToken) {
		return "", fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "sign in first")
	}
	if _, scoped := tenant.IDFromContext(ctx); scoped {
		return "", fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	var a struct {
		Email    string `db:"email"`
		Verified bool   `db:"verified"`
	}
	err := tenant.PlatformTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &a, `SELECT email, email_verified_at IS NOT NULL AS verified FROM account_directory
			WHERE id = $1 AND tenant_id IS NULL AND disabled_at IS NULL`, actor.ID)
	})
	if tenant.IsNoRows(err) {
		return "", fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "sign in first")
	}
	if err != nil || !a.Verified {
		return "", err
	}
	return strings.ToLower(a.Email), nil
}

// MyCoopInvitations lists the invitations to co-ops addressed to the
// signed-in console account's verified e-mail (none while it is not
// verified). It is the one cross-tenant read of invitations.
func (s *Service) MyCoopInvitations(ctx context.Context) ([]InvitationToMe, error) {
	email, err := s.invitee(ctx)
	if err != nil {
		return nil, err
	}
	out := []InvitationToMe{}
	if email == "" {
		return out, nil
	}
	err = tenant.SystemTx(ctx, s.db, "co-op invitations: the invitee's own", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT i.id, t.name AS coop, t.slug, i.role, i.created_at, i.expires_at
			FROM coop_invitations i JOIN tenants t ON t.id = i.tenant_id
			WHERE i.email = $1 AND i.expires_at > now() AND t.kind = 'coop' ORDER BY i.created_at DESC LIMIT 100`, email)
	})
	return out, err
}

// AnswerCoopInvitation accepts (the account becomes a member with the
// invitation's role) or declines one of the signed-in account's
// invitations; either way the invitation is gone. ENOTFOUND for an
// invitation addressed to anyone else, answered or expired; EFORBIDDEN on
// field "email" while the account's address is not verified.
func (s *Service) AnswerCoopInvitation(ctx context.Context, id uuid.UUID, accept bool) error {
	email, err := s.invitee(ctx)
	if err != nil {
		return err
	}
	if email == "" {
		return &fiatdashboard.Error{Code: fiatdashboard.EFORBIDDEN, Field: "email",
			Message: "verify your e-mail address first: invitations are for the owner of the address"}
	}
	actor, _ := tenant.ActorFromContext(ctx)
	// The one cross-tenant lookup: which co-op the invitation is from.
	var tid uuid.UUID
	err = tenant.SystemTx(ctx, s.db, "co-op invitation: the invitee's answer", func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &tid, `SELECT tenant_id FROM coop_invitations WHERE id = $1 AND email = $2 AND expires_at > now()`, id, email)
	})
	if tenant.IsNoRows(err) {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "invitation not found")
	}
	if err != nil {
		return err
	}
	tctx := tenant.WithID(ctx, tid)
	return tenant.InTx(tctx, s.db, func(tx *tenant.Tx) error {
		var role string
		err := tx.GetContext(tctx, &role, `DELETE FROM coop_invitations WHERE id = $1 AND email = $2 AND expires_at > now() RETURNING role`, id, email)
		if tenant.IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "invitation not found")
		}
		if err != nil {
			return err
		}
		if !accept {
			return tenant.Audit(tctx, tx, tid, "coop.invitation_declined", email, map[string]any{"role": role})
		}
		if _, err := tx.ExecContext(tctx, `INSERT INTO coop_members (tenant_id, account_id, email, role) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id, account_id) DO UPDATE SET role = EXCLUDED.role`, tid, actor.ID, email, role); err != nil {
			return err
		}
		return tenant.Audit(tctx, tx, tid, "coop.member_joined", email, map[string]any{"role": role})
	})
}
