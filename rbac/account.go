package rbac

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"github.com/pquerna/otp/totp"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Me is the signed-in account as the UI sees it.
type Me struct {
	Account MeAccount   `json:"account"`
	Realm   MeRealm     `json:"realm"`
	Roles   []RoleGrant `json:"roles"`
	MFA     MeMFA       `json:"mfa"`
}

type MeAccount struct {
	ID            uuid.UUID `json:"id"`
	Email         string    `json:"email"`
	EmailVerified bool      `json:"email_verified"`
}

type MeRealm struct {
	Kind string `json:"kind"` // tenant or platform
}

type MeMFA struct {
	Enabled  bool `json:"enabled"`
	Required bool `json:"required"`
	Session  bool `json:"session"` // this session passed two-factor authentication
}

// Me returns the actor's account, realm, roles in every domain and
// two-factor state; EUNAUTHORIZED when signed out.
func (s *Service) Me(ctx context.Context) (*Me, error) {
	actor, ok := tenant.ActorFromContext(ctx)
	if !ok || actor.Kind == tenant.ActorSystem {
		return nil, fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "sign in first")
	}
	// Roles come from the in-memory policy, so the account and the names of
	// the role's tenants are read together: in a tenant's realm, in one round
	// trip (tenant.Read).
	roles := s.authz.rolesOf(actor.ID)
	var ids []uuid.UUID
	for _, r := range roles {
		if r.Domain == DomainPlatform {
			continue
		}
		if id, err := uuid.Parse(r.Domain); err == nil {
			ids = append(ids, id)
		}
	}
	var row struct {
		Account
		Names []byte `db:"names"`
	}
	const q = `SELECT ` + accountColumns + `, (SELECT coalesce(json_object_agg(t.id, t.name), '{}') FROM tenants t WHERE t.id = ANY($2)) AS names
		FROM accounts WHERE id = $1 AND `
	var err error
	if _, inTenant := tenant.IDFromContext(ctx); inTenant {
		err = tenant.Read(ctx, s.db, &row, q+realmFilter(ctx, ""), actor.ID, ids)
	} else {
		err = s.realmTx(ctx, "me", func(tx *tenant.Tx) error {
			return tx.GetContext(ctx, &row, q+realmFilter(ctx, ""), actor.ID, pq.Array(ids))
		})
	}
	if tenant.IsNoRows(err) {
		return nil, fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "sign in first")
	}
	if err != nil {
		return nil, err
	}
	a := row.Account
	me := &Me{
		Account: MeAccount{ID: a.ID, Email: a.Email, EmailVerified: a.EmailVerifiedAt != nil},
		Realm:   MeRealm{Kind: "platform"},
		Roles:   roles,
		MFA:     MeMFA{Enabled: a.TOTPEnabledAt != nil, Required: s.authz.NeedsMFA(a.ID), Session: actor.MFA},
	}
	if _, ok := tenant.IDFromContext(ctx); ok {
		me.Realm.Kind = "tenant"
	}
	names := map[string]string{}
	if err := json.Unmarshal(row.Names, &names); err != nil {
		return nil, fmt.Errorf("me: tenant names: %w", err)
	}
	for i := range me.Roles {
		me.Roles[i].DomainName = names[me.Roles[i].Domain]
	}
	return me, nil
}

// ChangePassword replaces the actor's password after checking the current
// one, and ends the account's other sessions.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	if err := CheckPassword("new_password", next); err != nil {
		return err
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	// Guessing the current password from a stolen session is limited too.
	if actor, ok := tenant.ActorFromContext(ctx); ok {
		if err := s.limiter.Take(ctx, RatePasswordChange, realmKey(ctx)+"\x00"+actor.ID.String(), actor.IP); err != nil {
			return err
		}
	}
	var ended []uuid.UUID
	err = s.realmTx(ctx, "change password", func(tx *tenant.Tx) error {
		a, actor, err := s.actorAccount(ctx, tx)
		if err != nil {
			return err
		}
		if !VerifyPassword(a.PasswordHash, current) {
			return fiatdashboard.Invalid("current_password", "current password is incorrect")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET password_hash = $2, updated_at = now() WHERE id = $1`, a.ID, hash); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &ended, `UPDATE sessions SET revoked_at = now(), revoke_reason = 'password changed'
			WHERE account_id = $1 AND id <> $2 AND revoked_at IS NULL RETURNING id`, a.ID, actor.SessionID); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, realmTenant(ctx), "account.password_changed", a.Email, map[string]any{"other_sessions_ended": len(ended)})
	})
	if err == nil {
		s.denySessions(ctx, ended...)
	}
	return err
}

// RequestPasswordReset mails a reset link when the account exists; it
// answers the same either way.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, meta ClientMeta) error {
	email, err := normalizeEmail("email", email)
	if err != nil {
		return err
	}
	// Its own counter: reset requests never lock the address out of signing in.
	if err := s.limiter.Take(ctx, RatePasswordReset, realmKey(ctx)+"\x00"+email, meta.IP); err != nil {
		return err
	}
	name := s.realmName(ctx)
	var m *Mail
	err = s.realmTx(ctx, "request password reset", func(tx *tenant.Tx) error {
		a, err := s.accountByEmail(ctx, tx, email)
		if err != nil || a == nil || a.DisabledAt != nil {
			return err
		}
		token, err := newEmailToken(ctx, tx, a.ID, "reset", time.Hour)
		if err != nil {
			return err
		}
		m = &Mail{To: email, Subject: "Reset your password for " + name,
			Text: fmt.Sprintf("Someone asked to reset the password of your %s account.\n\nChoose a new password here (valid for one hour):\n%s/reset-password?token=%s\n\nIf it was not you, ignore this message; your password stays as it is.\n", name, meta.Origin, token)}
		return nil
	})
	if err != nil || m == nil {
		return err
	}
	return s.mailer.Send(ctx, realmTenant(ctx), *m)
}

// ResetPassword sets a new password with a reset token, confirms the e-mail
// (the link proved the mailbox) and ends every session of the account.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	if err := CheckPassword("password", password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	var ended []uuid.UUID
	err = s.realmTx(ctx, "reset password", func(tx *tenant.Tx) error {
		id, err := consumeEmailToken(ctx, tx, token, "reset")
		if err != nil {
			return err
		}
		var email string
		if err := tx.GetContext(ctx, &email, `UPDATE accounts SET password_hash = $2, email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
			WHERE id = $1 RETURNING email`, id, hash); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &ended, `UPDATE sessions SET revoked_at = now(), revoke_reason = 'password reset'
			WHERE account_id = $1 AND revoked_at IS NULL RETURNING id`, id); err != nil {
			return err
		}
		actx := tenant.WithActor(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: id, Name: email})
		return tenant.Audit(actx, tx, realmTenant(ctx), "account.password_reset", email, nil)
	})
	if err == nil {
		s.denySessions(ctx, ended...)
	}
	return err
}

// TOTPEnrollment is what the authenticator app needs.
type TOTPEnrollment struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRPNG      string `json:"qr_png"` // a data: URL
}

// EnrollTOTP starts two-factor enrolment: a new secret, stored encrypted and
// not yet in force. ECONFLICT when two-factor is already on.
func (s *Service) EnrollTOTP(ctx context.Context) (*TOTPEnrollment, error) {
	issuer := s.realmName(ctx)
	var out *TOTPEnrollment
	err := s.realmTx(ctx, "enrol totp", func(tx *tenant.Tx) error {
		a, _, err := s.actorAccount(ctx, tx)
		if err != nil {
			return err
		}
		if a.TOTPEnabledAt != nil {
			return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "two-factor authentication is already on; turn it off first to enrol a new device")
		}
		key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: a.Email})
		if err != nil {
			return err
		}
		sealed, err := s.keys.Seal("totp", []byte(key.Secret()))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET totp_secret_enc = $2 WHERE id = $1`, a.ID, sealed); err != nil {
			return err
		}
		img, err := key.Image(240, 240)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return err
		}
		out = &TOTPEnrollment{Secret: key.Secret(), OTPAuthURL: key.URL(), QRPNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}
		return nil
	})
	return out, err
}

// ConfirmTOTP turns two-factor on with a code from the new device and returns
// ten one-time recovery codes (shown once, stored hashed) and new tokens for
// this session, which now counts as two-factor authenticated.
func (s *Service) ConfirmTOTP(ctx context.Context, code string) ([]string, *Tokens, error) {
	var codes []string
	var t *Tokens
	err := s.realmTx(ctx, "confirm totp", func(tx *tenant.Tx) error {
		a, actor, err := s.actorAccount(ctx, tx)
		if err != nil {
			return err
		}
		if a.TOTPEnabledAt != nil {
			return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "two-factor authentication is already on")
		}
		if a.TOTPSecretEnc == nil {
			return fiatdashboard.Invalid("code", "start the set-up first")
		}
		secret, err := s.keys.Open("totp", *a.TOTPSecretEnc)
		if err != nil {
			return fmt.Errorf("open totp secret: %w", err)
		}
		step := totpStep(strings.TrimSpace(code), string(secret), s.now())
		if step < 0 {
			return fiatdashboard.Invalid("code", "that code is not right; check the time on your phone and try the next code")
		}
		// The confirming code is used: it cannot sign in afterwards.
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET totp_enabled_at = now(), totp_last_step = $2 WHERE id = $1`, a.ID, step); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE account_id = $1`, a.ID); err != nil {
			return err
		}
		for range 10 {
			c := newRecoveryCode()
			codes = append(codes, c)
			if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (tenant_id, account_id, code_hash) VALUES ($1, $2, $3)`, a.TenantID, a.ID, hashToken(c)); err != nil {
				return err
			}
		}
		if actor.SessionID != uuid.Nil {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET mfa = true WHERE id = $1`, actor.SessionID); err != nil {
				return err
			}
			a.TOTPEnabledAt = new(time.Time)
			if t, err = s.issue(ctx, tx, a, actor.SessionID, true); err != nil {
				return err
			}
		}
		return tenant.Audit(ctx, tx, realmTenant(ctx), "account.2fa_enabled", a.Email, nil)
	})
	return codes, t, err
}

// DisableTOTP turns two-factor off after checking the password and a code.
// EFORBIDDEN on field "mfa" when one of the account's roles requires it.
func (s *Service) DisableTOTP(ctx context.Context, password, code string) error {
	return s.realmTx(ctx, "disable totp", func(tx *tenant.Tx) error {
		a, _, err := s.actorAccount(ctx, tx)
		if err != nil {
			return err
		}
		if s.authz.NeedsMFA(a.ID) {
			return &fiatdashboard.Error{Code: fiatdashboard.EFORBIDDEN, Field: "mfa", Message: "your role requires two-factor authentication; it cannot be turned off"}
		}
		if !VerifyPassword(a.PasswordHash, password) {
			return fiatdashboard.Invalid("password", "password is incorrect")
		}
		ok, err := s.checkSecondFactor(ctx, tx, a, code)
		if err != nil {
			return err
		}
		if !ok {
			return fiatdashboard.Invalid("code", "that code is not right")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET totp_enabled_at = NULL, totp_secret_enc = NULL WHERE id = $1`, a.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE account_id = $1`, a.ID); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, realmTenant(ctx), "account.2fa_disabled", a.Email, nil)
	})
}

func newRecoveryCode() string {
	b := make([]byte, 8)
	rand.Read(b)
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:12]
	return s[:4] + "-" + s[4:8] + "-" + s[8:12]
}

// Session is one signed-in device.
type Session struct {
	ID         uuid.UUID `db:"id" json:"id"`
	UserAgent  string    `db:"user_agent" json:"user_agent"`
	IP         *string   `db:"ip" json:"ip"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	LastUsedAt time.Time `db:"last_used_at" json:"last_used_at"`
	Current    bool      `db:"-" json:"current"`
}

// Sessions lists the actor's live sessions, newest first.
func (s *Service) Sessions(ctx context.Context) ([]Session, error) {
	var out []Session
	err := s.realmTx(ctx, "list sessions", func(tx *tenant.Tx) error {
		_, actor, err := s.actorAccount(ctx, tx)
		if err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &out, `SELECT id, user_agent, host(ip) AS ip, created_at, last_used_at FROM sessions
			WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > now() ORDER BY last_used_at DESC LIMIT 100`, actor.ID); err != nil {
			return err
		}
		for i := range out {
			out[i].Current = out[i].ID == actor.SessionID
		}
		return nil
	})
	return out, err
}

// RevokeSession ends one of the actor's sessions; ENOTFOUND for any other.
func (s *Service) RevokeSession(ctx context.Context, id uuid.UUID) error {
	actor, ok := tenant.ActorFromContext(ctx)
	if !ok {
		return fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "sign in first")
	}
	var n int
	err := s.realmTx(ctx, "revoke session", func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &n, `WITH r AS (UPDATE sessions SET revoked_at = now(), revoke_reason = 'revoked by user'
			WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL RETURNING 1) SELECT count(*) FROM r`, id, actor.ID); err != nil {
			return err
		}
		if n == 0 {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "session not found")
		}
		return tenant.Audit(ctx, tx, realmTenant(ctx), "auth.session_revoked", id.String(), nil)
	})
	if err == nil {
		s.denySessions(ctx, id)
	}
	return err
}

// APIToken is a personal API token (its secret is shown only at creation).
type APIToken struct {
	ID         uuid.UUID  `db:"id" json:"id"`
	Name       string     `db:"name" json:"name"`
	Prefix     string     `db:"prefix" json:"prefix"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at" json:"last_used_at"`
	Token      string     `db:"-" json:"token,omitempty"`
}

// Tokens lists the actor's API tokens.
func (s *Service) Tokens(ctx context.Context) ([]APIToken, error) {
	var out []APIToken
	err := s.realmTx(ctx, "list tokens", func(tx *tenant.Tx) error {
		_, actor, err := s.actorAccount(ctx, tx)
		if err != nil {
			return err
		}
		return tx.SelectContext(ctx, &out, `SELECT id, name, prefix, created_at, last_used_at FROM api_tokens
			WHERE account_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 100`, actor.ID)
	})
	return out, err
}

// CreateToken makes a personal API token for the actor in this realm and
// returns it with its secret, once. A role that needs two-factor
// authentication needs it in the session that creates the token.
func (s *Service) CreateToken(ctx context.Context, name string) (*APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, fiatdashboard.Invalid("name", "name the token (1-100 characters), e.g. the script that uses it")
	}
	if actor, ok := tenant.ActorFromContext(ctx); ok {
		if err := s.limiter.Take(ctx, RateTokenCreate, realmKey(ctx)+"\x00"+actor.ID.String(), actor.IP); err != nil {
			return nil, err
		}
	}
	var out APIToken
	err := s.realmTx(ctx, "create token", func(tx *tenant.Tx) error {
		a, actor, err := s.actorAccount(ctx, tx)
		if err != nil {
			return err
		}
		if actor.Kind != tenant.ActorUser {
			return fiatdashboard.Errorf(fiatdashboard.EFORBIDDEN, "API tokens are created from a signed-in session")
		}
		if s.authz.NeedsMFA(a.ID) && !actor.MFA {
			return &fiatdashboard.Error{Code: fiatdashboard.EFORBIDDEN, Field: "mfa", Message: "set up two-factor authentication before creating API tokens"}
		}
		token, hash := newToken("fd_")
		out = APIToken{Name: name, Prefix: token[:10], Token: token}
		if err := tx.GetContext(ctx, &out, `INSERT INTO api_tokens (tenant_id, account_id, name, prefix, token_hash, mfa)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, name, prefix, created_at, last_used_at`, a.TenantID, a.ID, name, out.Prefix, hash, actor.MFA); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, realmTenant(ctx), "token.created", name, map[string]any{"token_id": out.ID, "prefix": out.Prefix})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeToken revokes one of the actor's API tokens; ENOTFOUND for any other.
func (s *Service) RevokeToken(ctx context.Context, id uuid.UUID) error {
	return s.realmTx(ctx, "revoke token", func(tx *tenant.Tx) error {
		_, actor, err := s.actorAccount(ctx, tx)
		if err != nil {
			return err
		}
		var name string
		err = tx.GetContext(ctx, &name, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL RETURNING name`, id, actor.ID)
		if tenant.IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "token not found")
		}
		if err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, realmTenant(ctx), "token.revoked", name, map[string]any{"token_id": id})
	})
}
