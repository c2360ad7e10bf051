package web

import (
	"context"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/fiatdashboard/fiatdashboard"
)

// The operations endpoints /metrics and /internal/tls-ask are not public.
// They are served on the internal listener (FD_INTERNAL_ADDR: Prometheus
// scrapes it, Caddy's on-demand TLS asks it), and on the public listener only
// to the configured addresses (FD_INTERNAL_ALLOW, judged by the connection's
// own peer address, never by X-Forwarded-For) and never on a storefront's
// host. Everyone else gets the same 404 as for any unknown path.

// Internal returns the app of the internal listener: /metrics,
// /internal/tls-ask, /healthz and /readyz, on any host.
func (s *Server) Internal() *fiber.App {
	s.internalOnce.Do(func() {
		app := fiber.New(fiber.Config{
			AppName:               "fiatdashboard-internal",
			DisableStartupMessage: true,
			ErrorHandler:          s.errorHandler,
			ReadTimeout:           10 * time.Second,
			WriteTimeout:          30 * time.Second,
			IdleTimeout:           120 * time.Second,
			BodyLimit:             1 << 10,
		})
		app.Use(s.requestContext)
		app.Get("/healthz", s.healthz)
		app.Get("/readyz", s.readyz)
		app.Get("/metrics", s.metricsHandler())
		app.Get("/internal/tls-ask", s.tlsAsk)
		app.Use(func(c *fiber.Ctx) error {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "no such endpoint")
		})
		s.internal = app
	})
	return s.internal
}

// ServeInternal serves Internal on ln until ctx is done.
func (s *Server) ServeInternal(ctx context.Context, ln net.Listener, grace time.Duration) error {
	app := s.Internal()
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	return app.ShutdownWithTimeout(grace)
}

// internalOnly guards an operations endpoint on the public listener: it
// answers only to a peer in cfg.InternalAllow, and never on a storefront's
// host; anyone else gets a 404, as for a path that does not exist.
func (s *Server) internalOnly(c *fiber.Ctx) error {
	if !s.internalPeer(c.Context().RemoteIP()) {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "no such endpoint")
	}
	if s.deps.Resolver != nil {
		if site, err := s.deps.Resolver.Resolve(c.UserContext(), utils.CopyString(c.Hostname())); err == nil && site.Tenant != nil {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "no such endpoint")
		}
	}
	return c.Next()
}

func (s *Server) internalPeer(ip net.IP) bool {
	if ip == nil {
		return false
	}
	for _, a := range s.cfg.InternalAllow {
		if _, n, err := net.ParseCIDR(a); err == nil {
			if n.Contains(ip) {
				return true
			}
		} else if allowed := net.ParseIP(a); allowed != nil && allowed.Equal(ip) {
			return true
		}
	}
	return false
}
