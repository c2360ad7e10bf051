package web

import (
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

const (
	localsRequestID = "request_id"
	localsSite      = "site"
)

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestContext gives every request an id (the caller's X-Request-Id when
// sane), logs it with its outcome, and counts it for /metrics.
func (s *Server) requestContext(c *fiber.Ctx) error {
	start := time.Now()
	id := c.Get(fiber.HeaderXRequestID)
	if !validRequestID.MatchString(id) {
		id = uuid.NewString()
	} else {
		id = utils.CopyString(id)
	}
	c.Locals(localsRequestID, id)
	c.Set(fiber.HeaderXRequestID, id)

	err := c.Next()
	if err != nil {
		if herr := s.errorHandler(c, err); herr != nil {
			return herr
		}
	}
	status := c.Response().StatusCode()
	route := "ui"
	if r := c.Route(); r != nil && r.Path != "/" && !strings.HasSuffix(r.Path, "*") {
		route = r.Path
	}
	elapsed := time.Since(start)
	// The metric keeps its label values: c.Method() points into fasthttp's
	// request buffer, which the next request on the connection overwrites
	// ("GET" became "GETD", and /metrics answered 500 for two series with the
	// same labels), so the method is copied.
	method := utils.CopyString(c.Method())
	s.metrics.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	s.metrics.latency.WithLabelValues(method, route).Observe(elapsed.Seconds())
	// Enabled first: at level warn (production's busy servers) the request
	// line's attributes are not even built.
	if route != "/healthz" && route != "/metrics" && s.log.Enabled(c.UserContext(), slog.LevelInfo) {
		attrs := []any{slog.String("request_id", id), slog.String("method", c.Method()),
			slog.String("path", c.Path()), slog.Int("status", status), slog.Duration("elapsed", elapsed)}
		if site, ok := c.Locals(localsSite).(tenant.Site); ok && site.Tenant != nil {
			attrs = append(attrs, slog.String("tenant", site.Tenant.Slug))
		}
		s.log.Info("request", attrs...)
	}
	return nil
}

// resolveSite maps the Host header to the platform console or a tenant's
// storefront and scopes the request's context to it. An unknown host gets a
// neutral 404 that names no tenant.
func (s *Server) resolveSite(c *fiber.Ctx) error {
	site, err := s.deps.Resolver.Resolve(c.UserContext(), utils.CopyString(c.Hostname()))
	if err != nil {
		if fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
			return err
		}
		if isAPI(c.Path()) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "unknown host")
		}
		return c.Status(fiber.StatusNotFound).Type("html").SendString(unknownHostPage)
	}
	c.Locals(localsSite, site)
	if site.Tenant != nil {
		c.SetUserContext(tenant.WithID(c.UserContext(), site.Tenant.ID))
	}
	return c.Next()
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localsRequestID).(string)
	return id
}

func siteOf(c *fiber.Ctx) tenant.Site {
	site, _ := c.Locals(localsSite).(tenant.Site)
	return site
}

func isAPI(path string) bool {
	return path == "/api" || strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/webhooks/") || strings.HasPrefix(path, "/internal/")
}

const unknownHostPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Not found</title>
<style>body{font-family:system-ui,sans-serif;background:#f8fafc;color:#0f172a;display:grid;place-items:center;min-height:100vh;margin:0}main{text-align:center;padding:2rem}h1{font-size:1.5rem;margin:0 0 .5rem}p{color:#64748b}</style></head>
<body><main><h1>Nothing here</h1><p>This address does not serve a site.</p></main></body></html>`
