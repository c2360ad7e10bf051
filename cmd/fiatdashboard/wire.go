package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/billing/coop"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/exchangesim"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/stellar"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange/tfchainbridge"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
	"github.com/fiatdashboard/fiatdashboard/grid/simstore"
	"github.com/fiatdashboard/fiatdashboard/grid/tfgrid"
	"github.com/fiatdashboard/fiatdashboard/jobs"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
	"github.com/fiatdashboard/fiatdashboard/themes"
	"github.com/fiatdashboard/fiatdashboard/web"
)

func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// platform is the concrete wiring shared by serve, worker and dev.
type platform struct {
	cfg      *Config
	log      *slog.Logger
	db       *sqlx.DB // application role
	sysdb    *sqlx.DB // system role: tenant.SystemTx only
	rdb      *redis.Client
	redisOpt asynq.RedisConnOpt
	authz    *rbac.Authorizer
	identity *rbac.Service
	resolver *tenant.Resolver
	changes  *tenant.Changes
	tenants  *tenant.Service
	branding *themes.Service
	grid     grid.Grid
	catalog  *grid.Catalog
	billing  *billing.Service
	coops    *coop.Service
	deploy   *deploy.Service
	asynq    *asynq.Client
	catalogs sync.Once
	treasury *treasury.Treasury
	exsim    *exchangesim.Sim // the exchange simulator, when the grid is simulated
	emitter  *billing.Emitter // mock mode's Stripe event emitter
	simdb    *sqlx.DB         // the grid simulator's own pool (FD_GRID_NETWORK=sim)
}

// runCatalog refreshes the node catalog in the background, once per process
// (dev runs the server and the worker in one).
func (p *platform) runCatalog(ctx context.Context) {
	p.catalogs.Do(func() { go p.catalog.Run(ctx) })
}

// openDatabases connects to PostgreSQL as the application role
// (FD_DATABASE_URL) and, for tenant.SystemTx, as the system role
// (FD_DATABASE_SYSTEM_URL); the platform and the operator commands share it.
func openDatabases(ctx context.Context, cfg *Config) (db, sysdb *sqlx.DB, err error) {
	db, err = sqlx.Open("postgres", cfg.DatabaseURL)
	if err != nil {
		return nil, nil, fmt.Errorf("FD_DATABASE_URL: %w", err)
	}
	// A pool larger than what PostgreSQL's cores can run at once only moves
	// the queue into the database (measured in `make bench`).
	db.SetMaxOpenConns(cfg.DatabaseMaxConns)
	tenant.PreparedReads.Store(cfg.PreparedReads)
	db.SetMaxIdleConns(cfg.DatabaseMaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("PostgreSQL at FD_DATABASE_URL does not answer (is it running, migrated, and does the role exist?): %w", err)
	}
	// The system path's own small pool, as the system role (BYPASSRLS):
	// the application role has no setting that bypasses isolation.
	sysdb, err = sqlx.Open("postgres", cfg.DatabaseSystemURL)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("FD_DATABASE_SYSTEM_URL: %w", err)
	}
	sysdb.SetMaxOpenConns(5)
	sysdb.SetMaxIdleConns(5)
	sysdb.SetConnMaxIdleTime(5 * time.Minute)
	if err := sysdb.PingContext(pctx); err != nil {
		db.Close()
		sysdb.Close()
		return nil, nil, fmt.Errorf("PostgreSQL at FD_DATABASE_SYSTEM_URL does not answer as the system role (migrated? the 15th migration creates fd_system; give it a password in production): %w", err)
	}
	tenant.UseSystemPool(db, sysdb)
	return db, sysdb, nil
}

func openPlatform(ctx context.Context, cfg *Config, log *slog.Logger) (*platform, error) {
	db, sysdb, err := openDatabases(ctx, cfg)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ropt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		db.Close()
		sysdb.Close()
		return nil, fmt.Errorf("FD_REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(ropt)
	if err := rdb.Ping(pctx).Err(); err != nil {
		db.Close()
		sysdb.Close()
		rdb.Close()
		return nil, fmt.Errorf("Redis at FD_REDIS_URL does not answer: %w", err)
	}
	aopt, err := asynq.ParseRedisURI(cfg.RedisURL)
	if err != nil {
		db.Close()
		sysdb.Close()
		rdb.Close()
		return nil, fmt.Errorf("FD_REDIS_URL: %w", err)
	}
	p := &platform{cfg: cfg, log: log, db: db, sysdb: sysdb, rdb: rdb, redisOpt: aopt}
	p.authz, err = rbac.NewAuthorizer(ctx, db, rdb, log)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("authorization policy: %w", err)
	}
	var mailer rbac.Mailer = rbac.NewOutbox(db)
	if cfg.SMTPURL != "" {
		if mailer, err = rbac.ParseSMTP(cfg.SMTPURL); err != nil {
			p.Close()
			return nil, fmt.Errorf("FD_SMTP_URL: %w", err)
		}
	}
	// The console's accounts list names each account's co-ops (the co-op
	// domain keeps co-op members).
	p.identity = rbac.NewService(db, rdb, p.authz, mailer, cfg.SecretKeys, coop.CoopsOf, log)
	p.resolver = tenant.NewResolver(db, cfg.ConsoleHost, cfg.BaseDomain)
	p.changes = tenant.NewChanges(rdb, p.resolver, log)
	if cfg.GridNetwork == "sim" {
		// One simulated grid for every process: its state is in PostgreSQL,
		// read on a pool of its own. Grid calls happen inside request
		// transactions; sharing their pool, a request holding a connection
		// would wait on the simulator, which would wait for a connection.
		simdb, err := sqlx.Open("postgres", cfg.DatabaseURL)
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("FD_DATABASE_URL: %w", err)
		}
		simdb.SetMaxOpenConns(3)
		p.simdb = simdb
		sim, err := simstore.Open(ctx, simdb, cfg.MasterKeys, gridsim.Config{Seed: cfg.GridSimSeed})
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("grid simulator: %w", err)
		}
		p.grid = sim
	} else {
		tf, err := tfgrid.New(tfgrid.Config{Network: cfg.GridNetwork, Mnemonic: cfg.GridMnemonic, SSHKey: cfg.GridSSHKey})
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("grid (%s): %s", cfg.GridNetwork, fiatdashboard.ErrorMessage(err))
		}
		p.grid = tf
		if cfg.GridSSHKey == "" {
			log.Warn("FD_GRID_SSH_KEY is unset: kubeconfig downloads and app setups (LiveKit) answer unavailable")
		}
	}
	// Storefronts and pool pages read nodes from this cache, never from the
	// grid per page view.
	var nodes grid.NodeLister = p.grid
	if cfg.GridNetwork != "sim" {
		// The grid proxy is public: the catalog needs no funded twin.
		if r, err := tfgrid.NewNodeReader(cfg.GridNetwork); err == nil {
			nodes = r
		}
	}
	p.catalog = grid.NewCatalog(nodes, time.Minute)
	p.asynq = asynq.NewClient(aopt)
	bcfg := billing.Config{SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhookSecret, ConnectWebhookSecret: cfg.StripeConnectWebhookSecret,
		APIURL: cfg.StripeAPIURL, PlatformCountry: cfg.StripePlatformCountry}
	var emitter *billing.Emitter
	if cfg.StripeSecretKey == "" {
		// Mock mode: stripe-mock takes the calls, the emitter sends the
		// events, signed with a secret of this process's own.
		if cfg.StripeAPIURL == "" {
			p.Close()
			return nil, errors.New("FD_STRIPE_API_URL: expected stripe-mock's URL when FD_STRIPE_SECRET_KEY is empty (`fiatdashboard dev` starts one)")
		}
		bcfg.Mock, bcfg.SecretKey = true, "sk_test_mock"
		if bcfg.WebhookSecret == "" {
			// One secret for every process (serve checks what any worker's
			// emitter signs): derived from FD_SECRET_KEYS, which they share.
			bcfg.WebhookSecret = mockWebhookSecret(cfg.SecretKeys, "stripe mock webhook")
		}
		if bcfg.ConnectWebhookSecret == "" {
			bcfg.ConnectWebhookSecret = mockWebhookSecret(cfg.SecretKeys, "stripe mock connect webhook")
		}
		// Two endpoints, two secrets, as Stripe has them.
		emitter = billing.NewEmitter(bcfg.WebhookSecret, 300*time.Millisecond, postToSelf(cfg.MockWebhookURL, cfg.HTTPAddr, "/webhooks/stripe"), log).
			Connect(bcfg.ConnectWebhookSecret, postToSelf(cfg.MockWebhookURL, cfg.HTTPAddr, "/webhooks/stripe/connect"))
		// Events wait in the outbox until the endpoint takes them, as Stripe
		// redelivers: a crash of the emitting process loses none.
		kick := jobs.NewEnqueuer(p.asynq, db)
		emitter.UseOutbox(db, kick.Kick)
		p.emitter = emitter
	}
	_, port, _ := net.SplitHostPort(cfg.HTTPAddr)
	bcfg.StorefrontURL = func(slug string) string {
		host := slug + "." + cfg.BaseDomain
		if cfg.Env != "production" && port != "" && port != "80" {
			return "http://" + net.JoinHostPort(host, port)
		}
		return "https://" + host
	}
	// Dunning and dispute mail; what payments change for the servers they
	// pay for goes to deployments as events through the outbox
	// (billing.ServiceEvents, handled by the worker).
	bcfg.Mailer = mailer
	// The co-op domain: members and invitations (mailed by identity), the
	// revenue split and the members' transfers on the platform's Stripe
	// account; billing's checkout and webhooks ask it through billing.Coops.
	p.coops = coop.New(db, p.authz, log, coop.Options{Stripe: bcfg, Emitter: emitter, Mailer: mailer, Invitations: p.identity,
		ConsoleHost: cfg.ConsoleHost})
	bcfg.Coops = p.coops
	p.billing = billing.NewService(db, bcfg, p.authz, p.grid, jobs.NewEnqueuer(p.asynq, p.db), emitter, log)
	keys, ok := p.grid.(deploy.TwinKeys)
	if !ok {
		p.Close()
		return nil, errors.New("the grid adapter cannot read twin keys")
	}
	// Replacing a wallet asks for two-factor again; treasury alerts are
	// mailed to the tenant's owners and admins and shown in the console;
	// deployments run on each tenant's wallet twin, which signs and pays.
	if err := p.openTreasury(treasury.Options{SecondFactor: p.identity, Mailer: mailer, StorefrontURL: bcfg.StorefrontURL,
		Grids: p.walletGridFactory()}); err != nil {
		p.Close()
		return nil, err
	}
	// Deployments run on the tenant's wallet twin; customers are mailed
	// when their server moves off a failed node.
	p.deploy = deploy.NewService(db, p.authz, p.grid, p.catalog, keys, log, deploy.Options{Payments: p.billing,
		Enqueuer: jobs.NewEnqueuer(p.asynq, p.db), Wallets: p.treasury, Sealer: p.cfg.MasterKeys, Mailer: mailer, StorefrontURL: bcfg.StorefrontURL})
	// The console's tenant list reads the columns other domains own from
	// them: one definition of revenue (billing.Revenue), Stripe's word on
	// the Connect account, the wallet's health and the live deployments.
	p.tenants = tenant.NewService(db, p.authz, p.identity, p.changes, net.DefaultResolver, p.resolver,
		tenant.Readers{Wallets: p.treasury, Revenue: p.billing, Stripe: p.billing, Deployments: p.deploy})
	p.branding = themes.NewService(db, p.authz, p.tenants)
	return p, nil
}

// walletGridFactory builds the grid as a tenant's wallet twin: the
// simulator's view as that twin, or a tfgrid client signing with the
// wallet's mnemonic (the treasury caches it per wallet and key).
func (p *platform) walletGridFactory() treasury.GridFactory {
	if sim, ok := p.grid.(*simstore.Shared); ok {
		return func(_ context.Context, twinID uint32, _ string) (grid.Grid, error) {
			if _, err := sim.TwinKYC(context.Background(), twinID); err != nil {
				return nil, fmt.Errorf("the wallet's twin %d: %w", twinID, err)
			}
			return sim.AsTwin(twinID), nil
		}
	}
	network, sshKey := p.cfg.GridNetwork, p.cfg.GridSSHKey
	return func(_ context.Context, _ uint32, mnemonic string) (grid.Grid, error) {
		// The platform's SSH key: tenants' clusters and app VMs get its
		// public half, and the platform reads kubeconfigs and runs app
		// setups with it.
		tf, err := tfgrid.New(tfgrid.Config{Network: network, Mnemonic: mnemonic, SSHKey: sshKey})
		if err != nil {
			// tfgrid.New never repeats the mnemonic in its errors.
			return nil, fmt.Errorf("open the wallet on the grid (%s): %s", network, fiatdashboard.ErrorMessage(err))
		}
		return tf, nil
	}
}

func (p *platform) Close() {
	if p.asynq != nil {
		p.asynq.Close()
	}
	if p.authz != nil {
		p.authz.Close()
	}
	p.db.Close()
	p.sysdb.Close()
	if p.simdb != nil {
		p.simdb.Close()
	}
	p.rdb.Close()
}

// serve runs the HTTP server on ln until ctx is done.
func (p *platform) serve(ctx context.Context, ln net.Listener) error {
	reg := prometheus.NewRegistry()
	inspector := asynq.NewInspector(p.redisOpt)
	defer inspector.Close()
	// One connection per instance listens for the database's change
	// notifications: cache invalidation and progress streams.
	notes := tenant.NewNotifications(p.cfg.DatabaseURL, p.log, tenant.ChannelCatalog, tenant.ChannelAuth, tenant.ChannelDeployment, tenant.ChannelTenantData)
	go func() {
		if err := notes.Run(ctx); err != nil {
			p.log.Error("notification listener stopped", "err", err)
		}
	}()
	reg.MustRegister(jobs.NewQueueCollector(inspector))
	srv := web.New(web.Config{Version: version, StripeMode: p.cfg.StripeMode(), TrustedProxies: p.cfg.TrustedProxies, InternalAllow: p.cfg.InternalAllow}, web.Deps{
		DB:       p.db,
		Redis:    p.rdb,
		Resolver: p.resolver,
		Identity: p.identity,
		Tenants:  p.tenants,
		Branding: p.branding,
		Billing:  p.billing,
		Coops:    p.coops,
		Deploy:   p.deploy,
		Treasury: p.treasury,
		Log:      p.log,
		Registry: reg,
		Jobs:     jobs.NewConsole(inspector, p.rdb, p.authz, p.db),

		Notifications: notes,
	})
	if p.cfg.InternalAddr != "" {
		iln, err := net.Listen("tcp", p.cfg.InternalAddr)
		if err != nil {
			return fmt.Errorf("FD_INTERNAL_ADDR: %w", err)
		}
		p.log.Info("internal listener: /metrics and /internal/tls-ask", "addr", iln.Addr().String())
		go func() {
			if err := srv.ServeInternal(ctx, iln, p.cfg.ShutdownTimeout); err != nil {
				p.log.Error("internal listener stopped", "err", err)
			}
		}()
	}
	p.runCatalog(ctx)
	go func() {
		if err := p.changes.Listen(ctx); err != nil {
			p.log.Error("tenant change listener stopped", "err", err)
		}
	}()
	return srv.Serve(ctx, ln, p.cfg.ShutdownTimeout)
}

// work runs the background worker until ctx is done.
func (p *platform) work(ctx context.Context) error {
	// Provisioning reads nodes from the catalog too.
	p.runCatalog(ctx)
	w := jobs.NewWorker(p.redisOpt, p.rdb, jobs.WorkerConfig{
		Concurrency:     p.cfg.WorkerConcurrency,
		ShutdownTimeout: p.cfg.ShutdownTimeout,
		Scheduler:       p.cfg.Scheduler,
		DB:              p.db,
	}, p.log)
	w.RegisterBilling(p.billing)
	w.RegisterRefunds(p.billing)
	if p.emitter != nil {
		w.RegisterMockEvents(p.emitter)
	}
	// The outbox relay: owed work reaches Redis, and reaches it again after
	// Redis lost it. Every worker runs one; they share rows by SKIP LOCKED.
	inspector := asynq.NewInspector(p.redisOpt)
	defer inspector.Close()
	go jobs.NewRelay(p.db, p.asynq, inspector, p.log).Run(ctx)
	w.RegisterDeploy(p.deploy)
	w.RegisterServiceEvents(p.deploy)
	if err := w.RegisterTreasury(p.treasury); err != nil {
		return err
	}
	if err := w.RegisterUpkeep(p.deploy); err != nil {
		return err
	}
	if err := w.RegisterBillSync(p.deploy); err != nil {
		return err
	}
	if err := w.RegisterRenewals(p.billing); err != nil {
		return err
	}
	if err := w.RegisterDomainVerification(p.tenants); err != nil {
		return err
	}
	return w.Run(ctx)
}

// quietRedisLogger keeps go-redis's own pool chatter (e.g. failed dials while
// probing for a server) out of the output; errors reach us as return values.
type quietRedisLogger struct{}

func (quietRedisLogger) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quietRedisLogger{}) }

// postToSelf delivers mock Stripe events to this platform's own webhook
// endpoint at path, as Stripe would.
func postToSelf(base, addr, path string) func(ctx context.Context, payload []byte, signature string) error {
	if base == "" {
		host, port, _ := net.SplitHostPort(addr)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		base = "http://" + net.JoinHostPort(host, port)
	}
	url := strings.TrimRight(base, "/") + path
	client := &http.Client{Timeout: 10 * time.Second}
	return func(ctx context.Context, payload []byte, signature string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", signature)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("webhook answered %d", res.StatusCode)
		}
		return nil
	}
}

// openTreasury wires the tenants' wallets: on the grid simulator, the
// exchange simulator, whose bridge mints deposits to the simulated twin
// after a short delay, less its deposit fee; on a real grid, the bridge of
// that grid network (tfchainbridge.Networks: its Stellar network, TFT
// issuer and vault, and TFChain for mints and the deposit fee).
func (p *platform) openTreasury(opts treasury.Options) error {
	var ex exchange.Exchange
	var bridge exchange.Bridge
	vault := stellar.PublicBridgeVault
	if sim, ok := p.grid.(*simstore.Shared); ok {
		es := exchangesim.New(exchangesim.Config{})
		es.OnBridgeMint(vault, 2*time.Second, func(twin uint32, minted exchange.Amount) error {
			err := sim.Fund(twin, grid.TFTUnits(minted))
			if err != nil {
				p.log.Error("simulated mint", "twin", twin, "err", err)
			}
			return err
		})
		ex, p.exsim, bridge = es, es, es
	} else {
		n, err := tfchainbridge.ForNetwork(p.cfg.GridNetwork)
		if err != nil {
			return err
		}
		if ex, err = stellar.New(n.Stellar); err != nil {
			return fmt.Errorf("stellar: %w", err)
		}
		vault, bridge = n.Vault, tfchainbridge.New(n)
	}
	opts.Bridge = bridge
	p.treasury = treasury.NewTreasury(p.db, p.authz, p.cfg.MasterKeys, ex, p.grid, vault, jobs.NewEnqueuer(p.asynq, p.db), p.log, opts)
	return nil
}

// mockWebhookSecret is the mock mode's webhook signing secret, derived from
// the platform's secret keys so that serve, every worker and their restarts
// agree on it.
func mockWebhookSecret(keys *rbac.Keyring, purpose string) string {
	// The prefix marks it as the development secret, which serve refuses
	// next to anything live (refuseDevKeysWhenLive).
	return mockWebhookSecretPrefix + "_" + keys.DeriveSecret(purpose)
}
