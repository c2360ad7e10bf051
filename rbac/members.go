package rbac

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// StaffRoles are the tenant roles shown under Members & roles.
var StaffRoles = []string{RoleOwner, RoleAdmin, RoleSupport}

// Member is an account holding staff roles in a tenant (or super_admin on the platform).
type Member struct {
	ID         uuid.UUID `db:"id" json:"id"`
	Email      string    `db:"email" json:"email"`
	Roles      []string  `db:"-" json:"roles"`
	MFAEnabled bool      `db:"mfa_enabled" json:"mfa_enabled"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// Members lists the realm's accounts that hold one of roles, by e-mail,
// after the cursor (an e-mail; "" for the first page).
func (s *Service) members(ctx context.Context, tx *tenant.Tx, roles []string, after string, limit int) ([]Member, error) {
	var rows []struct {
		Member
		Roles string `db:"roles"`
	}
	err := tx.SelectContext(ctx, &rows, `
		SELECT a.id, a.email, a.totp_enabled_at IS NOT NULL AS mfa_enabled, a.created_at, string_agg(r.v1, ',' ORDER BY r.v1) AS roles
		FROM accounts a JOIN casbin_rules r ON r.ptype = 'g' AND r.v0 = a.id::text AND r.v2 = $1
		WHERE r.v1 = ANY($2) AND a.email > $3 AND `+realmFilter(ctx, "a.")+`
		GROUP BY a.id ORDER BY a.email LIMIT $4`, realmKey(ctx), pqArray(roles), after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Member, len(rows))
	for i, r := range rows {
		out[i] = r.Member
		out[i].Roles = strings.Split(r.Roles, ",")
	}
	return out, nil
}

// Members lists the tenant's staff (admin/members read).
func (s *Service) Members(ctx context.Context, after string, limit int) ([]Member, error) {
	if err := s.authz.Require(ctx, "admin/members", "read"); err != nil {
		return nil, err
	}
	var out []Member
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		out, err = s.members(ctx, tx, StaffRoles, after, limit)
		return err
	})
	return out, err
}

// InviteMember gives role to the account with the e-mail in this tenant,
// creating it (and mailing a link to set a password) when it does not exist.
// Only an owner may make owners.
func (s *Service) InviteMember(ctx context.Context, email, role string, meta ClientMeta) error {
	if err := s.authz.Require(ctx, "admin/members", "write"); err != nil {
		return err
	}
	email, err := normalizeEmail("email", email)
	if err != nil {
		return err
	}
	if !slices.Contains(StaffRoles, role) {
		return fiatdashboard.Invalid("role", "role must be one of owner, admin, support")
	}
	if err := s.requireOwnerFor(ctx, role); err != nil {
		return err
	}
	return s.inviteTo(ctx, email, role, meta, "member.invited")
}

// inviteTo grants role in the realm of ctx to the e-mail's account, creating
// it with an unusable password and mailing a set-password link if needed.
func (s *Service) inviteTo(ctx context.Context, email, role string, meta ClientMeta, action string) error {
	name := s.realmName(ctx)
	domain := realmKey(ctx)
	var m *Mail
	var id uuid.UUID
	err := s.realmTx(ctx, "invite", func(tx *tenant.Tx) error {
		a, err := s.accountByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		if a != nil {
			id = a.ID
		} else {
			hash, err := HashPassword(NewPassword(32)) // never told to anyone
			if err != nil {
				return err
			}
			if id, _, err = createAccount(ctx, tx, email, hash, false); err != nil {
				return err
			}
			token, err := newEmailToken(ctx, tx, id, "reset", 7*24*time.Hour)
			if err != nil {
				return err
			}
			m = &Mail{To: email, Subject: "You are invited to " + name,
				Text: fmt.Sprintf("You have been given the %s role at %s.\n\nChoose your password here (valid for 7 days):\n%s/reset-password?token=%s\n", role, name, meta.Origin, token)}
		}
		if err := grant(ctx, tx, id, role, domain); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, realmTenant(ctx), action, email, map[string]any{"role": role, "account_id": id})
	})
	if err != nil {
		return err
	}
	s.authz.applied([][]string{{id.String(), role, domain}}, nil)
	if m != nil {
		return s.mailer.Send(ctx, realmTenant(ctx), *m)
	}
	return nil
}

func (s *Service) requireOwnerFor(ctx context.Context, role string) error {
	if role != RoleOwner {
		return nil
	}
	actor, _ := tenant.ActorFromContext(ctx)
	if actor.Kind == tenant.ActorSystem || slices.Contains(s.authz.RolesIn(actor.ID, realmKey(ctx)), RoleOwner) {
		return nil
	}
	return &fiatdashboard.Error{Code: fiatdashboard.EFORBIDDEN, Field: "role", Message: "only an owner can grant or take away the owner role"}
}

// SetRoles makes the member's staff roles exactly roles, writing an audit
// row per change. The last owner cannot be removed.
func (s *Service) SetRoles(ctx context.Context, account uuid.UUID, roles []string) error {
	if err := s.authz.Require(ctx, "admin/members", "write"); err != nil {
		return err
	}
	for _, r := range roles {
		if !slices.Contains(StaffRoles, r) {
			return fiatdashboard.Invalid("roles", "roles must be among owner, admin, support")
		}
	}
	domain := realmKey(ctx)
	current := s.authz.RolesIn(account, domain)
	var added, removed [][]string
	for _, r := range StaffRoles {
		has, want := slices.Contains(current, r), slices.Contains(roles, r)
		if has == want {
			continue
		}
		if err := s.requireOwnerFor(ctx, r); err != nil {
			return err
		}
		if want {
			added = append(added, []string{account.String(), r, domain})
		} else {
			removed = append(removed, []string{account.String(), r, domain})
		}
	}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		a, err := s.accountByID(ctx, tx, account)
		if err != nil {
			return err
		}
		for _, g := range added {
			if err := grant(ctx, tx, account, g[1], domain); err != nil {
				return err
			}
			if err := tenant.Audit(ctx, tx, realmTenant(ctx), "role.granted", a.Email, map[string]any{"role": g[1], "account_id": account}); err != nil {
				return err
			}
		}
		for _, g := range removed {
			if err := revoke(ctx, tx, account, g[1], domain); err != nil {
				return err
			}
			if err := tenant.Audit(ctx, tx, realmTenant(ctx), "role.revoked", a.Email, map[string]any{"role": g[1], "account_id": account}); err != nil {
				return err
			}
		}
		var owners int
		if err := tx.GetContext(ctx, &owners, `SELECT count(*) FROM casbin_rules WHERE ptype = 'g' AND v1 = 'owner' AND v2 = $1`, domain); err != nil {
			return err
		}
		if owners == 0 && slices.Contains(current, RoleOwner) {
			return &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "roles", Message: "a tenant keeps at least one owner"}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.authz.applied(added, removed)
	return nil
}

// AuditLog lists the audit events the actor may read: the tenant's for its
// staff, every event (with tenant names) for super-admins on the console.
func (s *Service) AuditLog(ctx context.Context, before int64, limit int) ([]tenant.AuditEvent, error) {
	if _, ok := tenant.IDFromContext(ctx); ok {
		if err := s.authz.Require(ctx, "admin/audit", "read"); err != nil {
			return nil, err
		}
		var out []tenant.AuditEvent
		err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			var err error
			out, err = tenant.AuditPage(ctx, tx, before, limit)
			return err
		})
		return out, err
	}
	if err := s.authz.Require(ctx, "console/audit", "read"); err != nil {
		return nil, err
	}
	var out []tenant.AuditEvent
	err := tenant.SystemTx(ctx, s.db, "console: audit log", func(tx *tenant.Tx) error {
		var err error
		out, err = tenant.AuditPage(ctx, tx, before, limit)
		return err
	})
	return out, err
}

// SuperAdmins lists the platform's super-admins (console/accounts read).
func (s *Service) SuperAdmins(ctx context.Context, after string, limit int) ([]Member, error) {
	if err := s.authz.Require(ctx, "console/accounts", "read"); err != nil {
		return nil, err
	}
	var out []Member
	err := s.realmTx(ctx, "console: super-admins", func(tx *tenant.Tx) error {
		var err error
		out, err = s.members(ctx, tx, []string{RoleSuperAdmin}, after, limit)
		return err
	})
	return out, err
}

// AddSuperAdmin makes the platform account with the e-mail a super-admin,
// creating it and mailing a set-password link when it does not exist.
func (s *Service) AddSuperAdmin(ctx context.Context, email string, meta ClientMeta) error {
	if err := s.authz.Require(ctx, "console/accounts", "write"); err != nil {
		return err
	}
	email, err := normalizeEmail("email", email)
	if err != nil {
		return err
	}
	return s.inviteTo(ctx, email, RoleSuperAdmin, meta, "role.granted")
}

// Outbox lists the development outbox, newest first (console/outbox read).
func (s *Service) Outbox(ctx context.Context, before int64, limit int) ([]OutboxMail, error) {
	if err := s.authz.Require(ctx, "console/outbox", "read"); err != nil {
		return nil, err
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	var out []OutboxMail
	err := tenant.SystemTx(ctx, s.db, "console: outbox", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT o.id, o.to_addr, o.subject, '' AS body_text, t.name AS tenant_name, o.created_at
			FROM outbox_emails o LEFT JOIN tenants t ON t.id = o.tenant_id WHERE o.id < $1 ORDER BY o.id DESC LIMIT $2`, before, limit)
	})
	return out, err
}

// OutboxMessage returns one stored mail; ENOTFOUND when there is none.
func (s *Service) OutboxMessage(ctx context.Context, id int64) (*OutboxMail, error) {
	if err := s.authz.Require(ctx, "console/outbox", "read"); err != nil {
		return nil, err
	}
	var m OutboxMail
	err := tenant.SystemTx(ctx, s.db, "console: outbox message", func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &m, `SELECT o.id, o.to_addr, o.subject, o.body_text, t.name AS tenant_name, o.created_at
			FROM outbox_emails o LEFT JOIN tenants t ON t.id = o.tenant_id WHERE o.id = $1`, id)
	})
	if tenant.IsNoRows(err) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "message not found")
	}
	return &m, err
}

// InviteOwner gives the owner role of the tenant to the e-mail's account in
// that tenant's realm, creating it and mailing a set-password link to origin
// when needed. The tenant service calls it when a tenant is created or an
// application approved; it authorizes before calling.
func (s *Service) InviteOwner(ctx context.Context, tenantID uuid.UUID, email, origin string) error {
	email, err := normalizeEmail("owner_email", email)
	if err != nil {
		return err
	}
	return s.inviteTo(tenant.WithID(ctx, tenantID), email, RoleOwner, ClientMeta{Origin: origin}, "member.invited")
}

// ApplicationRejected mails the applicant the console's decision and
// reason, from the platform.
func (s *Service) ApplicationRejected(ctx context.Context, email, name, reason string) error {
	return s.mailer.Send(ctx, uuid.Nil, Mail{
		To:      email,
		Subject: "Your application for " + name,
		Text: fmt.Sprintf("Hello,\n\nthank you for applying to run %s on our platform. We cannot accept the application as it stands:\n\n%s\n\n"+
			"You are welcome to apply again once this is addressed.\n", name, reason),
	})
}

// CoopInvitation mails an address the co-op's invitation to join it, on the
// co-op's behalf. The same mail goes to every address, with or without a
// console account: it says how to register or sign in, and where to answer.
func (s *Service) CoopInvitation(ctx context.Context, tenantID uuid.UUID, email, coop, role, consoleOrigin string) error {
	what := "a node operator"
	if role == "dashboard_operator" {
		what = "a dashboard operator"
	}
	return s.mailer.Send(ctx, tenantID, Mail{
		To:      email,
		Subject: "You are invited to join " + coop,
		Text: fmt.Sprintf("Hello,\n\nthe co-op %s invites you to join it as %s and share in what its storefront earns.\n\n"+
			"Sign in on the platform console with this e-mail address (or register there with it) to accept or decline:\n\n%s/\n\n"+
			"You are not a member until you accept. The invitation expires in 14 days; if you did not expect it, ignore this mail.\n",
			coop, what, consoleOrigin),
	})
}

var _ tenant.OwnerInviter = (*Service)(nil)
var _ tenant.Authorizer = (*Authorizer)(nil)
