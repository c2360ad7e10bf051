package rbac

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/redis/go-redis/v9"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// RefreshTTL is how long a session lasts without use.
const RefreshTTL = 30 * 24 * time.Hour

// Service is identity: sign-up, sign-in, sessions, two-factor, tokens,
// members and the node-operator requests. The realm is the context's: a
// tenant (tenant.WithID) or, without one, the platform.
type Service struct {
	db      *sqlx.DB
	rdb     redis.UniversalClient
	authz   *Authorizer
	limiter *Limiter
	mailer  Mailer
	keys    *Keyring
	coopsOf CoopsOf
	log     *slog.Logger
	now     func() time.Time
}

// CoopsOf names, in tx, the co-ops each of the accounts is a member of
// (billing/coop.CoopsOf, which keeps co-op members): the console's
// accounts list shows them.
type CoopsOf func(ctx context.Context, tx *tenant.Tx, accounts []uuid.UUID) (map[uuid.UUID][]string, error)

// NewService wires the identity service. coopsOf names accounts' co-ops on
// the console's accounts list (nil: none).
func NewService(db *sqlx.DB, rdb redis.UniversalClient, authz *Authorizer, mailer Mailer, keys *Keyring, coopsOf CoopsOf, log *slog.Logger) *Service {
	return &Service{db: db, rdb: rdb, authz: authz, limiter: NewLimiter(rdb), mailer: mailer, keys: keys, coopsOf: coopsOf, log: log, now: time.Now}
}

// Authorizer returns the service's authorizer, for the other services.
func (s *Service) Authorizer() *Authorizer { return s.authz }

// Account is a person's account in one realm.
type Account struct {
	ID              uuid.UUID  `db:"id" json:"id"`
	TenantID        *uuid.UUID `db:"tenant_id" json:"-"`
	Email           string     `db:"email" json:"email"`
	PasswordHash    string     `db:"password_hash" json:"-"`
	EmailVerifiedAt *time.Time `db:"email_verified_at" json:"-"`
	TOTPSecretEnc   *string    `db:"totp_secret_enc" json:"-"`
	TOTPEnabledAt   *time.Time `db:"totp_enabled_at" json:"-"`
	DisabledAt      *time.Time `db:"disabled_at" json:"-"`
	CreatedAt       time.Time  `db:"created_at" json:"created_at"`
}

const accountColumns = `id, tenant_id, email, password_hash, email_verified_at, totp_secret_enc, totp_enabled_at, disabled_at, created_at`

// ClientMeta is where a request came from.
type ClientMeta struct {
	IP        string
	UserAgent string
	// Origin is the scheme and host the user is on (e.g. https://demo.example.com),
	// for links in mail.
	Origin string
}

// realmKey names the realm in tokens and rate limits.
func realmKey(ctx context.Context) string { return DomainOf(ctx) }

func realmTenant(ctx context.Context) uuid.UUID {
	id, _ := tenant.IDFromContext(ctx)
	return id
}

// realmTx runs fn scoped to the realm: the tenant's InTx, or the platform
// realm's own scope (PlatformTx), which shows rows without a tenant and no
// tenant's row. what names the work for the reader of the call site.
func (s *Service) realmTx(ctx context.Context, what string, fn func(*tenant.Tx) error) error {
	if _, ok := tenant.IDFromContext(ctx); ok {
		return tenant.InTx(ctx, s.db, fn)
	}
	_ = what
	return tenant.PlatformTx(ctx, s.db, fn)
}

// realmFilter restricts a query on a table with tenant_id to the realm; row
// security already does, this keeps each query's meaning plain.
func realmFilter(ctx context.Context, alias string) string {
	if _, ok := tenant.IDFromContext(ctx); ok {
		return alias + "tenant_id = current_setting('app.tenant_id')::uuid"
	}
	return alias + "tenant_id IS NULL"
}

func normalizeEmail(field, email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		return "", fiatdashboard.Invalid(field, "enter a valid e-mail address")
	}
	domain := email[strings.LastIndex(email, "@")+1:]
	if !strings.Contains(domain, ".") && domain != "localhost" {
		return "", fiatdashboard.Invalid(field, "enter a valid e-mail address")
	}
	return email, nil
}

func (s *Service) accountByEmail(ctx context.Context, tx *tenant.Tx, email string) (*Account, error) {
	var a Account
	err := tx.GetContext(ctx, &a, `SELECT `+accountColumns+` FROM accounts WHERE email = $1 AND `+realmFilter(ctx, ""), email)
	if tenant.IsNoRows(err) {
		return nil, nil
	}
	return &a, err
}

func (s *Service) accountByID(ctx context.Context, tx *tenant.Tx, id uuid.UUID) (*Account, error) {
	var a Account
	err := tx.GetContext(ctx, &a, `SELECT `+accountColumns+` FROM accounts WHERE id = $1 AND `+realmFilter(ctx, ""), id)
	if tenant.IsNoRows(err) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "account not found")
	}
	return &a, err
}

// actorAccount loads the signed-in actor's account in tx.
func (s *Service) actorAccount(ctx context.Context, tx *tenant.Tx) (*Account, tenant.Actor, error) {
	actor, ok := tenant.ActorFromContext(ctx)
	if !ok || actor.Kind == tenant.ActorSystem {
		return nil, actor, fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "sign in first")
	}
	a, err := s.accountByID(ctx, tx, actor.ID)
	if fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND {
		return nil, actor, fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "sign in first")
	}
	return a, actor, err
}

func isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}

// createAccount inserts an account in the realm of ctx; ok=false when the
// e-mail is taken there.
func createAccount(ctx context.Context, tx *tenant.Tx, email, passwordHash string, verified bool) (uuid.UUID, bool, error) {
	var tid *uuid.UUID
	if id, ok := tenant.IDFromContext(ctx); ok {
		tid = &id
	}
	var id uuid.UUID
	verifiedAt := "NULL"
	if verified {
		verifiedAt = "now()"
	}
	_, err := tx.ExecContext(ctx, `SAVEPOINT create_account`)
	if err != nil {
		return uuid.Nil, false, err
	}
	err = tx.GetContext(ctx, &id, `INSERT INTO accounts (tenant_id, email, password_hash, email_verified_at) VALUES ($1, $2, $3, `+verifiedAt+`) RETURNING id`, tid, email, passwordHash)
	if isUniqueViolation(err) {
		_, err = tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT create_account`)
		return uuid.Nil, false, err
	}
	return id, err == nil, err
}

// newEmailToken stores a one-time e-mail token and returns it.
func newEmailToken(ctx context.Context, tx *tenant.Tx, account uuid.UUID, purpose string, ttl time.Duration) (string, error) {
	token, hash := newToken("")
	var tid *uuid.UUID
	if id, ok := tenant.IDFromContext(ctx); ok {
		tid = &id
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO email_tokens (token_hash, tenant_id, account_id, purpose, expires_at) VALUES ($1, $2, $3, $4, now() + $5::interval)`,
		hash, tid, account, purpose, fmt.Sprintf("%d seconds", int(ttl.Seconds())))
	return token, err
}

// consumeEmailToken marks a valid token used and returns its account.
func consumeEmailToken(ctx context.Context, tx *tenant.Tx, token, purpose string) (uuid.UUID, error) {
	var account uuid.UUID
	err := tx.GetContext(ctx, &account, `
		UPDATE email_tokens SET used_at = now()
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now() AND `+realmFilter(ctx, "")+`
		RETURNING account_id`, hashToken(token), purpose)
	if tenant.IsNoRows(err) {
		return uuid.Nil, fiatdashboard.Invalid("token", "this link is invalid or has expired; ask for a new one")
	}
	return account, err
}

// realmName is how mail and authenticator apps name the realm.
func (s *Service) realmName(ctx context.Context) string {
	if id, ok := tenant.IDFromContext(ctx); ok {
		var name string
		if err := s.db.GetContext(ctx, &name, `SELECT name FROM tenants WHERE id = $1`, id); err == nil {
			return name
		}
	}
	return "fiatdashboard console"
}

// Signup creates an account in the realm — a customer on a storefront, a
// node operator on the console — and mails a verification link. When the
// e-mail is taken it answers the same and mails the owner instead, so the
// answer never tells whether an account exists.
func (s *Service) Signup(ctx context.Context, email, password string, meta ClientMeta) error {
	email, err := normalizeEmail("email", email)
	if err != nil {
		return err
	}
	if err := CheckPassword("password", password); err != nil {
		return err
	}
	if err := s.limiter.Take(ctx, RateSignup, realmKey(ctx)+"\x00"+email, meta.IP); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	role, domain := RoleCustomer, realmKey(ctx)
	if domain == DomainPlatform {
		role = RoleNodeOperator
	}
	name := s.realmName(ctx)
	var m Mail
	var id uuid.UUID
	err = s.realmTx(ctx, "signup", func(tx *tenant.Tx) error {
		var created bool
		var err error
		id, created, err = createAccount(ctx, tx, email, hash, false)
		if err != nil {
			return err
		}
		if !created {
			m = Mail{To: email, Subject: "Someone tried to sign up with your address at " + name,
				Text: fmt.Sprintf("Someone (perhaps you) tried to create an account at %s with this e-mail address, which already has one.\n\nTo sign in: %s/login\nForgot your password? %s/forgot-password\n", name, meta.Origin, meta.Origin)}
			return nil
		}
		if err := grant(ctx, tx, id, role, domain); err != nil {
			return err
		}
		token, err := newEmailToken(ctx, tx, id, "verify", 48*time.Hour)
		if err != nil {
			return err
		}
		m = Mail{To: email, Subject: "Verify your e-mail address for " + name,
			Text: fmt.Sprintf("Welcome to %s.\n\nConfirm your e-mail address by opening this link (valid for 48 hours):\n%s/verify-email?token=%s\n\nIf you did not sign up, ignore this message.\n", name, meta.Origin, token)}
		ctx := tenant.WithActor(ctx, tenant.Actor{Kind: tenant.ActorUser, ID: id, Name: email, IP: meta.IP})
		return tenant.Audit(ctx, tx, realmTenant(ctx), "account.signup", email, map[string]any{"role": role})
	})
	if err != nil {
		return fmt.Errorf("signup: %w", err)
	}
	if id != uuid.Nil {
		s.authz.applied([][]string{{id.String(), role, domain}}, nil)
	}
	return s.mailer.Send(ctx, realmTenant(ctx), m)
}

// VerifyEmail consumes a verification token; EINVALID on field "token" when
// it is unknown, used or expired.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	return s.realmTx(ctx, "verify email", func(tx *tenant.Tx) error {
		id, err := consumeEmailToken(ctx, tx, token, "verify")
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE accounts SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1`, id)
		return err
	})
}

// ResendVerification mails a new verification link when the account exists
// and is unverified; it answers the same either way.
func (s *Service) ResendVerification(ctx context.Context, email string, meta ClientMeta) error {
	email, err := normalizeEmail("email", email)
	if err != nil {
		return err
	}
	if err := s.limiter.Take(ctx, RateResend, realmKey(ctx)+"\x00"+email, meta.IP); err != nil {
		return err
	}
	name := s.realmName(ctx)
	var m *Mail
	err = s.realmTx(ctx, "resend verification", func(tx *tenant.Tx) error {
		a, err := s.accountByEmail(ctx, tx, email)
		if err != nil || a == nil || a.EmailVerifiedAt != nil {
			return err
		}
		token, err := newEmailToken(ctx, tx, a.ID, "verify", 48*time.Hour)
		if err != nil {
			return err
		}
		m = &Mail{To: email, Subject: "Verify your e-mail address for " + name,
			Text: fmt.Sprintf("Confirm your e-mail address by opening this link (valid for 48 hours):\n%s/verify-email?token=%s\n", meta.Origin, token)}
		return nil
	})
	if err != nil || m == nil {
		return err
	}
	return s.mailer.Send(ctx, realmTenant(ctx), *m)
}
