package rbac

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Tokens are what a successful sign-in or refresh hands the browser.
type Tokens struct {
	Access         string
	AccessExpires  time.Time
	Refresh        string
	RefreshExpires time.Time
	SessionID      uuid.UUID
}

// LoginResult is either a session or the request for a second factor.
type LoginResult struct {
	Tokens      *Tokens
	MFAToken    string // set when the account has two-factor authentication
	MFA         bool   // the session passed two-factor authentication
	AccountID   uuid.UUID
	AccountMail string
}

// dummyHash makes a sign-in for an unknown e-mail cost what a real one costs.
var dummyHash, _ = HashPassword("fiatdashboard-timing-equaliser")

var errBadLogin = fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "e-mail or password is incorrect")

// Login checks the password in the realm. It answers the same whether the
// e-mail is unknown or the password wrong, and ETOOMANYREQUEST after
// repeated failures per account or per IP.
func (s *Service) Login(ctx context.Context, email, password string, meta ClientMeta) (*LoginResult, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil, fiatdashboard.Invalid("email", "enter your e-mail address")
	}
	if password == "" {
		return nil, fiatdashboard.Invalid("password", "enter your password")
	}
	realm := realmKey(ctx)
	if err := s.limiter.Check(ctx, realm, email, meta.IP); err != nil {
		return nil, err
	}
	var a *Account
	err := s.realmTx(ctx, "login", func(tx *tenant.Tx) error {
		var err error
		a, err = s.accountByEmail(ctx, tx, email)
		return err
	})
	if err != nil {
		return nil, err
	}
	hash := dummyHash
	if a != nil {
		hash = a.PasswordHash
	}
	if !VerifyPassword(hash, password) || a == nil || a.DisabledAt != nil {
		s.limiter.Fail(ctx, realm, email, meta.IP)
		var actorID uuid.UUID
		if a != nil {
			actorID = a.ID
		}
		s.audit(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: actorID, Name: email, IP: meta.IP}, "auth.login_failed", email, nil)
		return nil, errBadLogin
	}
	if a.EmailVerifiedAt == nil {
		return nil, fiatdashboard.Invalid("email", "confirm your e-mail address first: open the link we sent you, or ask for a new one")
	}
	if a.TOTPEnabledAt != nil {
		tok, err := s.keys.sign(AccessClaims{Realm: realm, Email: a.Email, Purpose: "mfa",
			RegisteredClaims: jwtSubject(a.ID)}, mfaTTL, s.now())
		if err != nil {
			return nil, err
		}
		return &LoginResult{MFAToken: tok, AccountID: a.ID, AccountMail: a.Email}, nil
	}
	s.limiter.Succeed(ctx, realm, email)
	t, err := s.startSession(ctx, a, false, meta)
	if err != nil {
		return nil, err
	}
	return &LoginResult{Tokens: t, AccountID: a.ID, AccountMail: a.Email}, nil
}

// LoginMFA completes a two-factor sign-in with a TOTP code or a recovery code.
func (s *Service) LoginMFA(ctx context.Context, mfaToken, code string, meta ClientMeta) (*LoginResult, error) {
	realm := realmKey(ctx)
	c, err := s.keys.parse(mfaToken, "mfa", realm, s.now())
	if err != nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "the sign-in took too long; start again")
	}
	if err := s.limiter.Check(ctx, realm, c.Email, meta.IP); err != nil {
		return nil, err
	}
	id, _ := uuid.Parse(c.Subject)
	var a *Account
	var ok bool
	err = s.realmTx(ctx, "login mfa", func(tx *tenant.Tx) error {
		var err error
		if a, err = s.accountByID(ctx, tx, id); err != nil {
			return err
		}
		ok, err = s.checkSecondFactor(ctx, tx, a, code)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		s.limiter.Fail(ctx, realm, c.Email, meta.IP)
		s.audit(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: a.ID, Name: a.Email, IP: meta.IP}, "auth.mfa_failed", a.Email, nil)
		return nil, fiatdashboard.Invalid("code", "that code is not right; check your authenticator app's clock, or use a recovery code")
	}
	s.limiter.Succeed(ctx, realm, c.Email)
	t, err := s.startSession(ctx, a, true, meta)
	if err != nil {
		return nil, err
	}
	return &LoginResult{Tokens: t, MFA: true, AccountID: a.ID, AccountMail: a.Email}, nil
}

// checkSecondFactor accepts a current TOTP code (once) or an unused recovery code.
func (s *Service) checkSecondFactor(ctx context.Context, tx *tenant.Tx, a *Account, code string) (bool, error) {
	code = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(code), " ", ""))
	if a.TOTPSecretEnc == nil || a.TOTPEnabledAt == nil || code == "" {
		return false, nil
	}
	if len(code) == 6 && strings.Trim(code, "0123456789") == "" {
		secret, err := s.keys.Open("totp", *a.TOTPSecretEnc)
		if err != nil {
			return false, fmt.Errorf("open totp secret: %w", err)
		}
		step := totpStep(code, string(secret), s.now())
		if step < 0 {
			return false, nil
		}
		// A code is good once: neither it nor an older one (the code that
		// confirmed the enrolment included) works after it.
		return useTOTPStep(ctx, tx, a.ID, step)
	}
	res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = now() WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL`, a.ID, hashToken(code))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	if n == 1 {
		s.audit(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: a.ID, Name: a.Email}, "auth.recovery_code_used", a.Email, nil)
	}
	return n == 1, nil
}

// totpPeriod is the TOTP time step (RFC 6238's default, what authenticator
// apps use).
const totpPeriod = 30

// totpStep returns the time step whose code is code, among the current step
// and one either side (clock skew), or -1 when it is none of them.
func totpStep(code, secret string, now time.Time) int64 {
	cur := now.Unix() / totpPeriod
	for _, step := range []int64{cur, cur - 1, cur + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0).UTC(), totp.ValidateOpts{
			Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step
		}
	}
	return -1
}

// useTOTPStep records step as the last one a code of the account was
// accepted for; false when a code of this step or a later one was accepted
// before (a replay). Concurrent uses of one code: the row lock lets one win.
func useTOTPStep(ctx context.Context, tx *tenant.Tx, account uuid.UUID, step int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)`, account, step)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *Service) startSession(ctx context.Context, a *Account, mfa bool, meta ClientMeta) (*Tokens, error) {
	var t *Tokens
	err := s.realmTx(ctx, "start session", func(tx *tenant.Tx) error {
		var sid uuid.UUID
		var ip *string
		if meta.IP != "" {
			ip = &meta.IP
		}
		err := tx.GetContext(ctx, &sid, `
			INSERT INTO sessions (tenant_id, account_id, mfa, user_agent, ip, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			a.TenantID, a.ID, mfa, truncate(meta.UserAgent, 300), ip, s.now().Add(RefreshTTL))
		if err != nil {
			return err
		}
		if t, err = s.issue(ctx, tx, a, sid, mfa); err != nil {
			return err
		}
		actx := tenant.WithActor(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: a.ID, Name: a.Email, IP: meta.IP, MFA: mfa})
		return tenant.Audit(actx, tx, realmTenant(ctx), "auth.login", a.Email, map[string]any{"mfa": mfa})
	})
	return t, err
}

// issue stores a new refresh token of the session and signs an access token.
func (s *Service) issue(ctx context.Context, tx *tenant.Tx, a *Account, sid uuid.UUID, mfa bool) (*Tokens, error) {
	refresh, hash := newToken("fdr_")
	if _, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (token_hash, tenant_id, session_id) VALUES ($1, $2, $3)`, hash, a.TenantID, sid); err != nil {
		return nil, err
	}
	now := s.now()
	access, err := s.keys.sign(AccessClaims{Realm: realmKey(ctx), SessionID: sid, Email: a.Email, MFA: mfa, Purpose: "access",
		RegisteredClaims: jwtSubject(a.ID)}, AccessTTL, now)
	if err != nil {
		return nil, err
	}
	return &Tokens{Access: access, AccessExpires: now.Add(AccessTTL), Refresh: refresh, RefreshExpires: now.Add(RefreshTTL), SessionID: sid}, nil
}

// Refresh trades a refresh token for new tokens; each refresh token works
// once. Presenting a used one again means it was stolen (or raced): the whole
// session is revoked.
func (s *Service) Refresh(ctx context.Context, refresh string, meta ClientMeta) (*Tokens, error) {
	if refresh == "" {
		return nil, fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "sign in again")
	}
	var t *Tokens
	var reused uuid.UUID
	err := s.realmTx(ctx, "refresh", func(tx *tenant.Tx) error {
		var row struct {
			SessionID uuid.UUID  `db:"session_id"`
			UsedAt    *time.Time `db:"used_at"`
			RevokedAt *time.Time `db:"revoked_at"`
			ExpiresAt time.Time  `db:"expires_at"`
			AccountID uuid.UUID  `db:"account_id"`
			MFA       bool       `db:"mfa"`
		}
		err := tx.GetContext(ctx, &row, `
			SELECT rt.session_id, rt.used_at, s.revoked_at, s.expires_at, s.account_id, s.mfa
			FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
			WHERE rt.token_hash = $1 AND `+realmFilter(ctx, "rt.")+`
			FOR UPDATE OF rt, s`, hashToken(refresh))
		if tenant.IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "sign in again")
		}
		if err != nil {
			return err
		}
		if row.RevokedAt != nil || s.now().After(row.ExpiresAt) {
			return fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "sign in again")
		}
		if row.UsedAt != nil {
			reused = row.SessionID
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = now(), revoke_reason = 'refresh token reused' WHERE id = $1`, row.SessionID); err != nil {
				return err
			}
			actx := tenant.WithActor(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: row.AccountID, IP: meta.IP})
			return tenant.Audit(actx, tx, realmTenant(ctx), "auth.refresh_reuse", row.SessionID.String(), map[string]any{"session_revoked": true})
		}
		a, err := s.accountByID(ctx, tx, row.AccountID)
		if err != nil {
			return err
		}
		if a.DisabledAt != nil {
			return fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "sign in again")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1`, hashToken(refresh)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET last_used_at = now() WHERE id = $1`, row.SessionID); err != nil {
			return err
		}
		t, err = s.issue(ctx, tx, a, row.SessionID, row.MFA)
		return err
	})
	if err != nil {
		return nil, err
	}
	if reused != uuid.Nil {
		s.denySessions(ctx, reused)
		return nil, fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "this session was ended for your safety; sign in again")
	}
	return t, nil
}

// denySessions makes access tokens of revoked sessions stop working now,
// not when they expire.
func (s *Service) denySessions(ctx context.Context, ids ...uuid.UUID) {
	pipe := s.rdb.Pipeline()
	for _, id := range ids {
		pipe.Set(ctx, "fd:session:revoked:"+id.String(), 1, AccessTTL+time.Minute)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		s.log.Error("deny revoked sessions", "err", err)
	}
}

// Logout ends the actor's current session.
func (s *Service) Logout(ctx context.Context) error {
	actor, ok := tenant.ActorFromContext(ctx)
	if !ok || actor.SessionID == uuid.Nil {
		return nil
	}
	return s.revokeSessions(ctx, "logout", `id = $1`, actor.SessionID)
}

// LogoutAll ends every session of the actor's account.
func (s *Service) LogoutAll(ctx context.Context) error {
	actor, ok := tenant.ActorFromContext(ctx)
	if !ok || actor.Kind == tenant.ActorSystem {
		return fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "sign in first")
	}
	return s.revokeSessions(ctx, "logout everywhere", `account_id = $1`, actor.ID)
}

func (s *Service) revokeSessions(ctx context.Context, reason, where string, arg any) error {
	var ids []uuid.UUID
	err := s.realmTx(ctx, reason, func(tx *tenant.Tx) error {
		err := tx.SelectContext(ctx, &ids, `UPDATE sessions SET revoked_at = now(), revoke_reason = $2
			WHERE `+where+` AND revoked_at IS NULL AND `+realmFilter(ctx, "")+` RETURNING id`, arg, reason)
		if err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, realmTenant(ctx), "auth."+strings.ReplaceAll(reason, " ", "_"), "", map[string]any{"sessions": len(ids)})
	})
	if err == nil && len(ids) > 0 {
		s.denySessions(ctx, ids...)
	}
	return err
}

// AuthenticateAccess verifies an access token for the realm of ctx and
// returns its actor. Revoked sessions fail at once (one Redis look-up).
func (s *Service) AuthenticateAccess(ctx context.Context, token, ip string) (tenant.Actor, error) {
	c, err := s.keys.parse(token, "access", realmKey(ctx), s.now())
	if err != nil {
		return tenant.Actor{}, fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "session expired")
	}
	n, err := s.rdb.Exists(ctx, "fd:session:revoked:"+c.SessionID.String()).Result()
	if err != nil {
		return tenant.Actor{}, fmt.Errorf("session check: %w", err)
	}
	if n > 0 {
		return tenant.Actor{}, fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "session ended")
	}
	id, err := uuid.Parse(c.Subject)
	if err != nil {
		return tenant.Actor{}, fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "session expired")
	}
	actor := tenant.Actor{Kind: tenant.ActorUser, ID: id, Name: c.Email, MFA: c.MFA, SessionID: c.SessionID, IP: ip}
	if c.ExpiresAt != nil {
		actor.Until = c.ExpiresAt.Time
	}
	return actor, nil
}

// SessionEnded reports whether the session was ended (signed out, revoked,
// its refresh token reused) since its access token was issued: what
// AuthenticateAccess refuses. Long-lived responses (progress streams) ask it
// now and then and stop when it says yes.
func (s *Service) SessionEnded(ctx context.Context, session uuid.UUID) (bool, error) {
	n, err := s.rdb.Exists(ctx, "fd:session:revoked:"+session.String()).Result()
	if err != nil {
		return false, fmt.Errorf("session check: %w", err)
	}
	return n > 0, nil
}

// AuthenticateBearer verifies a personal API token of the realm of ctx.
func (s *Service) AuthenticateBearer(ctx context.Context, token, ip string) (tenant.Actor, error) {
	var row struct {
		AccountID uuid.UUID `db:"account_id"`
		MFA       bool      `db:"mfa"`
		Email     string    `db:"email"`
	}
	// One statement: read the token, and note its use at most once a
	// minute, so busy API clients don't turn every request into a write.
	err := s.realmTx(ctx, "bearer token", func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &row, `
			WITH tok AS (
				SELECT t.id, t.account_id, t.mfa, a.email, t.last_used_at
				FROM api_tokens t JOIN accounts a ON a.id = t.account_id
				WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.disabled_at IS NULL AND `+realmFilter(ctx, "t.")+`
			), touched AS (
				UPDATE api_tokens SET last_used_at = now()
				WHERE id IN (SELECT id FROM tok WHERE last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
			)
			SELECT account_id, mfa, email FROM tok`, hashToken(token))
	})
	if tenant.IsNoRows(err) {
		return tenant.Actor{}, fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "invalid API token")
	}
	if err != nil {
		return tenant.Actor{}, err
	}
	return tenant.Actor{Kind: tenant.ActorToken, ID: row.AccountID, Name: row.Email, MFA: row.MFA, IP: ip}, nil
}

// audit writes one audit event in its own transaction, logging (not
// returning) a failure: it records what already happened.
func (s *Service) audit(ctx context.Context, actor tenant.Actor, action, target string, detail map[string]any) {
	ctx = tenant.WithActor(ctx, actor)
	err := s.realmTx(ctx, "audit", func(tx *tenant.Tx) error {
		return tenant.Audit(ctx, tx, realmTenant(ctx), action, target, detail)
	})
	if err != nil {
		s.log.Error("audit", "action", action, "err", err)
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
