package web

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fiatdashboard/fiatdashboard/tenant"
	"github.com/fiatdashboard/fiatdashboard/themes"
)

// healthz says the process is up; it checks nothing else.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz says whether the process can do its work: PostgreSQL and Redis answer.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	checks := fiber.Map{"postgres": "ok", "redis": "ok"}
	ready := true
	if err := s.deps.DB.PingContext(ctx); err != nil {
		s.log.Warn("readyz: postgres unreachable", "err", err)
		checks["postgres"], ready = "unreachable", false
	}
	if err := s.deps.Redis.Ping(ctx).Err(); err != nil {
		s.log.Warn("readyz: redis unreachable", "err", err)
		checks["redis"], ready = "unreachable", false
	}
	if !ready {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "checks": checks})
	}
	return c.JSON(fiber.Map{"status": "ok", "checks": checks})
}

func (s *Server) metricsHandler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(s.deps.Registry, promhttp.HandlerOpts{}))
}

// SiteInfo is what the UI needs to brand itself; it is also injected into
// index.html so the first paint is branded.
type SiteInfo struct {
	Realm      string     `json:"realm"`
	Tenant     TenantInfo `json:"tenant"`
	StripeMode string     `json:"stripe_mode"`
	// Version is shown to signed-in staff only: an anonymous caller learns
	// nothing that narrows down which vulnerabilities to try.
	Version string `json:"version,omitempty"`
	// BaseDomain is the domain under which storefronts are slug hosts
	// (console only: it builds the links to each storefront).
	BaseDomain string `json:"base_domain,omitempty"`
	theme      themes.Theme
}

// TenantInfo is the public face of a tenant.
type TenantInfo struct {
	Slug       string `json:"slug"`
	Name       string `json:"name"`
	Pitch      string `json:"pitch"`
	LogoURL    string `json:"logo_url"`
	FaviconURL string `json:"favicon_url,omitempty"`
	Mode       string `json:"mode"`
	Status     string `json:"status,omitempty"`
}

func (s *Server) siteInfo(c *fiber.Ctx) SiteInfo {
	site := siteOf(c)
	info := SiteInfo{Realm: string(site.Realm), StripeMode: s.cfg.StripeMode, theme: themes.Default()}
	if actor, ok := tenant.ActorFromContext(c.UserContext()); ok && actor.Kind != tenant.ActorSystem {
		info.Version = s.cfg.Version
	}
	if site.Tenant == nil {
		info.Tenant = TenantInfo{Name: "fiatdashboard console", Pitch: "Run the marketplace: tenants, node operators, jobs.", Mode: "light"}
		if s.deps.Resolver != nil {
			info.BaseDomain = s.deps.Resolver.BaseDomain()
		}
		return info
	}
	t := site.Tenant
	// A stored theme was validated when saved; a bad one falls back to the default.
	if th, ok := parsedTheme(t.ID, t.Theme); ok {
		info.theme = th
	}
	name := t.Name
	if info.theme.ProductName != "" {
		name = info.theme.ProductName
	}
	info.Tenant = TenantInfo{Slug: t.Slug, Name: name, Pitch: t.Pitch, LogoURL: info.theme.LogoURL,
		FaviconURL: info.theme.FaviconURL, Mode: info.theme.Mode, Status: string(t.Status)}
	return info
}

// site returns the realm and branding of the host the request came to.
func (s *Server) site(c *fiber.Ctx) error {
	return c.JSON(s.siteInfo(c))
}

// themesParsed keeps each tenant's theme as last parsed, with the stored
// text it came from: parsing and validating it (JSON and a dozen regular
// expressions) was a fifth of `GET /api/site`'s CPU. An entry is used only
// while the tenant's stored text is the same, so a changed theme is parsed
// anew on its first request; one entry per tenant.
var themesParsed sync.Map // tenant id → themeParsed

type themeParsed struct {
	raw string
	th  themes.Theme
	ok  bool
}

func parsedTheme(tenantID uuid.UUID, raw []byte) (themes.Theme, bool) {
	if e, found := themesParsed.Load(tenantID); found {
		if p := e.(themeParsed); p.raw == string(raw) {
			return p.th, p.ok
		}
	}
	th, err := themes.Parse(raw)
	themesParsed.Store(tenantID, themeParsed{raw: string(raw), th: th, ok: err == nil})
	return th, err == nil
}
