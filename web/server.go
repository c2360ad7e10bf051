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
	"github.com/fiatdashboard/fiatdashboard/billing/coop"
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
	Coops    *coop.Service
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

	catalogs    *catalogCache // tenant → encoded public catalog
	appCatalogs *catalogCache // tenant → encoded app catalog (GET /api/apps), dropped like the catalog
	pages       *pageCache    // tenant → caller's encoded deployments pages
	bearers     *bearerCache  // API token → actor
	progress    *progressHub  // deployment → open progress streams
	streams     *streamRegistry
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New builds the server and registers every route.
func New(cfg Config, deps Deps) *Server {
	s := &Server{deps: deps, cfg: cfg, log: deps.Log}
	s.catalogs, s.bearers = newCatalogCache(deps.Notifications), newBearerCache(deps.Notifications)
	s.appCatalogs = newCatalogCache(deps.Notifications)
	s.progress = newProgressHub(deps.Notifications)
	s.pages = newPageCache(deps.Notifications)
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
	r := routers{
		api: api,
		// Tenant administration, on the tenant's host.
		admin: api.Group("/admin", requireTenantHost),
		// Node operators, co-op members and super-admins, on the console host.
		operator: api.Group("/node-operator", requireConsoleHost),
		member:   api.Group("/coop", requireConsoleHost),
		console:  api.Group("/console", requireConsoleHost),
	}
	s.registerIdentity(r)
	s.registerTenancy(r)
	s.registerBilling(r)
	s.registerDeploy(r)
	s.registerTreasury(r)
	s.registerCoops(r)
	s.registerAdmin(r)

	// Everything else is the single-page UI (or a JSON 404 under /api).
	app.Use(s.ui)
}

// routers are the groups a domain's routes hang on. The groups' paths do
// not overlap, so the order in which the domains register changes nothing.
type routers struct {
	api      fiber.Router // /api, on any host
	admin    fiber.Router // /api/admin, on a tenant's host
	operator fiber.Router // /api/node-operator, on the console host
	member   fiber.Router // /api/coop (co-op members), on the console host
	console  fiber.Router // /api/console, on the console host
}

// registerIdentity: sign-up and sessions in the realm of the host, the
// account's own settings and tokens, members and roles, node-operator
// requests, super-admins and the audit log (rbac).
func (s *Server) registerIdentity(r routers) {
	api, admin, operator, console := r.api, r.admin, r.operator, r.console
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
	admin.Get("/members", s.adminMembers)
	admin.Post("/members", s.adminInviteMember)
	admin.Put("/members/:id/roles", s.adminSetRoles)
	admin.Get("/node-operator-requests", s.adminNodeRequests)
	admin.Post("/node-operator-requests/:id/approve", s.adminDecideNodeRequest("approve"))
	admin.Post("/node-operator-requests/:id/reject", s.adminDecideNodeRequest("reject"))
	admin.Post("/node-operator-requests/:id/revoke", s.adminDecideNodeRequest("revoke"))
	admin.Get("/audit", s.auditLog)
	operator.Get("/tenants", s.operatorTenants)
	operator.Post("/requests", s.operatorRequest)
	console.Get("/accounts", s.consoleAccounts)
	console.Post("/accounts/:id/disable", s.consoleSetDisabled(true))
	console.Post("/accounts/:id/enable", s.consoleSetDisabled(false))
	console.Get("/super-admins", s.consoleSuperAdmins)
	console.Post("/super-admins", s.consoleAddSuperAdmin)
	console.Get("/audit", s.auditLog)
}

// registerTenancy: a tenant's settings, branding and domains; applications
// and the console's tenants (tenant, themes).
func (s *Server) registerTenancy(r routers) {
	api, admin, console := r.api, r.admin, r.console
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
	api.Post("/applications", requireConsoleHost, s.apply)
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
}

// registerBilling: the catalog and quotes, cards, checkout's orders,
// subscriptions, and the tenant's Stripe account, payments, refunds,
// disputes, prices and revenue (billing).
func (s *Server) registerBilling(r routers) {
	api, admin := r.api, r.admin
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
	api.Get("/orders/:id/credit-notes/:note", s.creditNotePDF)
	api.Get("/subscriptions", s.subscriptions)
	api.Post("/subscriptions/:id/pay", s.payNow)
	api.Post("/subscriptions/:id/cancel", s.cancelSubscription)
	admin.Get("/billing/connect", s.adminConnect)
	admin.Post("/billing/connect", s.adminConnectLink)
	admin.Get("/billing/payments", s.adminPayments)
	admin.Get("/billing/payments.csv", s.adminPaymentsCSV)
	admin.Get("/billing/balances", s.adminBalances)
	admin.Post("/billing/orders/:id/refund", s.adminRefund)
	admin.Get("/billing/refunds", s.adminRefunds)
	admin.Get("/billing/disputes", s.adminDisputes)
	admin.Post("/billing/disputes/:id/evidence", s.adminDisputeEvidence)
	admin.Get("/billing/revenue", s.adminRevenue)
	admin.Get("/pricing", s.adminPricing)
	admin.Put("/pricing", s.adminSavePricing)
	admin.Post("/pricing/coupons", s.adminCreateCoupon)
	admin.Delete("/pricing/coupons/:id", s.adminDeleteCoupon)
}

// registerDeploy: servers, their SSH keys and images, node picking, the
// tenant's node pool, deployments and health, and node operators' twins,
// nodes and earnings (deploy).
func (s *Server) registerDeploy(r routers) {
	api, admin, operator, console := r.api, r.admin, r.operator, r.console
	api.Get("/account/ssh-keys", s.sshKeys)
	api.Post("/account/ssh-keys", s.saveSSHKey)
	api.Delete("/account/ssh-keys/:id", s.deleteSSHKey)
	api.Get("/nodes", s.pickableNodes)
	api.Get("/images", s.images)
	api.Get("/deployments", s.deployments)
	api.Post("/deployments", s.createDeployment)
	api.Get("/deployments/:id", s.deployment)
	api.Delete("/deployments/:id", s.cancelDeployment)
	api.Get("/deployments/:id/events", s.deploymentEvents)
	api.Get("/apps", s.apps)
	api.Post("/deployments/:id/credentials", s.deploymentCredentials)
	api.Get("/deployments/:id/kubeconfig", s.deploymentKubeconfig)
	api.Put("/deployments/:id/workers", s.setWorkers)
	admin.Get("/apps", s.adminApps)
	admin.Get("/apps-domain", s.adminAppsDomain)
	admin.Put("/apps-domain", s.adminSaveAppsDomain)
	admin.Put("/apps/:key", s.adminSaveApp)
	admin.Get("/deployments", s.adminDeployments)
	admin.Post("/deployments/:id/retry", s.adminRetryDeployment)
	admin.Post("/deployments/:id/cancel", s.adminCancelDeployment)
	admin.Get("/health", s.adminHealth)
	admin.Get("/health/reports", s.adminReconcileReports)
	admin.Post("/health/reconcile", s.adminReconcileNow)
	admin.Get("/pool", s.adminPool)
	admin.Post("/pool", s.adminAddToPool)
	admin.Get("/pool/catalog", s.adminPoolCatalog)
	admin.Put("/pool/:id", s.adminSetPickable)
	admin.Delete("/pool/:id", s.adminRemoveFromPool)
	operator.Get("/twin", s.myTwin)
	operator.Post("/twin/challenge", s.twinChallenge)
	operator.Post("/twin", s.linkTwin)
	operator.Get("/nodes", s.myNodes)
	operator.Post("/nodes", s.registerNode)
	operator.Put("/nodes/:id/exposure", s.setExposure)
	operator.Get("/earnings", s.earnings)
	operator.Get("/earnings.csv", s.earnings)
	console.Get("/node-operators", s.consoleNodeOperators)
}

// registerTreasury: the tenant's grid wallet, its history, top-up policy
// and top-ups (billing/treasury).
func (s *Server) registerTreasury(r routers) {
	admin := r.admin
	admin.Get("/wallet", s.adminWallet)
	admin.Get("/wallet/history", s.adminWalletHistory)
	admin.Get("/wallet/contracts", s.adminWalletContracts)
	admin.Put("/wallet", s.adminSaveWallet)
	admin.Put("/wallet/policy", s.adminSavePolicy)
	admin.Post("/wallet/topups/quote", s.adminTopUpQuote)
	admin.Post("/wallet/topups", s.adminTopUpNow)
}

// registerCoops: a co-op's offers, members and revenue split, its
// payments, and each member's payout account and shares (co-ops).
func (s *Server) registerCoops(r routers) {
	api, admin, member := r.api, r.admin, r.member
	api.Get("/offers", s.offers)
	api.Get("/offers/:id", s.offer)
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
	// Invitations to co-ops, answered by any signed-in console account.
	member.Get("/invitations", s.myCoopInvitations)
	member.Post("/invitations/:id/accept", s.answerCoopInvitation(true))
	member.Post("/invitations/:id/decline", s.answerCoopInvitation(false))
	member.Get("/payout-account", s.memberPayoutAccount)
	member.Post("/payout-account", s.memberPayoutLink)
	member.Get("/payments", s.memberPayments)
	member.Get("/payments.csv", s.memberPaymentsCSV)
}

// registerAdmin: the pages that read across domains — the tenant's
// overview and customers — and the console's job queues and mail outbox.
func (s *Server) registerAdmin(r routers) {
	admin, console := r.admin, r.console
	admin.Get("/overview", s.adminOverview)
	admin.Get("/attention", s.adminAttention)
	admin.Post("/attention/:id", s.adminHandleAttention)
	admin.Get("/customers", s.adminCustomers)
	admin.Get("/customers/:id", s.adminCustomer)
	console.Get("/jobs", s.consoleJobs)
	console.Get("/jobs/:queue/tasks", s.consoleJobTasks)
	console.Post("/jobs/:queue/tasks/:id/retry", s.consoleRetryJob)
	console.Delete("/jobs/:queue/tasks/:id", s.consoleDeleteJob)
	console.Get("/outbox", s.consoleOutbox)
	console.Get("/outbox/:id", s.consoleOutboxMessage)
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
