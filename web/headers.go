package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// contentSecurityPolicy allows what the UI needs and nothing more: its own
// scripts, styles (the branded theme is an inline <style>, hence
// 'unsafe-inline' for styles only), images (uploaded logos are served from
// the tenant's own host; data: for inline icons), and Stripe.js, whose
// documented CSP needs script-src and frame-src js.stripe.com, frame-src
// hooks.stripe.com (3-D Secure) and connect-src api.stripe.com
// (https://docs.stripe.com/security/guide#content-security-policy). No page
// may be framed by another site (frame-ancestors 'none').
const contentSecurityPolicy = "default-src 'self'; " +
	"script-src 'self' https://js.stripe.com https://*.js.stripe.com; " +
	"style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob: https://*.stripe.com; " +
	"font-src 'self' data:; " +
	"connect-src 'self' https://api.stripe.com; " +
	"frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries; a handler may
// replace one (an uploaded SVG gets a stricter CSP, a cacheable asset its
// own Cache-Control). Authenticated JSON, and every API answer, is never
// stored by a cache. HSTS only when the request came over TLS, as a trusted
// proxy says (Fiber believes X-Forwarded-Proto from TrustedProxies only).
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set(fiber.HeaderContentSecurityPolicy, contentSecurityPolicy)
	h.Set(fiber.HeaderXFrameOptions, "DENY")
	h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	h.Set(fiber.HeaderReferrerPolicy, "strict-origin-when-cross-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(self \"https://js.stripe.com\")")
	if c.Protocol() == "https" {
		// No includeSubDomains: a tenant's custom domain has subdomains
		// that are not ours.
		h.Set(fiber.HeaderStrictTransportSecurity, "max-age=31536000")
	}
	// Static assets and branding images set their own caching after this.
	if strings.HasPrefix(c.Path(), "/api/") || c.Get(fiber.HeaderAuthorization) != "" || c.Get(fiber.HeaderCookie) != "" {
		h.Set(fiber.HeaderCacheControl, "no-store")
	}
	return c.Next()
}
