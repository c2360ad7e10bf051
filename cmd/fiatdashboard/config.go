package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/fiatdashboard/fiatdashboard/rbac"
)

// Config is every setting, read from FD_* environment variables only, here
// and nowhere else.
type Config struct {
	Env                 string
	HTTPAddr            string
	InternalAddr        string
	InternalAllow       []string
	DatabaseURL         string
	DatabaseOwnerURL    string
	DatabaseSystemURL   string
	RedisURL            string
	ConsoleHost         string
	BaseDomain          string
	LogFormat           string
	LogLevel            slog.Level
	ShutdownTimeout     time.Duration
	WorkerConcurrency   int
	Scheduler           bool
	StripeSecretKey     string
	StripeWebhookSecret string
	MockWebhookURL      string
	StripeAPIURL        string
	DataDir             string
	TrustedProxies      []string
	SecretKeys          *rbac.Keyring
	MasterKeys          *rbac.Keyring
	SMTPURL             string
	GridNetwork         string
	GridMnemonic        string
	GridSSHKey          string // the adapter's SSH private key (PEM or OpenSSH text), or empty
	GridSimSeed         uint64
	PprofAddr           string
	DatabaseMaxConns    int
	PreparedReads       bool

	// StripeConnectWebhookSecret signs the Connect endpoint's events.
	StripeConnectWebhookSecret string
	// StripePlatformCountry is the platform Stripe account's country.
	StripePlatformCountry string
}

// devSecretKey signs development sessions when FD_SECRET_KEYS is unset; it
// is public, so production refuses to run without keys of its own.
const devMasterKey = "devm:ZGV2ZWxvcG1lbnQtbWFzdGVyLWtleS1ub3QtZm9yLXByb2R1Y3Rpb24hISE="

// devSecretKey (below) and devMasterKey are public development keys.
const devSecretKey = "dev:ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZHVjdGlvbi0wMTIzNDU2Nzg5"

// setting is one environment variable: its default, what it expects, and how
// it is parsed into Config.
type setting struct {
	name, def, expect, doc string
	set                    func(c *Config, v string) error
	secret                 bool
}

var errExpect = fmt.Errorf("malformed")

func settings() []setting {
	return []setting{
		{name: "FD_ENV", def: "development", expect: "development or production",
			doc: "production refuses mock Stripe and development-only helpers",
			set: func(c *Config, v string) error { c.Env = v; return oneOf(v, "development", "production") }},
		{name: "FD_HTTP_ADDR", def: "127.0.0.1:8080", expect: "a host:port to listen on, e.g. :8080",
			doc: "where serve (and dev) listen",
			set: func(c *Config, v string) error { c.HTTPAddr = v; return hostPort(v) }},
		{name: "FD_INTERNAL_ADDR", def: "", expect: "a host:port to listen on, e.g. 127.0.0.1:9090, or empty",
			doc: "the internal listener: /metrics (Prometheus) and /internal/tls-ask (Caddy's on-demand TLS), never on storefront hosts; empty: none",
			set: func(c *Config, v string) error {
				c.InternalAddr = v
				if v == "" {
					return nil
				}
				return hostPort(v)
			}},
		{name: "FD_INTERNAL_ALLOW", def: "", expect: "comma-separated IPs or CIDRs, e.g. 127.0.0.1,10.0.0.0/8, or empty",
			doc: "peers that may also call /metrics and /internal/tls-ask on FD_HTTP_ADDR (judged by the connection, not X-Forwarded-For); empty: nobody",
			set: func(c *Config, v string) (err error) { c.InternalAllow, err = addrList(v); return }},
		{name: "FD_DATABASE_URL", def: "postgres://fd_app@127.0.0.1:5432/fiatdashboard?sslmode=disable&binary_parameters=yes",
			expect: "a postgres:// URL for the application role, e.g. postgres://fd_app@127.0.0.1:5432/fiatdashboard?sslmode=disable&binary_parameters=yes",
			doc:    "the server and worker connect as this role (NOSUPERUSER NOBYPASSRLS); binary_parameters=yes saves a round trip per query", secret: true,
			set: func(c *Config, v string) error { c.DatabaseURL = v; return postgresURL(v) }},
		{name: "FD_DATABASE_SYSTEM_URL", def: "", secret: true,
			expect: "a postgres:// URL for the system role, e.g. postgres://fd_system@127.0.0.1:5432/fiatdashboard?sslmode=disable&binary_parameters=yes, or empty",
			doc:    "the system path (cross-tenant sweeps, host resolution, the console) connects as this role (BYPASSRLS, owning nothing) on a small pool of its own; empty uses FD_DATABASE_URL with the user fd_system",
			set: func(c *Config, v string) error {
				c.DatabaseSystemURL = v
				if v == "" {
					return nil
				}
				return postgresURL(v)
			}},
		{name: "FD_DATABASE_OWNER_URL", def: "postgres://postgres@127.0.0.1:5432/fiatdashboard?sslmode=disable",
			expect: "a postgres:// URL for the schema owner, e.g. postgres://postgres@127.0.0.1:5432/fiatdashboard?sslmode=disable",
			doc:    "used only by migrate (and dev, to create the database); never by serve or worker", secret: true,
			set: func(c *Config, v string) error { c.DatabaseOwnerURL = v; return postgresURL(v) }},
		{name: "FD_REDIS_URL", def: "redis://127.0.0.1:6379/0", expect: "a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0",
			doc: "Asynq queues, rate limits, cache invalidation", secret: true,
			set: func(c *Config, v string) error { c.RedisURL = v; return redisURL(v) }},
		{name: "FD_CONSOLE_HOST", def: "console.localhost", expect: "a host name, e.g. console.example.com",
			doc: "the super-admin and node-operator console answers on this host",
			set: func(c *Config, v string) error { c.ConsoleHost = strings.ToLower(v); return hostName(v) }},
		{name: "FD_BASE_DOMAIN", def: "localhost", expect: "a domain, e.g. example.com",
			doc: "tenant storefronts answer on <slug>.<base domain>",
			set: func(c *Config, v string) error { c.BaseDomain = strings.ToLower(v); return hostName(v) }},
		{name: "FD_LOG_FORMAT", def: "text", expect: "text or json", doc: "json for production log shippers",
			set: func(c *Config, v string) error { c.LogFormat = v; return oneOf(v, "text", "json") }},
		{name: "FD_LOG_LEVEL", def: "info", expect: "debug, info, warn or error", doc: "minimum level logged",
			set: func(c *Config, v string) error { return c.LogLevel.UnmarshalText([]byte(v)) }},
		{name: "FD_SHUTDOWN_TIMEOUT", def: "30s", expect: "a duration, e.g. 30s",
			doc: "how long SIGTERM waits for in-flight requests and tasks",
			set: func(c *Config, v string) (err error) { c.ShutdownTimeout, err = positiveDuration(v); return }},
		{name: "FD_WORKER_CONCURRENCY", def: "10", expect: "an integer from 1 to 1000", doc: "tasks a worker runs at once",
			set: func(c *Config, v string) (err error) { c.WorkerConcurrency, err = intIn(v, 1, 1000); return }},
		{name: "FD_SCHEDULER", def: "true", expect: "true or false",
			doc: "run the periodic-task scheduler in this worker; exactly one worker per deployment should",
			set: func(c *Config, v string) (err error) { c.Scheduler, err = strconv.ParseBool(v); return }},
		{name: "FD_STRIPE_SECRET_KEY", def: "", expect: "a Stripe secret key (sk_live_… or sk_test_…) or empty for stripe-mock",
			doc: "empty runs against stripe-mock (Test mode ribbon in the UI)", secret: true,
			set: func(c *Config, v string) error {
				c.StripeSecretKey = v
				if v != "" && !strings.HasPrefix(v, "sk_") && !strings.HasPrefix(v, "rk_") {
					return errExpect
				}
				return nil
			}},
		{name: "FD_STRIPE_WEBHOOK_SECRET", def: "", expect: "a webhook signing secret (whsec_…) or empty", secret: true,
			doc: "checks the signature of Stripe's webhook events; required with a real key",
			set: func(c *Config, v string) error {
				c.StripeWebhookSecret = v
				if v != "" && !strings.HasPrefix(v, "whsec_") {
					return errExpect
				}
				return nil
			}},
		{name: "FD_MOCK_WEBHOOK_URL", def: "", expect: "an http(s) URL or empty",
			doc: "mock mode: the server's base URL the emitter posts Stripe's events to (a worker on another host: http://app:8080); empty means FD_HTTP_ADDR",
			set: func(c *Config, v string) error { c.MockWebhookURL = v; return optionalHTTPURL(v) }},
		{name: "FD_STRIPE_CONNECT_WEBHOOK_SECRET", def: "", expect: "a webhook signing secret (whsec_…) or empty", secret: true,
			doc: "checks the signature of the Connect endpoint's events (/webhooks/stripe/connect: connected accounts' events); required with a real key",
			set: func(c *Config, v string) error {
				c.StripeConnectWebhookSecret = v
				if v != "" && !strings.HasPrefix(v, "whsec_") {
					return errExpect
				}
				return nil
			}},
		{name: "FD_STRIPE_PLATFORM_COUNTRY", def: "US", expect: "a two-letter country code (ISO 3166-1 alpha-2)",
			doc: "the platform Stripe account's country: co-op members elsewhere get cross-border payout accounts",
			set: func(c *Config, v string) error {
				c.StripePlatformCountry = strings.ToUpper(v)
				if len(v) != 2 || strings.Trim(c.StripePlatformCountry, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
					return errExpect
				}
				return nil
			}},
		{name: "FD_STRIPE_API_URL", def: "", expect: "an http(s) URL or empty",
			doc: "Stripe API base; empty means api.stripe.com with a key, or a stripe-mock that dev starts",
			set: func(c *Config, v string) error { c.StripeAPIURL = v; return optionalHTTPURL(v) }},
		{name: "FD_SECRET_KEYS", def: "", secret: true,
			expect: "comma-separated kid:base64 keys of at least 32 bytes, newest first (e.g. k1:$(openssl rand -base64 32))",
			doc:    "sign sessions and encrypt two-factor secrets; the first key signs, all verify, so keys rotate; empty in development uses a public dev key",
			set: func(c *Config, v string) (err error) {
				if v == "" {
					v = devSecretKey
				}
				c.SecretKeys, err = rbac.ParseKeyring(v)
				return err
			}},
		{name: "FD_MASTER_KEY", def: "", secret: true,
			expect: "comma-separated kid:base64 keys of at least 32 bytes, newest first",
			doc:    "encrypts tenants' wallet secrets (AES-256-GCM); add a new key in front, then `fiatdashboard keys rotate`; empty in development uses a public dev key",
			set: func(c *Config, v string) (err error) {
				if v == "" {
					v = devMasterKey
				}
				c.MasterKeys, err = rbac.ParseKeyring(v)
				return err
			}},
		{name: "FD_SMTP_URL", def: "", secret: true,
			expect: "smtp://user:password@host:587?from=noreply@example.com (or smtps://) or empty",
			doc:    "outgoing mail; empty stores mail in the development outbox, readable by super-admins in the console",
			set: func(c *Config, v string) error {
				c.SMTPURL = v
				if v == "" {
					return nil
				}
				_, err := rbac.ParseSMTP(v)
				return err
			}},
		{name: "FD_GRID_NETWORK", def: "sim", expect: "sim, main, test, qa or dev",
			doc: "which TFGrid to use: sim is the built-in simulator (development and tests); the others are the real networks",
			set: func(c *Config, v string) error {
				c.GridNetwork = v
				return oneOf(v, "sim", "main", "test", "qa", "dev")
			}},
		{name: "FD_GRID_MNEMONIC", def: "", secret: true, expect: "the platform twin's mnemonic (required unless FD_GRID_NETWORK=sim)",
			doc: "the platform's own twin, used to read the node catalog from a real network; tenants' wallets are their own",
			set: func(c *Config, v string) error { c.GridMnemonic = v; return nil }},
		{name: "FD_GRID_SSH_KEY", def: "", secret: true,
			expect: "the grid adapter's SSH private key without a passphrase (PEM or OpenSSH text, or the path of a file holding it), or empty",
			doc:    "the platform logs in with it to read k3s kubeconfigs and run app setups (LiveKit) on the VMs it deploys; its public half joins those VMs' keys. Empty: kubeconfig downloads and app setups answer unavailable on a real network (the simulator needs none)",
			set: func(c *Config, v string) error {
				key, err := readSSHKey(v)
				c.GridSSHKey = key
				return err
			}},
		{name: "FD_GRID_SIM_SEED", def: "1", expect: "a non-negative integer",
			doc: "the simulator's seed: the same seed builds the same grid",
			set: func(c *Config, v string) (err error) { c.GridSimSeed, err = strconv.ParseUint(v, 10, 64); return }},
		{name: "FD_TRUSTED_PROXIES", def: "", expect: "comma-separated IPs or CIDRs of reverse proxies, e.g. 127.0.0.1,10.0.0.0/8, or empty",
			doc: "proxies (Caddy, a load balancer) whose X-Forwarded-For/-Proto are believed; empty believes nobody",
			set: func(c *Config, v string) error {
				c.TrustedProxies = nil
				for _, p := range strings.Split(v, ",") {
					if p = strings.TrimSpace(p); p == "" {
						continue
					}
					if net.ParseIP(p) == nil {
						if _, _, err := net.ParseCIDR(p); err != nil {
							return errExpect
						}
					}
					c.TrustedProxies = append(c.TrustedProxies, p)
				}
				return nil
			}},
		{name: "FD_PPROF_ADDR", def: "", expect: "a loopback host:port, e.g. 127.0.0.1:6060, or empty",
			doc: "serve and worker answer Go's pprof profiles (/debug/pprof/) here; off when empty, and only on a loopback address (profiles show internals: reach them over SSH)",
			set: func(c *Config, v string) error { c.PprofAddr = v; return loopbackAddr(v) }},
		{name: "FD_DATABASE_MAX_CONNS", def: "16", expect: "an integer from 2 to 500",
			doc: "connections serve and worker each keep to PostgreSQL; more than a few per PostgreSQL core only queues inside the database",
			set: func(c *Config, v string) (err error) { c.DatabaseMaxConns, err = intIn(v, 2, 500); return }},
		{name: "FD_DATABASE_PREPARED_READS", def: "true", expect: "true or false",
			doc: "the one-round-trip tenant reads (/api/me, deployment lists) run as prepared statements on each connection, planned once per connection; false behind a transaction-pooling proxy (PgBouncer), which does not keep them",
			set: func(c *Config, v string) (err error) { c.PreparedReads, err = strconv.ParseBool(v); return }},
		{name: "FD_DATA_DIR", def: ".data", expect: "a directory path",
			doc: "where dev keeps private PostgreSQL/Redis instances when none answer (git-ignored)",
			set: func(c *Config, v string) error {
				c.DataDir = v
				if v == "" {
					return errExpect
				}
				return nil
			}},
	}
}

// loadConfig reads every setting through getenv (serve, worker and dev use
// them all). The error is one line that names the variable and what it
// expects, and never echoes a secret.
func loadConfig(getenv func(string) string) (*Config, error) { return loadSettings(getenv, nil) }

// loadSettings reads only the named settings (every one when names is nil),
// so a command validates what it uses and nothing else: `user create` does
// not care whether Stripe is configured. Settings not read keep their zero
// value; a rule that ties two settings together applies when both are read.
func loadSettings(getenv func(string) string, names []string) (*Config, error) {
	used := func(ns ...string) bool {
		for _, n := range ns {
			if names != nil && !slices.Contains(names, n) {
				return false
			}
		}
		return true
	}
	c := &Config{}
	for _, s := range settings() {
		if !used(s.name) {
			continue
		}
		v, ok := strings.TrimSpace(getenv(s.name)), true
		if v == "" {
			v, ok = s.def, false
		}
		if err := s.set(c, v); err != nil {
			shown := ""
			if ok && !s.secret {
				shown = fmt.Sprintf(", got %q", v)
			}
			return nil, fmt.Errorf("%s: expected %s%s", s.name, s.expect, shown)
		}
	}
	if used("FD_DATABASE_URL", "FD_DATABASE_SYSTEM_URL") && c.DatabaseSystemURL == "" {
		c.DatabaseSystemURL = withUser(c.DatabaseURL, "fd_system")
	}
	if used("FD_ENV", "FD_STRIPE_SECRET_KEY") && c.Env == "production" && c.StripeSecretKey == "" {
		return nil, fmt.Errorf("FD_STRIPE_SECRET_KEY: expected a Stripe secret key in production (mock Stripe is for development)")
	}
	if used("FD_ENV", "FD_MASTER_KEY") && c.Env == "production" && strings.TrimSpace(getenv("FD_MASTER_KEY")) == "" {
		return nil, fmt.Errorf("FD_MASTER_KEY: expected keys of your own in production (the development key is public)")
	}
	if used("FD_ENV", "FD_SECRET_KEYS") && c.Env == "production" && strings.TrimSpace(getenv("FD_SECRET_KEYS")) == "" {
		return nil, fmt.Errorf("FD_SECRET_KEYS: expected keys of your own in production (the development key is public)")
	}
	if used("FD_GRID_NETWORK", "FD_GRID_MNEMONIC") && c.GridNetwork != "sim" && strings.TrimSpace(c.GridMnemonic) == "" {
		return nil, fmt.Errorf("FD_GRID_MNEMONIC: expected the platform twin's mnemonic with FD_GRID_NETWORK=%s", c.GridNetwork)
	}
	if used("FD_STRIPE_SECRET_KEY", "FD_STRIPE_WEBHOOK_SECRET") && c.StripeSecretKey != "" && c.StripeWebhookSecret == "" {
		return nil, fmt.Errorf("FD_STRIPE_WEBHOOK_SECRET: expected a webhook signing secret (whsec_…) when FD_STRIPE_SECRET_KEY is set")
	}
	if used("FD_STRIPE_SECRET_KEY", "FD_STRIPE_CONNECT_WEBHOOK_SECRET") && c.StripeSecretKey != "" && c.StripeConnectWebhookSecret == "" {
		return nil, fmt.Errorf("FD_STRIPE_CONNECT_WEBHOOK_SECRET: expected the Connect endpoint's signing secret (whsec_…) when FD_STRIPE_SECRET_KEY is set")
	}
	// Judged only when what makes a configuration live was read (a command
	// reading a few settings leaves the others at their zero values).
	if used("FD_STRIPE_SECRET_KEY", "FD_GRID_NETWORK", "FD_BASE_DOMAIN", "FD_CONSOLE_HOST") {
		if err := refuseDevKeysWhenLive(c, getenv); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// mockWebhookSecretPrefix starts every webhook secret the development
// emitter signs with; such a secret is public to anyone who reads the code.
const mockWebhookSecretPrefix = "whsec_mock"

// liveParts names what in c is real rather than local: a Stripe key (live or
// test: both reach Stripe), a real grid network, a base domain or console
// host other than localhost. Empty when everything is local.
func (c *Config) liveParts() []string {
	var live []string
	if c.StripeSecretKey != "" {
		live = append(live, "a Stripe key")
	}
	if c.GridNetwork != "sim" {
		live = append(live, "FD_GRID_NETWORK="+c.GridNetwork)
	}
	local := func(h string) bool { return h == "localhost" || strings.HasSuffix(h, ".localhost") }
	if !local(c.BaseDomain) {
		live = append(live, "FD_BASE_DOMAIN="+c.BaseDomain)
	}
	if !local(c.ConsoleHost) {
		live = append(live, "FD_CONSOLE_HOST="+c.ConsoleHost)
	}
	return live
}

// refuseDevKeysWhenLive refuses the public development keys and the mock
// webhook secret whenever anything is live, whatever FD_ENV says: a token
// signed with the development key (which is in this repository) would
// otherwise open the console of a real deployment.
func refuseDevKeysWhenLive(c *Config, getenv func(string) string) error {
	live := c.liveParts()
	if len(live) == 0 {
		return nil
	}
	why := strings.Join(live, ", ")
	usesDev := func(name, devKey string) bool {
		v := strings.TrimSpace(getenv(name))
		_, secret, _ := strings.Cut(devKey, ":")
		return v == "" || strings.Contains(v, secret)
	}
	if usesDev("FD_SECRET_KEYS", devSecretKey) {
		return fmt.Errorf("FD_SECRET_KEYS: expected keys of your own with %s (the development key is public)", why)
	}
	if usesDev("FD_MASTER_KEY", devMasterKey) {
		return fmt.Errorf("FD_MASTER_KEY: expected keys of your own with %s (the development key is public)", why)
	}
	if strings.HasPrefix(c.StripeConnectWebhookSecret, mockWebhookSecretPrefix) {
		return fmt.Errorf("FD_STRIPE_CONNECT_WEBHOOK_SECRET: expected the endpoint's signing secret from Stripe with %s (the mock secret is for stripe-mock)", why)
	}
	if strings.HasPrefix(c.StripeWebhookSecret, mockWebhookSecretPrefix) {
		return fmt.Errorf("FD_STRIPE_WEBHOOK_SECRET: expected the endpoint's signing secret from Stripe with %s (the mock secret is for stripe-mock)", why)
	}
	if strings.HasPrefix(c.StripeConnectWebhookSecret, mockWebhookSecretPrefix) {
		return fmt.Errorf("FD_STRIPE_CONNECT_WEBHOOK_SECRET: expected the Connect endpoint's signing secret from Stripe with %s (the mock secret is for stripe-mock)", why)
	}
	return nil
}

// StripeMode is "mock" without a real key, "live" with one.
func (c *Config) StripeMode() string {
	if c.StripeSecretKey == "" {
		return "mock"
	}
	return "live"
}

func oneOf(v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return errExpect
}

func hostPort(v string) error {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return err
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return errExpect
	}
	return nil
}

// loopbackAddr accepts "" (off) or a host:port whose host is a loopback
// address or localhost: a profiler must never answer on a public interface.
func loopbackAddr(v string) error {
	if v == "" {
		return nil
	}
	if err := hostPort(v); err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(v)
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return errExpect
}

func postgresURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" || strings.Trim(u.Path, "/") == "" || u.User == nil {
		return errExpect
	}
	return nil
}

// withUser is the PostgreSQL URL dsn with the user name replaced (the
// password, if any, kept).
func withUser(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	if p, ok := u.User.Password(); ok {
		u.User = url.UserPassword(name, p)
	} else {
		u.User = url.User(name)
	}
	return u.String()
}

// addrList parses comma-separated IPs or CIDRs.
func addrList(v string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return nil, errExpect
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func redisURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return errExpect
	}
	return nil
}

func optionalHTTPURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errExpect
	}
	return nil
}

func hostName(v string) error {
	if v == "" || strings.ContainsAny(v, " /:@") {
		return errExpect
	}
	return nil
}

func positiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, errExpect
	}
	return d, nil
}

func intIn(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, errExpect
	}
	return n, nil
}

// readSSHKey reads FD_GRID_SSH_KEY: the private key's text, or the path of
// a file holding it (an environment file takes no multi-line value). The
// key must parse and have no passphrase; errors never show it.
func readSSHKey(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	key := v
	if !strings.HasPrefix(v, "-----BEGIN") {
		raw, err := os.ReadFile(v)
		if err != nil {
			return "", errExpect
		}
		key = strings.TrimSpace(string(raw))
	}
	if _, err := ssh.ParsePrivateKey([]byte(key)); err != nil {
		return "", errExpect
	}
	return key, nil
}
