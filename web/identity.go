package web

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Cookie names. The access and refresh tokens are HttpOnly; the CSRF token
// is readable by the UI, which echoes it in X-CSRF-Token on every write.
const (
	cookieAccess  = "fd_access"
	cookieRefresh = "fd_refresh"
	cookieCSRF    = "fd_csrf"
	headerCSRF    = "X-CSRF-Token"
)

// authenticate puts the actor into the request's context: a personal API
// token (Authorization: Bearer), or the access-token cookie. A cookie-
// authenticated write must carry the CSRF token. Requests without
// credentials go on as anonymous; the services refuse what needs an actor.
func (s *Server) authenticate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ip := c.IP()
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return &fiatdashboard.Error{Code: fiatdashboard.EUNAUTHORIZED, Field: "authorization", Message: "use Authorization: Bearer <token>"}
		}
		actor, err := s.bearers.authenticate(ctx, strings.TrimSpace(token), ip, s.deps.Identity.AuthenticateBearer)
		if err != nil {
			return err
		}
		c.SetUserContext(tenant.WithActor(ctx, actor))
		return c.Next()
	}
	if token := c.Cookies(cookieAccess); token != "" {
		actor, err := s.deps.Identity.AuthenticateAccess(ctx, token, ip)
		if err == nil {
			if !safeMethod(c.Method()) {
				csrf := c.Cookies(cookieCSRF)
				if csrf == "" || c.Get(headerCSRF) != csrf {
					return &fiatdashboard.Error{Code: fiatdashboard.EFORBIDDEN, Field: "csrf", Message: "missing or wrong X-CSRF-Token header; reload the page"}
				}
			}
			c.SetUserContext(tenant.WithActor(ctx, actor))
		} else if fiatdashboard.ErrorCode(err) != fiatdashboard.EUNAUTHORIZED {
			return err
		}
	}
	return c.Next()
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

func meta(c *fiber.Ctx) rbac.ClientMeta {
	return rbac.ClientMeta{IP: c.IP(), UserAgent: string(c.Request().Header.UserAgent()), Origin: siteOrigin(c)}
}

// siteOrigin is the scheme and host name of the site the request resolved
// to (the console, a slug host or a verified custom domain), for links in
// mail. The port the request came to is dropped, so a link never points at
// a port a caller chose; development hosts (*.localhost) keep theirs.
func siteOrigin(c *fiber.Ctx) string {
	host := strings.ToLower(c.Hostname())
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = host, ""
	}
	if port != "" && (name == "localhost" || strings.HasSuffix(name, ".localhost")) {
		return c.Protocol() + "://" + net.JoinHostPort(name, port)
	}
	return c.Protocol() + "://" + name
}

// setSession sets the session cookies from fresh tokens. A new sign-in gets
// a new CSRF token (rotateCSRF), so one planted before it (a cookie set by a
// sibling subdomain, say) is worthless afterwards.
func setSession(c *fiber.Ctx, t *rbac.Tokens, rotateCSRF ...bool) {
	secure := c.Protocol() == "https"
	c.Cookie(&fiber.Cookie{Name: cookieAccess, Value: t.Access, Path: "/", Expires: t.AccessExpires, HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
	c.Cookie(&fiber.Cookie{Name: cookieRefresh, Value: t.Refresh, Path: "/api/auth", Expires: t.RefreshExpires, HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteStrictMode})
	csrf := c.Cookies(cookieCSRF)
	if csrf == "" || (len(rotateCSRF) > 0 && rotateCSRF[0]) {
		b := make([]byte, 24)
		rand.Read(b)
		csrf = base64.RawURLEncoding.EncodeToString(b)
	}
	c.Cookie(&fiber.Cookie{Name: cookieCSRF, Value: csrf, Path: "/", Expires: t.RefreshExpires, Secure: secure, SameSite: fiber.CookieSameSiteStrictMode})
}

func clearSession(c *fiber.Ctx) {
	past := time.Unix(0, 0)
	for _, ck := range []struct{ name, path string }{{cookieAccess, "/"}, {cookieRefresh, "/api/auth"}, {cookieCSRF, "/"}} {
		c.Cookie(&fiber.Cookie{Name: ck.name, Value: "", Path: ck.path, Expires: past, HTTPOnly: ck.name != cookieCSRF})
	}
}

// bind parses a JSON body into v (see decodeJSON): only application/json is
// accepted (a form or text/plain post from another site is refused), and
// NUL, invalid UTF-8 and type errors are EINVALID naming the field.
func bind(c *fiber.Ctx, v any) error {
	if len(c.Body()) == 0 {
		return nil
	}
	if !isJSON(c.Get(fiber.HeaderContentType)) {
		return fiatdashboard.Invalid("body", "send the request body as application/json")
	}
	return decodeJSON(c.Body(), v)
}

// page reads ?limit= (1-100, default 50).
func page(c *fiber.Ctx) (int, error) {
	limit := 50
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return 0, fiatdashboard.Invalid("limit", "limit must be a number from 1 to 100")
		}
		limit = n
	}
	return limit, nil
}

// idPage reads ?limit= and an id ?cursor= (from next_cursor) of lists
// ordered newest first.
func idPage(c *fiber.Ctx) (before int64, limit int, err error) {
	if limit, err = page(c); err != nil {
		return
	}
	if v := c.Query("cursor"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 0 {
			return 0, 0, fiatdashboard.Invalid("cursor", "cursor must come from next_cursor")
		}
	}
	return before, limit, nil
}

func pathUUID(c *fiber.Ctx, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params(name))
	if err != nil {
		return uuid.Nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	return id, nil
}

type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func listOf[T any](items []T, limit int, cursor func(T) string) list[T] {
	if items == nil {
		items = []T{}
	}
	l := list[T]{Items: items}
	if len(items) == limit && limit > 0 {
		l.NextCursor = cursor(items[len(items)-1])
	}
	return l
}

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) signup(c *fiber.Ctx) error {
	var in credentials
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Identity.Signup(c.UserContext(), in.Email, in.Password, meta(c)); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"account": fiber.Map{"email": strings.ToLower(strings.TrimSpace(in.Email))}, "verification_sent": true})
}

func (s *Server) verifyEmail(c *fiber.Ctx) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Identity.VerifyEmail(c.UserContext(), in.Token); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"verified": true})
}

func (s *Server) resendVerification(c *fiber.Ctx) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Identity.ResendVerification(c.UserContext(), in.Email, meta(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusAccepted)
}

func (s *Server) loginResult(c *fiber.Ctx, r *rbac.LoginResult) error {
	if r.MFAToken != "" {
		return c.JSON(fiber.Map{"status": "mfa_required", "mfa_token": r.MFAToken})
	}
	setSession(c, r.Tokens, true)
	ctx := tenant.WithActor(c.UserContext(), tenant.Actor{Kind: tenant.ActorUser, ID: r.AccountID, Name: r.AccountMail, SessionID: r.Tokens.SessionID, MFA: r.MFA})
	me, err := s.deps.Identity.Me(ctx)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": "ok", "me": me})
}

// sameOrigin refuses a sign-in posted from another site (login CSRF): a
// browser says where a request comes from in Origin (and Sec-Fetch-Site);
// when it does, it must be this very host. Clients that send neither (curl,
// scripts) are not browsers and cannot be led by another site.
func sameOrigin(c *fiber.Ctx) error {
	if site := c.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return &fiatdashboard.Error{Code: fiatdashboard.EFORBIDDEN, Field: "origin", Message: "sign in from this site's own page"}
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || !strings.EqualFold(u.Host, c.Hostname()) {
		return &fiatdashboard.Error{Code: fiatdashboard.EFORBIDDEN, Field: "origin", Message: "sign in from this site's own page"}
	}
	return nil
}

func (s *Server) login(c *fiber.Ctx) error {
	if err := sameOrigin(c); err != nil {
		return err
	}
	var in credentials
	if err := bind(c, &in); err != nil {
		return err
	}
	r, err := s.deps.Identity.Login(c.UserContext(), in.Email, in.Password, meta(c))
	if err != nil {
		return err
	}
	return s.loginResult(c, r)
}

func (s *Server) loginMFA(c *fiber.Ctx) error {
	if err := sameOrigin(c); err != nil {
		return err
	}
	var in struct {
		MFAToken string `json:"mfa_token"`
		Code     string `json:"code"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	r, err := s.deps.Identity.LoginMFA(c.UserContext(), in.MFAToken, in.Code, meta(c))
	if err != nil {
		return err
	}
	return s.loginResult(c, r)
}

func (s *Server) refresh(c *fiber.Ctx) error {
	t, err := s.deps.Identity.Refresh(c.UserContext(), c.Cookies(cookieRefresh), meta(c))
	if err != nil {
		if fiatdashboard.ErrorCode(err) == fiatdashboard.EUNAUTHORIZED {
			clearSession(c)
		}
		return err
	}
	setSession(c, t)
	actor, err := s.deps.Identity.AuthenticateAccess(c.UserContext(), t.Access, c.IP())
	if err != nil {
		return err
	}
	me, err := s.deps.Identity.Me(tenant.WithActor(c.UserContext(), actor))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"me": me})
}

func (s *Server) logout(c *fiber.Ctx) error {
	if err := s.deps.Identity.Logout(c.UserContext()); err != nil {
		return err
	}
	if a, ok := tenant.ActorFromContext(c.UserContext()); ok {
		s.streams.endSession(a.SessionID)
	}
	clearSession(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) logoutAll(c *fiber.Ctx) error {
	if err := s.deps.Identity.LogoutAll(c.UserContext()); err != nil {
		return err
	}
	if a, ok := tenant.ActorFromContext(c.UserContext()); ok {
		s.streams.endAccount(a.ID)
	}
	clearSession(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) requestPasswordReset(c *fiber.Ctx) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Identity.RequestPasswordReset(c.UserContext(), in.Email, meta(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusAccepted)
}

func (s *Server) confirmPasswordReset(c *fiber.Ctx) error {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Identity.ResetPassword(c.UserContext(), in.Token, in.Password); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"reset": true})
}

func (s *Server) me(c *fiber.Ctx) error {
	me, err := s.deps.Identity.Me(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(me)
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Identity.ChangePassword(c.UserContext(), in.Current, in.New); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) enrollTOTP(c *fiber.Ctx) error {
	e, err := s.deps.Identity.EnrollTOTP(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(e)
}

func (s *Server) confirmTOTP(c *fiber.Ctx) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	codes, t, err := s.deps.Identity.ConfirmTOTP(c.UserContext(), in.Code)
	if err != nil {
		return err
	}
	if t != nil {
		setSession(c, t)
	}
	return c.JSON(fiber.Map{"recovery_codes": codes})
}

func (s *Server) disableTOTP(c *fiber.Ctx) error {
	var in struct {
		Password string `json:"password"`
		Code     string `json:"code"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Identity.DisableTOTP(c.UserContext(), in.Password, in.Code); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) sessions(c *fiber.Ctx) error {
	out, err := s.deps.Identity.Sessions(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, 0, func(rbac.Session) string { return "" }))
}

func (s *Server) revokeSession(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.Identity.RevokeSession(c.UserContext(), id); err != nil {
		return err
	}
	s.streams.endSession(id) // the caller's own session: RevokeSession found it
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) tokens(c *fiber.Ctx) error {
	out, err := s.deps.Identity.Tokens(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, 0, func(rbac.APIToken) string { return "" }))
}

func (s *Server) createToken(c *fiber.Ctx) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	t, err := s.deps.Identity.CreateToken(c.UserContext(), in.Name)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(t)
}

func (s *Server) revokeToken(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.Identity.RevokeToken(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// requireTenantHost answers 404 for tenant-admin routes on the console host.
func requireTenantHost(c *fiber.Ctx) error {
	if siteOf(c).Tenant == nil {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	return c.Next()
}

// requireConsoleHost answers 404 for console routes on a storefront.
func requireConsoleHost(c *fiber.Ctx) error {
	if siteOf(c).Realm != tenant.RealmPlatform {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	return c.Next()
}

func (s *Server) adminMembers(c *fiber.Ctx) error {
	limit, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Identity.Members(c.UserContext(), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(m rbac.Member) string { return m.Email }))
}

func (s *Server) adminInviteMember(c *fiber.Ctx) error {
	var in struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Identity.InviteMember(c.UserContext(), in.Email, in.Role, meta(c)); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"invited": true})
}

func (s *Server) adminSetRoles(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Roles []string `json:"roles"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Identity.SetRoles(c.UserContext(), id, in.Roles); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"roles": in.Roles})
}

func (s *Server) adminNodeRequests(c *fiber.Ctx) error {
	limit, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Identity.NodeOperatorRequests(c.UserContext(), c.Query("status"), limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, 0, func(rbac.NodeOperatorRequest) string { return "" }))
}

func (s *Server) adminDecideNodeRequest(decision string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathUUID(c, "id")
		if err != nil {
			return err
		}
		var in struct {
			Reason string `json:"reason"`
		}
		if err := bind(c, &in); err != nil {
			return err
		}
		r, err := s.deps.Identity.DecideNodeOperatorRequest(c.UserContext(), id, decision, in.Reason)
		if err != nil {
			return err
		}
		return c.JSON(r)
	}
}

func (s *Server) auditLog(c *fiber.Ctx) error {
	before, limit, err := idPage(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Identity.AuditLog(c.UserContext(), before, limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(e tenant.AuditEvent) string { return strconv.FormatInt(e.ID, 10) }))
}

func (s *Server) operatorTenants(c *fiber.Ctx) error {
	limit, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Identity.OperatorTenants(c.UserContext(), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(t rbac.OperatorTenant) string { return t.Slug }))
}

func (s *Server) operatorRequest(c *fiber.Ctx) error {
	var in struct {
		TenantSlug string `json:"tenant_slug"`
		Message    string `json:"message"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	r, err := s.deps.Identity.RequestToJoin(c.UserContext(), in.TenantSlug, in.Message)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (s *Server) consoleSuperAdmins(c *fiber.Ctx) error {
	limit, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Identity.SuperAdmins(c.UserContext(), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(m rbac.Member) string { return m.Email }))
}

func (s *Server) consoleAddSuperAdmin(c *fiber.Ctx) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Identity.AddSuperAdmin(c.UserContext(), in.Email, meta(c)); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"added": true})
}

func (s *Server) consoleOutbox(c *fiber.Ctx) error {
	before, limit, err := idPage(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Identity.Outbox(c.UserContext(), before, limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(m rbac.OutboxMail) string { return strconv.FormatInt(m.ID, 10) }))
}

func (s *Server) consoleOutboxMessage(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "message not found")
	}
	m, err := s.deps.Identity.OutboxMessage(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(m)
}
