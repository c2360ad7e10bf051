// Package web owns the HTTP edge: the Fiber app, its middleware (request ids,
// host → tenant, metrics), the JSON API handlers, and the embedded UI whose
// index.html it brands per tenant.
package web

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/jobs"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
	"github.com/fiatdashboard/fiatdashboard/themes"
)

// Deps are what the server needs, built and wired by cmd.
type Deps struct {
	DB       *sqlx.DB // connected as the application role
	Redis    redis.UniversalClient
	Resolver *tenant.Resolver
	Identity *rbac.Service
	Tenants  *tenant.Service
	Branding *themes.Service
	Billing  *billing.Service
	Deploy   *deploy.Service
	Treasury *treasury.Treasury
	Log      *slog.Logger
	// Registry receives the HTTP metrics; cmd adds the job-queue collector.
	Registry *prometheus.Registry
	// Jobs is the console's view of the job queues; nil answers 503 there.
	Jobs *jobs.Console
	// Notifications (PostgreSQL LISTEN/NOTIFY) keep the catalog and bearer
	// caches in step and wake progress streams; nil caches nothing and
	// streams poll.
	Notifications *tenant.Notifications
}

// Config is the server's own settings.
type Config struct {
	Version string
	// StripeMode is "mock" (stripe-mock; the UI shows a Test mode ribbon) or "live".
	StripeMode string
	// TrustedProxies are the addresses (IPs or CIDRs) of reverse proxies whose
	// X-Forwarded-For and X-Forwarded-Proto are believed; from anyone else
	// those headers are ignored, so rate limits and the audit log see the
	// real client.
	TrustedProxies []string
	// InternalAllow are the addresses (IPs or CIDRs) that may call /metrics
	// and /internal/tls-ask on the public listener; empty: nobody (they are
	// served on the internal listener, see Internal).
	InternalAllow []string
}

// Server is the HTTP server.
type Server struct {
	app     *fiber.App
	deps    Deps
	cfg     Config
	log     *slog.Logger
	metrics httpMetrics
	// internal is the internal listener's app (Internal), built once.
	internal     *fiber.App
	internalOnce sync.Once

	catalogs *catalogCache // tenant → encoded public catalog
	bearers  *bearerCache  // API token → actor
	progress *progressHub  // deployment → open progress streams
	streams  *streamRegistry
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New builds the server and registers every route.
func New(cfg Config, deps Deps) *Server {
	s := &Server{deps: deps, cfg: cfg, log: deps.Log}
	s.catalogs, s.bearers = newCatalogCache(deps.Notifications), newBearerCache(deps.Notifications)
	s.progress = newProgressHub(deps.Notifications)
	s.streams = newStreamRegistry()
	s.metrics = httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fd_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "fd_http_request_duration_seconds", Help: "HTTP request latency by method and route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
	}
	deps.Registry.MustRegister(s.metrics.requests, s.metrics.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	s.app = fiber.New(fiber.Config{
		AppName:               "fiatdashboard",
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          0, // Server-Sent Events stream for minutes
		IdleTimeout:           120 * time.Second,
		BodyLimit:             1 << 20,
		// Only configured proxies may say who the client is.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
		ProxyHeader:             proxyHeader(cfg.TrustedProxies),
	})
	s.routes()
	return s
}

// routes registers every route. Each one is described in openapi.json; a
// test fails when the two disagree.
func (s *Server) routes() {
	app := s.app
	app.Use(s.requestContext)
	app.Use(s.securityHeaders)

	// Health answers on any host; /metrics and the TLS ask only on the
	// internal listener or to configured addresses (internal.go).
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", s.internalOnly, s.metricsHandler())
	app.Get("/internal/tls-ask", s.internalOnly, s.tlsAsk)
	app.Post("/webhooks/stripe", s.stripeWebhook)
	app.Post("/webhooks/stripe/connect", s.stripeConnectWebhook)

	app.Use(s.resolveSite)
	app.Get("/branding/:kind", s.brandingAsset)
	api := app.Group("/api", s.authenticate)
	api.Get("/openapi.json", s.openAPI)
	api.Get("/site", s.site)

	// Identity, in the realm of the host.
	api.Post("/auth/signup", s.signup)
	api.Post("/auth/verify-email", s.verifyEmail)
	api.Post("/auth/resend-verification", s.resendVerification)
	api.Post("/auth/login", s.login)
	api.Post("/auth/login/mfa", s.loginMFA)
	api.Post("/auth/refresh", s.refresh)
	api.Post("/auth/logout", s.logout)
	api.Post("/auth/logout-all", s.logoutAll)
	api.Post("/auth/password-reset/request", s.requestPasswordReset)
	api.Post("/auth/password-reset/confirm", s.confirmPasswordReset)
	api.Get("/me", s.me)
	api.Post("/account/password", s.changePassword)
	api.Post("/account/2fa/enroll", s.enrollTOTP)
	api.Post("/account/2fa/confirm", s.confirmTOTP)
	api.Post("/account/2fa/disable", s.disableTOTP)
	api.Get("/account/sessions", s.sessions)
	api.Delete("/account/sessions/:id", s.revokeSession)
	api.Get("/tokens", s.tokens)
	api.Post("/tokens", s.createToken)
	api.Delete("/tokens/:id", s.revokeToken)
	api.Get("/account/ssh-keys", s.sshKeys)
	api.Post("/account/ssh-keys", s.saveSSHKey)
	api.Delete("/account/ssh-keys/:id", s.deleteSSHKey)

	// The storefront: prices, cards, orders.
	api.Get("/catalog", s.catalog)
	api.Post("/quote", s.quote)
	api.Get("/cards", s.cards)
	api.Post("/cards/setup-intent", s.setupIntent)
	api.Post("/cards/mock-confirm", s.mockConfirmSetup)
	api.Post("/cards/:id/default", s.defaultCard)
	api.Delete("/cards/:id", s.removeCard)
	api.Get("/orders", s.orders)
	api.Get("/orders/:id", s.order)
	api.Post("/orders/:id/mock-authenticate", s.mockAuthenticate)
	api.Post("/orders/:id/confirm", s.confirmPayment)
	api.Get("/orders/:id/receipt", s.receipt)
	api.Get("/orders/:id/invoice", s.invoicePDF)
	api.Get("/nodes", s.pickableNodes)
	api.Get("/offers", s.offers)
	api.Get("/offers/:id", s.offer)
	api.Get("/images", s.images)
	api.Get("/deployments", s.deployments)
	api.Post("/deployments", s.createDeployment)
	api.Get("/deployments/:id", s.deployment)
	api.Delete("/deployments/:id", s.cancelDeployment)
	api.Get("/deployments/:id/events", s.deploymentEvents)
	api.Get("/subscriptions", s.subscriptions)
	api.Post("/subscriptions/:id/pay", s.payNow)
	api.Post("/subscriptions/:id/cancel", s.cancelSubscription)

	// Tenant administration, on the tenant's host.
	admin := api.Group("/admin", requireTenantHost)
	admin.Get("/overview", s.adminOverview)
	admin.Get("/customers", s.adminCustomers)
	admin.Get("/customers/:id", s.adminCustomer)
	admin.Get("/members", s.adminMembers)
	admin.Post("/members", s.adminInviteMember)
	admin.Put("/members/:id/roles", s.adminSetRoles)
	admin.Get("/node-operator-requests", s.adminNodeRequests)
	admin.Post("/node-operator-requests/:id/approve", s.adminDecideNodeRequest("approve"))
	admin.Post("/node-operator-requests/:id/reject", s.adminDecideNodeRequest("reject"))
	admin.Post("/node-operator-requests/:id/revoke", s.adminDecideNodeRequest("revoke"))
	admin.Get("/audit", s.auditLog)
	admin.Get("/settings", s.adminSettings)
	admin.Put("/settings", s.adminSaveSettings)
	admin.Get("/branding", s.adminBranding)
	admin.Put("/branding", s.adminSaveBranding)
	admin.Put("/branding/:kind", s.adminUploadAsset)
	admin.Delete("/branding/:kind", s.adminRemoveAsset)
	admin.Get("/domains", s.adminDomains)
	admin.Post("/domains", s.adminAddDomain)
	admin.Post("/domains/:id/verify", s.adminVerifyDomain)
	admin.Delete("/domains/:id", s.adminRemoveDomain)
	admin.Get("/billing/connect", s.adminConnect)
	admin.Post("/billing/connect", s.adminConnectLink)
	admin.Get("/billing/payments", s.adminPayments)
	admin.Get("/billing/payments.csv", s.adminPaymentsCSV)
	admin.Get("/billing/balances", s.adminBalances)
	admin.Post("/billing/orders/:id/refund", s.adminRefund)
	admin.Get("/billing/refunds", s.adminRefunds)
	admin.Get("/billing/disputes", s.adminDisputes)
	admin.Post("/billing/disputes/:id/evidence", s.adminDisputeEvidence)
	admin.Get("/pricing", s.adminPricing)
	admin.Put("/pricing", s.adminSavePricing)
	admin.Post("/pricing/coupons", s.adminCreateCoupon)
	admin.Delete("/pricing/coupons/:id", s.adminDeleteCoupon)
	admin.Get("/deployments", s.adminDeployments)
	admin.Post("/deployments/:id/retry", s.adminRetryDeployment)
	admin.Get("/attention", s.adminAttention)
	admin.Post("/attention/:id", s.adminHandleAttention)
	admin.Post("/deployments/:id/cancel", s.adminCancelDeployment)
	admin.Get("/health", s.adminHealth)
	admin.Get("/health/reports", s.adminReconcileReports)
	admin.Post("/health/reconcile", s.adminReconcileNow)
	admin.Get("/wallet", s.adminWallet)
	admin.Get("/wallet/history", s.adminWalletHistory)
	admin.Get("/wallet/contracts", s.adminWalletContracts)
	admin.Put("/wallet", s.adminSaveWallet)
	admin.Put("/wallet/policy", s.adminSavePolicy)
	admin.Post("/wallet/topups/quote", s.adminTopUpQuote)
	admin.Post("/wallet/topups", s.adminTopUpNow)
	admin.Get("/pool", s.adminPool)
	admin.Post("/pool", s.adminAddToPool)
	admin.Get("/pool/catalog", s.adminPoolCatalog)
	admin.Put("/pool/:id", s.adminSetPickable)
	admin.Delete("/pool/:id", s.adminRemoveFromPool)
	admin.Get("/coop-members", s.adminCoopMembers)
	admin.Post("/coop-members", s.adminInviteCoopMember)
	admin.Get("/coop-invitations", s.adminCoopInvitations)
	admin.Delete("/coop-invitations/:id", s.adminRevokeCoopInvitation)
	admin.Delete("/coop-members/:id", s.adminRemoveCoopMember)
	admin.Get("/coop/split", s.adminCoopSplit)
	admin.Put("/coop/split", s.adminSaveCoopSplit)
	admin.Get("/coop/payments", s.adminCoopPayments)
	admin.Get("/offers", s.adminOffers)
	admin.Post("/offers", s.adminSaveOffer(true))
	admin.Put("/offers/:id", s.adminSaveOffer(false))
	admin.Delete("/offers/:id", s.adminDeleteOffer)
	admin.Get("/billing/revenue", s.adminRevenue)

	// Node operators and super-admins, on the console host.
	operator := api.Group("/node-operator", requireConsoleHost)
	operator.Get("/tenants", s.operatorTenants)
	operator.Post("/requests", s.operatorRequest)
	operator.Get("/twin", s.myTwin)
	operator.Post("/twin/challenge", s.twinChallenge)
	operator.Post("/twin", s.linkTwin)
	operator.Get("/nodes", s.myNodes)
	operator.Post("/nodes", s.registerNode)
	operator.Put("/nodes/:id/exposure", s.setExposure)
	operator.Get("/earnings", s.earnings)
	operator.Get("/earnings.csv", s.earnings)
	// Co-op members (console accounts): their payout account and shares.
	member := api.Group("/coop", requireConsoleHost)
	// Invitations to co-ops, answered by any signed-in console account.
	member.Get("/invitations", s.myCoopInvitations)
	member.Post("/invitations/:id/accept", s.answerCoopInvitation(true))
	member.Post("/invitations/:id/decline", s.answerCoopInvitation(false))
	member.Get("/payout-account", s.memberPayoutAccount)
	member.Post("/payout-account", s.memberPayoutLink)
	member.Get("/payments", s.memberPayments)
	member.Get("/payments.csv", s.memberPaymentsCSV)
	api.Post("/applications", requireConsoleHost, s.apply)
	console := api.Group("/console", requireConsoleHost)
	console.Get("/tenants", s.consoleTenants)
	console.Post("/tenants", s.consoleCreateTenant)
	console.Post("/tenants/:id/suspend", s.consoleTenantStatus(tenant.StatusSuspended))
	console.Post("/tenants/:id/activate", s.consoleTenantStatus(tenant.StatusActive))
	console.Get("/applications", s.consoleApplications)
	console.Post("/applications/:id/approve", s.consoleDecideApplication(true))
	console.Post("/applications/:id/reject", s.consoleDecideApplication(false))
	console.Get("/settings", s.consoleSettings)
	console.Put("/settings", s.consoleSaveSettings)
	console.Get("/domains", s.consoleDomains)
	console.Get("/accounts", s.consoleAccounts)
	console.Post("/accounts/:id/disable", s.consoleSetDisabled(true))
	console.Post("/accounts/:id/enable", s.consoleSetDisabled(false))
	console.Get("/node-operators", s.consoleNodeOperators)
	console.Get("/jobs", s.consoleJobs)
	console.Get("/jobs/:queue/tasks", s.consoleJobTasks)
	console.Post("/jobs/:queue/tasks/:id/retry", s.consoleRetryJob)
	console.Delete("/jobs/:queue/tasks/:id", s.consoleDeleteJob)
	console.Get("/super-admins", s.consoleSuperAdmins)
	console.Post("/super-admins", s.consoleAddSuperAdmin)
	console.Get("/audit", s.auditLog)
	console.Get("/outbox", s.consoleOutbox)
	console.Get("/outbox/:id", s.consoleOutboxMessage)

	// Everything else is the single-page UI (or a JSON 404 under /api).
	app.Use(s.ui)
}

// App exposes the Fiber app, for tests that drive it without a socket.
func (s *Server) App() *fiber.App { return s.app }

// Serve accepts connections on ln until ctx is done, then stops accepting
// and lets in-flight requests finish, for at most grace.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("http server stopping: finishing requests in flight")
	return s.app.ShutdownWithTimeout(grace)
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}
